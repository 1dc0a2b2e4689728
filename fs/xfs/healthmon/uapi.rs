// SPDX-License-Identifier: GPL-2.0

//! The health monitor's ABI: the V0 record and its types, the ioctl argument structures and
//! numbers of `fs/xfs/libxfs/xfs_fs.h`, and the in-core constants of XFS that cross into this
//! crate.
//!
//! `fs/xfs` headers are not part of the kernel's Rust bindings, so each value is written here
//! once (the enums of the C call sites are declared with [`c_enum!`] in [`crate::event`]), and
//! the `uapi` KUnit suite checks every one of them, and the record's layout field by field,
//! against the C headers as compiled into the shim (`healthmon_shim.c`).
//! `include/uapi/xfs_healthmon.h` carries the same ABI for userspace.

use kernel::ioctl::_IOW;
use kernel::transmute::AsBytes;

/// Declares a `#[repr(u32)]` enum whose discriminants are the values of a C enum (or of a C
/// family of constants): the one place in Rust where those numbers are written.  It comes with
/// `TryFrom<u32>` for values that arrive from C and, in KUnit builds, `ALL`, every variant in
/// the order of the C definition, which the `uapi` KUnit suite checks against the values the C
/// headers give (`crate::xfs::c_abi()`).
macro_rules! c_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u32)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant = $value, )*
        }

        impl $name {
            /// Every variant, in the order of the C definition.
            #[cfg(CONFIG_KUNIT = "y")]
            pub(crate) const ALL: &'static [$name] = &[$($name::$variant),*];
        }

        impl TryFrom<u32> for $name {
            type Error = u32;

            /// The variant of a value from C, or the value back if it names none.
            #[inline(always)]
            fn try_from(raw: u32) -> ::core::result::Result<Self, u32> {
                $(
                    if raw == $name::$variant as u32 {
                        return Ok($name::$variant);
                    }
                )*
                Err(raw)
            }
        }
    };
}
pub(crate) use c_enum;

c_enum! {
    /// `XFS_HEALTH_MONITOR_TYPE_*`: the type of a V0 record.  The in-kernel types
    /// ([`crate::event::EventType`]) are numbered differently; `EventType::v0()` maps them, as
    /// the C monitor's table does.
    pub(crate) enum V0Type {
        /// `XFS_HEALTH_MONITOR_TYPE_RUNNING`.
        Running = 0,
        /// `XFS_HEALTH_MONITOR_TYPE_LOST`.
        Lost = 1,
        /// `XFS_HEALTH_MONITOR_TYPE_UNMOUNT`.
        Unmount = 2,
        /// `XFS_HEALTH_MONITOR_TYPE_SICK`.
        Sick = 3,
        /// `XFS_HEALTH_MONITOR_TYPE_CORRUPT`.
        Corrupt = 4,
        /// `XFS_HEALTH_MONITOR_TYPE_HEALTHY`.
        Healthy = 5,
        /// `XFS_HEALTH_MONITOR_TYPE_SHUTDOWN`.
        Shutdown = 6,
        /// `XFS_HEALTH_MONITOR_TYPE_MEDIA_ERROR`.
        MediaError = 7,
        /// `XFS_HEALTH_MONITOR_TYPE_BUFREAD`.
        BufRead = 8,
        /// `XFS_HEALTH_MONITOR_TYPE_BUFWRITE`.
        BufWrite = 9,
        /// `XFS_HEALTH_MONITOR_TYPE_DIOREAD`.
        DioRead = 10,
        /// `XFS_HEALTH_MONITOR_TYPE_DIOWRITE`.
        DioWrite = 11,
        /// `XFS_HEALTH_MONITOR_TYPE_DATALOST`.
        DataLost = 12,
    }
}

impl V0Type {
    /// The type's name in the monitor's fdinfo: `xfs-healthmon`'s JSON name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            V0Type::Running => "running",
            V0Type::Lost => "lost",
            V0Type::Unmount => "unmount",
            V0Type::Sick => "sick",
            V0Type::Corrupt => "corrupt",
            V0Type::Healthy => "healthy",
            V0Type::Shutdown => "shutdown",
            V0Type::MediaError => "media_error",
            V0Type::BufRead => "buffered_read",
            V0Type::BufWrite => "buffered_write",
            V0Type::DioRead => "directio_read",
            V0Type::DioWrite => "directio_write",
            V0Type::DataLost => "data_lost",
        }
    }
}

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

/// Size of the union `e` of a V0 record, which holds one of the `V0*` payloads below.
pub(crate) const V0_PAYLOAD_SIZE: usize = 32;

/// `struct xfs_health_monitor_event`: the V0 record, 64 bytes in native byte order.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct V0Record {
    /// `XFS_HEALTH_MONITOR_DOMAIN_*`.
    pub(crate) domain: u32,
    /// `XFS_HEALTH_MONITOR_TYPE_*`.
    pub(crate) ty: u32,
    /// When the event was queued.
    pub(crate) time_ns: u64,
    /// The union `e`: the payload of the record's type, then zeroes.
    pub(crate) e: [u8; V0_PAYLOAD_SIZE],
    /// `pad[2]`, always zero.
    pub(crate) pad: [u64; 2],
}

// SAFETY: `V0Record` is `repr(C)` with integer fields and arrays only, laid out without padding
// (4 + 4 + 8 + 32 + 16 bytes at alignment 8), so all of its bytes are initialised.
unsafe impl AsBytes for V0Record {}

/// Size of the V0 record.
pub(crate) const V0_SIZE: usize = core::mem::size_of::<V0Record>();

// The size the ABI fixes, and that the SAFETY argument of `AsBytes` above counts on (no padding).
const _: () = assert!(V0_SIZE == 64);

impl V0Record {
    /// A record without payload.
    #[inline(always)]
    pub(crate) fn new(domain: u32, ty: V0Type, time_ns: u64) -> Self {
        Self {
            domain,
            ty: ty as u32,
            time_ns,
            e: [0; V0_PAYLOAD_SIZE],
            pad: [0; 2],
        }
    }

    /// The record with `payload` at the start of its union.
    #[inline(always)]
    pub(crate) fn with<P: V0Payload>(mut self, payload: P) -> Self {
        // Fails the build of a payload larger than the union.
        let () = P::FITS;
        let bytes = payload.as_bytes();
        if let Some(e) = self.e.get_mut(..bytes.len()) {
            e.copy_from_slice(bytes);
        }
        self
    }
}

/// A member of the union `e` of a V0 record.
pub(crate) trait V0Payload: AsBytes + Sized {
    /// Evaluates (at build time, where [`V0Record::with`] uses it) only if the payload fits.
    const FITS: () = assert!(core::mem::size_of::<Self>() <= V0_PAYLOAD_SIZE);
}

/// Declares the V0 payloads: `repr(C)` structs of `u32` and `u64` fields laid out without
/// padding, as `struct xfs_health_monitor_event`'s union members are.
macro_rules! v0_payloads {
    ($( $(#[$meta:meta])* $name:ident { $( $(#[$fmeta:meta])* $field:ident: $ty:ty, )* } )*) => {
        $(
            $(#[$meta])*
            #[repr(C)]
            pub(crate) struct $name {
                $( $(#[$fmeta])* pub(crate) $field: $ty, )*
            }

            // SAFETY: `repr(C)` with `u32` and `u64` fields only; the assertion below proves
            // there is no padding, so every byte is initialised.
            unsafe impl AsBytes for $name {}

            const _: () = assert!(
                core::mem::size_of::<$name>() == 0 $( + core::mem::size_of::<$ty>() )*
            );

            impl V0Payload for $name {}
        )*
    };
}

v0_payloads! {
    /// `e.lost`.
    V0Lost {
        /// How many events were lost.
        count: u64,
    }
    /// `e.fs`.
    V0Fs {
        /// `XFS_FSOP_GEOM_SICK_*` bits.
        mask: u32,
    }
    /// `e.group`.
    V0Group {
        /// `XFS_AG_GEOM_SICK_*` or `XFS_RTGROUP_GEOM_SICK_*` bits.
        mask: u32,
        /// The group number.
        gno: u32,
    }
    /// `e.inode`.
    V0Inode {
        /// `XFS_BS_SICK_*` bits.
        mask: u32,
        /// The inode generation.
        gen: u32,
        /// The inode number.
        ino: u64,
    }
    /// `e.shutdown`.
    V0Shutdown {
        /// `XFS_HEALTH_SHUTDOWN_*` bits.
        reasons: u32,
    }
    /// `e.media`.
    V0Media {
        /// First 512-byte sector.
        daddr: u64,
        /// Number of sectors.
        bbcount: u64,
    }
    /// `e.filerange`.
    V0FileRange {
        /// Start of the range in bytes.
        pos: u64,
        /// Length of the range in bytes.
        len: u64,
        /// The inode number.
        ino: u64,
        /// The inode generation.
        gen: u32,
        /// The positive errno.
        error: u32,
    }
}

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

#[kernel::prelude::kunit_tests(xfs_healthmon_uapi)]
mod tests {
    use crate::uapi;

    use crate::xfs::c_abi;

    #[test]
    fn constants_match_the_c_headers() {
        let c = c_abi();
        assert_eq!(c.ioc_health_monitor, uapi::XFS_IOC_HEALTH_MONITOR);
        assert_eq!(
            c.ioc_fd_on_monitored_fs,
            uapi::XFS_IOC_HEALTH_FD_ON_MONITORED_FS
        );
        assert_eq!(c.event_size as usize, uapi::V0_SIZE);
        assert_eq!(
            c.monitor_size as usize,
            core::mem::size_of::<uapi::HealthMonitor>()
        );
        assert_eq!(c.sick_ino_secondary, uapi::SICK_INO_SECONDARY);
        assert_eq!(c.sick_fs_secondary, uapi::SICK_FS_SECONDARY);
        assert_eq!(c.sick_ag_secondary, uapi::SICK_AG_SECONDARY);
        assert_eq!(c.sick_rg_secondary, uapi::SICK_RG_SECONDARY);
    }

    #[test]
    fn v0_layout_matches_the_c_struct() {
        use core::mem::offset_of;
        use core::mem::size_of;
        use uapi::{
            V0FileRange,
            V0Fs,
            V0Group,
            V0Inode,
            V0Lost,
            V0Media,
            V0Record,
            V0Shutdown, //
        };

        let e = offset_of!(V0Record, e);
        let offsets = [
            offset_of!(V0Record, domain),
            offset_of!(V0Record, ty),
            offset_of!(V0Record, time_ns),
            e + offset_of!(V0Lost, count),
            e + offset_of!(V0Fs, mask),
            e + offset_of!(V0Group, mask),
            e + offset_of!(V0Group, gno),
            e + offset_of!(V0Inode, mask),
            e + offset_of!(V0Inode, gen),
            e + offset_of!(V0Inode, ino),
            e + offset_of!(V0Shutdown, reasons),
            e + offset_of!(V0Media, daddr),
            e + offset_of!(V0Media, bbcount),
            e + offset_of!(V0FileRange, pos),
            e + offset_of!(V0FileRange, len),
            e + offset_of!(V0FileRange, ino),
            e + offset_of!(V0FileRange, gen),
            e + offset_of!(V0FileRange, error),
            offset_of!(V0Record, pad),
        ];
        let sizes = [
            uapi::V0_PAYLOAD_SIZE,
            size_of::<V0Lost>(),
            size_of::<V0Fs>(),
            size_of::<V0Group>(),
            size_of::<V0Inode>(),
            size_of::<V0Shutdown>(),
            size_of::<V0Media>(),
            size_of::<V0FileRange>(),
        ];
        let c = c_abi();
        assert_eq!(c.v0_offsets.len(), offsets.len());
        for (ours, theirs) in offsets.iter().zip(c.v0_offsets) {
            assert_eq!(*ours, *theirs as usize);
        }
        assert_eq!(c.v0_payload_sizes.len(), sizes.len());
        for (ours, theirs) in sizes.iter().zip(c.v0_payload_sizes) {
            assert_eq!(*ours, *theirs as usize);
        }
    }

    #[test]
    fn argument_validation() {
        let mut hmo = uapi::HealthMonitor::default();
        assert!(hmo.is_valid());
        hmo.flags = uapi::MONITOR_VERBOSE;
        assert!(hmo.is_valid() && hmo.verbose());
        hmo.flags = 2;
        assert!(!hmo.is_valid());
        hmo.flags = 0;
        hmo.format = 1;
        assert!(!hmo.is_valid());
        hmo.format = 0;
        hmo.pad[22] = 1;
        assert!(!hmo.is_valid());
    }
}
