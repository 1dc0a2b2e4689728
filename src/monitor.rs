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
    MaskMap,
    Metadata, //
};
use crate::queue::{
    Env,
    Outcome,
    Queue,
    Record,
    Stats, //
};
use crate::uapi;
use crate::uapi::V0Record;
use crate::xfs;
use crate::xfs::trace;
use crate::xfs::{
    AttachLock,
    FserrorEvent,
    LockedMonitor,
    Mount, //
};
use core::ptr::NonNull;
use kernel::iov::IovIterDest;
use kernel::new_poll_condvar;
use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::sync::lock::spinlock::SpinLockGuard;
use kernel::sync::lock::Guard;
use kernel::sync::poll::PollCondVar;
use kernel::sync::{
    new_mutex,
    new_spinlock,
    Mutex,
    Refcount,
    SpinLock, //
};
use kernel::transmute::AsBytes;

/// Largest output buffer a reader gets, as in C.
pub(crate) const MAX_OUTBUF: usize = 64 * 1024;

/// The formatted V0 records waiting to be copied to the reader.
///
/// # Invariants
///
/// `tail <= head <= buf.len()`; the bytes `buf[tail..head]` are formatted records not yet copied.
pub(crate) struct OutBuf {
    buf: KVec<u8>,
    head: usize,
    tail: usize,
}

impl OutBuf {
    fn new() -> Self {
        // INVARIANT: empty.
        OutBuf {
            buf: KVec::new(),
            head: 0,
            tail: 0,
        }
    }

    /// The buffer size the C monitor picks for a first read of `count` bytes.
    pub(crate) fn size_for(count: usize) -> usize {
        count.clamp(kernel::page::PAGE_SIZE, MAX_OUTBUF)
    }

    /// Allocates the buffer on the first read, falling back to one page as C does.
    pub(crate) fn alloc(&mut self, count: usize) -> Result {
        let size = Self::size_for(count);
        let buf = match KVec::from_elem(0u8, size, GFP_KERNEL) {
            Ok(buf) => buf,
            Err(_) if size > kernel::page::PAGE_SIZE => {
                KVec::from_elem(0u8, kernel::page::PAGE_SIZE, GFP_KERNEL)?
            }
            Err(e) => return Err(e.into()),
        };
        // INVARIANT: a new, empty buffer.
        self.buf = buf;
        self.head = 0;
        self.tail = 0;
        Ok(())
    }

    /// The buffer's size; zero before the first read.
    pub(crate) fn size(&self) -> usize {
        self.buf.len()
    }

    /// Bytes formatted but not yet copied.
    pub(crate) fn pending(&self) -> usize {
        self.head - self.tail
    }

    /// How many more whole records fit.
    pub(crate) fn room(&self) -> usize {
        (self.buf.len() - self.head) / uapi::V0_SIZE
    }

    /// Appends a formatted record; the caller has checked for room.
    pub(crate) fn put(&mut self, rec: &V0Record) {
        if let Some(dst) = self.buf.get_mut(self.head..self.head + uapi::V0_SIZE) {
            dst.copy_from_slice(rec.as_bytes());
            // INVARIANT: the record fit within `buf`.
            self.head += uapi::V0_SIZE;
        }
    }

    /// Copies pending bytes to `to`.  Copying nothing of something is a fault.
    pub(crate) fn copy_to(&mut self, to: &mut IovIterDest<'_>) -> Result<usize> {
        let mut copied = 0;
        if let Some(src) = self.buf.get(self.tail..self.head) {
            if !src.is_empty() {
                copied = to.copy_to_iter(src);
                if copied == 0 {
                    return Err(EFAULT);
                }
                // INVARIANT: `copy_to_iter` copies at most `src.len()` bytes.
                self.tail += copied;
            }
        }
        // Nothing left: start over at the front of the buffer.
        if self.tail == self.head {
            self.head = 0;
            self.tail = 0;
        }
        Ok(copied)
    }
}

/// A monitor's queue environment: the realtime clock its records are stamped with, and the C
/// monitor's tracepoints, which need the filesystem's device number.
///
/// The tracepoints' closures capture the device by value and at most one reference, so that
/// they travel in registers and a disabled tracepoint leaves nothing to build (see
/// [`trace`]).
#[derive(Clone, Copy)]
struct Live {
    dev: u32,
}

/// The monitor of device `dev` with `queue` as the tracepoints show it.
fn mon_of(dev: u32, queue: &Queue) -> trace::Mon {
    trace::Mon {
        dev,
        events: queue.waiting(),
        // C's `lost_prev_event`, events lost and not yet in a LOST record: none here, every
        // loss is counted in a LOST record at once.
        lost_prev: 0,
        ..Default::default()
    }
}

/// The monitor of device `dev` as the report tracepoints show it: they print only the device.
fn trace_report_mon(dev: u32) -> trace::Mon {
    trace::Mon {
        dev,
        ..Default::default()
    }
}

/// The record of `queue` that a queue observer shows: the head or the newest.
fn trace_record(queue: &Queue, at_head: bool) -> trace::Event {
    let rec = if at_head {
        queue.iter().next()
    } else {
        queue.newest()
    };
    rec.map(|rec| trace_event(&rec.event)).unwrap_or_default()
}

impl Env for Live {
    fn now(&self) -> u64 {
        xfs::now_ns()
    }

    #[inline(always)]
    fn queued(&self, queue: &Queue, at_head: bool) {
        let dev = self.dev;
        if at_head {
            trace::event(trace::Kind::Insert, move || {
                (mon_of(dev, queue), trace_record(queue, true))
            });
        } else {
            trace::event(trace::Kind::Push, move || {
                (mon_of(dev, queue), trace_record(queue, false))
            });
        }
    }

    #[inline(always)]
    fn merged(&self, queue: &Queue) {
        let dev = self.dev;
        trace::event(trace::Kind::Merge, move || {
            (mon_of(dev, queue), trace_record(queue, false))
        });
    }

    #[inline(always)]
    fn lost(&self, queue: &Queue) {
        let dev = self.dev;
        trace::monitor(trace::Kind::LostEvent, move || mon_of(dev, queue));
    }

    #[inline(always)]
    fn popped(&self, queue: &Queue, rec: &Record) {
        if trace::enabled(trace::Kind::Pop) {
            trace_record_event(trace::Kind::Pop, self.dev, queue, rec.event);
        }
    }

    #[inline(always)]
    fn metadata(&self, _queue: &Queue, old_mask: u32, new_mask: u32, event: &Event) {
        if let Some(domain) = metadata_domain(event) {
            if trace::report_metadata_on(domain) {
                trace_report_metadata(self.dev, old_mask, new_mask, *event);
            }
        }
    }
}

/// Fires event tracepoint `kind`, which the caller found enabled, for `event` of `queue`.
///
/// Out of line and taking the event by value: a closure that borrowed the caller's record would
/// keep that record in memory (a copy per record read) even while the tracepoint is disabled.
#[cold]
#[inline(never)]
fn trace_record_event(kind: trace::Kind, dev: u32, queue: &Queue, event: Event) {
    trace::event(kind, || (mon_of(dev, queue), trace_event(&event)));
}

/// Which `xfs_healthmon_report_*` tracepoint a metadata event fires.
#[inline(always)]
fn metadata_domain(event: &Event) -> Option<trace::MetadataDomain> {
    let Event::Metadata { what, .. } = event else {
        return None;
    };
    Some(match what {
        Metadata::Fs { .. } => trace::MetadataDomain::Fs,
        Metadata::Ag { .. } | Metadata::Rtgroup { .. } => trace::MetadataDomain::Group,
        Metadata::Inode { .. } => trace::MetadataDomain::Inode,
    })
}

/// Fires the report tracepoint of a metadata event, which the caller found enabled.
///
/// Out of line and taking values, so that the report path builds nothing for a disabled
/// tracepoint.
#[cold]
#[inline(never)]
fn trace_report_metadata(dev: u32, old_mask: u32, new_mask: u32, event: Event) {
    if let Some(domain) = metadata_domain(&event) {
        trace::report_metadata(domain, || {
            (
                trace_report_mon(dev),
                old_mask,
                new_mask,
                trace_event(&event),
            )
        });
    }
}

/// Fires the report tracepoint of a shutdown or media error, which are the events reported on
/// their own (see [`trace_report_metadata`] for why this is out of line).
#[cold]
#[inline(never)]
fn trace_report(dev: u32, event: Event) {
    match event {
        Event::Shutdown { flags } => trace::report_shutdown(|| trace_report_mon(dev), flags),
        Event::Media { dev: fdev, .. } => {
            trace::report_media(|| (trace_report_mon(dev), trace_event(&event)), fdev as u32)
        }
        _ => {}
    }
}

/// An event as the C monitor's tracepoints show it: its `struct xfs_healthmon_event` fields.
fn trace_event(event: &Event) -> trace::Event {
    let mut t = trace::Event {
        ty: event.event_type() as u32,
        domain: event.domain() as u32,
        ..Default::default()
    };
    match *event {
        Event::Running | Event::Unmount => {}
        Event::Lost { count } => t.count = count,
        Event::Shutdown { flags } => t.mask = flags,
        Event::Metadata { what, .. } => match what {
            Metadata::Fs { mask } => t.mask = mask,
            Metadata::Ag { group, mask } | Metadata::Rtgroup { group, mask } => {
                t.mask = mask;
                t.group = group;
            }
            Metadata::Inode { ino, gen, mask } => {
                t.mask = mask;
                t.ino = ino;
                t.gen = gen;
            }
        },
        Event::Media { daddr, bbcount, .. } => {
            t.pos = daddr;
            t.count = bbcount;
        }
        Event::FileIo {
            ino,
            gen,
            pos,
            len,
            error,
            ..
        } => {
            t.ino = ino;
            t.gen = gen;
            t.pos = pos;
            t.count = len;
            t.error = error;
        }
    }
    t
}

/// Records taken from the queue per hold of its lock while reading: bounds how long a reader
/// keeps reporters spinning, while taking the lock far less often than once per record (C takes
/// its mutex once per record).
const READ_BATCH: usize = 16;

/// What the queue lock protects: the queue, and whom a new record must wake.
pub(crate) struct Events {
    /// The events.
    queue: Queue,
    /// The monitor has detached: reports must leave the queue alone (its ring may be gone).
    detached: bool,
    /// A reader may be asleep in `read` (cleared by the wake-up that wakes them all).
    sleepers: bool,
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
    /// Readers and pollers wait here for records or the detach.  Never dropped: see
    /// [`Monitor::put`].
    #[pin]
    wait: PollCondVar,
    /// The reader's output buffer; its lock serialises readers, as `inode_lock` does in C.
    #[pin]
    out: Mutex<OutBuf>,
    /// `out.pending()`, for waiting and polling without `out`'s lock.
    buffered: Atomic<usize>,
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
}

impl<'a> Reporting<'a> {
    /// Starts a report with `events`, the lock of `this`'s queue, unless the monitor has
    /// detached: then a report must not touch the queue, whose ring may be freed (see
    /// [`Monitor::detach`] and [`Monitor::put`]), and `events` is released.
    #[inline(always)]
    fn new(this: &'a Monitor, events: SpinLockGuard<'a, Events>) -> Option<Self> {
        if events.detached {
            return None;
        }
        let records = events.queue.records();
        Some(Self {
            this,
            live: this.live(),
            records,
            events,
        })
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
        // Wake for a new record (a new LOST record, too), as C does.  Blocked readers registered
        // under this lock; pollers cannot be counted, so once polled, always.
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
        if (news && (events.sleepers || events.polled)) || edge {
            events.sleepers = false;
            events.polled_since_wake = false;
            self.this.wait.notify_all();
        }
        outcome
    }
}

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
        let events = Events {
            queue: Queue::new(verbose, Live { dev })?,
            detached: false,
            sleepers: false,
            polled: false,
            polled_since_wake: false,
        };
        let monitor = KBox::pin_init(
            try_pin_init!(Monitor {
                events <- new_spinlock!(events, "xfs_healthmon::events"),
                refs: Refcount::new(1),
                cookie: Atomic::new(0),
                dev,
                wait <- new_poll_condvar!("xfs_healthmon::wait"),
                out <- new_mutex!(OutBuf::new(), "xfs_healthmon::out"),
                buffered: Atomic::new(0),
            }),
            GFP_KERNEL,
        )?;
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
        // So the ring can go now, freed under the lock (a few kfree()s), while the lock and
        // `wait` stay until the memory goes, a grace period from now.
        let mut events = this.events.lock();
        if trace::enabled(trace::Kind::Drop) {
            let (live, queue) = (this.live(), &events.queue);
            for rec in queue.iter() {
                trace::event(trace::Kind::Drop, || {
                    (mon_of(live.dev, queue), trace_event(&rec.event))
                });
            }
        }
        events.queue.release();
        drop(events);
        // SAFETY: Only the file's reads touch `out`, and the file is released.  A report may
        // still hold a `&Monitor` that covers `out`, but never reaches it, and `out` is behind
        // the mutex's `UnsafeCell`, so dropping it in place writes nothing that reference claims.
        unsafe { core::ptr::drop_in_place(core::ptr::addr_of_mut!((*ptr.as_ptr()).out)) };
        // SAFETY: Nothing but reports that found it in an RCU read-side critical section can
        // reach the monitor now, and the memory is freed after they are gone.  What is freed
        // without being dropped: the refcount, the atomics and the locks, which own nothing,
        // `Events`, whose ring is gone, and `wait`.
        // For `wait` this deliberately waives the drop of pinned data: `PollCondVar`'s
        // destructor wakes pollfree waiters and waits a whole grace period (synchronize_rcu),
        // which made every close cost milliseconds, and neither is needed.  epoll removes its
        // entries from a file's wait queues before the file's release runs (eventpoll_release()
        // in __fput()); poll(), select(), aio and io_uring hold the file while they wait, and
        // readers hold it while they sleep; so nobody is on `wait` once the file is released,
        // and no report wakes it after the detach (reports wake under the queue lock, and only
        // while not detached).  (The C
        // monitor frees its wait queue with kfree_rcu(), likewise.)  A monitor whose file was
        // never made (creation failed) was never polled.  This knowingly departs from the
        // reasoning in `PollTable::register_wait`, which counts on the destructor running.
        unsafe { xfs::free_rcu(ptr.cast()) };
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
    unsafe fn found<'a>(found: LockedMonitor) -> Option<Reporting<'a>> {
        let ptr = found.into_locked().cast::<Monitor>();
        // SAFETY: The monitor stays allocated while its queue lock is held (that lock is an RCU
        // read-side critical section, and the memory is freed a grace period after the monitor
        // was retracted from the mount it was found on).  The lock is held until the
        // `Reporting`, which holds its guard, is dropped.  `this` (and the guard's reference to
        // the lock) stay in the caller's scope until then, just past the unlock, as the
        // reference of any lock guard whose release may let the memory go does; nothing is read
        // or written through them after the unlock (the caller's contract).
        let this = unsafe { ptr.as_ref() };
        // SAFETY: `found` held the spinlock at the monitor's address, which is that of
        // `this.events` (checked at compile time), and handed it to us.
        let events = unsafe { Guard::new(&this.events, ()) };
        Reporting::new(this, events)
    }

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
        unsafe { lock.publish(mp, Some(this.0.cast())) };
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
        this.events.lock().detached = true;
        this.wait.notify_all();
        trace::monitor(trace::Kind::Detach, || this.trace_mon());
        // SAFETY: The mount's reference, taken by `attach`, is given up now that its pointer is
        // retracted; `this` keeps the monitor alive for our caller.
        unsafe { Monitor::put(this.0) };
    }

    /// Makes the monitor look attached (any non-zero cookie) or detached (zero) without a
    /// mount, so KUnit can drive reporting and reading; `detach` must not run while it is set.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn test_set_cookie(&self, cookie: usize) {
        self.cookie.store(cookie, Relaxed);
        self.events.lock().detached = cookie == 0;
    }

    /// The reference count, for KUnit.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn test_refs(&self) -> &Refcount {
        &self.refs
    }

    /// The size of the reader's buffer, for KUnit.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn test_out_size(&self) -> usize {
        self.out.lock().size()
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

    /// Reports an event without a mount, for KUnit.  A detached monitor ignores it.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn push(&self, event: Event) -> Outcome {
        let Some(mut r) = Reporting::new(self, self.events.lock()) else {
            return Outcome::Ignored;
        };
        let outcome = r.events.queue.push(event, r.live);
        r.finish(outcome)
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

    /// Sleeps until there is something to read; ERESTARTSYS if a signal comes first.  As in C's
    /// `wait_event_interruptible()`, data that arrived with the signal wins: the condition is
    /// checked before the signal.
    fn wait_for_data(&self) -> Result {
        let mut events = self.events.lock();
        let mut signalled = false;
        loop {
            if self.has_data_locked(&events) {
                return Ok(());
            }
            if signalled {
                return Err(ERESTARTSYS);
            }
            // Registered under the lock, before the waiter drops it: a report that queues
            // after that sees the flag and wakes us.
            events.sleepers = true;
            signalled = self.wait.wait_interruptible(&mut events);
        }
    }

    /// Whether the stream has ended: detached, and nothing queued or buffered.  `out` is the
    /// reader's buffer, whose lock the caller holds.
    fn at_end(&self, out: &OutBuf) -> bool {
        let events = self.events.lock();
        events.detached && events.queue.is_empty() && out.pending() == 0
    }

    /// Formats queued records into `out` while they fit.  The queue lock is dropped and taken
    /// again every `READ_BATCH` records, so that a large read never keeps reporters spinning
    /// for long.
    fn fill(&self, out: &mut OutBuf, masks: &impl MaskMap) {
        loop {
            let mut events = self.events.lock();
            let more = self.fill_batch(&mut events, out, masks);
            // Records taken from the queue must stay visible to other readers and to pollers,
            // who look under this lock: as buffered bytes, before the lock goes.  (Left to the
            // end of the read, a second reader could find neither records nor bytes while this
            // one copies to userspace, and sleep with bytes to read.)
            self.buffered.store(out.pending(), Relaxed);
            drop(events);
            if !more {
                return;
            }
        }
    }

    /// Formats up to `READ_BATCH` queued records into `out`; says whether there may be more
    /// that fit.
    fn fill_batch(
        &self,
        events: &mut SpinLockGuard<'_, Events>,
        out: &mut OutBuf,
        masks: &impl MaskMap,
    ) -> bool {
        for _ in 0..READ_BATCH {
            if out.room() == 0 {
                return false;
            }
            let Some(rec) = events.queue.pop(self.live()) else {
                return false;
            };
            if trace::enabled(trace::Kind::Format) {
                trace_record_event(trace::Kind::Format, self.dev, &events.queue, rec.event);
            }
            out.put(&rec.event.encode_v0(rec.time_ns, masks));
        }
        true
    }

    /// Reads V0 records into `to`: first what is left of a partly read record, then as many
    /// queued records as fit.  Returns 0 at the end of the stream only, once the monitor has
    /// detached and everything has been read.
    ///
    /// Better than C here: when two readers wake for the same records and the other one takes
    /// them all, C returns 0, which a reader such as `xfs_healer` takes for the end of the
    /// stream; this one waits again (or fails with EAGAIN when non-blocking).
    pub(crate) fn read(
        &self,
        to: &mut IovIterDest<'_>,
        nonblock: bool,
        masks: &impl MaskMap,
    ) -> Result<usize> {
        loop {
            let mut out = if nonblock {
                if !self.has_data() {
                    return Err(EAGAIN);
                }
                self.out.try_lock().ok_or(EAGAIN)?
            } else {
                self.wait_for_data()?;
                self.out.lock()
            };
            if out.size() == 0 {
                if let Err(e) = out.alloc(to.len()) {
                    trace::monitor(trace::Kind::ReadFinish, || self.trace_mon());
                    return Err(e);
                }
            }
            trace::monitor(trace::Kind::ReadStart, || self.trace_mon());
            let result = self.read_locked(&mut out, to, masks);
            trace::monitor(trace::Kind::ReadFinish, || self.trace_mon());
            self.buffered.store(out.pending(), Relaxed);
            match result {
                Ok(0) if !to.is_empty() && !self.at_end(&out) => {
                    if nonblock {
                        return Err(EAGAIN);
                    }
                    // Wait again.  A signal ends the loop here too, so that not even a
                    // broken queue (records counted that cannot be popped) could keep it
                    // spinning unkillably.
                    if kernel::current!().signal_pending() {
                        return Err(ERESTARTSYS);
                    }
                }
                result => return result,
            }
        }
    }

    /// Fires `xfs_healthmon_copybuf` before a copy from `out` to `to`.
    #[inline(always)]
    fn trace_copybuf(&self, out: &OutBuf, to: &IovIterDest<'_>) {
        let mon = || trace::Mon {
            dev: self.dev,
            bufsize: out.buf.len() as u64,
            bufhead: out.head as u64,
            buftail: out.tail as u64,
            ..Default::default()
        };
        trace::copybuf(mon, to.len());
    }

    fn read_locked(
        &self,
        out: &mut OutBuf,
        to: &mut IovIterDest<'_>,
        masks: &impl MaskMap,
    ) -> Result<usize> {
        self.trace_copybuf(out, to);
        let mut copied = out.copy_to(to)?;
        while !to.is_empty() {
            self.fill(out, masks);
            self.trace_copybuf(out, to);
            match out.copy_to(to) {
                Ok(0) => break,
                Ok(n) => copied += n,
                Err(e) if copied == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(copied)
    }
}
