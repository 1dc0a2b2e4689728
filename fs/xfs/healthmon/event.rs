// SPDX-License-Identifier: GPL-2.0

//! Health events: what XFS reports, how a new event merges into the newest queued one, and the V0
//! record that userspace reads.
//!
//! An [`Event`] is a Rust enum whose variants carry exactly the fields their kind needs, where the
//! C monitor uses one struct with a union.  [`EventType`], [`Domain`], [`MediaDev`] and [`FileIo`]
//! keep the C numbering of `enum xfs_healthmon_type`, `enum xfs_healthmon_domain`, `enum
//! xfs_device` and `enum fserror_type`, which is the ABI between XFS's call sites and the report
//! functions.

use crate::uapi::{
    c_enum,
    V0Type, //
};

mod merge;
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) mod testing;
mod v0;

pub(crate) use v0::MaskMap;

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

    /// The domain's name in the monitor's fdinfo: `xfs-healthmon`'s JSON name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Domain::Mount => "mount",
            Domain::Fs => "fs",
            Domain::Ag => "ag",
            Domain::Inode => "inode",
            Domain::Rtgroup => "rtgroup",
            Domain::DataDev => "datadev",
            Domain::RtDev => "rtdev",
            Domain::LogDev => "logdev",
            Domain::FileRange => "filerange",
        }
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

    /// The V0 type and domain of this event as numbers, in one match (the report path counts
    /// every event by both: through [`Event::event_type`] and [`Event::domain`] it took 35 to 56
    /// instructions a report).
    #[inline(always)]
    pub(crate) fn v0_indices(&self) -> (usize, usize) {
        match self {
            Event::Running => (0, 0),
            Event::Lost { .. } => (1, 0),
            Event::Unmount => (2, 0),
            Event::Shutdown { .. } => (6, 0),
            Event::Metadata { health, what } => (
                3 + *health as usize,
                match what {
                    Metadata::Fs { .. } => 1,
                    Metadata::Ag { .. } => 2,
                    Metadata::Inode { .. } => 3,
                    Metadata::Rtgroup { .. } => 4,
                },
            ),
            Event::Media { dev, .. } => (7, dev.domain() as usize),
            Event::FileIo { op, .. } => (8 + *op as usize, 8),
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
}

#[kernel::prelude::kunit_tests(xfs_healthmon_event)]
mod tests {
    use super::v0::shutdown_reasons;
    use super::*;
    use crate::xfs::c_abi;
    use kernel::prelude::*;

    #[test]
    fn verbose_reports_every_bit() {
        assert_eq!(Health::Sick.filter(true, 3, 3), 3);
        assert_eq!(Health::Corrupt.filter(true, 3, 3), 3);
        assert_eq!(Health::Healthy.filter(true, 0, 6), 6);
    }

    #[test]
    fn sick_is_always_reported() {
        assert_eq!(Health::Sick.filter(false, 3, 3), 3);
        assert_eq!(Health::Sick.filter(false, 0, 1), 1);
    }

    #[test]
    fn corrupt_only_when_new() {
        assert_eq!(Health::Corrupt.filter(false, 1, 3), 2);
        assert_eq!(Health::Corrupt.filter(false, 3, 3), 0);
    }

    #[test]
    fn healthy_only_when_fixed() {
        assert_eq!(Health::Healthy.filter(false, 5, 7), 5);
        assert_eq!(Health::Healthy.filter(false, 0, 7), 0);
    }

    #[test]
    fn v0_indices_are_the_v0_type_and_domain() {
        let mut events = KVec::new();
        for e in [
            Event::Running,
            Event::Lost { count: 1 },
            Event::Unmount,
            Event::Shutdown { flags: 1 },
        ] {
            assert!(events.push(e, GFP_KERNEL).is_ok());
        }
        for health in [Health::Sick, Health::Corrupt, Health::Healthy] {
            for what in [
                Metadata::Fs { mask: 1 },
                Metadata::Ag { group: 0, mask: 1 },
                Metadata::Rtgroup { group: 0, mask: 1 },
                Metadata::Inode {
                    ino: 1,
                    gen: 0,
                    mask: 1,
                },
            ] {
                assert!(events
                    .push(Event::Metadata { health, what }, GFP_KERNEL)
                    .is_ok());
            }
        }
        for dev in [MediaDev::Data, MediaDev::Log, MediaDev::Rt] {
            let e = Event::Media {
                dev,
                daddr: 0,
                bbcount: 1,
            };
            assert!(events.push(e, GFP_KERNEL).is_ok());
        }
        for op in [
            FileIo::BufRead,
            FileIo::BufWrite,
            FileIo::DioRead,
            FileIo::DioWrite,
            FileIo::DataLost,
        ] {
            let e = Event::FileIo {
                op,
                ino: 1,
                gen: 0,
                pos: 0,
                len: 1,
                error: 5,
            };
            assert!(events.push(e, GFP_KERNEL).is_ok());
        }
        assert_eq!(events.len(), 24);
        for e in events.iter() {
            assert_eq!(
                e.v0_indices(),
                (e.event_type().v0() as usize, e.domain().v0() as usize)
            );
        }
    }

    #[test]
    fn enums_match_the_c_headers() {
        let c = c_abi();
        // `enum xfs_healthmon_type`: the same numbers, and the same V0 type for each, which
        // together are every V0 type.
        assert_eq!(c.types.len(), EventType::ALL.len());
        for (ty, &[raw, v0]) in EventType::ALL.iter().zip(c.types) {
            assert_eq!(*ty as u32, raw);
            assert_eq!(EventType::try_from(raw), Ok(*ty));
            assert_eq!(ty.v0() as u32, v0);
        }
        let past = c.types.len() as u32;
        assert_eq!(EventType::try_from(past), Err(past));
        assert_eq!(V0Type::ALL.len(), c.types.len());
        for ty in V0Type::ALL {
            assert!(c.types.iter().any(|&[_, v0]| v0 == *ty as u32));
        }
        // `enum xfs_healthmon_domain` and the V0 domains.
        assert_eq!(c.domains.len(), Domain::ALL.len());
        for (domain, &[raw, v0]) in Domain::ALL.iter().zip(c.domains) {
            assert_eq!(*domain as u32, raw);
            assert_eq!(domain.v0(), v0);
        }
        // `enum xfs_device`; nothing else is a device.
        assert_eq!(c.devices.len(), MediaDev::ALL.len());
        for (dev, &raw) in MediaDev::ALL.iter().zip(c.devices) {
            assert_eq!(MediaDev::try_from(raw), Ok(*dev));
        }
        assert!(MediaDev::try_from(0).is_err());
        // `enum fserror_type`: the file I/O errors, and not `FSERR_METADATA`.
        assert_eq!(c.fserror_types.len(), FileIo::ALL.len());
        for (op, &raw) in FileIo::ALL.iter().zip(c.fserror_types) {
            assert_eq!(FileIo::try_from(raw), Ok(*op));
        }
        assert!(FileIo::try_from(c.fserr_metadata).is_err());
        // `SHUTDOWN_*` to `XFS_HEALTH_SHUTDOWN_*`, one by one and all at once; flags the C table
        // does not know are dropped.
        let (mut incore, mut reasons) = (0, 0);
        for &[flag, reason] in c.shutdown_reasons {
            assert_eq!(shutdown_reasons(flag), reason);
            incore |= flag;
            reasons |= reason;
        }
        assert_eq!(shutdown_reasons(incore), reasons);
        assert_eq!(shutdown_reasons(!incore), 0);
    }
}
