// SPDX-License-Identifier: GPL-2.0

//! The monitor: one per monitored mount, reference counted, outliving the mount or the fd.
//!
//! A monitor is reachable from two places.  The mount publishes it in `xfs_mount::m_healthmon`
//! under RCU while it is attached, and the anonymous file holds a reference in
//! `file->private_data` until it is released; the mount holds a second reference while
//! attached.  The monitor knows its mount only by a weak cookie (the superblock address), never
//! dereferenced, which is zero once it has detached.  Attaching and detaching hold one global
//! lock so that unmount and release cannot race on the mount's pointer.
//!
//! Reporting takes no reference.  A report function finds the monitor on its mount and takes
//! the queue's spinlock in one call of a shim (the lookup's RCU read-side critical section ends
//! once the spinlock, itself such a section, is held), queues its event and wakes the readers
//! under that lock, all without sleeping (the queue never allocates), and the monitor's memory
//! is freed only an RCU grace period after the last reference goes.  The queue is protected by
//! the detach protocol: detaching marks the queue detached under its lock, and a report checks
//! that mark under the same lock, so once a monitor has detached no report reaches its queue,
//! and its ring can be freed at once; the lock and the wait queue last until the memory goes.
//! That saves the C monitor's two atomic reference count operations (and its allocation) on
//! every report.

use crate::event::{
    Event,
    Health,
    Metadata, //
};
use crate::queue::{
    Outcome,
    Queue,
    Stats, //
};
use crate::xfs;
use crate::xfs::trace;
use crate::xfs::{
    FserrorEvent,
    LockedMonitor,
    ReportRcu, //
};
use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::sync::lock::spinlock::SpinLockGuard;
use kernel::sync::poll::PollCondVar;
use kernel::sync::{
    CondVar,
    Mutex,
    Refcount,
    SpinLock, //
};
use live::{
    mon_of,
    trace_report,
    trace_report_mon,
    Live, //
};
use read::OutBuf;

mod lifetime;
mod live;
mod read;

pub(crate) use lifetime::MonitorRef;

/// What the queue lock protects: the queue, and whom a new record must wake.
pub(crate) struct Events {
    /// The events.
    queue: Queue,
    /// The monitor has detached: reports must leave the queue alone (its ring may be gone).
    detached: bool,
    /// Readers asleep in `read`; each counts itself in before it sleeps and out once awake,
    /// both under this lock.
    sleepers: u32,
    /// The file has been polled: poll and epoll waiters cannot be counted, so from then on
    /// every new record wakes the wait queue, as the C monitor always does.
    polled: bool,
    /// The file has been polled since the last wake-up: the next merge wakes the wait queue
    /// (see `Reporting::finish`).
    polled_since_wake: bool,
}

/// A health monitor.
///
/// `#[repr(C)]` with `events` first: the report shims take the queue's spinlock at the
/// monitor's address (see [`LockedMonitor`]).
#[repr(C)]
#[pin_data]
pub(crate) struct Monitor {
    /// The events, behind a spinlock: reports queue under it without sleeping.  First, because
    /// `SpinLock` is a `#[repr(C)]` `Lock` whose first field is the `spinlock_t`, so the C
    /// `spinlock_t` is at the monitor's own address.
    #[pin]
    events: SpinLock<Events>,
    /// One reference for the open file and one for the mount while attached.  Never dropped:
    /// report functions may reach the monitor until its memory is freed.
    refs: Refcount,
    /// Address of the monitored superblock, zero once detached.  Written under the attach lock,
    /// read without it where a stale value only delays noticing the detach; reports use
    /// `Events::detached` instead, which is exact.
    cookie: Atomic<usize>,
    /// Device number of the filesystem, for fdinfo after unmount.
    dev: u32,
    /// Pollers wait here for records or the detach.  Never dropped: see [`Monitor::put`].
    #[pin]
    wait: PollCondVar,
    /// Blocked readers wait here, as exclusive waiters, for records or the detach.  Apart from
    /// `wait`, so that a reader cannot take the one exclusive wake-up meant for an
    /// `EPOLLEXCLUSIVE` poller, nor such a poller the one meant for a reader.  Never dropped,
    /// as `wait`.
    #[pin]
    readers: CondVar,
    /// What the reader has taken and not yet copied out; its lock serialises the readers of
    /// this monitor.  (C takes `inode_lock()` of the one anonymous inode that all monitor files
    /// share, so it serialises the readers of every monitor of the system.)
    #[pin]
    out: Mutex<OutBuf>,
    /// `out.pending()`, for waiting and polling without `out`'s lock.
    buffered: Atomic<usize>,
    /// Room for the RCU callback that frees the monitor and its ring (see [`Monitor::put`]).
    free: xfs::FreeLater,
}

// The shims lock the monitor's address as a `spinlock_t`.
const _: () = assert!(core::mem::offset_of!(Monitor, events) == 0);

/// A report under way: a monitor that has not detached, its queue lock held.
///
/// Dropping it without [`Reporting::finish`] releases the lock but wakes nobody.
///
/// Reports go through this, not a closure run under the lock, so that the whole report path is
/// inlined into each of XFS's report functions whatever the size of the queue's code (a closure
/// shared by two of them would be a call).
#[must_use]
struct Reporting<'a> {
    this: &'a Monitor,
    events: SpinLockGuard<'a, Events>,
    /// The queue's environment.
    live: Live,
    /// The records queued before the report, to tell whether it queued one.
    records: u64,
    /// Dropped after `events` (fields drop in order): on `PREEMPT_RT`, the RCU read-side
    /// critical section that keeps the monitor allocated until the lock is released.
    _rcu: ReportRcu,
}

impl<'a> Reporting<'a> {
    /// Starts a report with `events`, the lock of `this`'s queue, unless the monitor has
    /// detached: then a report must not touch the queue, whose ring may be freed (see
    /// [`Monitor::detach`] and [`Monitor::put`]), and `events` is released, then `rcu`, which
    /// was entered before the lock was taken.
    #[inline(always)]
    fn new(this: &'a Monitor, events: SpinLockGuard<'a, Events>, rcu: ReportRcu) -> Option<Self> {
        let mut r = Self {
            this,
            live: this.live(),
            records: 0,
            events,
            _rcu: rcu,
        };
        if r.events.detached {
            // Dropping `r` releases the lock, then leaves the section that outlasts it.
            return None;
        }
        r.records = r.events.queue.records();
        Some(r)
    }

    /// Ends the report whose outcome was `outcome`: wakes whoever waits for a new or merged
    /// record, then releases the lock.
    ///
    /// The wake-up happens before the unlock, so a report touches the monitor only while it
    /// holds the lock that keeps the monitor allocated (C wakes under its lock too).  This
    /// nests the wait queue's lock in `events`, as a blocked reader already does (the condvar
    /// prepares and finishes its wait with `events` held); nothing nests them the other way
    /// (`poll` registers before it takes `events`, `detach` wakes after dropping it, and the
    /// wake callbacks run under the wait queue's lock never take `events`).
    #[inline(always)]
    fn finish(mut self, outcome: Outcome) -> Outcome {
        // Wake for a new record (a new LOST record, too), as C does: the pollers as C's
        // `wake_up()` does (every poller and one `EPOLLEXCLUSIVE` entry), and one blocked
        // reader, where C wakes them all (they wait non-exclusively) and all but one find
        // nothing.  The reader woken reads what there is and, if it leaves data behind (a short
        // buffer, a fault, an allocation failure), wakes the next one before it lets go of the
        // buffer (see `finish_read`).  Blocked readers count themselves under this lock;
        // pollers cannot be counted, so once polled, always.
        //
        // C also wakes for every merge.  A merge changes a record that was already queued, so
        // the queue was readable before it: a blocked reader (it sleeps only on an empty queue)
        // and a level-triggered poller gain nothing.  An edge-triggered epoll user does: each
        // wake-up is a new edge, which epoll reports once.  So a merge wakes only if the file
        // was polled since the last wake-up (an epoll_wait() that took the previous edge polls
        // the file again): every edge C would report is reported, while a burst of merges costs
        // one wake-up per look of the poller, not one per merge.  The same goes for an event
        // counted in the newest LOST record (C wakes when it merges a loss into
        // its LOST event).  What C gives and this does not: an extra edge for a merge while
        // the poller's own look is under way (that look already sees the merged record), and
        // for a merge seen through a nested epoll instance that stops polling its members at
        // the first ready one (then this file is not looked at, and the edge waits for the
        // next new record).
        let events = &mut *self.events;
        let news = events.queue.records() != self.records;
        let edge = !matches!(outcome, Outcome::Ignored) && events.polled_since_wake;
        if (news && events.polled) || edge {
            events.polled_since_wake = false;
            // `wake_up()`: every non-exclusive poller and one `EPOLLEXCLUSIVE` entry.
            self.this.wait.notify_one();
        }
        if news && events.sleepers > 0 {
            self.this.readers.notify_one();
        }
        outcome
    }
}

impl Monitor {
    /// Reports an event to the monitor that `found` found.  A detached monitor ignores it.
    #[inline(always)]
    pub(crate) fn report(found: LockedMonitor, event: Event) -> Outcome {
        // SAFETY: `r` is consumed by `finish` below, and nothing taken from it is used after.
        let Some(mut r) = (unsafe { Self::found(found) }) else {
            return Outcome::Ignored;
        };
        let on = match event {
            Event::Shutdown { .. } => trace::report_shutdown_on(),
            Event::Media { .. } => trace::report_media_on(),
            _ => false,
        };
        if on {
            trace_report(r.live.dev, event);
        }
        let outcome = r.events.queue.push(event, r.live);
        r.finish(outcome)
    }

    /// Reports a file I/O error, which fserror passed as `p`, to the monitor that `found` found.
    #[inline(always)]
    pub(crate) fn report_file_ioerror(
        found: LockedMonitor,
        event: Event,
        p: &FserrorEvent,
    ) -> Outcome {
        // SAFETY: `r` is consumed by `finish` below, and nothing taken from it is used after.
        let Some(mut r) = (unsafe { Self::found(found) }) else {
            return Outcome::Ignored;
        };
        let dev = r.live.dev;
        trace::report_file_ioerror(move || trace_report_mon(dev), p);
        let outcome = r.events.queue.push(event, r.live);
        r.finish(outcome)
    }

    /// Reports a metadata health change (see [`Queue::push_metadata`]) to the monitor that
    /// `found` found; the verbosity that filters it is read under the same lock as the queue.
    #[inline(always)]
    pub(crate) fn report_metadata(
        found: LockedMonitor,
        health: Health,
        old_mask: u32,
        new_mask: u32,
        secondary: u32,
        what: impl FnOnce(u32) -> Metadata,
    ) -> Outcome {
        // SAFETY: `r` is consumed by `finish` below, and nothing taken from it is used after.
        let Some(mut r) = (unsafe { Self::found(found) }) else {
            return Outcome::Ignored;
        };
        let outcome = r
            .events
            .queue
            .push_metadata(health, old_mask, new_mask, secondary, what, r.live);
        r.finish(outcome)
    }

    /// Whether the monitor has detached from its mount.
    pub(crate) fn is_detached(&self) -> bool {
        self.cookie.load(Relaxed) == 0
    }

    /// Whether `sb` is the superblock of the monitored mount.
    pub(crate) fn monitors(&self, sb: usize) -> bool {
        let _events = self.events.lock();
        let cookie = self.cookie.load(Relaxed);
        cookie != 0 && cookie == sb
    }

    /// The device number of the monitored filesystem.
    pub(crate) fn dev(&self) -> u32 {
        self.dev
    }

    /// The environment of the monitor's queue.
    #[inline(always)]
    fn live(&self) -> Live {
        Live { dev: self.dev }
    }

    /// The monitor as the tracepoints show it (takes the queue lock).
    fn trace_mon(&self) -> trace::Mon {
        mon_of(self.dev, &self.events.lock().queue)
    }

    /// Sets or clears verbose reporting.
    pub(crate) fn set_verbose(&self, verbose: bool) {
        self.events.lock().queue.set_verbose(verbose);
    }

    /// The accounting and verbosity, read together.
    pub(crate) fn stats(&self) -> (Stats, bool) {
        let events = self.events.lock();
        (events.queue.stats(), events.queue.verbose())
    }

    fn has_data_locked(&self, events: &SpinLockGuard<'_, Events>) -> bool {
        events.detached || !events.queue.is_empty() || self.buffered.load(Relaxed) > 0
    }

    /// Whether a read would not block: records, buffered bytes, or the end of the stream.
    pub(crate) fn has_data(&self) -> bool {
        let events = self.events.lock();
        self.has_data_locked(&events)
    }

    /// Registers a poller and says whether there is something to read.
    pub(crate) fn poll(
        &self,
        file: &kernel::fs::File,
        table: &kernel::sync::poll::PollTable<'_>,
    ) -> bool {
        table.register_wait(file, &self.wait);
        let mut events = self.events.lock();
        events.polled = true;
        events.polled_since_wake = true;
        self.has_data_locked(&events)
    }
}
