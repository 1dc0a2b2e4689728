// SPDX-License-Identifier: GPL-2.0

//! XFS live health monitoring, in Rust.
//!
//! This crate replaces `fs/xfs/xfs_healthmon.c` inside `xfs.ko`.  XFS reports metadata sickness,
//! shutdowns, media errors and file I/O errors through the `xfs_healthmon_report_*()` functions
//! of [`exports`]; an administrator's daemon (`xfs_healer`) opens one monitor per mount with the
//! `XFS_IOC_HEALTH_MONITOR` ioctl and reads 64-byte V0 records from the returned fd ([`file`]).
//!
//! The ABI is the C monitor's, byte for byte.  What differs is inside: the queue ([`queue`]) is
//! allocated with the monitor so reporting never allocates, SHUTDOWN and LOST records have slots
//! of their own so a full queue cannot drop them, and the accounting shown in fdinfo is exact.
//!
//! The modules are layered; each uses only those listed after it:
//!
//! - [`exports`]: the `extern "C"` functions XFS calls, turning their pointers into references;
//! - [`file`]: the anonymous-inode file: creation, read, poll, ioctls, fdinfo, release;
//! - [`monitor`]: the monitor's lifetime (reference count, attach and detach, RCU free),
//!   reporting and reading;
//! - [`queue`]: the bounded queue, lost-event accounting and UNMOUNT at the head (pure);
//! - [`event`]: the events as Rust enums, the merge rules and the V0 encoding (pure);
//! - [`uapi`]: the ABI constants and structures, checked against the C headers by KUnit (pure);
//! - [`xfs`]: the C edge, the only module that declares C functions: typed references to the
//!   XFS and VFS objects and the shims of `healthmon_shim.c`.
//!
//! Each module's KUnit suite is a `tests` module at the end of its file; `event::testing` and
//! `queue::testing` (built with `CONFIG_KUNIT` only) hold what the suites share.

mod event;
mod exports;
mod file;
mod monitor;
mod queue;
mod uapi;
mod xfs;

/// Prefix of this crate's kernel messages (`pr_*!`).
const __LOG_PREFIX: &[u8] = b"xfs_healthmon\0";

/// The module this crate is linked into, as `module!` would define it: the owner of the monitor
/// file's operations, so an open monitor pins `xfs.ko`.
#[cfg(MODULE)]
static THIS_MODULE: kernel::ThisModule = {
    // `struct module` ends in fields bindgen cannot express, hence the lint; only its address is
    // used, as in `module!`.
    #[allow(improper_ctypes)]
    extern "C" {
        static __this_module: kernel::types::Opaque<kernel::bindings::module>;
    }
    // SAFETY: `__this_module` is the module's own `struct module`, which lives as long as any
    // code of the module can run.
    unsafe { kernel::ThisModule::from_ptr(__this_module.get()) }
};

/// Built into the kernel there is no module to pin.
#[cfg(not(MODULE))]
static THIS_MODULE: kernel::ThisModule =
    // SAFETY: A null module pointer means "built in" to the VFS.
    unsafe { kernel::ThisModule::from_ptr(core::ptr::null_mut()) };
