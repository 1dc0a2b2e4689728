// SPDX-License-Identifier: GPL-2.0

//! The attach lock and the monitor found under its report lock.

use super::raw;
use super::shim;
use super::Mount;
use core::ptr::NonNull;
use kernel::types::NotThreadSafe;

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
    pub(crate) fn published(&self, mp: &Mount) -> Option<NonNull<raw::xfs_hm_monitor>> {
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
    pub(crate) unsafe fn publish(&self, mp: &Mount, hm: Option<NonNull<raw::xfs_hm_monitor>>) {
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

/// On `PREEMPT_RT`, an RCU read-side critical section that a report holds from before it looks
/// for its monitor until after it has released the monitor's report lock; elsewhere nothing.
///
/// Outside `PREEMPT_RT` a held spinlock disables preemption, which is itself an RCU read-side
/// critical section up to and including the release, so the monitor (freed a grace period after
/// its last reference goes) stays allocated for as long as its lock is held.  On `PREEMPT_RT`
/// `spinlock_t` sleeps: `rt_spin_lock()` enters an RCU read-side critical section and
/// `rt_spin_unlock()` leaves it, and only some trees (7.2.13's `kernel/locking/spinlock_rt.c`)
/// leave it after the lock is released.  Where it is left before, a reporter preempted between
/// the two could see the monitor freed and write the release into freed memory; this section,
/// left only after the release, keeps the memory whatever the tree's order.
#[cfg(CONFIG_PREEMPT_RT)]
pub(crate) struct ReportRcu {
    _guard: kernel::sync::rcu::Guard,
}

/// See the `PREEMPT_RT` definition: here holding the report lock is enough.
#[cfg(not(CONFIG_PREEMPT_RT))]
pub(crate) struct ReportRcu;

impl ReportRcu {
    /// Enters the section (on `PREEMPT_RT`; elsewhere this costs nothing).
    #[inline(always)]
    pub(crate) fn enter() -> Self {
        #[cfg(CONFIG_PREEMPT_RT)]
        let rcu = ReportRcu {
            _guard: kernel::sync::rcu::read_lock(),
        };
        #[cfg(not(CONFIG_PREEMPT_RT))]
        let rcu = ReportRcu;
        rcu
    }
}

/// The monitor published on a mount, found with its report lock held: the spinlock at the
/// start of the monitor, which this guard releases when dropped unless
/// [`LockedMonitor::into_locked`] hands it on.
///
/// Finding it takes one call of a shim, which looks at the mount's pointer first without any
/// lock (most mounts have no monitor, and then a report costs that one call), and otherwise
/// reads it in an RCU read-side critical section and takes the spinlock before the section ends.
/// Holding a spinlock is an RCU read-side critical section too (on `PREEMPT_RT` with the
/// [`ReportRcu`] this guard holds, entered before the lookup and left after the release), so
/// the monitor stays allocated for as long as its lock is held, even if its last reference is
/// gone.
///
/// # Invariants
///
/// `self.0` was read from a mount's `m_healthmon` in an RCU read-side critical section, and this
/// object holds the spinlock at that address, taken within that section; `self.1` was entered
/// before that section.
pub(crate) struct LockedMonitor(NonNull<raw::xfs_hm_monitor>, ReportRcu, NotThreadSafe);

impl LockedMonitor {
    /// Takes over the lock held by a shim's non-NULL result.
    ///
    /// # Safety
    ///
    /// `hm` is NULL or the result of one of the `xfs_hm_*report_lock()` shims, whose lock the
    /// caller hands over, called after `rcu` was entered.
    #[inline]
    pub(super) unsafe fn new(rcu: ReportRcu, hm: *mut raw::xfs_hm_monitor) -> Option<Self> {
        // INVARIANT: The shims return non-NULL only with the monitor's lock held, for us, and the
        // caller entered `rcu` before calling them.
        NonNull::new(hm).map(|hm| LockedMonitor(hm, rcu, NotThreadSafe))
    }

    /// Hands the held lock on to the caller, who must release it (through a lock guard of the
    /// spinlock at the returned address) before dropping the returned [`ReportRcu`], and may use
    /// the monitor only until the release.
    #[inline]
    pub(crate) fn into_locked(self) -> (NonNull<raw::xfs_hm_monitor>, ReportRcu) {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so its `ReportRcu` is moved out exactly once.
        let rcu = unsafe { core::ptr::read(&this.1) };
        (this.0, rcu)
    }
}

impl Drop for LockedMonitor {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold the spinlock at this address, released here;
        // the `ReportRcu` field is dropped after this, once the release is done.
        unsafe { shim::xfs_hm_report_unlock(self.0.as_ptr()) }
    }
}
