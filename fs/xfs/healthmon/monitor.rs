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
    FserrorEvent,
    LockedMonitor, //
};
use kernel::iov::IovIterDest;
use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::sync::lock::spinlock::SpinLockGuard;
use kernel::sync::poll::PollCondVar;
use kernel::sync::{
    Mutex,
    Refcount,
    SpinLock, //
};
use kernel::transmute::AsBytes;

mod lifetime;

pub(crate) use lifetime::MonitorRef;

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
