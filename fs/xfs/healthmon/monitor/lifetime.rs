// SPDX-License-Identifier: GPL-2.0

//! A monitor's life, in one place: the counted reference ([`MonitorRef`]), creation, publication
//! on the mount and retraction (under the attach lock), the report path's way in without a
//! reference ([`Monitor::found`]), and the free, an RCU grace period after the last reference.
//!
//! The rules, which every `unsafe` block here argues from:
//!
//! - the file holds one reference (in `private_data`), and the mount one while the monitor is
//!   published in its `m_healthmon`; each [`MonitorRef`] owns one;
//! - the mount's pointer is published and retracted, and the monitor's cookie set and cleared,
//!   only under the attach lock, and the mount's reference is given up only after the
//!   retraction;
//! - reports find the monitor through the mount's pointer in an RCU read-side critical section
//!   and take no reference: the queue lock they then hold keeps the memory, which is freed a
//!   grace period after the last reference goes, and the queue's detached mark (set under that
//!   lock before the mount's reference goes) keeps them out of a queue whose ring is freed.

use super::live::{
    mon_of,
    trace_event,
    Live, //
};
use super::read::OutBuf;
use super::{
    Events,
    Monitor,
    Reporting, //
};
use crate::queue::{
    Queue,
    Slots,
    CAPACITY, //
};
use crate::xfs;
use crate::xfs::trace;
use crate::xfs::{
    AttachLock,
    LockedMonitor,
    Mount, //
};
use core::ptr::NonNull;
use kernel::new_condvar;
use kernel::new_poll_condvar;
use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::sync::lock::Guard;
use kernel::sync::{
    new_mutex,
    new_spinlock,
    Refcount, //
};

/// A counted reference to a [`Monitor`].
///
/// # Invariants
///
/// `self.0` points to a live [`Monitor`] allocated by [`Monitor::create`], on which this object
/// owns one reference.
pub(crate) struct MonitorRef(NonNull<Monitor>);

impl core::ops::Deref for MonitorRef {
    type Target = Monitor;

    fn deref(&self) -> &Monitor {
        // SAFETY: By the type invariant the monitor is alive while we hold our reference.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for MonitorRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own one reference, which we give up here.
        unsafe { Monitor::put(self.0) };
    }
}

impl MonitorRef {
    /// Gives up the reference as a pointer, for `file->private_data`.
    pub(crate) fn into_raw(self) -> NonNull<Monitor> {
        let ptr = self.0;
        core::mem::forget(self);
        ptr
    }

    /// Takes back a reference given up by [`MonitorRef::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` came from [`MonitorRef::into_raw`] and its reference is taken back only once.
    pub(crate) unsafe fn from_raw(ptr: *mut Monitor) -> Option<Self> {
        // INVARIANT: The caller passes us the reference that `into_raw` gave up.
        NonNull::new(ptr).map(MonitorRef)
    }
}

impl Monitor {
    /// Makes a detached monitor, with RUNNING queued, owned by the returned reference.
    pub(crate) fn create(dev: u32, verbose: bool) -> Result<MonitorRef> {
        // Everything is built in place in the monitor's allocation; only the ring's own memory
        // comes first, because the lock that holds the queue takes an initialiser that cannot
        // fail.  Both come from the C allocators directly (see `xfs::kbox_uninit`).
        let slots = Slots::from_vec(xfs::kvvec_with_capacity(CAPACITY)?)?;
        let events = init!(Events {
            queue <- Queue::init(slots, verbose, Live { dev }),
            detached: false,
            sleepers: 0,
            polled: false,
            polled_since_wake: false,
        });
        let monitor = xfs::kbox_uninit::<Monitor>()?.write_pin_init(try_pin_init!(Monitor {
            events <- new_spinlock!(events, "xfs_healthmon::events"),
            refs: Refcount::new(1),
            cookie: Atomic::new(0),
            dev,
            wait <- new_poll_condvar!("xfs_healthmon::wait"),
            readers <- new_condvar!("xfs_healthmon::readers"),
            out <- new_mutex!(OutBuf::new(), "xfs_healthmon::out"),
            buffered: Atomic::new(0),
            free: xfs::FreeLater::new(),
        }))?;
        // SAFETY: The monitor is never moved out of this allocation: it is only reached through
        // the pointer, and freed in place by `put`.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(monitor) });
        // INVARIANT: A new allocation with its one reference, which we hand over.
        NonNull::new(raw).map(MonitorRef).ok_or(ENOMEM)
    }

    /// Drops a reference and frees the monitor with the last one.
    ///
    /// # Safety
    ///
    /// The caller owns one reference on the monitor at `ptr` and gives it up.
    unsafe fn put(ptr: NonNull<Monitor>) {
        // SAFETY: The caller's reference keeps the monitor alive until here.
        let this = unsafe { ptr.as_ref() };
        if !this.refs.dec_and_test() {
            return;
        }
        // That was the last reference, so the monitor has detached (the mount holds one while
        // attached) and its file is released.  Report functions that found it on the mount just
        // before it was retracted may still be about to take the queue lock (they found it in
        // an RCU read-side critical section): they will find the monitor detached, and leave.
        // So the ring may be given up now, while the lock and `wait` stay until the memory goes,
        // a grace period from now.
        let mut events = this.events.lock();
        if trace::enabled(trace::Kind::Drop) {
            let (live, queue) = (this.live(), &events.queue);
            for rec in queue.iter() {
                trace::event(trace::Kind::Drop, || {
                    (mon_of(live.dev, queue), trace_event(&rec.event))
                });
            }
        }
        let ring = events.queue.release();
        drop(events);
        // The read buffers go now too: the monitor's memory goes without a drop of `out`.
        // Nobody can hold `out` (only reads take it, and each holds the file, which is
        // released), so the try succeeds; a try, because `put` may run under the unmount's
        // locks, which `out`'s lock (held by readers across page faults) must not nest in.
        match this.out.try_lock() {
            Some(mut out) => out.free(),
            None => {
                kernel::warn_on!(true);
            }
        }
        // SAFETY: Nothing but reports that found it in an RCU read-side critical section can
        // reach the monitor now, and the memory is freed after they are gone; the ring (freed
        // in the same callback, though nothing needs it gone later than now: reports leave a
        // detached queue alone) is a `kvmalloc()` block that nothing else owns, whose records
        // need no drop.  `free` is used only here.  What is freed without being dropped: the
        // refcount, the atomics and the locks, which own nothing, `Events`, whose ring is
        // gone, `out`, whose buffers went above, `readers` (a `CondVar` has no destructor, and
        // readers hold the file while they sleep), and `wait`.
        // For `wait` this deliberately waives the drop of pinned data: `PollCondVar`'s
        // destructor wakes pollfree waiters and waits a whole grace period (synchronize_rcu),
        // which made every close cost milliseconds, and neither is needed.  epoll removes its
        // entries from a file's wait queues before the file's release runs (eventpoll_release()
        // in __fput()); poll(), select(), aio and io_uring hold the file while they wait, and
        // readers hold it while they sleep; so nobody is on `wait` once the file is released,
        // and no report wakes it after the detach (reports wake under the queue lock, and only
        // while not detached).  (The C monitor frees its wait queue with kfree_rcu(),
        // likewise.)  A monitor whose file was never made (creation failed) was never polled.
        // This knowingly departs from the reasoning in `PollTable::register_wait`, which
        // counts on the destructor running.
        unsafe {
            xfs::free_later(
                core::ptr::addr_of_mut!((*ptr.as_ptr()).free),
                ptr.cast::<xfs::RawMonitor>(),
                ring.into_raw(),
            )
        };
    }

    /// Starts a report to the monitor that `found` found on a mount, with the lock that `found`
    /// holds; `None` (and the lock released) if the monitor has detached.
    ///
    /// # Safety
    ///
    /// Neither the result nor anything taken from it (`this`, or any other reference of lifetime
    /// `'a`, which the caller is free to choose) may be used once the result is finished or
    /// dropped: that releases the lock, and the monitor is only known to stay allocated while
    /// the lock is held.
    #[inline(always)]
    pub(super) unsafe fn found<'a>(found: LockedMonitor) -> Option<Reporting<'a>> {
        let (ptr, rcu) = found.into_locked();
        let ptr = ptr.cast::<Monitor>();
        // SAFETY: The monitor stays allocated while its queue lock is held (that lock is an RCU
        // read-side critical section, on `PREEMPT_RT` together with `rcu`, which the `Reporting`
        // keeps until after the release; and the memory is freed a grace period after the
        // monitor was retracted from the mount it was found on).  The lock is held until the
        // `Reporting`, which holds its guard, is dropped.  `this` (and the guard's reference to
        // the lock) stay in the caller's scope until then, just past the unlock, as the
        // reference of any lock guard whose release may let the memory go does; nothing is read
        // or written through them after the unlock (the caller's contract).
        let this = unsafe { ptr.as_ref() };
        // SAFETY: `found` held the spinlock at the monitor's address, which is that of
        // `this.events` (checked at compile time), and handed it to us.
        let events = unsafe { Guard::new(&this.events, ()) };
        Reporting::new(this, events, rcu)
    }

    /// A reference to the monitor attached to `mp`, if any, for the unmount.
    pub(crate) fn attached(mp: &Mount) -> Option<MonitorRef> {
        let lock = AttachLock::lock();
        let ptr = lock.published(mp)?.cast::<Monitor>();
        // SAFETY: The mount's pointer, read under the attach lock, is retracted only under that
        // lock before the mount gives up its reference, so the monitor is alive with a count of
        // at least one.
        unsafe { ptr.as_ref() }.refs.inc();
        // INVARIANT: The reference we just took is the one the `MonitorRef` owns.
        Some(MonitorRef(ptr))
    }

    /// Attaches the monitor to `mp`, giving the mount a reference; EEXIST if it has one.
    pub(crate) fn attach(this: &MonitorRef, mp: &Mount) -> Result {
        let sb = mp.sb().ok_or(EINVAL)?.addr();
        let lock = AttachLock::lock();
        if lock.published(mp).is_some() {
            return Err(EEXIST);
        }
        this.refs.inc();
        this.cookie.store(sb, Relaxed);
        // Publishing orders the stores above before the pointer becomes visible.
        // SAFETY: The queue's spinlock is the monitor's first field (asserted at compile time),
        // and the monitor stays allocated until it is retracted and a grace period has passed:
        // the mount's reference, just taken, is given up only after the retraction (in
        // `detach_from`), and the last one frees the memory after a grace period (`put`).
        unsafe { lock.publish(mp, Some(this.0.cast::<xfs::RawMonitor>())) };
        Ok(())
    }

    /// Detaches the monitor from its mount, if it still is attached, and wakes the readers so
    /// they see the end of the stream.
    pub(crate) fn detach(this: &MonitorRef) {
        Self::detach_from(this, None);
    }

    /// The file is released: detach, so that another monitor can be created.
    pub(crate) fn release(this: &MonitorRef) {
        trace::monitor(trace::Kind::Release, || this.trace_mon());
        Self::detach_from(this, None);
    }

    /// [`Monitor::detach`], from mount `known` if the caller has it (the unmount does), else
    /// from the mount of the monitored superblock.
    fn detach_from(this: &MonitorRef, known: Option<&Mount>) {
        {
            let lock = AttachLock::lock();
            let sb = this.cookie.load(Relaxed);
            if sb == 0 {
                return;
            }
            // The mount cannot go away while we hold the attach lock and it still points to us:
            // its unmount detaches us under this same lock first.  An attached superblock always
            // has its mount, so the pointer is retracted whenever the cookie is set.
            // SAFETY: A non-zero cookie, read under the attach lock, is the superblock of the
            // mount we are published on (attach sets both under this lock, and detach clears
            // both under it), which its unmount retracts under this lock before it goes.
            let Some(mp) = known.or_else(|| unsafe { lock.mount_of_sb(sb) }) else {
                // Cannot happen.  But if it did, the mount would still point to us, and putting
                // its reference could free the monitor under that pointer: keep the reference
                // (a leaked monitor, not a use-after-free) and stay attached, so that the
                // mount's unmount, which finds us through that pointer and passes the mount in,
                // detaches us for real.  (Only a detach without a known mount gets here: the
                // file's release, or a creation whose fd could not be made.)
                kernel::do_once_lite! {
                    pr_warn!("monitor of a superblock without its mount kept attached\n")
                };
                return;
            };
            // SAFETY: Retracting needs nothing of a monitor.
            unsafe { lock.publish(mp, None) };
            this.cookie.store(0, Relaxed);
        }
        // Marking the queue detached under its lock does two things.  A report that takes the
        // lock after us sees the mark and leaves the queue alone, so the ring may be freed once
        // the last reference goes.  And a reader checks for data (this mark included) under
        // this lock and sleeps before releasing it, so every reader either saw the detach or is
        // asleep, to be woken here.
        // Only the queues that may have waiters are woken: readers count themselves in under
        // the queue lock before they sleep, and once polled, pollers may be there for good.
        let (sleepers, polled) = {
            let mut events = this.events.lock();
            events.detached = true;
            (events.sleepers, events.polled)
        };
        if polled {
            this.wait.notify_all();
        }
        if sleepers > 0 {
            this.readers.notify_all();
        }
        trace::monitor(trace::Kind::Detach, || this.trace_mon());
        // SAFETY: The mount's reference, taken by `attach`, is given up now that its pointer is
        // retracted; `this` keeps the monitor alive for our caller.
        unsafe { Monitor::put(this.0) };
    }

    /// Mount `mp` is unmounting: UNMOUNT goes to the head of the queue and the monitor
    /// detaches from `mp`, which wakes the readers.
    pub(crate) fn unmount(this: &MonitorRef, mp: &Mount) {
        let mut events = this.events.lock();
        trace::monitor(trace::Kind::ReportUnmount, || {
            mon_of(this.dev, &events.queue)
        });
        events.queue.insert_unmount(this.live());
        drop(events);
        Monitor::detach_from(this, Some(mp));
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_lifetime)]
mod tests {
    use crate::exports;
    use crate::monitor::Monitor;
    use crate::xfs;
    use crate::xfs::TestMount;
    use core::ptr::NonNull;
    use kernel::prelude::*;
    use kernel::sync::atomic::Relaxed;

    /// `XFS_HEALTHMON_SICK` of `enum xfs_healthmon_type`, as XFS passes it to the report
    /// functions.
    const SICK: u32 = 4;

    /// A report that finds the monitor on its mount after the last reference went (the window
    /// between reading the mount's pointer and the end of the grace period) must leave the
    /// count alone and the queue untouched.  The lookup once took a reference with
    /// `refcount_inc_not_zero()` and, when that failed, put the reference it never took: an
    /// underflow that this test catches as a count other than zero.
    #[test]
    fn report_finds_a_monitor_past_its_last_reference() -> Result {
        let mp = TestMount::new()?;
        let hm = Monitor::create(0, false)?;
        Monitor::attach(&hm, mp.mount())?;
        assert_eq!(hm.refs.as_atomic().load(Relaxed), 2);
        Monitor::detach(&hm);
        assert!(mp.monitor().is_none());
        // The pointer as a racing report read it, and the count as the last put leaves it.
        // SAFETY: Only `hm`'s drop frees the monitor (forcing the count to zero below frees
        // nothing), and `hm` drops at the end of the test, after the pointer is retracted.
        unsafe { mp.publish(Some(NonNull::from(&*hm).cast::<xfs::RawMonitor>())) };
        assert!(hm.refs.dec_and_test());
        let (before, _) = hm.stats();
        // SAFETY: `mp` is a live (test) mount for the duration of these calls.
        unsafe {
            exports::xfs_healthmon_report_shutdown(mp.raw(), 1 << 2);
            exports::xfs_healthmon_report_media(mp.raw(), 1, 64, 8);
            exports::xfs_healthmon_report_fs(mp.raw(), SICK, 0, 1);
        }
        let (after, _) = hm.stats();
        let refs = hm.refs.as_atomic().load(Relaxed);
        // Retract the pointer and give the count back to `hm`, whose drop frees the monitor.
        // SAFETY: Publishing NULL retracts the pointer; no monitor has to stay allocated.
        unsafe { mp.publish(None) };
        hm.refs.set(1);
        assert_eq!(refs, 0);
        assert_eq!(after.reported, before.reported);
        assert_eq!(after.queued, before.queued);
        Ok(())
    }

    /// While attached, the same reports do reach the queue (the test above is not vacuous).
    #[test]
    fn report_reaches_an_attached_monitor() -> Result {
        let mp = TestMount::new()?;
        let hm = Monitor::create(0, false)?;
        Monitor::attach(&hm, mp.mount())?;
        let (before, _) = hm.stats();
        // SAFETY: `mp` is a live (test) mount for the duration of these calls.
        unsafe {
            exports::xfs_healthmon_report_shutdown(mp.raw(), 1 << 2);
            exports::xfs_healthmon_report_media(mp.raw(), 1, 64, 8);
            exports::xfs_healthmon_report_fs(mp.raw(), SICK, 0, 1);
        }
        let (after, _) = hm.stats();
        Monitor::detach(&hm);
        assert_eq!(after.reported, before.reported + 3);
        assert_eq!(after.queued, before.queued + 3);
        assert_eq!(hm.refs.as_atomic().load(Relaxed), 1);
        Ok(())
    }

    /// Detach must not give up the mount's reference while the mount still points to the
    /// monitor: if the superblock's mount cannot be found, the pointer cannot be retracted, so
    /// the reference stays (a warning says so) and a later detach that can retract it puts it.
    #[test]
    fn detach_keeps_the_reference_it_cannot_retract() -> Result {
        let mp = TestMount::new()?;
        let hm = Monitor::create(0, false)?;
        Monitor::attach(&hm, mp.mount())?;
        mp.orphan(true);
        Monitor::detach(&hm);
        let refs = hm.refs.as_atomic().load(Relaxed);
        let still = mp.monitor();
        // Clean up whatever happened, so that a failure does not leave a dangling pointer.
        mp.orphan(false);
        if refs == 2 {
            Monitor::detach(&hm);
        } else {
            // SAFETY: Publishing NULL retracts the pointer; no monitor has to stay allocated.
            unsafe { mp.publish(None) };
        }
        assert_eq!(refs, 2);
        assert_eq!(still, Some(NonNull::from(&*hm).cast::<xfs::RawMonitor>()));
        assert!(mp.monitor().is_none());
        assert_eq!(hm.refs.as_atomic().load(Relaxed), 1);
        Ok(())
    }

    /// On `PREEMPT_RT` the report lock is a sleeping lock: a reporter can be preempted inside
    /// its release, and only its own RCU read-side critical section ([`xfs::ReportRcu`]) keeps
    /// the monitor allocated until the release is done, whatever the tree's `rt_spin_unlock()`
    /// does with the section it enters itself (7.2.13's leaves it only after the release, and
    /// would hide a missing `ReportRcu` from any test that waits for a use after free).  The
    /// real lookup, up to the release: the reporter must still be in a section after it.
    #[cfg(all(CONFIG_PREEMPT_RT, CONFIG_DEBUG_LOCK_ALLOC))]
    #[test]
    fn report_rcu_outlasts_the_release() -> Result {
        use crate::monitor::Reporting;

        let mp = TestMount::new()?;
        let hm = Monitor::create(0, false)?;
        Monitor::attach(&hm, mp.mount())?;
        // KUnit's `assert!` ends the test at once (the monitor and the test mount are then
        // leaked, as on any failed assertion), so these `else` branches never run.
        let found = mp.mount().report_lock();
        assert!(found.is_some());
        let Some(found) = found else {
            return Ok(());
        };
        // SAFETY: Nothing taken from the result is used after its lock is released below.
        let r = unsafe { Monitor::found(found) };
        assert!(r.is_some());
        let Some(r) = r else {
            return Ok(());
        };
        // What dropping `r` does (its fields drop in declaration order, `_rcu` last): the
        // lock's guard first, then the section.  This checks the section, not that order,
        // which `Reporting`'s definition keeps.
        let Reporting { events, _rcu, .. } = r;
        drop(events);
        // SAFETY: No arguments, and no precondition: it only reads lockdep's state of the
        // current task.
        let held = unsafe { kernel::bindings::rcu_read_lock_held() } != 0;
        drop(_rcu);
        // The control: lockdep still answers (it says "held" for everything once it has
        // turned itself off), and the report path left no section behind.
        // SAFETY: No arguments, and no precondition: it only reads lockdep's state of the
        // current task.
        let after = unsafe { kernel::bindings::rcu_read_lock_held() } != 0;
        Monitor::detach(&hm);
        assert!(held);
        assert!(!after);
        Ok(())
    }
}
