// SPDX-License-Identifier: GPL-2.0

//! The V0 encoding: an event as the 64-byte `struct xfs_health_monitor_event` userspace reads.

use super::Event;
use super::Metadata;
use crate::uapi;
use crate::uapi::{
    V0FileRange,
    V0Fs,
    V0Group,
    V0Inode,
    V0Lost,
    V0Media,
    V0Record,
    V0Shutdown, //
};

impl Event {
    /// Encodes this event as a V0 record (`struct xfs_health_monitor_event`), byte for byte what
    /// the C monitor writes: native byte order, unused bytes zero, masks translated from the
    /// in-core `XFS_SICK_*` bits to the ioctl ones by `masks`.  Inlined into the reader's loop,
    /// so that the record is built where it goes.
    #[inline(always)]
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
pub(super) fn shutdown_reasons(flags: u32) -> u32 {
    SHUTDOWN_MAP
        .iter()
        .filter(|(incore, _)| flags & incore != 0)
        .fold(0, |acc, (_, reason)| acc | reason)
}

#[kernel::prelude::kunit_tests(xfs_healthmon_v0)]
mod tests {
    use super::*;
    use crate::event::testing::*;
    use crate::event::{
        FileIo,
        Health,
        MediaDev, //
    };

    fn u32_at(rec: &[u8; uapi::V0_SIZE], off: usize) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&rec[off..off + 4]);
        u32::from_ne_bytes(b)
    }

    fn u64_at(rec: &[u8; uapi::V0_SIZE], off: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&rec[off..off + 8]);
        u64::from_ne_bytes(b)
    }

    /// A V0 record built field by field, the way a C reader would see it.
    fn v0(domain: u32, ty: u32, time: u64, fields: &[(usize, u64, usize)]) -> [u8; uapi::V0_SIZE] {
        let mut rec = [0u8; uapi::V0_SIZE];
        rec[0..4].copy_from_slice(&domain.to_ne_bytes());
        rec[4..8].copy_from_slice(&ty.to_ne_bytes());
        rec[8..16].copy_from_slice(&time.to_ne_bytes());
        for &(off, val, width) in fields {
            if width == 4 {
                rec[off..off + 4].copy_from_slice(&(val as u32).to_ne_bytes());
            } else {
                rec[off..off + 8].copy_from_slice(&val.to_ne_bytes());
            }
        }
        rec
    }

    use crate::file::XfsMasks;

    const T: u64 = 0x1122_3344_5566_7788;

    #[test]
    fn running_lost_unmount_shutdown() {
        assert_eq!(
            Event::Running.encode_v0(T, &SameMasks).to_bytes(),
            v0(0, 0, T, &[])
        );
        assert_eq!(
            Event::Lost { count: 99 }
                .encode_v0(T, &SameMasks)
                .to_bytes(),
            v0(0, 1, T, &[(16, 99, 8)])
        );
        assert_eq!(
            Event::Unmount.encode_v0(T, &SameMasks).to_bytes(),
            v0(0, 2, T, &[])
        );
        // Forced unmount (in-core 1 << 2) and corrupt on disk (1 << 4).
        assert_eq!(
            Event::Shutdown { flags: 0x14 }
                .encode_v0(T, &SameMasks)
                .to_bytes(),
            v0(0, 6, T, &[(16, 0x14, 4)])
        );
    }

    #[test]
    fn metadata_domains() {
        let fs = Event::Metadata {
            health: Health::Corrupt,
            what: Metadata::Fs { mask: 0x81 },
        };
        assert_eq!(
            fs.encode_v0(T, &SameMasks).to_bytes(),
            v0(1, 4, T, &[(16, 0x81, 4)])
        );
        let ag = Event::Metadata {
            health: Health::Healthy,
            what: Metadata::Ag { group: 3, mask: 2 },
        };
        assert_eq!(
            ag.encode_v0(T, &SameMasks).to_bytes(),
            v0(2, 5, T, &[(16, 2, 4), (20, 3, 4)])
        );
        assert_eq!(
            sick_inode(0x1_0000_0083, 0xdead_beef, 0x10)
                .encode_v0(T, &SameMasks)
                .to_bytes(),
            v0(
                3,
                3,
                T,
                &[(16, 0x10, 4), (20, 0xdead_beef, 4), (24, 0x1_0000_0083, 8)]
            )
        );
        let rg = Event::Metadata {
            health: Health::Sick,
            what: Metadata::Rtgroup { group: 9, mask: 2 },
        };
        assert_eq!(
            rg.encode_v0(T, &SameMasks).to_bytes(),
            v0(4, 3, T, &[(16, 2, 4), (20, 9, 4)])
        );
    }

    #[test]
    fn media_domains() {
        for (dev, domain) in [(MediaDev::Data, 5), (MediaDev::Rt, 6), (MediaDev::Log, 7)] {
            assert_eq!(
                media(dev, 2048, 16).encode_v0(T, &SameMasks).to_bytes(),
                v0(domain, 7, T, &[(16, 2048, 8), (24, 16, 8)])
            );
        }
    }

    #[test]
    fn file_ranges() {
        let ops = [
            (FileIo::BufRead, 8),
            (FileIo::BufWrite, 9),
            (FileIo::DioRead, 10),
            (FileIo::DioWrite, 11),
            (FileIo::DataLost, 12),
        ];
        for (op, ty) in ops {
            assert_eq!(
                file_io(op, 131, 65536, 4096, 5)
                    .encode_v0(T, &SameMasks)
                    .to_bytes(),
                v0(
                    8,
                    ty,
                    T,
                    &[
                        (16, 65536, 8),
                        (24, 4096, 8),
                        (32, 131, 8),
                        (40, 7, 4),
                        (44, 5, 4)
                    ]
                )
            );
        }
    }

    #[test]
    fn padding_stays_zero() {
        let rec = file_io(FileIo::BufWrite, u64::MAX, u64::MAX, u64::MAX, i32::MAX)
            .encode_v0(u64::MAX, &SameMasks)
            .to_bytes();
        assert_eq!(u64_at(&rec, 48), 0);
        assert_eq!(u64_at(&rec, 56), 0);
    }

    #[test]
    fn xfs_mask_translation() {
        // XFS_SICK_INO_CORE | XFS_SICK_INO_DIR_ZAPPED -> XFS_BS_SICK_INODE | XFS_BS_SICK_DIR.
        let rec = sick_inode(128, 1, (1 << 0) | (1 << 10))
            .encode_v0(T, &XfsMasks)
            .to_bytes();
        assert_eq!(u32_at(&rec, 16), (1 << 0) | (1 << 4));
        // XFS_SICK_AG_SB | XFS_SICK_AG_AGF -> XFS_AG_GEOM_SICK_SB | XFS_AG_GEOM_SICK_AGF.
        assert_eq!(XfsMasks.perag(3), 3);
        // XFS_SICK_RG_BITMAP -> XFS_RTGROUP_GEOM_SICK_BITMAP.
        assert_eq!(XfsMasks.rtgroup(1 << 1), 1 << 1);
        // XFS_SICK_FS_COUNTERS | XFS_SICK_FS_UQUOTA -> the same FSOP_GEOM bits; the rt bits of
        // the fs mask are not sent in the fs domain.
        assert_eq!(XfsMasks.fs(3), 3);
        assert_eq!(XfsMasks.fs(1 << 31), 0);
    }

    #[test]
    fn shutdown_reason_map() {
        for bit in 0..6 {
            assert_eq!(shutdown_reasons(1 << bit), 1 << bit);
        }
        assert_eq!(shutdown_reasons(0x3f), 0x3f);
        assert_eq!(shutdown_reasons(1 << 6), 0);
        assert_eq!(shutdown_reasons(0), 0);
    }
}
