// SPDX-License-Identifier: GPL-2.0

//! Health events: what XFS reports, how a new event merges into the newest queued one, and the V0
//! record that userspace reads.
//!
//! An [`Event`] is a Rust enum whose variants carry exactly the fields their kind needs, where the
//! C monitor uses one struct with a union.  [`EventType`], [`Domain`], [`MediaDev`] and [`FileIo`]
//! keep the C numbering of `enum xfs_healthmon_type`, `enum xfs_healthmon_domain`, `enum
//! xfs_device` and `enum fserror_type`, which is the ABI between XFS's call sites and the report
//! functions.

use crate::uapi;
use crate::uapi::{
    c_enum,
    V0FileRange,
    V0Fs,
    V0Group,
    V0Inode,
    V0Lost,
    V0Media,
    V0Record,
    V0Shutdown,
    V0Type, //
};

c_enum! {
    /// Event types, numbered as `enum xfs_healthmon_type` in `fs/xfs/xfs_healthmon.h`: what XFS
    /// passes to the metadata report functions.
    pub(crate) enum EventType {
        /// The monitor is running; always the first record.
        Running = 0,
        /// Events were lost.
        Lost = 1,
        /// The filesystem is unmounting.
        Unmount = 2,
        /// The filesystem shut down.
        Shutdown = 3,
        /// Runtime corruption was observed.
        Sick = 4,
        /// Fsck found corruption.
        Corrupt = 5,
        /// Fsck found a structure healthy.
        Healthy = 6,
        /// A media error on a device.
        MediaError = 7,
        /// Buffered read of a file range failed.
        BufRead = 8,
        /// Buffered write (writeback) of a file range failed.
        BufWrite = 9,
        /// Direct read of a file range failed.
        DioRead = 10,
        /// Direct write of a file range failed.
        DioWrite = 11,
        /// File data was lost to an out of band media error.
        DataLost = 12,
    }
}

impl EventType {
    /// The type of this event in a V0 record (the C monitor's table of the same name).
    #[inline(always)]
    pub(crate) fn v0(self) -> V0Type {
        match self {
            EventType::Running => V0Type::Running,
            EventType::Lost => V0Type::Lost,
            EventType::Unmount => V0Type::Unmount,
            EventType::Shutdown => V0Type::Shutdown,
            EventType::Sick => V0Type::Sick,
            EventType::Corrupt => V0Type::Corrupt,
            EventType::Healthy => V0Type::Healthy,
            EventType::MediaError => V0Type::MediaError,
            EventType::BufRead => V0Type::BufRead,
            EventType::BufWrite => V0Type::BufWrite,
            EventType::DioRead => V0Type::DioRead,
            EventType::DioWrite => V0Type::DioWrite,
            EventType::DataLost => V0Type::DataLost,
        }
    }
}

c_enum! {
    /// Event domains, numbered as `enum xfs_healthmon_domain` in `fs/xfs/xfs_healthmon.h`; the
    /// `XFS_HEALTH_MONITOR_DOMAIN_*` values of a V0 record are the same numbers.
    pub(crate) enum Domain {
        /// The whole mount.
        Mount = 0,
        /// Filesystem-wide metadata.
        Fs = 1,
        /// Allocation group metadata.
        Ag = 2,
        /// Inode metadata.
        Inode = 3,
        /// Realtime group metadata.
        Rtgroup = 4,
        /// The data device.
        DataDev = 5,
        /// The realtime device.
        RtDev = 6,
        /// The log device.
        LogDev = 7,
        /// A range of a file.
        FileRange = 8,
    }
}

impl Domain {
    /// The `XFS_HEALTH_MONITOR_DOMAIN_*` value of this domain in a V0 record: the same number
    /// (the `uapi` KUnit suite checks both C definitions).
    #[inline(always)]
    pub(crate) fn v0(self) -> u32 {
        self as u32
    }
}

/// The health state that a metadata report carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Health {
    /// Runtime code found the structure corrupt.
    Sick,
    /// Fsck found the structure corrupt.
    Corrupt,
    /// Fsck found the structure healthy.
    Healthy,
}

impl Health {
    /// The metadata health state of a reported event type, if it is one.
    pub(crate) fn from_type(ty: EventType) -> Option<Self> {
        match ty {
            EventType::Sick => Some(Health::Sick),
            EventType::Corrupt => Some(Health::Corrupt),
            EventType::Healthy => Some(Health::Healthy),
            _ => None,
        }
    }

    /// The bits of `new_mask` worth reporting.
    ///
    /// A verbose monitor gets every bit.  Otherwise runtime corruption is always reported, fsck
    /// corruption only where it is new, and fsck health only where the structure was bad before,
    /// so that a quiet monitor hears about changes and not about every scrub of a healthy fs.
    pub(crate) fn filter(self, verbose: bool, old_mask: u32, new_mask: u32) -> u32 {
        if verbose {
            return new_mask;
        }
        match self {
            Health::Sick => new_mask,
            Health::Corrupt => new_mask & !old_mask,
            Health::Healthy => new_mask & old_mask,
        }
    }

    fn event_type(self) -> EventType {
        match self {
            Health::Sick => EventType::Sick,
            Health::Corrupt => EventType::Corrupt,
            Health::Healthy => EventType::Healthy,
        }
    }
}

/// The metadata object of a health report, with its `XFS_SICK_*` mask.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Metadata {
    /// Filesystem-wide metadata (`XFS_SICK_FS_*`, `XFS_SICK_RT_*`).
    Fs {
        /// The `XFS_SICK_FS_*` bits.
        mask: u32,
    },
    /// An allocation group (`XFS_SICK_AG_*`).
    Ag {
        /// The AG number.
        group: u32,
        /// The `XFS_SICK_AG_*` bits.
        mask: u32,
    },
    /// A realtime group (`XFS_SICK_RG_*`).
    Rtgroup {
        /// The rtgroup number.
        group: u32,
        /// The `XFS_SICK_RG_*` bits.
        mask: u32,
    },
    /// An inode (`XFS_SICK_INO_*`).
    Inode {
        /// The inode number.
        ino: u64,
        /// The inode generation.
        gen: u32,
        /// The `XFS_SICK_INO_*` bits.
        mask: u32,
    },
}

impl Metadata {
    fn domain(&self) -> Domain {
        match self {
            Metadata::Fs { .. } => Domain::Fs,
            Metadata::Ag { .. } => Domain::Ag,
            Metadata::Rtgroup { .. } => Domain::Rtgroup,
            Metadata::Inode { .. } => Domain::Inode,
        }
    }

    /// ORs `new`'s mask into this one when both name the same object.
    fn merge(&mut self, new: &Metadata) -> bool {
        match (self, new) {
            (Metadata::Fs { mask }, Metadata::Fs { mask: m }) => {
                *mask |= m;
                true
            }
            (
                Metadata::Ag { group, mask },
                Metadata::Ag {
                    group: g, mask: m, ..
                },
            )
            | (
                Metadata::Rtgroup { group, mask },
                Metadata::Rtgroup {
                    group: g, mask: m, ..
                },
            ) if *group == *g => {
                *mask |= m;
                true
            }
            (
                Metadata::Inode { ino, gen, mask },
                Metadata::Inode {
                    ino: i,
                    gen: g,
                    mask: m,
                },
            ) if *ino == *i && *gen == *g => {
                *mask |= m;
                true
            }
            _ => false,
        }
    }
}

c_enum! {
    /// The device of a media error: `enum xfs_device` of `fs/xfs/libxfs/xfs_fs.h`.
    pub(crate) enum MediaDev {
        /// `XFS_DEV_DATA`.
        Data = 1,
        /// `XFS_DEV_LOG`.
        Log = 2,
        /// `XFS_DEV_RT`.
        Rt = 3,
    }
}

impl MediaDev {
    fn domain(self) -> Domain {
        match self {
            MediaDev::Data => Domain::DataDev,
            MediaDev::Log => Domain::LogDev,
            MediaDev::Rt => Domain::RtDev,
        }
    }
}

c_enum! {
    /// The operation of a file I/O error: the file I/O values of `enum fserror_type` of
    /// `include/linux/fserror.h`.  `FSERR_METADATA` is not one, and XFS filters it out before
    /// calling us.
    pub(crate) enum FileIo {
        /// `FSERR_BUFFERED_READ`.
        BufRead = 0,
        /// `FSERR_BUFFERED_WRITE`.
        BufWrite = 1,
        /// `FSERR_DIRECTIO_READ`.
        DioRead = 2,
        /// `FSERR_DIRECTIO_WRITE`.
        DioWrite = 3,
        /// `FSERR_DATA_LOST`: data lost to a media error.
        DataLost = 4,
    }
}

impl FileIo {
    fn event_type(self) -> EventType {
        match self {
            FileIo::BufRead => EventType::BufRead,
            FileIo::BufWrite => EventType::BufWrite,
            FileIo::DioRead => EventType::DioRead,
            FileIo::DioWrite => EventType::DioWrite,
            FileIo::DataLost => EventType::DataLost,
        }
    }
}

/// One health event.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Event {
    /// The monitor started; the first record of every monitor.
    Running,
    /// `count` events could not be queued.
    Lost {
        /// How many events were lost.
        count: u64,
    },
    /// The filesystem is unmounting; nothing follows but the records already queued.
    Unmount,
    /// The filesystem shut down, for the `SHUTDOWN_*` reasons in `flags`.
    Shutdown {
        /// `SHUTDOWN_*` flags of `xfs_mount.h`.
        flags: u32,
    },
    /// Metadata health changed.
    Metadata {
        /// Sick, corrupt or healthy.
        health: Health,
        /// The object and its mask.
        what: Metadata,
    },
    /// A media error on one of the filesystem's devices.
    Media {
        /// Which device.
        dev: MediaDev,
        /// First 512-byte sector.
        daddr: u64,
        /// Number of sectors.
        bbcount: u64,
    },
    /// An I/O error on a file range.
    FileIo {
        /// What failed.
        op: FileIo,
        /// The inode number.
        ino: u64,
        /// The inode generation.
        gen: u32,
        /// Start of the range in bytes.
        pos: u64,
        /// Length of the range in bytes.
        len: u64,
        /// The positive errno.
        error: i32,
    },
}

/// Merges two byte or sector ranges when one ends where the other begins.  The arithmetic wraps
/// as the C monitor's does, so a range at the very end of the address space merges the same way.
fn merge_range(start: &mut u64, len: &mut u64, new_start: u64, new_len: u64) -> bool {
    if start.wrapping_add(*len) == new_start {
        *len = len.wrapping_add(new_len);
        return true;
    }
    if new_start.wrapping_add(new_len) == *start {
        *start = new_start;
        *len = len.wrapping_add(new_len);
        return true;
    }
    false
}

impl Event {
    /// The C event type of this event.
    pub(crate) fn event_type(&self) -> EventType {
        match self {
            Event::Running => EventType::Running,
            Event::Lost { .. } => EventType::Lost,
            Event::Unmount => EventType::Unmount,
            Event::Shutdown { .. } => EventType::Shutdown,
            Event::Metadata { health, .. } => health.event_type(),
            Event::Media { .. } => EventType::MediaError,
            Event::FileIo { op, .. } => op.event_type(),
        }
    }

    /// The C domain of this event.
    pub(crate) fn domain(&self) -> Domain {
        match self {
            Event::Running | Event::Lost { .. } | Event::Unmount | Event::Shutdown { .. } => {
                Domain::Mount
            }
            Event::Metadata { what, .. } => what.domain(),
            Event::Media { dev, .. } => dev.domain(),
            Event::FileIo { .. } => Domain::FileRange,
        }
    }

    /// Merges `new` into `self`, which is the newest queued event, and says whether it did.
    ///
    /// Only events of the same type and domain merge: lost counts add up, shutdown reasons and
    /// metadata masks of the same object are ORed, and ranges that touch are joined (file ranges
    /// only for the same inode, generation and errno).  RUNNING and UNMOUNT never merge.
    pub(crate) fn merge(&mut self, new: &Event) -> bool {
        // The same type and domain, spelled out per kind: the same health (type) and the same
        // kind of object (domain, which `Metadata::merge` checks), the same device, the same
        // operation.  RUNNING, UNMOUNT and events of different kinds fall through.
        match (self, new) {
            (Event::Lost { count }, Event::Lost { count: c }) => {
                *count = count.saturating_add(*c);
                true
            }
            (Event::Shutdown { flags }, Event::Shutdown { flags: f }) => {
                // Shutdowns can race; the record carries every reason.
                *flags |= f;
                true
            }
            (
                Event::Metadata { health, what },
                Event::Metadata {
                    health: h, what: w, ..
                },
            ) if *health == *h => what.merge(w),
            (
                Event::Media {
                    dev,
                    daddr,
                    bbcount,
                },
                Event::Media {
                    dev: v,
                    daddr: d,
                    bbcount: b,
                },
            ) if *dev == *v => merge_range(daddr, bbcount, *d, *b),
            (
                Event::FileIo {
                    op,
                    ino,
                    gen,
                    pos,
                    len,
                    error,
                },
                Event::FileIo {
                    op: o,
                    ino: i,
                    gen: g,
                    pos: p,
                    len: l,
                    error: e,
                },
            ) if *op == *o => {
                if *ino != *i || *gen != *g || *error != *e {
                    return false;
                }
                merge_range(pos, len, *p, *l)
            }
            _ => false,
        }
    }

    /// Encodes this event as a V0 record (`struct xfs_health_monitor_event`), byte for byte what
    /// the C monitor writes: native byte order, unused bytes zero, masks translated from the
    /// in-core `XFS_SICK_*` bits to the ioctl ones by `masks`.
    pub(crate) fn encode_v0(&self, time_ns: u64, masks: &impl MaskMap) -> V0Record {
        let rec = V0Record::new(self.domain().v0(), self.event_type().v0(), time_ns);
        match *self {
            Event::Running | Event::Unmount => rec,
            Event::Lost { count } => rec.with(V0Lost { count }),
            Event::Shutdown { flags } => rec.with(V0Shutdown {
                reasons: shutdown_reasons(flags),
            }),
            Event::Metadata { what, .. } => match what {
                Metadata::Fs { mask } => rec.with(V0Fs {
                    mask: masks.fs(mask),
                }),
                Metadata::Ag { group, mask } => rec.with(V0Group {
                    mask: masks.perag(mask),
                    gno: group,
                }),
                Metadata::Rtgroup { group, mask } => rec.with(V0Group {
                    mask: masks.rtgroup(mask),
                    gno: group,
                }),
                Metadata::Inode { ino, gen, mask } => rec.with(V0Inode {
                    mask: masks.inode(mask),
                    gen,
                    ino,
                }),
            },
            Event::Media { daddr, bbcount, .. } => rec.with(V0Media { daddr, bbcount }),
            Event::FileIo {
                ino,
                gen,
                pos,
                len,
                error,
                ..
            } => rec.with(V0FileRange {
                pos,
                len,
                ino,
                gen,
                error: error.unsigned_abs(),
            }),
        }
    }
}

/// Translation of in-core `XFS_SICK_*` masks to the `XFS_{FSOP_GEOM,AG,RTGROUP,BS}_SICK_*` masks of
/// the ioctl ABI.  In the module this is `xfs_healthmon_*_mask()` of `xfs_health.c`.
pub(crate) trait MaskMap {
    /// `xfs_healthmon_fs_mask()`.
    fn fs(&self, mask: u32) -> u32;
    /// `xfs_healthmon_perag_mask()`.
    fn perag(&self, mask: u32) -> u32;
    /// `xfs_healthmon_rtgroup_mask()`.
    fn rtgroup(&self, mask: u32) -> u32;
    /// `xfs_healthmon_inode_mask()`.
    fn inode(&self, mask: u32) -> u32;
}

/// In-core `SHUTDOWN_*` flags of `xfs_mount.h` and the `XFS_HEALTH_SHUTDOWN_*` reasons they map to.
const SHUTDOWN_MAP: [(u32, u32); 6] = [
    (
        uapi::SHUTDOWN_META_IO_ERROR,
        uapi::HEALTH_SHUTDOWN_META_IO_ERROR,
    ),
    (
        uapi::SHUTDOWN_LOG_IO_ERROR,
        uapi::HEALTH_SHUTDOWN_LOG_IO_ERROR,
    ),
    (
        uapi::SHUTDOWN_FORCE_UMOUNT,
        uapi::HEALTH_SHUTDOWN_FORCE_UMOUNT,
    ),
    (
        uapi::SHUTDOWN_CORRUPT_INCORE,
        uapi::HEALTH_SHUTDOWN_CORRUPT_INCORE,
    ),
    (
        uapi::SHUTDOWN_CORRUPT_ONDISK,
        uapi::HEALTH_SHUTDOWN_CORRUPT_ONDISK,
    ),
    (
        uapi::SHUTDOWN_DEVICE_REMOVED,
        uapi::HEALTH_SHUTDOWN_DEVICE_REMOVED,
    ),
];

/// Maps in-core shutdown flags to the V0 shutdown reasons; unknown flags are dropped, as in C.
pub(crate) fn shutdown_reasons(flags: u32) -> u32 {
    SHUTDOWN_MAP
        .iter()
        .filter(|(incore, _)| flags & incore != 0)
        .fold(0, |acc, (_, reason)| acc | reason)
}
