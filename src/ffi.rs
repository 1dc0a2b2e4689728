// SPDX-License-Identifier: GPL-2.0

//! The C side: the functions XFS calls (with the exact signatures of `fs/xfs/xfs_healthmon.h`),
//! and safe wrappers of the shims in `rust/healthmon_shim.c` and of XFS's mask functions.
//!
//! Every raw pointer from C is checked or documented here, so the rest of the crate works with
//! references, [`NonNull`] handles it never dereferences, and plain values.

use crate::event::{
    Event,
    FileIo,
    Health,
    MaskMap,
    MediaDev,
    Metadata, //
};
use crate::file;
use crate::monitor::Monitor;
use crate::uapi;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::ffi::{
    c_int,
    c_long,
    c_void, //
};
use kernel::prelude::*;
use kernel::uaccess::{
    UserPtr,
    UserSlice, //
};

/// `struct xfs_mount`, only ever handled by pointer.
#[repr(C)]
pub(crate) struct XfsMount {
    _opaque: [u8; 0],
}

/// `struct xfs_inode`, only ever handled by pointer.
#[repr(C)]
pub(crate) struct XfsInode {
    _opaque: [u8; 0],
}

/// `struct xfs_group`, only ever handled by pointer.
#[repr(C)]
pub(crate) struct XfsGroup {
    _opaque: [u8; 0],
}

/// `struct fserror_event`, only ever handled by pointer.
#[repr(C)]
pub(crate) struct FserrorEvent {
    _opaque: [u8; 0],
}

/// `struct super_block`, compared by address only.
#[repr(C)]
pub(crate) struct SuperBlock {
    _opaque: [u8; 0],
}

mod shim {
    use super::*;

    extern "C" {
        pub(super) fn xfs_hm_attach_lock();
        pub(super) fn xfs_hm_attach_unlock();
        pub(super) fn xfs_hm_monitored(mp: *mut XfsMount) -> bool;
        pub(super) fn xfs_hm_report_lock(mp: *mut XfsMount) -> *mut c_void;
        pub(super) fn xfs_hm_inode_report_lock(
            ip: *mut XfsInode,
            ino: *mut u64,
            gen: *mut u32,
        ) -> *mut c_void;
        pub(super) fn xfs_hm_group_report_lock(
            xg: *mut XfsGroup,
            gno: *mut u32,
            kind: *mut c_int,
        ) -> *mut c_void;
        pub(super) fn xfs_hm_report_unlock(hm: *mut c_void);
        pub(super) fn xfs_hm_mount_monitor_locked(mp: *mut XfsMount) -> *mut c_void;
        pub(super) fn xfs_hm_mount_publish(mp: *mut XfsMount, hm: *mut c_void);
        pub(super) fn xfs_hm_mount_sb(mp: *mut XfsMount) -> *mut SuperBlock;
        pub(super) fn xfs_hm_sb_mount(sb: *mut SuperBlock) -> *mut XfsMount;
        pub(super) fn xfs_hm_mount_dev(mp: *mut XfsMount) -> u32;
        pub(super) fn xfs_hm_free_rcu(p: *mut c_void);
        pub(super) fn xfs_hm_fserror_fields(
            p: *const FserrorEvent,
            pos: *mut i64,
            len: *mut u64,
            error: *mut c_int,
        ) -> u32;
        pub(super) fn xfs_hm_file_mount(file: *mut c_void) -> *mut XfsMount;
        pub(super) fn xfs_hm_may_monitor(file: *mut c_void) -> bool;
        pub(super) fn xfs_hm_anon_inode_getfd(fops: *const c_void, private: *mut c_void) -> c_int;
        pub(super) fn xfs_hm_fd_super(fd: c_int, sb: *mut usize) -> c_int;

        pub(super) fn xfs_healthmon_fs_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_perag_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_rtgroup_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_inode_mask(mask: u32) -> u32;
    }
}

/// A zeroed mount and superblock pointing to each other, for KUnit: enough for a monitor's
/// lookup, attach and detach.
///
/// # Invariants
///
/// `self.0` is a mount made by `xfs_hm_test_mount_new()`, freed by our drop.
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) struct TestMount(NonNull<XfsMount>);

#[cfg(CONFIG_KUNIT = "y")]
extern "C" {
    fn xfs_hm_test_mount_new() -> *mut XfsMount;
    fn xfs_hm_test_mount_orphan(mp: *mut XfsMount, lose: bool);
    fn xfs_hm_test_mount_free(mp: *mut XfsMount);
}

#[cfg(CONFIG_KUNIT = "y")]
impl TestMount {
    /// Allocates a test mount.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: The shim takes no arguments and only allocates; NULL is handled below.
        let mp = unsafe { xfs_hm_test_mount_new() };
        // INVARIANT: A new test mount, ours to free.
        NonNull::new(mp).map(TestMount).ok_or(ENOMEM)
    }

    /// The mount, for the functions that take XFS's.
    pub(crate) fn ptr(&self) -> NonNull<XfsMount> {
        self.0
    }

    /// Makes the superblock lose its mount (`XFS_M()` gives NULL), or find it again.
    pub(crate) fn orphan(&self, lose: bool) {
        // SAFETY: By the type invariant, a live test mount.
        unsafe { xfs_hm_test_mount_orphan(self.0.as_ptr(), lose) }
    }

    /// The monitor published on the mount.
    pub(crate) fn monitor(&self) -> *mut c_void {
        let _lock = AttachLock::lock();
        mount_monitor_locked(self.0)
    }

    /// Publishes `hm` on the mount as attach does, without anything else attach does.
    ///
    /// # Safety
    ///
    /// `hm` is NULL or a monitor that stays allocated until it is retracted (published NULL)
    /// and an RCU grace period has passed: report functions on this mount dereference it.
    pub(crate) unsafe fn publish(&self, hm: *mut c_void) {
        let _lock = AttachLock::lock();
        mount_publish(self.0, hm);
    }
}

#[cfg(CONFIG_KUNIT = "y")]
impl Drop for TestMount {
    fn drop(&mut self) {
        // A test that returned early with `?` may have left a monitor published: retract it,
        // so that nothing can reach the monitor through freed memory.  (A failed assertion ends
        // the test thread without running destructors, leaking the mount instead.)
        if !self.monitor().is_null() {
            pr_warn!("test mount freed with a monitor attached\n");
            let _lock = AttachLock::lock();
            mount_publish(self.0, core::ptr::null_mut());
        }
        // SAFETY: By the type invariant, ours to free, once.
        unsafe { xfs_hm_test_mount_free(self.0.as_ptr()) }
    }
}

/// The global lock of attach and detach (a spinlock: nothing in its section may sleep), held
/// while this guard lives.
pub(crate) struct AttachLock(PhantomData<*mut ()>);

impl AttachLock {
    /// Takes the lock.
    pub(crate) fn lock() -> Self {
        // SAFETY: Takes a static spinlock, which our drop releases.
        unsafe { shim::xfs_hm_attach_lock() };
        AttachLock(PhantomData)
    }
}

impl Drop for AttachLock {
    fn drop(&mut self) {
        // SAFETY: We took the lock in `lock`.
        unsafe { shim::xfs_hm_attach_unlock() }
    }
}

/// The monitor published on a mount, found with its report lock held: the spinlock at the
/// start of the monitor (see [`Monitor`]'s layout), which this guard releases when dropped unless
/// [`LockedMonitor::into_locked`] hands it on.
///
/// Finding it takes one call of a shim, which looks at the mount's pointer first without any
/// lock (most mounts have no monitor, and then a report costs that one call), and otherwise
/// reads it in an RCU read-side critical section and takes the spinlock before the section ends.
/// Holding a spinlock is an RCU read-side critical section too, so the monitor stays allocated
/// for as long as its lock is held, even if its last reference is gone.
///
/// # Invariants
///
/// `self.0` was read from a mount's `m_healthmon` in an RCU read-side critical section, and this
/// object holds the spinlock at that address, taken within that section.
pub(crate) struct LockedMonitor(NonNull<c_void>, PhantomData<*mut ()>);

impl LockedMonitor {
    /// Takes over the lock held by a shim's non-NULL result.
    fn new(hm: *mut c_void) -> Option<Self> {
        // INVARIANT: The shims return non-NULL only with the monitor's lock held, for us.
        NonNull::new(hm).map(|hm| LockedMonitor(hm, PhantomData))
    }

    /// The monitor of mount `mp`.
    ///
    /// # Safety
    ///
    /// `mp` is NULL or a live mount.
    unsafe fn of_mount(mp: *mut XfsMount) -> Option<Self> {
        if mp.is_null() {
            return None;
        }
        // SAFETY: `mp` is a live mount (see above).
        Self::new(unsafe { shim::xfs_hm_report_lock(mp) })
    }

    /// The monitor of the mount of inode `ip`, with the inode's number and generation.
    ///
    /// # Safety
    ///
    /// `ip` is NULL or a live inode.
    unsafe fn of_inode(ip: *mut XfsInode) -> Option<(Self, u64, u32)> {
        if ip.is_null() {
            return None;
        }
        let (mut ino, mut gen) = (0, 0);
        // SAFETY: `ip` is a live inode (see above) and the others valid places to write.
        let hm = unsafe { shim::xfs_hm_inode_report_lock(ip, &mut ino, &mut gen) };
        Some((Self::new(hm)?, ino, gen))
    }

    /// The monitor of the mount of group `xg`, with the group's number and kind (0 for an AG,
    /// 1 for a realtime group).
    ///
    /// # Safety
    ///
    /// `xg` is NULL or a live group.
    unsafe fn of_group(xg: *mut XfsGroup) -> Option<(Self, u32, c_int)> {
        if xg.is_null() {
            return None;
        }
        let (mut gno, mut kind) = (0, 0);
        // SAFETY: `xg` is a live group (see above) and the others valid places to write.
        let hm = unsafe { shim::xfs_hm_group_report_lock(xg, &mut gno, &mut kind) };
        Some((Self::new(hm)?, gno, kind))
    }

    /// Hands the held lock on to the caller, who must release it (through a lock guard of the
    /// spinlock at the returned address) and may use the monitor only until then.
    pub(crate) fn into_locked(self) -> NonNull<c_void> {
        let hm = self.0;
        core::mem::forget(self);
        hm
    }
}

impl Drop for LockedMonitor {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold the spinlock at this address, released here.
        unsafe { shim::xfs_hm_report_unlock(self.0.as_ptr()) }
    }
}

/// The monitor pointer of `mp`; the caller holds the attach lock, which protects it.
pub(crate) fn mount_monitor_locked(mp: NonNull<XfsMount>) -> *mut c_void {
    // SAFETY: `mp` is a live mount; the pointer is read under the lock that writers hold.
    unsafe { shim::xfs_hm_mount_monitor_locked(mp.as_ptr()) }
}

/// Publishes `hm` (or NULL) as the monitor of `mp`; the caller holds the attach lock.
pub(crate) fn mount_publish(mp: NonNull<XfsMount>, hm: *mut c_void) {
    // SAFETY: `mp` is a live mount: either the caller got it from XFS, or from the cookie of an
    // attached monitor under the attach lock, which unmount must take before the mount goes.
    unsafe { shim::xfs_hm_mount_publish(mp.as_ptr(), hm) }
}

/// The superblock of a live mount (never NULL for a mounted filesystem).
pub(crate) fn mount_sb(mp: NonNull<XfsMount>) -> Option<NonNull<SuperBlock>> {
    // SAFETY: `mp` is a live mount, whose `m_super` is set for its whole life.
    NonNull::new(unsafe { shim::xfs_hm_mount_sb(mp.as_ptr()) })
}

/// The mount of a superblock that a monitor is attached to.
pub(crate) fn sb_mount(sb: NonNull<SuperBlock>) -> Option<NonNull<XfsMount>> {
    // SAFETY: `XFS_M()` only reads `s_fs_info` of the live superblock of an attached mount.
    NonNull::new(unsafe { shim::xfs_hm_sb_mount(sb.as_ptr()) })
}

/// Frees kmalloc'ed memory after an RCU grace period, without running any destructor.
///
/// # Safety
///
/// `p` is a kmalloc or kvmalloc allocation that nothing but RCU readers can reach any more, and
/// whatever it holds may be freed without being dropped.
pub(crate) unsafe fn free_rcu(p: *mut c_void) {
    // SAFETY: As the caller guarantees; the shim frees after a grace period.
    unsafe { shim::xfs_hm_free_rcu(p) }
}

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

/// The in-core to ioctl mask translation of `xfs_health.c`.
pub(crate) struct XfsMasks;

impl MaskMap for XfsMasks {
    fn fs(&self, mask: u32) -> u32 {
        // SAFETY: A pure function of its argument.
        unsafe { shim::xfs_healthmon_fs_mask(mask) }
    }

    fn perag(&self, mask: u32) -> u32 {
        // SAFETY: A pure function of its argument.
        unsafe { shim::xfs_healthmon_perag_mask(mask) }
    }

    fn rtgroup(&self, mask: u32) -> u32 {
        // SAFETY: A pure function of its argument.
        unsafe { shim::xfs_healthmon_rtgroup_mask(mask) }
    }

    fn inode(&self, mask: u32) -> u32 {
        // SAFETY: A pure function of its argument.
        unsafe { shim::xfs_healthmon_inode_mask(mask) }
    }
}

/// Reports a metadata health change to the monitor that `found` found.
fn report_metadata(
    found: LockedMonitor,
    ty: u32,
    old_mask: u32,
    new_mask: u32,
    secondary: u32,
    what: impl FnOnce(u32) -> Metadata,
) {
    let Some(health) = crate::event::EventType::from_raw(ty).and_then(Health::from_type) else {
        return;
    };
    Monitor::report_metadata(found, health, old_mask, new_mask, secondary, what);
}

/// Reports an event other than a metadata health change to the monitor that `found` found.
fn report(found: LockedMonitor, event: Event) {
    Monitor::report(found, event);
}

/// The mount `mp` if it has a monitor.
///
/// # Safety
///
/// `mp` is NULL or a live mount.
unsafe fn monitored(mp: *mut XfsMount) -> Option<NonNull<XfsMount>> {
    let mp = NonNull::new(mp)?;
    // SAFETY: `mp` is a live mount (see above); the shim only reads its monitor pointer.
    unsafe { shim::xfs_hm_monitored(mp.as_ptr()) }.then_some(mp)
}

/// Reports `XFS_SICK_FS_*` changes.
///
/// # Safety
///
/// `mp` is a live mount, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_fs(
    mp: *mut XfsMount,
    ty: u32,
    old_mask: u32,
    new_mask: u32,
) {
    // SAFETY: `mp` is a live mount (see above).
    let Some(found) = (unsafe { LockedMonitor::of_mount(mp) }) else {
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
    xg: *mut XfsGroup,
    ty: u32,
    old_mask: u32,
    new_mask: u32,
) {
    // SAFETY: `xg` is a live group (see above).
    let Some((found, group, kind)) = (unsafe { LockedMonitor::of_group(xg) }) else {
        return;
    };
    match kind {
        0 => report_metadata(
            found,
            ty,
            old_mask,
            new_mask,
            uapi::SICK_AG_SECONDARY,
            |mask| Metadata::Ag { group, mask },
        ),
        1 => report_metadata(
            found,
            ty,
            old_mask,
            new_mask,
            uapi::SICK_RG_SECONDARY,
            |mask| Metadata::Rtgroup { group, mask },
        ),
        _ => {}
    }
}

/// Reports `XFS_SICK_INO_*` changes of an inode.
///
/// # Safety
///
/// `ip` is a live inode, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_inode(
    ip: *mut XfsInode,
    ty: u32,
    old_mask: u32,
    new_mask: u32,
) {
    // SAFETY: `ip` is a live inode (see above).
    let Some((found, ino, gen)) = (unsafe { LockedMonitor::of_inode(ip) }) else {
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
pub(crate) unsafe extern "C" fn xfs_healthmon_report_shutdown(mp: *mut XfsMount, flags: u32) {
    // SAFETY: `mp` is a live mount (see above).
    if let Some(found) = unsafe { LockedMonitor::of_mount(mp) } {
        report(found, Event::Shutdown { flags });
    }
}

/// Reports a media error on one of the filesystem's devices.
///
/// # Safety
///
/// `mp` is a live mount, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_media(
    mp: *mut XfsMount,
    fdev: u32,
    daddr: i64,
    bbcount: u64,
) {
    // SAFETY: `mp` is a live mount (see above).
    let Some(found) = (unsafe { LockedMonitor::of_mount(mp) }) else {
        return;
    };
    if let Some(dev) = MediaDev::from_raw(fdev) {
        let event = Event::Media {
            dev,
            daddr: daddr as u64,
            bbcount,
        };
        report(found, event);
    }
}

/// Reports a file I/O error that fserror passed to XFS.
///
/// # Safety
///
/// `ip` is a live inode and `p` a live fserror event, as `xfs_fs_report_error` guarantees.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_report_file_ioerror(
    ip: *mut XfsInode,
    p: *const FserrorEvent,
) {
    if p.is_null() {
        return;
    }
    // SAFETY: `ip` is a live inode (see above).
    let Some((found, ino, gen)) = (unsafe { LockedMonitor::of_inode(ip) }) else {
        return;
    };
    let (mut pos, mut len, mut error) = (0, 0, 0);
    // SAFETY: `p` is a live fserror event and the others valid places to write.
    let ty = unsafe { shim::xfs_hm_fserror_fields(p, &mut pos, &mut len, &mut error) };
    let Some(op) = FileIo::from_fserror(ty) else {
        return;
    };
    let event = Event::FileIo {
        op,
        ino,
        gen,
        pos: pos as u64,
        len,
        // Userspace gets a positive errno.
        error: error.wrapping_neg(),
    };
    report(found, event);
}

/// The filesystem is unmounting: tell the monitor and detach it.
///
/// # Safety
///
/// `mp` is a live mount, as XFS's callers guarantee.
#[no_mangle]
pub(crate) unsafe extern "C" fn xfs_healthmon_unmount(mp: *mut XfsMount) {
    // SAFETY: `mp` is a live mount (see above).
    let Some(mp) = (unsafe { monitored(mp) }) else {
        return;
    };
    if let Some(hm) = Monitor::attached(mp) {
        Monitor::unmount(&hm, mp);
    }
}

/// Reads an ioctl argument structure from userspace; EFAULT if it cannot.
pub(crate) fn read_user<T: kernel::transmute::FromBytes>(arg: *mut c_void) -> Result<T> {
    UserSlice::new(UserPtr::from_ptr(arg), core::mem::size_of::<T>())
        .reader()
        .read::<T>()
}

/// The superblock address of the file behind `fd`, for comparison; EBADF for a bad fd.
pub(crate) fn fd_super(fd: i32) -> Result<usize> {
    let mut sb = 0usize;
    // SAFETY: `sb` is a valid place for the shim to write to; the fd is looked up and released
    // inside the shim.
    kernel::error::to_result(unsafe { shim::xfs_hm_fd_super(fd, &mut sb) })?;
    Ok(sb)
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
    // SAFETY: `file` is a live XFS file (see above).
    match unsafe { create_monitor(file, arg) } {
        Ok(fd) => fd as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

/// # Safety
///
/// As for [`xfs_ioc_health_monitor`].
unsafe fn create_monitor(file: *mut bindings::file, arg: *mut c_void) -> Result<c_int> {
    // Only the administrator's daemon in the initial user namespace, on the root directory, may
    // watch a whole filesystem: unprivileged users have fsnotify, and containers have no say.
    // SAFETY: `file` is a live XFS file.
    if !unsafe { shim::xfs_hm_may_monitor(file.cast()) } {
        return Err(EPERM);
    }
    let hmo: uapi::HealthMonitor = read_user(arg)?;
    if !hmo.is_valid() {
        return Err(EINVAL);
    }
    // SAFETY: `file` is a live XFS file; its inode's mount outlives the ioctl.
    let mp = NonNull::new(unsafe { shim::xfs_hm_file_mount(file.cast()) }).ok_or(EINVAL)?;
    // SAFETY: `mp` is the live mount of `file`.
    let dev = unsafe { shim::xfs_hm_mount_dev(mp.as_ptr()) };

    let hm = Monitor::create(dev, hmo.verbose())?;
    Monitor::attach(&hm, mp)?;
    let private = hm.into_raw();
    // SAFETY: `file::FOPS` is a static table; the new file takes over our reference in
    // `private_data` and gives it up in `release`.
    let fd = unsafe { shim::xfs_hm_anon_inode_getfd(file::fops().cast(), private.cast()) };
    if fd < 0 {
        // SAFETY: No file was made, so the reference handed to it is still ours.
        if let Some(hm) = unsafe { crate::monitor::MonitorRef::from_raw(private) } {
            Monitor::detach(&hm);
        }
        return Err(Error::from_errno(fd));
    }
    Ok(fd)
}
