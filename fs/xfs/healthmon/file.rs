// SPDX-License-Identifier: GPL-2.0

//! The monitor's anonymous-inode file ("xfs_healthmon"): creation, read, poll, ioctl, fdinfo
//! and release.
//!
//! The file owns one reference on its monitor through `private_data` from creation to release.
//! The operations table names this module as its owner, so an open monitor fd pins `xfs.ko`
//! exactly as the C monitor's does.

use crate::event::Domain;
use crate::event::MaskMap;
use crate::monitor::{
    Monitor,
    MonitorRef, //
};
use crate::uapi;
use crate::uapi::V0Type;
use crate::xfs;
use kernel::bindings;
use kernel::ffi::{
    c_int,
    c_long,
    c_uint,
    c_ulong, //
};
use kernel::fs::file::flags;
use kernel::fs::File;
use kernel::iov::IovIterDest;
use kernel::prelude::*;
use kernel::seq_file::{
    seq_print,
    SeqFile, //
};
use kernel::sync::poll::PollTable;
use kernel::uaccess::{
    UserPtr,
    UserSlice, //
};

/// The in-core to ioctl mask translation of `xfs_health.c`, which V0 records carry.
pub(crate) struct XfsMasks;

impl MaskMap for XfsMasks {
    fn fs(&self, mask: u32) -> u32 {
        xfs::fs_mask(mask)
    }

    fn perag(&self, mask: u32) -> u32 {
        xfs::perag_mask(mask)
    }

    fn rtgroup(&self, mask: u32) -> u32 {
        xfs::rtgroup_mask(mask)
    }

    fn inode(&self, mask: u32) -> u32 {
        xfs::inode_mask(mask)
    }
}

/// Reads an ioctl argument structure from userspace; EFAULT if it cannot.
fn read_user<T: kernel::transmute::FromBytes>(arg: UserPtr) -> Result<T> {
    UserSlice::new(arg, core::mem::size_of::<T>())
        .reader()
        .read::<T>()
}

/// `XFS_IOC_HEALTH_MONITOR` on XFS file `file`: creates a monitor, attaches it to the file's
/// mount and returns the fd of a new monitor file.
pub(crate) fn create(file: &File, arg: UserPtr) -> Result<c_int> {
    // Only the administrator's daemon in the initial user namespace, on the root directory, may
    // watch a whole filesystem: unprivileged users have fsnotify, and containers have no say.
    if !xfs::may_monitor(file) {
        return Err(EPERM);
    }
    let hmo: uapi::HealthMonitor = read_user(arg)?;
    if !hmo.is_valid() {
        return Err(EINVAL);
    }
    let mp = xfs::file_mount(file).ok_or(EINVAL)?;
    let hm = Monitor::create(mp.dev(), hmo.verbose())?;
    Monitor::attach(&hm, mp)?;
    let private = hm.into_raw();
    // SAFETY: The file's operations find the monitor in `private_data` (see `monitor`), and
    // the new file takes over our reference, which `release` gives up.
    match unsafe { xfs::anon_inode_getfd(&FOPS.0, private.cast::<xfs::RawMonitor>()) } {
        Ok(fd) => {
            xfs::trace::create(mp.dev(), hmo.flags, hmo.format);
            Ok(fd)
        }
        Err(e) => {
            // SAFETY: No file was made, so the reference handed to it is still ours.
            if let Some(hm) = unsafe { MonitorRef::from_raw(private.as_ptr()) } {
                Monitor::detach(&hm);
            }
            Err(e)
        }
    }
}

/// A `file_operations` table that may be shared between threads.
#[repr(transparent)]
struct Fops(bindings::file_operations);

// SAFETY: The table is immutable; it holds function pointers and the module pointer, which any
// thread may read.
unsafe impl Sync for Fops {}

static FOPS: Fops = {
    // SAFETY: `file_operations` is a C struct of pointers and integers, for which all-zeroes is
    // the valid "no such operation" value.
    let zeroed: bindings::file_operations = unsafe { core::mem::zeroed() };
    Fops(bindings::file_operations {
        owner: crate::THIS_MODULE.as_ptr(),
        show_fdinfo: Some(show_fdinfo),
        read_iter: Some(read_iter),
        poll: Some(poll),
        release: Some(release),
        unlocked_ioctl: Some(ioctl),
        ..zeroed
    })
};

/// The monitor of a monitor file.
///
/// # Safety
///
/// `file` is an open monitor file, which holds a reference on its monitor until `release`.
unsafe fn monitor<'a>(file: *mut bindings::file) -> &'a Monitor {
    // SAFETY: The file's `private_data` is the pointer of `MonitorRef::into_raw` (see
    // `create`), and the reference it stands for lives until `release`.
    unsafe { &*(*file).private_data.cast::<Monitor>() }
}

/// Reads V0 records.
///
/// # Safety
///
/// Called by the VFS with a live kiocb on a monitor file and a destination iov_iter.
unsafe extern "C" fn read_iter(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: `iocb` is live, and so is its file, a monitor file, for the duration of this call.
    // `f_flags` is read once, as `File::flags()` reads it (READ_ONCE: fcntl() may change it).
    // `File::from_raw_file()` cannot be used here: read(2) holds `fdget_pos()` without
    // `f_pos_lock` on this file (an anonymous inode has no `FMODE_ATOMIC_POS`), possibly on
    // several threads, which its contract excludes.  C reads `f_flags` here, too.
    let (hm, f_flags) = unsafe {
        let file = (*iocb).ki_filp;
        (
            monitor(file),
            core::ptr::addr_of!((*file).f_flags).read_volatile(),
        )
    };
    // SAFETY: `to` is a live destination iov_iter for the duration of this call.
    let to = unsafe { IovIterDest::from_raw(to) };
    let nonblock = f_flags & flags::O_NONBLOCK != 0;
    match hm.read(to, nonblock, &XfsMasks) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Readable when there are records, buffered bytes, or the end of the stream.
///
/// # Safety
///
/// Called by the VFS with a monitor file and a poll table.
unsafe extern "C" fn poll(
    file: *mut bindings::file,
    table: *mut bindings::poll_table_struct,
) -> c_uint {
    // SAFETY: `file` is a live monitor file.
    let hm = unsafe { monitor(file) };
    // SAFETY: `file` is live for the duration of this call.  A reader on another thread may be
    // inside `fdget_pos()` without `f_pos_lock` (an anonymous inode has no `FMODE_ATOMIC_POS`),
    // which `File`'s contract excludes for the sake of `f_pos`: neither this file's operations
    // nor `register_wait()`, the only use of the reference, touch `f_pos`.
    let fileref = unsafe { File::from_raw_file(file) };
    // SAFETY: `table` is the VFS's poll table for this call.
    let table = unsafe { PollTable::from_raw(table) };
    if hm.poll(fileref, &table) {
        bindings::POLLIN
    } else {
        0
    }
}

/// Drops the file's reference, detaching the monitor so that another one can be created.
///
/// # Safety
///
/// Called once by the VFS when the last reference to a monitor file goes.
unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: The file's reference, given up by `into_raw` at creation, is taken back exactly
    // once, here.
    if let Some(hm) = unsafe { MonitorRef::from_raw((*file).private_data.cast()) } {
        Monitor::release(&hm);
    }
    0
}

/// Prints the C monitor's lines, then the accounting (reported = delivered + merged + lost +
/// queued), then what was reported by type and by domain, for a metrics exporter that cannot
/// open a monitor of its own beside the healer's.
///
/// # Safety
///
/// Called by the VFS with a seq_file and a monitor file.
unsafe extern "C" fn show_fdinfo(m: *mut bindings::seq_file, file: *mut bindings::file) {
    // SAFETY: `file` is a live monitor file.
    let hm = unsafe { monitor(file) };
    // SAFETY: `m` is live for the duration of this call.
    let m = unsafe { SeqFile::from_raw(m) };
    let (stats, verbose) = hm.stats();
    let dev = hm.dev();
    seq_print!(
        m,
        "state:\t{}\ndev:\t{}:{}\nformat:\tv0\nevents:\t{}\nlost:\t{}\n",
        if hm.is_detached() { "dead" } else { "alive" },
        dev >> 20,
        dev & ((1 << 20) - 1),
        stats.records,
        stats.lost
    );
    seq_print!(
        m,
        "reported:\t{}\ndelivered:\t{}\nmerged:\t{}\nqueued:\t{}\nverbose:\t{}\n",
        stats.reported,
        stats.delivered,
        stats.merged,
        stats.queued,
        u8::from(verbose)
    );
    // What was reported, by type and by domain (LOST is never reported: `lost` counts it).
    seq_print!(m, "types:");
    let mut sep = "\t";
    for (i, n) in stats.by_type.iter().enumerate() {
        match V0Type::try_from(i as u32) {
            Ok(V0Type::Lost) | Err(_) => {}
            Ok(t) => {
                seq_print!(m, "{}{}={}", sep, t.name(), n);
                sep = " ";
            }
        }
    }
    seq_print!(m, "\ndomains:");
    sep = "\t";
    for (i, n) in stats.by_domain.iter().enumerate() {
        if let Ok(d) = Domain::try_from(i as u32) {
            seq_print!(m, "{}{}={}", sep, d.name(), n);
            sep = " ";
        }
    }
    seq_print!(m, "\n");
}

/// `XFS_IOC_HEALTH_MONITOR` on the monitor fd: switch verbose reporting, validating the
/// argument as creation does.
fn reconfigure(hm: &Monitor, arg: UserPtr) -> Result {
    let hmo: uapi::HealthMonitor = read_user(arg)?;
    if !hmo.is_valid() {
        return Err(EINVAL);
    }
    hm.set_verbose(hmo.verbose());
    Ok(())
}

/// `XFS_IOC_HEALTH_FD_ON_MONITORED_FS`: is that fd on the filesystem this monitor watches?
fn fd_on_monitored_fs(hm: &Monitor, arg: UserPtr) -> Result {
    let hms: uapi::FileOnMonitoredFs = read_user(arg)?;
    if hms.flags != 0 {
        return Err(EINVAL);
    }
    let sb = xfs::fd_super(hms.fd)?;
    if !hm.monitors(sb) {
        return Err(Error::from_errno(-(bindings::ESTALE as i32)));
    }
    Ok(())
}

/// Dispatches the monitor fd's ioctls; ENOTTY for any other.
///
/// # Safety
///
/// Called by the VFS with a monitor file.
unsafe extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: `file` is a live monitor file.
    let hm = unsafe { monitor(file) };
    let arg = UserPtr::from_addr(arg);
    let result = match cmd {
        uapi::XFS_IOC_HEALTH_MONITOR => reconfigure(hm, arg),
        uapi::XFS_IOC_HEALTH_FD_ON_MONITORED_FS => fd_on_monitored_fs(hm, arg),
        _ => Err(ENOTTY),
    };
    match result {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}
