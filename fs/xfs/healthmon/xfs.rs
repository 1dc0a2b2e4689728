// SPDX-License-Identifier: GPL-2.0

//! The C edge: the XFS and VFS objects the monitor touches, as Rust types, and the shims of
//! `healthmon_shim.c` that reach them.
//!
//! This module and its submodules are the only ones that declare C functions or hold pointers to C
//! objects (besides the file operations table of [`crate::file`]): the objects in `objects`, the
//! attach lock in `attach`, a monitor's allocations and their free in `memory`, the tracepoints
//! in `trace`, and the test-only C fixtures in `kunit`.
//! A C pointer becomes a reference here, once, with the one SAFETY argument for it
//! ([`Mount::from_raw`] and its siblings); the rest of the crate takes `&Mount`, `&Inode`, `&Group`
//! or `&FserrorEvent` and never sees a raw pointer.  It uses no other module of the crate: what it
//! returns is plain values, references to these types, and the monitor's address as an opaque
//! `struct xfs_hm_monitor` ([`RawMonitor`]), which [`crate::monitor`] owns.

use kernel::bindings;

/// The C structures, declared only to be pointed to.
mod raw {
    /// `struct xfs_mount`.
    #[repr(C)]
    pub(crate) struct xfs_mount {
        _opaque: [u8; 0],
    }

    /// `struct xfs_inode`.
    #[repr(C)]
    pub(crate) struct xfs_inode {
        _opaque: [u8; 0],
    }

    /// `struct xfs_group`.
    #[repr(C)]
    pub(crate) struct xfs_group {
        _opaque: [u8; 0],
    }

    /// `struct fserror_event`.
    #[repr(C)]
    pub(crate) struct fserror_event {
        _opaque: [u8; 0],
    }

    /// `struct super_block`.
    #[repr(C)]
    pub(crate) struct super_block {
        _opaque: [u8; 0],
    }

    /// `struct xfs_hm_monitor` of `healthmon_shim.h`: a monitor as C sees it, opaque, with its
    /// report spinlock at its address.
    #[repr(C)]
    pub(crate) struct xfs_hm_monitor {
        _opaque: [u8; 0],
    }
}

pub(crate) use raw::{
    fserror_event as RawFserrorEvent,
    xfs_group as RawGroup,
    xfs_hm_monitor as RawMonitor,
    xfs_inode as RawInode,
    xfs_mount as RawMount, //
};

mod shim {
    use super::raw::*;
    use kernel::bindings;
    use kernel::ffi::c_int;

    // `struct file` and `struct file_operations` contain types that bindgen cannot express
    // (hence the lint); only pointers to them cross, as in the kernel crate's own bindings.
    #[allow(improper_ctypes)]
    extern "C" {
        pub(super) fn xfs_hm_attach_lock();
        pub(super) fn xfs_hm_attach_unlock();
        pub(super) fn xfs_hm_monitored(mp: *mut xfs_mount) -> bool;
        pub(super) fn xfs_hm_report_lock(mp: *mut xfs_mount) -> *mut xfs_hm_monitor;
        pub(super) fn xfs_hm_fileio_report_lock(
            ip: *mut xfs_inode,
            p: *const fserror_event,
            f: *mut super::FileIoFields,
        ) -> *mut xfs_hm_monitor;
        pub(super) fn xfs_hm_inode_report_lock(
            ip: *mut xfs_inode,
            ino: *mut u64,
            gen: *mut u32,
        ) -> *mut xfs_hm_monitor;
        pub(super) fn xfs_hm_group_report_lock(
            xg: *mut xfs_group,
            gno: *mut u32,
            kind: *mut c_int,
        ) -> *mut xfs_hm_monitor;
        pub(super) fn xfs_hm_report_unlock(hm: *mut xfs_hm_monitor);
        pub(super) fn xfs_hm_mount_monitor_locked(mp: *mut xfs_mount) -> *mut xfs_hm_monitor;
        pub(super) fn xfs_hm_mount_publish(mp: *mut xfs_mount, hm: *mut xfs_hm_monitor);
        pub(super) fn xfs_hm_mount_sb(mp: *mut xfs_mount) -> *mut super_block;
        pub(super) fn xfs_hm_sb_mount(sb: *mut super_block) -> *mut xfs_mount;
        pub(super) fn xfs_hm_mount_dev(mp: *mut xfs_mount) -> u32;
        pub(super) fn xfs_hm_kmalloc(size: usize) -> *mut kernel::ffi::c_void;
        pub(super) fn xfs_hm_kvmalloc(size: usize) -> *mut kernel::ffi::c_void;
        pub(super) fn xfs_hm_free_later(
            f: *mut kernel::ffi::c_void,
            hm: *mut xfs_hm_monitor,
            ring: *mut kernel::ffi::c_void,
        );
        pub(super) fn xfs_hm_file_mount(file: *mut bindings::file) -> *mut xfs_mount;
        pub(super) fn xfs_hm_may_monitor(file: *mut bindings::file) -> bool;
        pub(super) fn xfs_hm_anon_inode_getfd(
            fops: *const bindings::file_operations,
            hm: *mut xfs_hm_monitor,
        ) -> c_int;
        pub(super) fn xfs_hm_fd_super(fd: c_int, sb: *mut usize) -> c_int;

        pub(super) fn xfs_healthmon_fs_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_perag_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_rtgroup_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_inode_mask(mask: u32) -> u32;
    }
}

mod attach;
#[cfg(CONFIG_KUNIT = "y")]
mod kunit;
mod memory;
mod objects;
pub(crate) mod trace;

pub(crate) use attach::{
    AttachLock,
    LockedMonitor,
    ReportRcu, //
};
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) use kunit::{
    c_abi,
    TestMount, //
};
pub(crate) use memory::{
    free_later,
    kbox_uninit,
    kvvec_with_capacity,
    FreeLater, //
};
pub(crate) use objects::{
    anon_inode_getfd,
    fd_super,
    file_mount,
    may_monitor,
    FileIoFields,
    FserrorEvent,
    Group,
    GroupKind,
    Inode,
    Mount, //
};

/// The coarse realtime clock in nanoseconds, as the C monitor stamps events.  (Called directly,
/// not through a shim: it is on the path of every queued record.)
#[inline]
pub(crate) fn now_ns() -> u64 {
    let mut now = bindings::timespec64 {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid place for the clock to write.
    unsafe { bindings::ktime_get_coarse_real_ts64(&mut now) };
    // The same arithmetic as C's `tv_sec * NSEC_PER_SEC + tv_nsec` on 64 bits.
    (now.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(now.tv_nsec as u64)
}

/// `xfs_healthmon_fs_mask()`: in-core `XFS_SICK_FS_*` bits to ioctl `XFS_FSOP_GEOM_SICK_*` bits.
pub(crate) fn fs_mask(mask: u32) -> u32 {
    // SAFETY: A pure function of its argument.
    unsafe { shim::xfs_healthmon_fs_mask(mask) }
}

/// `xfs_healthmon_perag_mask()`: in-core `XFS_SICK_AG_*` bits to ioctl bits.
pub(crate) fn perag_mask(mask: u32) -> u32 {
    // SAFETY: A pure function of its argument.
    unsafe { shim::xfs_healthmon_perag_mask(mask) }
}

/// `xfs_healthmon_rtgroup_mask()`: in-core `XFS_SICK_RG_*` bits to ioctl bits.
pub(crate) fn rtgroup_mask(mask: u32) -> u32 {
    // SAFETY: A pure function of its argument.
    unsafe { shim::xfs_healthmon_rtgroup_mask(mask) }
}

/// `xfs_healthmon_inode_mask()`: in-core `XFS_SICK_INO_*` bits to ioctl bits.
pub(crate) fn inode_mask(mask: u32) -> u32 {
    // SAFETY: A pure function of its argument.
    unsafe { shim::xfs_healthmon_inode_mask(mask) }
}
