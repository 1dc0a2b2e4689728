// SPDX-License-Identifier: GPL-2.0

//! Test-only C fixtures: a test mount and the C headers' constants as the shim compiles them.

use super::raw;
use super::AttachLock;
use super::Mount;
use core::ptr::NonNull;
use kernel::prelude::*;

/// A zeroed mount and superblock pointing to each other, for KUnit: enough for a monitor's
/// lookup, attach and detach.
///
/// # Invariants
///
/// `self.0` is a mount made by `xfs_hm_test_mount_new()`, freed by our drop.
pub(crate) struct TestMount(NonNull<raw::xfs_mount>);

extern "C" {
    fn xfs_hm_test_mount_new() -> *mut raw::xfs_mount;
    fn xfs_hm_test_mount_orphan(mp: *mut raw::xfs_mount, lose: bool);
    fn xfs_hm_test_mount_free(mp: *mut raw::xfs_mount);
}

impl TestMount {
    /// Allocates a test mount.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: The shim takes no arguments and only allocates; NULL is handled below.
        let mp = unsafe { xfs_hm_test_mount_new() };
        // INVARIANT: A new test mount, ours to free.
        NonNull::new(mp).map(TestMount).ok_or(ENOMEM)
    }

    /// The mount.
    pub(crate) fn mount(&self) -> &Mount {
        // SAFETY: By the type invariant, a mount that lives as long as `self`.
        unsafe { self.0.cast::<Mount>().as_ref() }
    }

    /// The mount as XFS passes it to the entry points.
    pub(crate) fn raw(&self) -> *mut raw::xfs_mount {
        self.0.as_ptr()
    }

    /// Makes the superblock lose its mount (`XFS_M()` gives NULL), or find it again.
    pub(crate) fn orphan(&self, lose: bool) {
        // SAFETY: By the type invariant, a live test mount.
        unsafe { xfs_hm_test_mount_orphan(self.0.as_ptr(), lose) }
    }

    /// The monitor published on the mount.
    pub(crate) fn monitor(&self) -> Option<NonNull<raw::xfs_hm_monitor>> {
        AttachLock::lock().published(self.mount())
    }

    /// Publishes `hm` on the mount as attach does, without anything else attach does.
    ///
    /// # Safety
    ///
    /// As for [`AttachLock::publish`].
    pub(crate) unsafe fn publish(&self, hm: Option<NonNull<raw::xfs_hm_monitor>>) {
        // SAFETY: As the caller guarantees.
        unsafe { AttachLock::lock().publish(self.mount(), hm) };
    }
}

impl Drop for TestMount {
    fn drop(&mut self) {
        // A test that returned early with `?` may have left a monitor published: retract it,
        // so that nothing can reach the monitor through freed memory.  (A failed assertion ends
        // the test thread without running destructors, leaking the mount instead.)
        if self.monitor().is_some() {
            pr_warn!("test mount freed with a monitor attached\n");
            // SAFETY: Retracting needs nothing of a monitor.
            unsafe { self.publish(None) };
        }
        // SAFETY: By the type invariant, ours to free, once.
        unsafe { xfs_hm_test_mount_free(self.0.as_ptr()) }
    }
}

/// The ABI as the C headers define it, for KUnit's checks of [`crate::uapi`] and the enums of
/// [`crate::event`].  The tables list a C enum in its declaration order; pairs are `[C value,
/// V0 value]`.
pub(crate) struct CAbi {
    pub(crate) ioc_health_monitor: u32,
    pub(crate) ioc_fd_on_monitored_fs: u32,
    pub(crate) event_size: u32,
    pub(crate) monitor_size: u32,
    pub(crate) sick_ino_secondary: u32,
    pub(crate) sick_fs_secondary: u32,
    pub(crate) sick_ag_secondary: u32,
    pub(crate) sick_rg_secondary: u32,
    pub(crate) fserr_metadata: u32,
    /// `enum xfs_healthmon_type`, each with its `XFS_HEALTH_MONITOR_TYPE_*`.
    pub(crate) types: &'static [[u32; 2]],
    /// `enum xfs_healthmon_domain`, each with its `XFS_HEALTH_MONITOR_DOMAIN_*`.
    pub(crate) domains: &'static [[u32; 2]],
    /// `enum xfs_device`.
    pub(crate) devices: &'static [u32],
    /// `enum fserror_type` but `FSERR_METADATA`.
    pub(crate) fserror_types: &'static [u32],
    /// `SHUTDOWN_*`, each with its `XFS_HEALTH_SHUTDOWN_*`.
    pub(crate) shutdown_reasons: &'static [[u32; 2]],
    /// Offsets of the V0 record's fields, in the order of the `uapi` KUnit suite.
    pub(crate) v0_offsets: &'static [u32],
    /// Sizes of the V0 record's union and of its members, in the same order.
    pub(crate) v0_payload_sizes: &'static [u32],
}

/// `struct xfs_hm_c_table` of `healthmon_shim.h`.
///
/// # Invariants
///
/// `v` points to `len` `u32` values in a C array that is never written nor freed.
#[repr(C)]
struct CTable {
    v: *const u32,
    len: u32,
}

impl CTable {
    fn values(&self) -> &'static [u32] {
        // SAFETY: By the type invariant, `v` points to `len` initialised `u32`s that live and
        // stay unchanged for as long as the module does, which is as long as any of its code
        // runs.
        unsafe { core::slice::from_raw_parts(self.v, self.len as usize) }
    }

    /// The table's values taken two at a time (a trailing odd value is left out).  This is
    /// `as_chunks::<2>()`, which needs a newer rustc than the kernel's minimum.
    fn pairs(&self) -> &'static [[u32; 2]] {
        // SAFETY: By the type invariant, `v` points to `len` initialised `u32`s that live and stay
        // unchanged for as long as the module does; `[u32; 2]` has the size of two `u32`s and
        // their alignment, so the first `len / 2` pairs of them are that many `[u32; 2]`s.
        unsafe { core::slice::from_raw_parts(self.v.cast::<[u32; 2]>(), self.len as usize / 2) }
    }
}

/// The constants and tables `healthmon_shim.c` compiles from the C headers (in KUnit builds
/// only).
pub(crate) fn c_abi() -> CAbi {
    extern "C" {
        static xfs_hm_c_ioc_health_monitor: u32;
        static xfs_hm_c_ioc_fd_on_monitored_fs: u32;
        static xfs_hm_c_event_size: u32;
        static xfs_hm_c_monitor_size: u32;
        static xfs_hm_c_sick_ino_secondary: u32;
        static xfs_hm_c_sick_fs_secondary: u32;
        static xfs_hm_c_sick_ag_secondary: u32;
        static xfs_hm_c_sick_rg_secondary: u32;
        static xfs_hm_c_fserr_metadata: u32;
        // INVARIANT: Each is initialised in the shim with `C_TABLE()` of a `static const` array,
        // which gives the array's address and its number of `u32`s.
        static xfs_hm_c_types: CTable;
        static xfs_hm_c_domains: CTable;
        static xfs_hm_c_devices: CTable;
        static xfs_hm_c_fserror_types: CTable;
        static xfs_hm_c_shutdown_reasons: CTable;
        static xfs_hm_c_v0_offsets: CTable;
        static xfs_hm_c_v0_payload_sizes: CTable;
    }
    // SAFETY: `const` objects defined in healthmon_shim.c with these types (the header's
    // declarations, which the shim includes, say so to the C compiler), never written.
    unsafe {
        CAbi {
            ioc_health_monitor: xfs_hm_c_ioc_health_monitor,
            ioc_fd_on_monitored_fs: xfs_hm_c_ioc_fd_on_monitored_fs,
            event_size: xfs_hm_c_event_size,
            monitor_size: xfs_hm_c_monitor_size,
            sick_ino_secondary: xfs_hm_c_sick_ino_secondary,
            sick_fs_secondary: xfs_hm_c_sick_fs_secondary,
            sick_ag_secondary: xfs_hm_c_sick_ag_secondary,
            sick_rg_secondary: xfs_hm_c_sick_rg_secondary,
            fserr_metadata: xfs_hm_c_fserr_metadata,
            types: xfs_hm_c_types.pairs(),
            domains: xfs_hm_c_domains.pairs(),
            devices: xfs_hm_c_devices.values(),
            fserror_types: xfs_hm_c_fserror_types.values(),
            shutdown_reasons: xfs_hm_c_shutdown_reasons.pairs(),
            v0_offsets: xfs_hm_c_v0_offsets.values(),
            v0_payload_sizes: xfs_hm_c_v0_payload_sizes.values(),
        }
    }
}
