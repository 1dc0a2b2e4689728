// SPDX-License-Identifier: GPL-2.0

//! The health monitor's ABI: the V0 record layout, the ioctl argument structures and numbers of
//! `fs/xfs/libxfs/xfs_fs.h`, and the in-core constants of XFS that cross into this crate.
//!
//! `fs/xfs` headers are not part of the kernel's Rust bindings, so the values are written out
//! here; the `uapi` KUnit suite checks every one of them against the C headers as compiled into
//! the shim (`rust/healthmon_shim.c`), and `include/uapi/xfs_healthmon.h` carries the same ABI for
//! userspace.

use kernel::ioctl::_IOW;

/// `XFS_HEALTH_MONITOR_DOMAIN_*`.
pub(crate) const DOMAIN_MOUNT: u32 = 0;
pub(crate) const DOMAIN_FS: u32 = 1;
pub(crate) const DOMAIN_AG: u32 = 2;
pub(crate) const DOMAIN_INODE: u32 = 3;
pub(crate) const DOMAIN_RTGROUP: u32 = 4;
pub(crate) const DOMAIN_DATADEV: u32 = 5;
pub(crate) const DOMAIN_RTDEV: u32 = 6;
pub(crate) const DOMAIN_LOGDEV: u32 = 7;
pub(crate) const DOMAIN_FILERANGE: u32 = 8;

/// `XFS_HEALTH_MONITOR_TYPE_*`.
pub(crate) const TYPE_RUNNING: u32 = 0;
pub(crate) const TYPE_LOST: u32 = 1;
pub(crate) const TYPE_UNMOUNT: u32 = 2;
pub(crate) const TYPE_SICK: u32 = 3;
pub(crate) const TYPE_CORRUPT: u32 = 4;
pub(crate) const TYPE_HEALTHY: u32 = 5;
pub(crate) const TYPE_SHUTDOWN: u32 = 6;
pub(crate) const TYPE_MEDIA_ERROR: u32 = 7;
pub(crate) const TYPE_BUFREAD: u32 = 8;
pub(crate) const TYPE_BUFWRITE: u32 = 9;
pub(crate) const TYPE_DIOREAD: u32 = 10;
pub(crate) const TYPE_DIOWRITE: u32 = 11;
pub(crate) const TYPE_DATALOST: u32 = 12;

/// `XFS_HEALTH_SHUTDOWN_*`: shutdown reasons in a V0 record.
pub(crate) const HEALTH_SHUTDOWN_META_IO_ERROR: u32 = 1 << 0;
pub(crate) const HEALTH_SHUTDOWN_LOG_IO_ERROR: u32 = 1 << 1;
pub(crate) const HEALTH_SHUTDOWN_FORCE_UMOUNT: u32 = 1 << 2;
pub(crate) const HEALTH_SHUTDOWN_CORRUPT_INCORE: u32 = 1 << 3;
pub(crate) const HEALTH_SHUTDOWN_CORRUPT_ONDISK: u32 = 1 << 4;
pub(crate) const HEALTH_SHUTDOWN_DEVICE_REMOVED: u32 = 1 << 5;

/// `SHUTDOWN_*` of `fs/xfs/xfs_mount.h`: the in-core flags of `xfs_force_shutdown()`.
pub(crate) const SHUTDOWN_META_IO_ERROR: u32 = 1 << 0;
pub(crate) const SHUTDOWN_LOG_IO_ERROR: u32 = 1 << 1;
pub(crate) const SHUTDOWN_FORCE_UMOUNT: u32 = 1 << 2;
pub(crate) const SHUTDOWN_CORRUPT_INCORE: u32 = 1 << 3;
pub(crate) const SHUTDOWN_CORRUPT_ONDISK: u32 = 1 << 4;
pub(crate) const SHUTDOWN_DEVICE_REMOVED: u32 = 1 << 5;

/// `XFS_SICK_*_SECONDARY` of `fs/xfs/libxfs/xfs_health.h`: bits never sent to userspace.
pub(crate) const SICK_FS_SECONDARY: u32 = 0;
pub(crate) const SICK_RG_SECONDARY: u32 = 0;
pub(crate) const SICK_AG_SECONDARY: u32 = 0;
pub(crate) const SICK_INO_SECONDARY: u32 = 1 << 12;

/// `enum xfs_device` of `fs/xfs/libxfs/xfs_fs.h`.
pub(crate) const XFS_DEV_DATA: u32 = 1;
pub(crate) const XFS_DEV_LOG: u32 = 2;
pub(crate) const XFS_DEV_RT: u32 = 3;

/// `enum fserror_type` of `include/linux/fserror.h`.
pub(crate) const FSERR_BUFFERED_READ: u32 = 0;
pub(crate) const FSERR_BUFFERED_WRITE: u32 = 1;
pub(crate) const FSERR_DIRECTIO_READ: u32 = 2;
pub(crate) const FSERR_DIRECTIO_WRITE: u32 = 3;
pub(crate) const FSERR_DATA_LOST: u32 = 4;
pub(crate) const FSERR_METADATA: u32 = 5;

/// Size of `struct xfs_health_monitor_event`, the V0 record.
pub(crate) const V0_SIZE: usize = 64;

/// Offsets of the V0 record's fields.
pub(crate) const V0_DOMAIN: usize = 0;
pub(crate) const V0_TYPE: usize = 4;
pub(crate) const V0_TIME_NS: usize = 8;
/// The union `e` starts here.
const E: usize = 16;
pub(crate) const V0_LOST_COUNT: usize = E;
pub(crate) const V0_FS_MASK: usize = E;
pub(crate) const V0_GROUP_MASK: usize = E;
pub(crate) const V0_GROUP_GNO: usize = E + 4;
pub(crate) const V0_INODE_MASK: usize = E;
pub(crate) const V0_INODE_GEN: usize = E + 4;
pub(crate) const V0_INODE_INO: usize = E + 8;
pub(crate) const V0_SHUTDOWN_REASONS: usize = E;
pub(crate) const V0_MEDIA_DADDR: usize = E;
pub(crate) const V0_MEDIA_BBCOUNT: usize = E + 8;
pub(crate) const V0_FILE_POS: usize = E;
pub(crate) const V0_FILE_LEN: usize = E + 8;
pub(crate) const V0_FILE_INO: usize = E + 16;
pub(crate) const V0_FILE_GEN: usize = E + 24;
pub(crate) const V0_FILE_ERROR: usize = E + 28;
/// `pad[2]`, always zero.
pub(crate) const V0_PAD: usize = 48;

// Every field ends before the padding, which ends the record.
const _: () = assert!(V0_FILE_ERROR + 4 <= V0_PAD && V0_INODE_INO + 8 <= V0_PAD);
const _: () = assert!(V0_PAD + 16 == V0_SIZE);

/// `struct xfs_health_monitor`: the argument of `XFS_IOC_HEALTH_MONITOR`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct HealthMonitor {
    /// `XFS_HEALTH_MONITOR_*` flags.
    pub(crate) flags: u64,
    /// `XFS_HEALTH_MONITOR_FMT_*`.
    pub(crate) format: u8,
    /// Must be zero.
    pub(crate) pad: [u8; 23],
}

// SAFETY: `HealthMonitor` is `repr(C)` with integer fields only and no padding (8 + 1 + 23 bytes
// at alignment 8), so every bit pattern is valid and it has no uninitialised bytes.
unsafe impl kernel::transmute::FromBytes for HealthMonitor {}

/// `XFS_HEALTH_MONITOR_VERBOSE`: report every health event, not just changes.
pub(crate) const MONITOR_VERBOSE: u64 = 1 << 0;
/// `XFS_HEALTH_MONITOR_ALL`.
pub(crate) const MONITOR_ALL: u64 = MONITOR_VERBOSE;
/// `XFS_HEALTH_MONITOR_FMT_V0`.
pub(crate) const MONITOR_FMT_V0: u8 = 0;

impl HealthMonitor {
    /// Whether the flags, format and padding are all ones this monitor understands.
    pub(crate) fn is_valid(&self) -> bool {
        self.flags & !MONITOR_ALL == 0
            && self.format == MONITOR_FMT_V0
            && self.pad.iter().all(|b| *b == 0)
    }

    /// Whether the caller asked for every event.
    pub(crate) fn verbose(&self) -> bool {
        self.flags & MONITOR_VERBOSE != 0
    }
}

/// `struct xfs_health_file_on_monitored_fs`: the argument of
/// `XFS_IOC_HEALTH_FD_ON_MONITORED_FS`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct FileOnMonitoredFs {
    /// The file descriptor to check.
    pub(crate) fd: i32,
    /// Must be zero.
    pub(crate) flags: u32,
}

// SAFETY: `FileOnMonitoredFs` is `repr(C)` with two 4-byte integers and no padding, so every bit
// pattern is valid.
unsafe impl kernel::transmute::FromBytes for FileOnMonitoredFs {}

/// `XFS_IOC_HEALTH_MONITOR`.
pub(crate) const XFS_IOC_HEALTH_MONITOR: u32 = _IOW::<HealthMonitor>(b'X' as u32, 68);
/// `XFS_IOC_HEALTH_FD_ON_MONITORED_FS`.
pub(crate) const XFS_IOC_HEALTH_FD_ON_MONITORED_FS: u32 =
    _IOW::<FileOnMonitoredFs>(b'X' as u32, 69);

const _: () = assert!(core::mem::size_of::<HealthMonitor>() == 32);
const _: () = assert!(core::mem::size_of::<FileOnMonitoredFs>() == 8);
