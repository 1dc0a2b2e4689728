// SPDX-License-Identifier: GPL-2.0

//! The health monitor's userspace ABI, as `include/uapi/xfs_healthmon.h` defines it.
//!
//! Every value here carries the name of its C definition; `tests/abi.rs` compiles a C program
//! against the header and checks each of them, and that the header defines no value of these
//! kinds that is missing here.

/// `struct xfs_health_monitor`: the argument of [`XFS_IOC_HEALTH_MONITOR`].
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct HealthMonitorArg {
    /// `XFS_HEALTH_MONITOR_*` flags.
    pub flags: u64,
    /// Output format: [`XFS_HEALTH_MONITOR_FMT_V0`].
    pub format: u8,
    /// Zeroes.
    pub pad: [u8; 23],
}

/// `struct xfs_health_file_on_monitored_fs`: the argument of
/// [`XFS_IOC_HEALTH_FD_ON_MONITORED_FS`].
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct FileOnMonitoredFsArg {
    /// The file descriptor to check.
    pub fd: i32,
    /// Zero.
    pub flags: u32,
}

/// `_IOW('X', nr, size)` in the encoding of `asm-generic/ioctl.h` (x86, arm, arm64, riscv,
/// s390 and most others; powerpc, mips, sparc and alpha encode the direction differently, which
/// `tests/abi.rs` would catch there).
const fn iow(nr: u64, size: usize) -> u64 {
    (1 << 30) | ((size as u64) << 16) | ((b'X' as u64) << 8) | nr
}

/// `XFS_IOC_HEALTH_MONITOR`: on the root directory, creates a monitor; on a monitor, changes
/// its flags.
pub const XFS_IOC_HEALTH_MONITOR: u64 = iow(68, core::mem::size_of::<HealthMonitorArg>());
/// `XFS_IOC_HEALTH_FD_ON_MONITORED_FS`: on a monitor, whether a descriptor is on its
/// filesystem.
pub const XFS_IOC_HEALTH_FD_ON_MONITORED_FS: u64 =
    iow(69, core::mem::size_of::<FileOnMonitoredFsArg>());
/// `XFS_HEALTH_MONITOR_VERBOSE`: report every health status change, not only new problems.
pub const XFS_HEALTH_MONITOR_VERBOSE: u64 = 1 << 0;
/// `XFS_HEALTH_MONITOR_ALL`: every flag this ABI knows.
pub const XFS_HEALTH_MONITOR_ALL: u64 = XFS_HEALTH_MONITOR_VERBOSE;
/// `XFS_HEALTH_MONITOR_FMT_V0`: 64-byte records.
pub const XFS_HEALTH_MONITOR_FMT_V0: u8 = 0;

/// `sizeof(struct xfs_health_monitor_event)`.
pub const RECORD_SIZE: usize = 64;
/// Offset of `domain` in a record.
pub const OFF_DOMAIN: usize = 0;
/// Offset of `type`.
pub const OFF_TYPE: usize = 4;
/// Offset of `time_ns`.
pub const OFF_TIME_NS: usize = 8;
/// Offset of the union `e`.
pub const OFF_E: usize = 16;
/// Size of the union `e`.
pub const E_SIZE: usize = 32;
/// Offset of `pad`.
pub const OFF_PAD: usize = 48;

/// Offsets within `e` of the members' fields, each named after its C member.
pub mod e {
    /// `lost.count`.
    pub const LOST_COUNT: usize = 0;
    /// `fs.mask`.
    pub const FS_MASK: usize = 0;
    /// `group.mask`.
    pub const GROUP_MASK: usize = 0;
    /// `group.gno`.
    pub const GROUP_GNO: usize = 4;
    /// `inode.mask`.
    pub const INODE_MASK: usize = 0;
    /// `inode.gen`.
    pub const INODE_GEN: usize = 4;
    /// `inode.ino`.
    pub const INODE_INO: usize = 8;
    /// `shutdown.reasons`.
    pub const SHUTDOWN_REASONS: usize = 0;
    /// `media.daddr`.
    pub const MEDIA_DADDR: usize = 0;
    /// `media.bbcount`.
    pub const MEDIA_BBCOUNT: usize = 8;
    /// `filerange.pos`.
    pub const FILERANGE_POS: usize = 0;
    /// `filerange.len`.
    pub const FILERANGE_LEN: usize = 8;
    /// `filerange.ino`.
    pub const FILERANGE_INO: usize = 16;
    /// `filerange.gen`.
    pub const FILERANGE_GEN: usize = 24;
    /// `filerange.error`.
    pub const FILERANGE_ERROR: usize = 28;
}

/// A named value of the ABI: its C name, its value, the name `xfs_io -c healthmon` prints for
/// it and the short name of the JSON output.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Named {
    /// The C macro.
    pub c_name: &'static str,
    /// Its value (a bit for masks).
    pub value: u32,
    /// What `xfs_io -c healthmon` prints for it.
    pub text: &'static str,
    /// Its name in JSON output.
    pub id: &'static str,
}

const fn n(c_name: &'static str, value: u32, text: &'static str, id: &'static str) -> Named {
    Named {
        c_name,
        value,
        text,
        id,
    }
}

/// `XFS_HEALTH_MONITOR_DOMAIN_*` (the text is the name `xfs_io` uses where it prints one).
pub const DOMAINS: &[Named] = &[
    n("XFS_HEALTH_MONITOR_DOMAIN_MOUNT", 0, "mount", "mount"),
    n("XFS_HEALTH_MONITOR_DOMAIN_FS", 1, "fs", "fs"),
    n("XFS_HEALTH_MONITOR_DOMAIN_AG", 2, "agno", "ag"),
    n("XFS_HEALTH_MONITOR_DOMAIN_INODE", 3, "ino", "inode"),
    n("XFS_HEALTH_MONITOR_DOMAIN_RTGROUP", 4, "rgno", "rtgroup"),
    n("XFS_HEALTH_MONITOR_DOMAIN_DATADEV", 5, "datadev", "datadev"),
    n("XFS_HEALTH_MONITOR_DOMAIN_RTDEV", 6, "rtdev", "rtdev"),
    n("XFS_HEALTH_MONITOR_DOMAIN_LOGDEV", 7, "logdev", "logdev"),
    n(
        "XFS_HEALTH_MONITOR_DOMAIN_FILERANGE",
        8,
        "filerange",
        "filerange",
    ),
];

/// `XFS_HEALTH_MONITOR_TYPE_*` (the text is what `xfs_io` prints after a file range or a
/// metadata object; the data loss text is "media", followed by "failed").
pub const TYPES: &[Named] = &[
    n("XFS_HEALTH_MONITOR_TYPE_RUNNING", 0, "running", "running"),
    n("XFS_HEALTH_MONITOR_TYPE_LOST", 1, "lost", "lost"),
    n("XFS_HEALTH_MONITOR_TYPE_UNMOUNT", 2, "unmount", "unmount"),
    n("XFS_HEALTH_MONITOR_TYPE_SICK", 3, "sick", "sick"),
    n("XFS_HEALTH_MONITOR_TYPE_CORRUPT", 4, "corrupt", "corrupt"),
    n("XFS_HEALTH_MONITOR_TYPE_HEALTHY", 5, "healthy", "healthy"),
    n(
        "XFS_HEALTH_MONITOR_TYPE_SHUTDOWN",
        6,
        "shutdown",
        "shutdown",
    ),
    n(
        "XFS_HEALTH_MONITOR_TYPE_MEDIA_ERROR",
        7,
        "media error",
        "media_error",
    ),
    n(
        "XFS_HEALTH_MONITOR_TYPE_BUFREAD",
        8,
        "buffered_read",
        "buffered_read",
    ),
    n(
        "XFS_HEALTH_MONITOR_TYPE_BUFWRITE",
        9,
        "buffered_write",
        "buffered_write",
    ),
    n(
        "XFS_HEALTH_MONITOR_TYPE_DIOREAD",
        10,
        "directio_read",
        "directio_read",
    ),
    n(
        "XFS_HEALTH_MONITOR_TYPE_DIOWRITE",
        11,
        "directio_write",
        "directio_write",
    ),
    n("XFS_HEALTH_MONITOR_TYPE_DATALOST", 12, "media", "data_lost"),
];

/// `XFS_FSOP_GEOM_SICK_*`: masks of the fs domain.
pub const FS_MASK: &[Named] = &[
    n(
        "XFS_FSOP_GEOM_SICK_COUNTERS",
        1 << 0,
        "fscounters",
        "fscounters",
    ),
    n("XFS_FSOP_GEOM_SICK_UQUOTA", 1 << 1, "usrquota", "usrquota"),
    n("XFS_FSOP_GEOM_SICK_GQUOTA", 1 << 2, "grpquota", "grpquota"),
    n("XFS_FSOP_GEOM_SICK_PQUOTA", 1 << 3, "prjquota", "prjquota"),
    n("XFS_FSOP_GEOM_SICK_RT_BITMAP", 1 << 4, "bitmap", "rtbitmap"),
    n(
        "XFS_FSOP_GEOM_SICK_RT_SUMMARY",
        1 << 5,
        "summary",
        "rtsummary",
    ),
    n(
        "XFS_FSOP_GEOM_SICK_QUOTACHECK",
        1 << 6,
        "quotacheck",
        "quotacheck",
    ),
    n("XFS_FSOP_GEOM_SICK_NLINKS", 1 << 7, "nlinks", "nlinks"),
    n("XFS_FSOP_GEOM_SICK_METADIR", 1 << 8, "metadir", "metadir"),
    n(
        "XFS_FSOP_GEOM_SICK_METAPATH",
        1 << 9,
        "metapath",
        "metapath",
    ),
];

/// `XFS_AG_GEOM_SICK_*`: masks of the ag domain.
pub const AG_MASK: &[Named] = &[
    n("XFS_AG_GEOM_SICK_SB", 1 << 0, "super", "super"),
    n("XFS_AG_GEOM_SICK_AGF", 1 << 1, "agf", "agf"),
    n("XFS_AG_GEOM_SICK_AGFL", 1 << 2, "agfl", "agfl"),
    n("XFS_AG_GEOM_SICK_AGI", 1 << 3, "agi", "agi"),
    n("XFS_AG_GEOM_SICK_BNOBT", 1 << 4, "bnobt", "bnobt"),
    n("XFS_AG_GEOM_SICK_CNTBT", 1 << 5, "cntbt", "cntbt"),
    n("XFS_AG_GEOM_SICK_INOBT", 1 << 6, "inobt", "inobt"),
    n("XFS_AG_GEOM_SICK_FINOBT", 1 << 7, "finobt", "finobt"),
    n("XFS_AG_GEOM_SICK_RMAPBT", 1 << 8, "rmapbt", "rmapbt"),
    n(
        "XFS_AG_GEOM_SICK_REFCNTBT",
        1 << 9,
        "refcountbt",
        "refcountbt",
    ),
    n("XFS_AG_GEOM_SICK_INODES", 1 << 10, "inodes", "inodes"),
];

/// `XFS_BS_SICK_*`: masks of the inode domain.
pub const INODE_MASK: &[Named] = &[
    n("XFS_BS_SICK_INODE", 1 << 0, "core", "core"),
    n("XFS_BS_SICK_BMBTD", 1 << 1, "datafork", "datafork"),
    n("XFS_BS_SICK_BMBTA", 1 << 2, "attrfork", "attrfork"),
    n("XFS_BS_SICK_BMBTC", 1 << 3, "cowfork", "cowfork"),
    n("XFS_BS_SICK_DIR", 1 << 4, "directory", "directory"),
    n("XFS_BS_SICK_XATTR", 1 << 5, "xattr", "xattr"),
    n("XFS_BS_SICK_SYMLINK", 1 << 6, "symlink", "symlink"),
    n("XFS_BS_SICK_PARENT", 1 << 7, "parent", "parent"),
    n("XFS_BS_SICK_DIRTREE", 1 << 8, "dirtree", "dirtree"),
];

/// `XFS_RTGROUP_GEOM_SICK_*`: masks of the rtgroup domain.
pub const RTGROUP_MASK: &[Named] = &[
    n("XFS_RTGROUP_GEOM_SICK_SUPER", 1 << 0, "super", "super"),
    n("XFS_RTGROUP_GEOM_SICK_BITMAP", 1 << 1, "bitmap", "bitmap"),
    n(
        "XFS_RTGROUP_GEOM_SICK_SUMMARY",
        1 << 2,
        "summary",
        "summary",
    ),
    n("XFS_RTGROUP_GEOM_SICK_RMAPBT", 1 << 3, "rmapbt", "rmapbt"),
    n(
        "XFS_RTGROUP_GEOM_SICK_REFCNTBT",
        1 << 4,
        "refcountbt",
        "refcountbt",
    ),
];

/// `XFS_HEALTH_SHUTDOWN_*`: the reasons of a shutdown.
pub const SHUTDOWN_REASONS: &[Named] = &[
    n(
        "XFS_HEALTH_SHUTDOWN_META_IO_ERROR",
        1 << 0,
        "metadata I/O error",
        "meta_io_error",
    ),
    n(
        "XFS_HEALTH_SHUTDOWN_LOG_IO_ERROR",
        1 << 1,
        "log I/O error",
        "log_io_error",
    ),
    n(
        "XFS_HEALTH_SHUTDOWN_FORCE_UMOUNT",
        1 << 2,
        "forced unmount",
        "force_umount",
    ),
    n(
        "XFS_HEALTH_SHUTDOWN_CORRUPT_INCORE",
        1 << 3,
        "in-memory state corruption",
        "corrupt_incore",
    ),
    n(
        "XFS_HEALTH_SHUTDOWN_CORRUPT_ONDISK",
        1 << 4,
        "ondisk metadata corruption",
        "corrupt_ondisk",
    ),
    n(
        "XFS_HEALTH_SHUTDOWN_DEVICE_REMOVED",
        1 << 5,
        "device removed",
        "device_removed",
    ),
];

/// The entry of `table` with value `value`.
pub fn lookup(table: &'static [Named], value: u32) -> Option<&'static Named> {
    table.iter().find(|e| e.value == value)
}
