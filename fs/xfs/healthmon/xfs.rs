// SPDX-License-Identifier: GPL-2.0

//! The C edge: the XFS and VFS objects the monitor touches, as Rust types, and the shims of
//! `healthmon_shim.c` that reach them.
//!
//! This is the only module that declares C functions or holds pointers to C objects (besides
//! the file operations table of [`crate::file`]).  A C pointer becomes a reference here, once,
//! with the one SAFETY argument for it ([`Mount::from_raw`] and its siblings); the rest of the
//! crate takes `&Mount`, `&Inode`, `&Group` or `&FserrorEvent` and never sees a raw pointer.
//! It uses no other module of the crate: what it returns is plain values, references to these
//! types, and the monitor's address as an untyped handle, which [`crate::monitor`] owns.

use core::ptr::NonNull;
use kernel::bindings;
use kernel::ffi::{
    c_int,
    c_void, //
};
use kernel::fs::File;
use kernel::prelude::*;
use kernel::types::{
    NotThreadSafe,
    Opaque, //
};

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
}

pub(crate) use raw::{
    fserror_event as RawFserrorEvent,
    xfs_group as RawGroup,
    xfs_inode as RawInode,
    xfs_mount as RawMount, //
};

mod shim {
    use super::raw::*;
    use kernel::bindings;
    use kernel::ffi::{
        c_int,
        c_void, //
    };

    // `struct file` and `struct file_operations` contain types that bindgen cannot express
    // (hence the lint); only pointers to them cross, as in the kernel crate's own bindings.
    #[allow(improper_ctypes)]
    extern "C" {
        pub(super) fn xfs_hm_attach_lock();
        pub(super) fn xfs_hm_attach_unlock();
        pub(super) fn xfs_hm_monitored(mp: *mut xfs_mount) -> bool;
        pub(super) fn xfs_hm_report_lock(mp: *mut xfs_mount) -> *mut c_void;
        pub(super) fn xfs_hm_fileio_report_lock(
            ip: *mut xfs_inode,
            p: *const fserror_event,
            f: *mut super::FileIoFields,
        ) -> *mut c_void;
        pub(super) fn xfs_hm_inode_report_lock(
            ip: *mut xfs_inode,
            ino: *mut u64,
            gen: *mut u32,
        ) -> *mut c_void;
        pub(super) fn xfs_hm_group_report_lock(
            xg: *mut xfs_group,
            gno: *mut u32,
            kind: *mut c_int,
        ) -> *mut c_void;
        pub(super) fn xfs_hm_report_unlock(hm: *mut c_void);
        pub(super) fn xfs_hm_mount_monitor_locked(mp: *mut xfs_mount) -> *mut c_void;
        pub(super) fn xfs_hm_mount_publish(mp: *mut xfs_mount, hm: *mut c_void);
        pub(super) fn xfs_hm_mount_sb(mp: *mut xfs_mount) -> *mut super_block;
        pub(super) fn xfs_hm_sb_mount(sb: *mut super_block) -> *mut xfs_mount;
        pub(super) fn xfs_hm_mount_dev(mp: *mut xfs_mount) -> u32;
        pub(super) fn xfs_hm_free_rcu(p: *mut c_void);
        pub(super) fn xfs_hm_file_mount(file: *mut bindings::file) -> *mut xfs_mount;
        pub(super) fn xfs_hm_may_monitor(file: *mut bindings::file) -> bool;
        pub(super) fn xfs_hm_anon_inode_getfd(
            fops: *const bindings::file_operations,
            private: *mut c_void,
        ) -> c_int;
        pub(super) fn xfs_hm_fd_super(fd: c_int, sb: *mut usize) -> c_int;

        pub(super) fn xfs_healthmon_fs_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_perag_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_rtgroup_mask(mask: u32) -> u32;
        pub(super) fn xfs_healthmon_inode_mask(mask: u32) -> u32;
    }
}

/// An XFS mount (`struct xfs_mount`).
///
/// # Invariants
///
/// A `&Mount` is only made from a mount that lives for the reference's lifetime.
#[repr(transparent)]
pub(crate) struct Mount(Opaque<raw::xfs_mount>);

/// An XFS inode (`struct xfs_inode`), live for the reference's lifetime.
#[repr(transparent)]
pub(crate) struct Inode(Opaque<raw::xfs_inode>);

/// An XFS allocation or realtime group (`struct xfs_group`), live for the reference's lifetime.
#[repr(transparent)]
pub(crate) struct Group(Opaque<raw::xfs_group>);

/// A file I/O error passed on by fserror (`struct fserror_event`), live for the reference's
/// lifetime.
#[repr(transparent)]
pub(crate) struct FserrorEvent(Opaque<raw::fserror_event>);

/// A superblock (`struct super_block`), live for the reference's lifetime.
#[repr(transparent)]
pub(crate) struct SuperBlock(Opaque<raw::super_block>);

impl Mount {
    /// The mount at `ptr`, or `None` for NULL.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or a mount that lives for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut raw::xfs_mount) -> Option<&'a Mount> {
        // SAFETY: `Mount` is a transparent wrapper of the C structure, and the caller guarantees
        // that a non-NULL `ptr` is a mount that lives for `'a`.
        unsafe { ptr.cast::<Mount>().as_ref() }
    }

    fn as_ptr(&self) -> *mut raw::xfs_mount {
        self.0.get()
    }

    /// Whether a monitor is published on the mount (a look without any lock).
    pub(crate) fn is_monitored(&self) -> bool {
        // SAFETY: A live mount; the shim only reads the value of its monitor pointer.
        unsafe { shim::xfs_hm_monitored(self.as_ptr()) }
    }

    /// The monitor published on the mount, with its report lock held.
    #[inline]
    pub(crate) fn report_lock(&self) -> Option<LockedMonitor> {
        // SAFETY: A live mount; the result, with the lock it holds, is handed over.
        unsafe { LockedMonitor::new(shim::xfs_hm_report_lock(self.as_ptr())) }
    }

    /// The mount's superblock (set for the mount's whole life).
    pub(crate) fn sb(&self) -> Option<&SuperBlock> {
        // SAFETY: A live mount, whose `m_super` lives as long as the mount.
        unsafe {
            shim::xfs_hm_mount_sb(self.as_ptr())
                .cast::<SuperBlock>()
                .as_ref()
        }
    }

    /// The filesystem's device number.
    pub(crate) fn dev(&self) -> u32 {
        // SAFETY: A live mount, whose superblock is set for its whole life.
        unsafe { shim::xfs_hm_mount_dev(self.as_ptr()) }
    }
}

impl Inode {
    /// The inode at `ptr`, or `None` for NULL.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or an inode that lives for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut raw::xfs_inode) -> Option<&'a Inode> {
        // SAFETY: A transparent wrapper; the caller guarantees the inode lives for `'a`.
        unsafe { ptr.cast::<Inode>().as_ref() }
    }

    /// The monitor of the inode's mount, with its report lock held, and the inode's number and
    /// generation.
    #[inline]
    pub(crate) fn report_lock(&self) -> Option<(LockedMonitor, u64, u32)> {
        let (mut ino, mut gen) = (0, 0);
        // SAFETY: A live inode, and the others valid places to write.
        let hm = unsafe { shim::xfs_hm_inode_report_lock(self.0.get(), &mut ino, &mut gen) };
        // SAFETY: The shim's result, with the lock it holds.
        Some((unsafe { LockedMonitor::new(hm) }?, ino, gen))
    }

    /// [`Inode::report_lock`] for file I/O error `p` on this inode, with the inode's and the
    /// error's fields, read in the same call.
    #[inline]
    pub(crate) fn fileio_report_lock(
        &self,
        p: &FserrorEvent,
    ) -> Option<(LockedMonitor, FileIoFields)> {
        let mut f = FileIoFields::default();
        // SAFETY: A live inode and fserror event, and a valid place to write.
        let hm = unsafe { shim::xfs_hm_fileio_report_lock(self.0.get(), p.0.get(), &mut f) };
        // SAFETY: The shim's result, with the lock it holds.
        Some((unsafe { LockedMonitor::new(hm) }?, f))
    }
}

/// What kind of group a [`Group`] is.
pub(crate) enum GroupKind {
    /// An allocation group.
    Ag,
    /// A realtime group.
    Rtgroup,
}

impl Group {
    /// The group at `ptr`, or `None` for NULL.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or a group that lives for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut raw::xfs_group) -> Option<&'a Group> {
        // SAFETY: A transparent wrapper; the caller guarantees the group lives for `'a`.
        unsafe { ptr.cast::<Group>().as_ref() }
    }

    /// The monitor of the group's mount, with its report lock held, and the group's number and
    /// kind; `None` for a group of another kind (there is none yet).
    #[inline]
    pub(crate) fn report_lock(&self) -> Option<(LockedMonitor, u32, GroupKind)> {
        let (mut gno, mut kind) = (0, 0);
        // SAFETY: A live group, and the others valid places to write.
        let hm = unsafe { shim::xfs_hm_group_report_lock(self.0.get(), &mut gno, &mut kind) };
        // SAFETY: The shim's result, with the lock it holds.
        let found = unsafe { LockedMonitor::new(hm) }?;
        match kind {
            0 => Some((found, gno, GroupKind::Ag)),
            1 => Some((found, gno, GroupKind::Rtgroup)),
            _ => None,
        }
    }
}

/// What a file I/O error report needs of the inode and of fserror's event
/// (`struct xfs_hm_fileio` of the shim).
#[repr(C)]
#[derive(Default)]
pub(crate) struct FileIoFields {
    /// The inode number.
    pub(crate) ino: u64,
    /// Start of the file range.
    pub(crate) pos: i64,
    /// Length of the file range.
    pub(crate) len: u64,
    /// The inode generation.
    pub(crate) gen: u32,
    /// `enum fserror_type`.
    pub(crate) ty: u32,
    /// The negative errno.
    pub(crate) error: i32,
}

// The layout of `struct xfs_hm_fileio`, which the shim asserts too.
const _: () = {
    assert!(core::mem::size_of::<FileIoFields>() == 40);
    assert!(core::mem::offset_of!(FileIoFields, pos) == 8);
    assert!(core::mem::offset_of!(FileIoFields, len) == 16);
    assert!(core::mem::offset_of!(FileIoFields, gen) == 24);
    assert!(core::mem::offset_of!(FileIoFields, ty) == 28);
    assert!(core::mem::offset_of!(FileIoFields, error) == 32);
};

impl FserrorEvent {
    /// The event at `ptr`, or `None` for NULL.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or an fserror event that lives for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const raw::fserror_event) -> Option<&'a FserrorEvent> {
        // SAFETY: A transparent wrapper; the caller guarantees the event lives for `'a`.
        unsafe { ptr.cast::<FserrorEvent>().as_ref() }
    }
}

impl SuperBlock {
    /// The superblock's address, which identifies it (a monitor's weak reference to its mount).
    pub(crate) fn addr(&self) -> usize {
        self.0.get() as usize
    }
}

/// The global lock of attach and detach (a spinlock: nothing in its section may sleep), held
/// while this guard lives.  It protects every mount's monitor pointer.
pub(crate) struct AttachLock(NotThreadSafe);

impl AttachLock {
    /// Takes the lock.
    pub(crate) fn lock() -> Self {
        // SAFETY: Takes a static spinlock, which our drop releases (on this thread: the guard
        // is not `Send`).
        unsafe { shim::xfs_hm_attach_lock() };
        AttachLock(NotThreadSafe)
    }

    /// The monitor published on `mp`.
    pub(crate) fn published(&self, mp: &Mount) -> Option<NonNull<c_void>> {
        // SAFETY: A live mount; its pointer is read under the lock that writers hold.
        NonNull::new(unsafe { shim::xfs_hm_mount_monitor_locked(mp.as_ptr()) })
    }

    /// Publishes `hm` as the monitor of `mp`, or with `None` retracts it.
    ///
    /// # Safety
    ///
    /// `hm` is a monitor whose first field is its report spinlock (the report shims lock that
    /// address), and it stays allocated until it is retracted and an RCU grace period has
    /// passed: report functions on this mount dereference it.
    pub(crate) unsafe fn publish(&self, mp: &Mount, hm: Option<NonNull<c_void>>) {
        let hm = hm.map_or(core::ptr::null_mut(), NonNull::as_ptr);
        // SAFETY: A live mount, whose pointer we write under the attach lock; the caller
        // guarantees what readers of the pointer need.
        unsafe { shim::xfs_hm_mount_publish(mp.as_ptr(), hm) }
    }

    /// The mount of the superblock at address `sb`, for as long as this lock is held.
    ///
    /// # Safety
    ///
    /// `sb` is the address of the superblock of a mount with a monitor published on it, read
    /// under this lock: its unmount must retract the monitor under this lock before the mount
    /// and superblock go, so both live while the lock is held.
    pub(crate) unsafe fn mount_of_sb(&self, sb: usize) -> Option<&Mount> {
        // SAFETY: A live superblock (see above); `XFS_M()` only reads its `s_fs_info`.
        let mp = unsafe { shim::xfs_hm_sb_mount(sb as *mut raw::super_block) };
        // SAFETY: The superblock's mount lives as long as the superblock's monitor is published,
        // that is, at least as long as this lock is held.
        unsafe { Mount::from_raw(mp) }
    }
}

impl Drop for AttachLock {
    fn drop(&mut self) {
        // SAFETY: We took the lock in `lock`, on this thread.
        unsafe { shim::xfs_hm_attach_unlock() }
    }
}

/// The monitor published on a mount, found with its report lock held: the spinlock at the
/// start of the monitor, which this guard releases when dropped unless
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
pub(crate) struct LockedMonitor(NonNull<c_void>, NotThreadSafe);

impl LockedMonitor {
    /// Takes over the lock held by a shim's non-NULL result.
    ///
    /// # Safety
    ///
    /// `hm` is NULL or the result of one of the `xfs_hm_*report_lock()` shims, whose lock the
    /// caller hands over.
    #[inline]
    unsafe fn new(hm: *mut c_void) -> Option<Self> {
        // INVARIANT: The shims return non-NULL only with the monitor's lock held, for us.
        NonNull::new(hm).map(|hm| LockedMonitor(hm, NotThreadSafe))
    }

    /// Hands the held lock on to the caller, who must release it (through a lock guard of the
    /// spinlock at the returned address) and may use the monitor only until then.
    #[inline]
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

/// Frees kmalloc'ed memory after an RCU grace period, without running any destructor.
///
/// # Safety
///
/// `p` is a kmalloc or kvmalloc allocation that nothing but RCU readers can reach any more, and
/// whatever it holds may be freed without being dropped.
pub(crate) unsafe fn free_rcu(p: NonNull<c_void>) {
    // SAFETY: As the caller guarantees; the shim frees after a grace period.
    unsafe { shim::xfs_hm_free_rcu(p.as_ptr()) }
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

/// Whether the caller may monitor the filesystem of XFS file `file` (privileged, on the root
/// directory, in the initial user namespace), checked in the C monitor's order.
pub(crate) fn may_monitor(file: &File) -> bool {
    // SAFETY: A live XFS file (the ioctl was called on it).
    unsafe { shim::xfs_hm_may_monitor(file.as_ptr()) }
}

/// The mount of XFS file `file`, which outlives the open file.
pub(crate) fn file_mount(file: &File) -> Option<&Mount> {
    // SAFETY: A live XFS file; its inode's mount lives at least as long as the file is open.
    unsafe { Mount::from_raw(shim::xfs_hm_file_mount(file.as_ptr())) }
}

/// The superblock address of the file behind `fd`, for comparison; EBADF for a bad fd.
pub(crate) fn fd_super(fd: i32) -> Result<usize> {
    let mut sb = 0usize;
    // SAFETY: `sb` is a valid place for the shim to write to; the fd is looked up and released
    // inside the shim.
    kernel::error::to_result(unsafe { shim::xfs_hm_fd_super(fd, &mut sb) })?;
    Ok(sb)
}

/// Installs a read-only, close-on-exec anonymous-inode fd ("xfs_healthmon") with operations
/// `fops` and private data `private`, and returns it.
///
/// # Safety
///
/// `private` is what the operations of `fops` expect in `file->private_data`; on success the
/// new file owns it, and the operations may use it until `release`.
pub(crate) unsafe fn anon_inode_getfd(
    fops: &'static bindings::file_operations,
    private: NonNull<c_void>,
) -> Result<c_int> {
    // SAFETY: A static operations table and the private data the caller vouches for.
    let fd = unsafe { shim::xfs_hm_anon_inode_getfd(fops, private.as_ptr()) };
    if fd < 0 {
        return Err(Error::from_errno(fd));
    }
    Ok(fd)
}

/// A zeroed mount and superblock pointing to each other, for KUnit: enough for a monitor's
/// lookup, attach and detach.
///
/// # Invariants
///
/// `self.0` is a mount made by `xfs_hm_test_mount_new()`, freed by our drop.
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) struct TestMount(NonNull<raw::xfs_mount>);

#[cfg(CONFIG_KUNIT = "y")]
extern "C" {
    fn xfs_hm_test_mount_new() -> *mut raw::xfs_mount;
    fn xfs_hm_test_mount_orphan(mp: *mut raw::xfs_mount, lose: bool);
    fn xfs_hm_test_mount_free(mp: *mut raw::xfs_mount);
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
    pub(crate) fn monitor(&self) -> Option<NonNull<c_void>> {
        AttachLock::lock().published(self.mount())
    }

    /// Publishes `hm` on the mount as attach does, without anything else attach does.
    ///
    /// # Safety
    ///
    /// As for [`AttachLock::publish`].
    pub(crate) unsafe fn publish(&self, hm: Option<NonNull<c_void>>) {
        // SAFETY: As the caller guarantees.
        unsafe { AttachLock::lock().publish(self.mount(), hm) };
    }
}

#[cfg(CONFIG_KUNIT = "y")]
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
#[cfg(CONFIG_KUNIT = "y")]
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
#[cfg(CONFIG_KUNIT = "y")]
#[repr(C)]
struct CTable {
    v: *const u32,
    len: u32,
}

#[cfg(CONFIG_KUNIT = "y")]
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
#[cfg(CONFIG_KUNIT = "y")]
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

/// The C monitor's tracepoints (`trace_xfs_healthmon_*` of `xfs_trace.h`), fired with the same
/// fields through the shims.  Each function tests the tracepoint's static key first, as
/// `kernel::tracepoint::declare_trace!` does, so a disabled tracepoint costs a no-op jump; only
/// an enabled one calls the shim that fills the C structures the tracepoint reads.
pub(crate) mod trace {
    use super::FserrorEvent;
    #[cfg(CONFIG_TRACEPOINTS)]
    use kernel::bindings;

    /// What the tracepoints read of a monitor (`struct xfs_hm_trace_mon`).
    #[repr(C)]
    #[derive(Default)]
    pub(crate) struct Mon {
        /// The filesystem's device number.
        pub(crate) dev: u32,
        /// Records queued (C's `events`).
        pub(crate) events: u32,
        /// Events lost and not yet recorded in a LOST record (C's `lost_prev_event`).
        pub(crate) lost_prev: u64,
        /// The reader's buffer: size, formatted end, copied end.
        pub(crate) bufsize: u64,
        pub(crate) bufhead: u64,
        pub(crate) buftail: u64,
    }

    /// What they read of an event (`struct xfs_hm_trace_event`), in the C monitor's enums.
    #[repr(C)]
    #[derive(Default)]
    pub(crate) struct Event {
        /// `enum xfs_healthmon_type`.
        pub(crate) ty: u32,
        /// `enum xfs_healthmon_domain`.
        pub(crate) domain: u32,
        /// The health mask or the shutdown flags.
        pub(crate) mask: u32,
        /// The group number.
        pub(crate) group: u32,
        /// The inode number.
        pub(crate) ino: u64,
        /// The inode generation.
        pub(crate) gen: u32,
        /// The file I/O error (positive).
        pub(crate) error: i32,
        /// The disk address or file position.
        pub(crate) pos: u64,
        /// The block count, file range length or lost count.
        pub(crate) count: u64,
    }

    /// `enum xfs_hm_trace`.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub(crate) enum Kind {
        ReadStart,
        ReadFinish,
        Release,
        Detach,
        ReportUnmount,
        LostEvent,
        Insert,
        Push,
        Pop,
        Format,
        Drop,
        Merge,
    }

    mod shim {
        use super::*;

        extern "C" {
            pub(super) fn xfs_hm_trace_monitor(which: Kind, m: *const Mon);
            pub(super) fn xfs_hm_trace_event(which: Kind, m: *const Mon, t: *const Event);
            pub(super) fn xfs_hm_trace_report_metadata(
                m: *const Mon,
                old_mask: u32,
                new_mask: u32,
                t: *const Event,
            );
            pub(super) fn xfs_hm_trace_report_shutdown(m: *const Mon, flags: u32);
            pub(super) fn xfs_hm_trace_report_media(m: *const Mon, fdev: u32, t: *const Event);
            pub(super) fn xfs_hm_trace_report_file_ioerror(
                m: *const Mon,
                p: *const super::super::raw::fserror_event,
            );
            pub(super) fn xfs_hm_trace_copybuf(m: *const Mon, iter_count: usize);
            pub(super) fn xfs_hm_trace_create(dev: u32, flags: u64, format: u8);
        }
    }

    /// Declares the tracepoints' `struct tracepoint`s, defined by `xfs_trace.o` in this module,
    /// and one function per tracepoint that says whether it is enabled (for callers that fire
    /// it from a cold function of their own, which takes values, not a closure).
    macro_rules! tracepoints {
        ($($enabled:ident => $tp:ident,)*) => {
            // `struct tracepoint` holds types bindgen cannot express (hence the lint); only
            // its static key is read, as `declare_trace!` does.  `mut`: C writes it (enabling
            // a tracepoint patches the key and its probes), as bindgen declares it too.
            #[cfg(CONFIG_TRACEPOINTS)]
            #[allow(improper_ctypes)]
            extern "C" {
                $(static mut $tp: bindings::tracepoint;)*
            }
            $(
                #[inline(always)]
                pub(crate) fn $enabled() -> bool {
                    #[cfg(CONFIG_TRACEPOINTS)]
                    // SAFETY: A tracepoint of this module's `xfs_trace.o`, whose static key may
                    // always be tested.
                    return unsafe {
                        kernel::jump_label::static_branch_unlikely!($tp, bindings::tracepoint, key)
                    };
                    #[cfg(not(CONFIG_TRACEPOINTS))]
                    false
                }
            )*
        };
    }

    tracepoints! {
        read_start_on => __tracepoint_xfs_healthmon_read_start,
        read_finish_on => __tracepoint_xfs_healthmon_read_finish,
        release_on => __tracepoint_xfs_healthmon_release,
        detach_on => __tracepoint_xfs_healthmon_detach,
        report_unmount_on => __tracepoint_xfs_healthmon_report_unmount,
        lost_event_on => __tracepoint_xfs_healthmon_lost_event,
        insert_on => __tracepoint_xfs_healthmon_insert,
        push_on => __tracepoint_xfs_healthmon_push,
        pop_on => __tracepoint_xfs_healthmon_pop,
        format_on => __tracepoint_xfs_healthmon_format,
        drop_on => __tracepoint_xfs_healthmon_drop,
        merge_on => __tracepoint_xfs_healthmon_merge,
        report_fs_on => __tracepoint_xfs_healthmon_report_fs,
        report_group_on => __tracepoint_xfs_healthmon_report_group,
        report_inode_on => __tracepoint_xfs_healthmon_report_inode,
        report_shutdown_on => __tracepoint_xfs_healthmon_report_shutdown,
        report_media_on => __tracepoint_xfs_healthmon_report_media,
        report_file_ioerror_on => __tracepoint_xfs_healthmon_report_file_ioerror,
        copybuf_on => __tracepoint_xfs_healthmon_copybuf,
        create_on => __tracepoint_xfs_healthmon_create,
    }

    /// Whether the tracepoint of `kind` is enabled.
    #[inline(always)]
    pub(crate) fn enabled(kind: Kind) -> bool {
        match kind {
            Kind::ReadStart => read_start_on(),
            Kind::ReadFinish => read_finish_on(),
            Kind::Release => release_on(),
            Kind::Detach => detach_on(),
            Kind::ReportUnmount => report_unmount_on(),
            Kind::LostEvent => lost_event_on(),
            Kind::Insert => insert_on(),
            Kind::Push => push_on(),
            Kind::Pop => pop_on(),
            Kind::Format => format_on(),
            Kind::Drop => drop_on(),
            Kind::Merge => merge_on(),
        }
    }

    // Each function below tests the static key inline and leaves the rest to a cold function
    // of its own, so that a disabled tracepoint costs its caller a no-op jump and nothing else:
    // no call that keeps the caller from being inlined, no arguments built before the jump.
    // Callers keep the closures small (at most two values or references, which travel in
    // registers), for the same reason.

    /// Fires a tracepoint of a monitor (`ReadStart` to `LostEvent`), with the state `mon` gives.
    #[inline(always)]
    pub(crate) fn monitor(kind: Kind, mon: impl FnOnce() -> Mon) {
        if enabled(kind) {
            fire_monitor(kind, mon);
        }
    }

    /// The out-of-line part of [`monitor`].
    #[cold]
    #[inline(never)]
    fn fire_monitor(kind: Kind, mon: impl FnOnce() -> Mon) {
        // SAFETY: A valid state, read during the call only.
        unsafe { shim::xfs_hm_trace_monitor(kind, &mon()) }
    }

    /// Fires a tracepoint of an event (`Insert` to `Merge`), with the state and event `args`
    /// gives.
    #[inline(always)]
    pub(crate) fn event(kind: Kind, args: impl FnOnce() -> (Mon, Event)) {
        if enabled(kind) {
            fire_event(kind, args);
        }
    }

    /// The out-of-line part of [`event`].
    #[cold]
    #[inline(never)]
    fn fire_event(kind: Kind, args: impl FnOnce() -> (Mon, Event)) {
        let (mon, ev) = args();
        // SAFETY: A valid state and event, read during the call only.
        unsafe { shim::xfs_hm_trace_event(kind, &mon, &ev) }
    }

    /// Fires `xfs_healthmon_report_{fs,group,inode}` (by the event's domain).
    #[inline(always)]
    pub(crate) fn report_metadata(
        domain_on: MetadataDomain,
        args: impl FnOnce() -> (Mon, u32, u32, Event),
    ) {
        if report_metadata_on(domain_on) {
            fire_report_metadata(args);
        }
    }

    /// Whether `xfs_healthmon_report_{fs,group,inode}` (by `domain`) is enabled.
    #[inline(always)]
    pub(crate) fn report_metadata_on(domain: MetadataDomain) -> bool {
        match domain {
            MetadataDomain::Fs => report_fs_on(),
            MetadataDomain::Group => report_group_on(),
            MetadataDomain::Inode => report_inode_on(),
        }
    }

    /// The out-of-line part of [`report_metadata`].
    #[cold]
    #[inline(never)]
    fn fire_report_metadata(args: impl FnOnce() -> (Mon, u32, u32, Event)) {
        let (mon, old, new, ev) = args();
        // SAFETY: A valid state and event, read during the call only.
        unsafe { shim::xfs_hm_trace_report_metadata(&mon, old, new, &ev) }
    }

    /// Which of the metadata report tracepoints a report fires.
    pub(crate) enum MetadataDomain {
        /// `xfs_healthmon_report_fs`.
        Fs,
        /// `xfs_healthmon_report_group`.
        Group,
        /// `xfs_healthmon_report_inode`.
        Inode,
    }

    /// Fires `xfs_healthmon_report_shutdown`.
    #[inline(always)]
    pub(crate) fn report_shutdown(mon: impl FnOnce() -> Mon, flags: u32) {
        if report_shutdown_on() {
            fire_report_shutdown(mon, flags);
        }
    }

    /// The out-of-line part of [`report_shutdown`].
    #[cold]
    #[inline(never)]
    fn fire_report_shutdown(mon: impl FnOnce() -> Mon, flags: u32) {
        // SAFETY: A valid state, read during the call only.
        unsafe { shim::xfs_hm_trace_report_shutdown(&mon(), flags) }
    }

    /// Fires `xfs_healthmon_report_media` for device `fdev` (`enum xfs_device`).
    #[inline(always)]
    pub(crate) fn report_media(args: impl FnOnce() -> (Mon, Event), fdev: u32) {
        if report_media_on() {
            fire_report_media(args, fdev);
        }
    }

    /// The out-of-line part of [`report_media`].
    #[cold]
    #[inline(never)]
    fn fire_report_media(args: impl FnOnce() -> (Mon, Event), fdev: u32) {
        let (mon, ev) = args();
        // SAFETY: A valid state and event, read during the call only.
        unsafe { shim::xfs_hm_trace_report_media(&mon, fdev, &ev) }
    }

    /// Fires `xfs_healthmon_report_file_ioerror` with fserror's event.
    #[inline(always)]
    pub(crate) fn report_file_ioerror(mon: impl FnOnce() -> Mon, p: &FserrorEvent) {
        if report_file_ioerror_on() {
            fire_report_file_ioerror(mon, p);
        }
    }

    /// The out-of-line part of [`report_file_ioerror`].
    #[cold]
    #[inline(never)]
    fn fire_report_file_ioerror(mon: impl FnOnce() -> Mon, p: &FserrorEvent) {
        // SAFETY: A valid state, and a live fserror event, read during the call only.
        unsafe { shim::xfs_hm_trace_report_file_ioerror(&mon(), p.0.get()) }
    }

    /// Fires `xfs_healthmon_copybuf`: the buffer in `mon`, `iter_count` bytes of room.
    #[inline(always)]
    pub(crate) fn copybuf(mon: impl FnOnce() -> Mon, iter_count: usize) {
        if copybuf_on() {
            // SAFETY: A valid state, read during the call only.
            unsafe { shim::xfs_hm_trace_copybuf(&mon(), iter_count) }
        }
    }

    /// Fires `xfs_healthmon_create`.
    #[inline(always)]
    pub(crate) fn create(dev: u32, flags: u64, format: u8) {
        if create_on() {
            // SAFETY: Plain values.
            unsafe { shim::xfs_hm_trace_create(dev, flags, format) }
        }
    }
}
