// SPDX-License-Identifier: GPL-2.0

//! The functions XFS calls, with the exact C signatures of `fs/xfs/xfs_healthmon.h`.
//!
//! The top layer, and nothing else: each turns its C pointers into references of
//! [`crate::xfs`] (the SAFETY argument is the caller's contract, stated in `# Safety`) and hands
//! on to [`crate::monitor`] or [`crate::file`].  All are `unsafe extern "C"`: every one takes
//! pointers that only XFS can vouch for.

use crate::event::{
    Event,
    EventType,
    FileIo,
    Health,
    MediaDev,
    Metadata, //
};
use crate::file;
use crate::monitor::Monitor;
use crate::uapi;
use crate::xfs::{
    FserrorEvent,
    Group,
    GroupKind,
    Inode,
    LockedMonitor,
    Mount,
    RawFserrorEvent,
    RawGroup,
    RawInode,
    RawMount, //
};
use kernel::bindings;
use kernel::ffi::{
    c_long,
    c_void, //
};
use kernel::fs::File;
use kernel::uaccess::UserPtr;

/// Reports a metadata health change of C type `ty` to the monitor that `found` found.
#[inline]
fn report_metadata(
    found: LockedMonitor,
    ty: u32,
    old_mask: u32,
    new_mask: u32,
    secondary: u32,
    what: impl FnOnce(u32) -> Metadata,
) {
    // Dropping `found` releases the lock when the type is none of XFS's.
    let Some(health) = EventType::try_from(ty).ok().and_then(Health::from_type) else {
        return;
    };
    Monitor::report_metadata(found, health, old_mask, new_mask, secondary, what);
}

/// Reports `XFS_SICK_FS_*` changes.
///
/// # Safety
///
/// `mp` is a live mount, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_fs(
    mp: *mut RawMount,
    ty: u32,
    old_mask: u32,
    new_mask: u32,
) {
    // SAFETY: `mp` is a live mount for this call (see above).
    let Some(found) = unsafe { Mount::from_raw(mp) }.and_then(Mount::report_lock) else {
        return;
    };
    report_metadata(
        found,
        ty,
        old_mask,
        new_mask,
        uapi::SICK_FS_SECONDARY,
        |mask| Metadata::Fs { mask },
    );
}

/// Reports `XFS_SICK_AG_*` or `XFS_SICK_RG_*` changes of a group.
///
/// # Safety
///
/// `xg` is a live group, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_group(
    xg: *mut RawGroup,
    ty: u32,
    old_mask: u32,
    new_mask: u32,
) {
    // SAFETY: `xg` is a live group for this call (see above).
    let Some((found, group, kind)) = unsafe { Group::from_raw(xg) }.and_then(Group::report_lock)
    else {
        return;
    };
    match kind {
        GroupKind::Ag => report_metadata(
            found,
            ty,
            old_mask,
            new_mask,
            uapi::SICK_AG_SECONDARY,
            |mask| Metadata::Ag { group, mask },
        ),
        GroupKind::Rtgroup => report_metadata(
            found,
            ty,
            old_mask,
            new_mask,
            uapi::SICK_RG_SECONDARY,
            |mask| Metadata::Rtgroup { group, mask },
        ),
    }
}

/// Reports `XFS_SICK_INO_*` changes of an inode.
///
/// # Safety
///
/// `ip` is a live inode, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_inode(
    ip: *mut RawInode,
    ty: u32,
    old_mask: u32,
    new_mask: u32,
) {
    // SAFETY: `ip` is a live inode for this call (see above).
    let Some((found, ino, gen)) = unsafe { Inode::from_raw(ip) }.and_then(Inode::report_lock)
    else {
        return;
    };
    report_metadata(
        found,
        ty,
        old_mask,
        new_mask,
        uapi::SICK_INO_SECONDARY,
        |mask| Metadata::Inode { ino, gen, mask },
    );
}

/// Reports a shutdown with its `SHUTDOWN_*` flags.
///
/// # Safety
///
/// `mp` is a live mount, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_shutdown(mp: *mut RawMount, flags: u32) {
    // SAFETY: `mp` is a live mount for this call (see above).
    if let Some(found) = unsafe { Mount::from_raw(mp) }.and_then(Mount::report_lock) {
        Monitor::report(found, Event::Shutdown { flags });
    }
}

/// Reports a media error on one of the filesystem's devices.
///
/// # Safety
///
/// `mp` is a live mount, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_media(
    mp: *mut RawMount,
    fdev: u32,
    daddr: i64,
    bbcount: u64,
) {
    // SAFETY: `mp` is a live mount for this call (see above).
    let Some(found) = unsafe { Mount::from_raw(mp) }.and_then(Mount::report_lock) else {
        return;
    };
    if let Ok(dev) = MediaDev::try_from(fdev) {
        let event = Event::Media {
            dev,
            daddr: daddr as u64,
            bbcount,
        };
        Monitor::report(found, event);
    }
}

/// Reports a file I/O error that fserror passed to XFS.
///
/// # Safety
///
/// `ip` is a live inode and `p` a live fserror event, as `xfs_fs_report_error` guarantees.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_file_ioerror(
    ip: *mut RawInode,
    p: *const RawFserrorEvent,
) {
    // SAFETY: `p` is a live fserror event for this call (see above).
    let Some(p) = (unsafe { FserrorEvent::from_raw(p) }) else {
        return;
    };
    // SAFETY: `ip` is a live inode for this call (see above).
    let Some((found, f)) = unsafe { Inode::from_raw(ip) }.and_then(|ip| ip.fileio_report_lock(p))
    else {
        return;
    };
    // Dropping `found` releases the lock when the error is not a file I/O error.
    let Ok(op) = FileIo::try_from(f.ty) else {
        return;
    };
    let event = Event::FileIo {
        op,
        ino: f.ino,
        gen: f.gen,
        pos: f.pos as u64,
        len: f.len,
        // Userspace gets a positive errno.
        error: f.error.wrapping_neg(),
    };
    Monitor::report_file_ioerror(found, event, p);
}

/// The filesystem is unmounting: tell the monitor and detach it.
///
/// # Safety
///
/// `mp` is a live mount, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_unmount(mp: *mut RawMount) {
    // SAFETY: `mp` is a live mount for this call (see above).
    let Some(mp) = (unsafe { Mount::from_raw(mp) }) else {
        return;
    };
    if !mp.is_monitored() {
        return;
    }
    if let Some(hm) = Monitor::attached(mp) {
        Monitor::unmount(&hm, mp);
    }
}

/// `XFS_IOC_HEALTH_MONITOR` on an XFS file: creates a monitor and returns its fd.
///
/// # Safety
///
/// `file` is the live XFS file the ioctl was called on; `arg` is a userspace pointer.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_ioc_health_monitor(
    file: *mut bindings::file,
    arg: *mut c_void,
) -> c_long {
    // SAFETY: `file` is a live file for this call (see above).
    let file = unsafe { File::from_raw_file(file) };
    match file::create(file, UserPtr::from_ptr(arg)) {
        Ok(fd) => fd as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}
