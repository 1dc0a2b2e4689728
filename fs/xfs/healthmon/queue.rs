// SPDX-License-Identifier: GPL-2.0

//! The bounded event queue of one monitor.
//!
//! The queue is a ring of [`CAPACITY`] records allocated when the monitor is created (in four
//! 8 KiB chunks, which the kmalloc-8k cache hands out in a few instructions where one 32 KiB
//! block would need the page allocator on every monitor creation), so that
//! reporting an event never allocates and memory pressure never loses one.  Within the ring:
//!
//! - ordinary events (metadata, media, file I/O) may fill it up to [`ORDINARY_LIMIT`];
//! - the records an administrator needs most, SHUTDOWN and LOST, may use [`PRIVILEGED_RESERVE`]
//!   more slots, and never need more (see [`Queue::push_general`]);
//! - UNMOUNT, which goes to the head of the queue, is kept beside the ring, so it always fits.
//!
//! An event merges into the newest queued record when the rules of [`Event::merge`] allow it.  An
//! ordinary event that finds the queue full is counted as lost and at once recorded in a LOST
//! record (or added to the newest one), so the reader learns about losses in order.  A SHUTDOWN
//! that comes, at or beyond the ordinary limit, while the newest record is a LOST record that
//! follows a SHUTDOWN record adds its reasons to that one, which keeps the reserve enough:
//! nothing privileged waits or is dropped.
//!
//! Every event offered to the queue is accounted for exactly once, which [`Stats`] exposes:
//! `reported == delivered + merged + lost + queued`.  LOST records are the accounting's own
//! output, so they count in none of these (only in `records`, like C's `events`).

use crate::event::{
    Event,
    Health,
    Metadata, //
};
use kernel::prelude::*;

/// What the queue needs from its surroundings: the time for new records, and observers of
/// what it does (the monitor fires the C monitor's tracepoints from them; tests ignore them).
/// The queue asks for the time only when it stores a new record, so an event that merges or is
/// lost costs no clock read (the C monitor stamps only the events it queues, too).
pub(crate) trait Env {
    /// The current time in nanoseconds.
    fn now(&self) -> u64;

    /// A record was queued: appended as the newest, or with `at_head` put first (UNMOUNT, or
    /// the monitor's first record, which C inserts there).
    ///
    /// Observers find the record in the queue, so that the common case of nobody observing
    /// costs no copy of it.
    #[inline(always)]
    fn queued(&self, _queue: &Queue, _at_head: bool) {}

    /// An event merged into the newest record, which is shown merged.  (A shutdown whose
    /// reasons join the SHUTDOWN record behind the newest, a LOST record, is not shown: the C
    /// monitor has no such case and so no tracepoint for it.)
    #[inline(always)]
    fn merged(&self, _queue: &Queue) {}

    /// An event is about to be counted as lost.
    #[inline(always)]
    fn lost(&self, _queue: &Queue) {}

    /// Record `rec` was taken for the reader.
    #[inline(always)]
    fn popped(&self, _queue: &Queue, _rec: &Record) {}

    /// A metadata health change was reported, with masks `old_mask` and `new_mask`, as
    /// `event` with the mask it will be queued with (nothing is queued if that is empty).
    #[inline(always)]
    fn metadata(&self, _queue: &Queue, _old_mask: u32, _new_mask: u32, _event: &Event) {}
}

/// A fixed time, and no observers, for tests and for callers that already read the clock.
impl Env for u64 {
    fn now(&self) -> u64 {
        *self
    }
}

/// A borrowed environment is an environment.
impl<C: Env> Env for &C {
    #[inline(always)]
    fn now(&self) -> u64 {
        (**self).now()
    }

    #[inline(always)]
    fn queued(&self, queue: &Queue, at_head: bool) {
        (**self).queued(queue, at_head)
    }

    #[inline(always)]
    fn merged(&self, queue: &Queue) {
        (**self).merged(queue)
    }

    #[inline(always)]
    fn lost(&self, queue: &Queue) {
        (**self).lost(queue)
    }

    #[inline(always)]
    fn popped(&self, queue: &Queue, rec: &Record) {
        (**self).popped(queue, rec)
    }

    #[inline(always)]
    fn metadata(&self, queue: &Queue, old_mask: u32, new_mask: u32, event: &Event) {
        (**self).metadata(queue, old_mask, new_mask, event)
    }
}

/// A queued event and the time it happened.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Record {
    /// Realtime clock, in nanoseconds since the epoch.
    pub(crate) time_ns: u64,
    /// The event.
    pub(crate) event: Event,
}

/// Memory for the ring: what the C monitor allows its heap-allocated events.
pub(crate) const QUEUE_BYTES: usize = 32 * 1024;
/// Size of one chunk of the ring: the largest size the kmalloc caches serve.
const CHUNK_BYTES: usize = 8 * 1024;
/// Chunks in the ring.
const CHUNKS: usize = QUEUE_BYTES / CHUNK_BYTES;
/// Records in one chunk.
const CHUNK: usize = CHUNK_BYTES / core::mem::size_of::<Record>();
/// Records in the ring.
pub(crate) const CAPACITY: usize = CHUNK * CHUNKS;
/// Slots that only SHUTDOWN and LOST records may take: three are all they can take beyond
/// [`ORDINARY_LIMIT`] (see [`Queue::push_general`]).
pub(crate) const PRIVILEGED_RESERVE: usize = 3;
/// Records the ring may hold: all of it for SHUTDOWN and LOST.
pub(crate) const PRIVILEGED_LIMIT: usize = CAPACITY;
/// Records the ring may hold before ordinary events are lost.
pub(crate) const ORDINARY_LIMIT: usize = PRIVILEGED_LIMIT - PRIVILEGED_RESERVE;
/// How many events the C monitor queues at most (32 KiB of 56-byte events).
pub(crate) const C_MAX_EVENTS: usize = 585;

const _: () = assert!(core::mem::size_of::<Record>() <= 48);
const _: () = assert!(CAPACITY * core::mem::size_of::<Record>() <= QUEUE_BYTES);
const _: () = assert!(ORDINARY_LIMIT >= C_MAX_EVENTS);

/// The ring's memory: [`CHUNKS`] vectors of up to [`CHUNK`] records.
///
/// # Invariants
///
/// Each chunk has room for `CHUNK` records (until [`Slots::release`]), and the chunks fill in
/// order: a chunk holds records only once the ones before it are full.
struct Slots {
    chunks: [KVec<Record>; CHUNKS],
}

impl Slots {
    /// Allocates the ring, empty.
    fn new() -> Result<Self> {
        let chunk = || KVec::with_capacity(CHUNK, GFP_KERNEL);
        // INVARIANT: every chunk has room for `CHUNK` records and holds none.
        Ok(Slots {
            chunks: [chunk()?, chunk()?, chunk()?, chunk()?],
        })
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&Record> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    #[inline]
    fn get_mut(&mut self, i: usize) -> Option<&mut Record> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    /// The record at a position found by [`Slots::put`], without dividing by `CHUNK` again.
    #[inline]
    fn at(&self, at: Pos) -> Option<&Record> {
        self.chunks.get(at.chunk)?.get(at.index)
    }

    /// [`Slots::at`], to change the record.
    #[inline]
    fn at_mut(&mut self, at: Pos) -> Option<&mut Record> {
        self.chunks.get_mut(at.chunk)?.get_mut(at.index)
    }

    /// Stores `rec` in slot `i`, over an old record or as the next one of a growing ring, and
    /// says where it went.
    #[inline]
    fn put(&mut self, i: usize, rec: Record) -> Option<Pos> {
        let at = Pos {
            chunk: i / CHUNK,
            index: i % CHUNK,
        };
        let chunk = self.chunks.get_mut(at.chunk)?;
        if let Some(old) = chunk.get_mut(at.index) {
            *old = rec;
            return Some(at);
        }
        // INVARIANT: `i` is the next slot of a growing ring, so this chunk's turn has come.
        (chunk.len() == at.index && chunk.push_within_capacity(rec).is_ok()).then_some(at)
    }

    /// Gives up the memory; the ring is then empty for good.
    fn release(&mut self) {
        // INVARIANT: released for good.
        for chunk in &mut self.chunks {
            drop(core::mem::replace(chunk, KVec::new()));
        }
    }
}

/// Where a slot's record is: chunk and index within it.
#[derive(Clone, Copy, Default)]
struct Pos {
    chunk: usize,
    index: usize,
}

const _: () = assert!(CHUNKS == 4);
const _: () = assert!(CHUNK * core::mem::size_of::<Record>() <= CHUNK_BYTES);

/// The accounting of a queue, as shown in the monitor's fdinfo.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Stats {
    /// Events offered to the queue, RUNNING and UNMOUNT included.
    pub(crate) reported: u64,
    /// Events merged into a queued record.
    pub(crate) merged: u64,
    /// Events that found no room (what LOST records count).
    pub(crate) lost: u64,
    /// Records (other than LOST) taken by the reader.
    pub(crate) delivered: u64,
    /// Records ever queued, LOST ones included: C's `events`.
    pub(crate) records: u64,
    /// Records (other than LOST) waiting in the queue.
    pub(crate) queued: u64,
}

/// What became of an event offered to the queue.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Outcome {
    /// It is a new record at the tail.
    Queued,
    /// It merged into the newest record.
    Merged,
    /// It found no room and is counted in a LOST record.
    Lost,
    /// Nothing to report (an empty mask), or the filesystem already unmounted.
    Ignored,
}

/// The queue of one monitor.
///
/// # Invariants
///
/// - `slots` has room for `CAPACITY` records and grows to that many as records arrive (so a
///   monitor costs no time filling memory it may never use); until then `head + len` is the
///   number of records stored.  [`Queue::release`] frees it for good.
/// - `head < CAPACITY` and `len <= CAPACITY`; the records in the ring are
///   `slots[(head + i) % CAPACITY]` for `i` in `0..len`, oldest first.
/// - `newest` is where slot `head + len - 1` is, when `len > 0`.
/// - `unmount` is the UNMOUNT record, read before the ring's records; it is set at most once.
/// - `lost_records` is the number of LOST records in the queue.
/// - `len <= ORDINARY_LIMIT + 3`: the records at positions `ORDINARY_LIMIT` and above are
///   SHUTDOWN and LOST records that alternate, at most three of them (see
///   [`Queue::push_general`]).
pub(crate) struct Queue {
    slots: Slots,
    head: usize,
    len: usize,
    newest: Pos,
    lost_records: usize,
    unmounted: bool,
    unmount: Option<Record>,
    verbose: bool,
    stats: Stats,
}

impl Queue {
    /// Allocates a queue whose first record is RUNNING, stamped `now`.
    pub(crate) fn new(verbose: bool, now: impl Env) -> Result<Self> {
        let slots = Slots::new()?;
        // INVARIANT: `slots` has room for `CAPACITY` records and the queue is empty.
        let mut queue = Queue {
            slots,
            head: 0,
            len: 0,
            newest: Pos::default(),
            lost_records: 0,
            unmounted: false,
            unmount: None,
            verbose,
            stats: Stats::default(),
        };
        // The reader learns that the monitor works before anything else, so RUNNING is queued
        // before the monitor is reachable from the mount and can race with nothing.
        queue.stats.reported += 1;
        queue.append(Event::Running, &now, true);
        Ok(queue)
    }

    /// Whether every health event is reported, not just changes.
    pub(crate) fn verbose(&self) -> bool {
        self.verbose
    }

    /// Switches verbose reporting on or off for the events reported from now on.
    pub(crate) fn set_verbose(&mut self, verbose: bool) {
        self.verbose = verbose;
    }

    /// Records waiting for the reader, LOST ones included (for KUnit).
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn len(&self) -> usize {
        self.len + usize::from(self.unmount.is_some())
    }

    /// Whether no record waits for the reader.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0 && self.unmount.is_none()
    }

    /// Whether UNMOUNT has been queued; nothing is accepted after it (for KUnit).
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn unmounted(&self) -> bool {
        self.unmounted
    }

    /// Records waiting, as C counts its `events` (LOST and UNMOUNT included), for tracing.
    pub(crate) fn waiting(&self) -> u32 {
        (self.len + usize::from(self.unmount.is_some())) as u32
    }

    /// Records ever queued, LOST ones included (C's `events`).
    pub(crate) fn records(&self) -> u64 {
        self.stats.records
    }

    /// The accounting so far.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = self.stats;
        stats.queued = (self.len - self.lost_records) as u64 + u64::from(self.unmount.is_some());
        stats
    }

    /// The ring slot of the `i`th record (`i <= len`), without a division: `head` and `i` are
    /// both at most `CAPACITY`.
    #[inline]
    fn slot(&self, i: usize) -> usize {
        let slot = self.head + i;
        if slot >= CAPACITY {
            slot - CAPACITY
        } else {
            slot
        }
    }

    /// The newest record, if any (UNMOUNT is never the newest).
    #[inline]
    pub(crate) fn newest(&self) -> Option<&Record> {
        if self.len == 0 {
            return None;
        }
        self.slots.at(self.newest)
    }

    #[inline]
    fn newest_mut(&mut self) -> Option<&mut Record> {
        if self.len == 0 {
            return None;
        }
        self.slots.at_mut(self.newest)
    }

    /// Queues `event` at the tail; the caller has checked for room.  `first` says it is the
    /// monitor's first record, which observers see as put at the head, as C inserts it.
    #[inline]
    fn append(&mut self, event: Event, now: &impl Env, first: bool) {
        if kernel::warn_on!(self.len >= CAPACITY) {
            // Cannot happen (see `push_general`: `len` stays within `PRIVILEGED_LIMIT`, the
            // ring's capacity); if it did, the slot after the newest would be the oldest's, and
            // storing there would lose a queued record.  The event is then missing from the
            // queue although the caller counts it (as reported, or as lost for a LOST record),
            // so the accounting no longer balances: the warning says why.
            return;
        }
        let rec = Record {
            time_ns: now.now(),
            event,
        };
        let Some(at) = self.slots.put(self.slot(self.len), rec) else {
            // Cannot happen: `len < CAPACITY`, so the slot is either filled or the next one of
            // a ring still growing.
            kernel::warn_on!(true);
            return;
        };
        // INVARIANT: the record is in slot `head + len` of the ring (pushed there while the
        // ring grows); ordinary events are appended below `ORDINARY_LIMIT` and privileged ones
        // at most three times beyond it (see `push_general`), so `len` stays within the ring;
        // `newest` says where that slot is.
        self.newest = at;
        self.len += 1;
        self.stats.records += 1;
        if matches!(event, Event::Lost { .. }) {
            self.lost_records += 1;
        }
        now.queued(self, first);
    }

    #[inline]
    fn merge_newest(&mut self, event: &Event, now: &impl Env) -> bool {
        let Some(rec) = self.newest_mut() else {
            return false;
        };
        if !rec.event.merge(event) {
            return false;
        }
        now.merged(self);
        true
    }

    /// Adds the reasons of a shutdown to the SHUTDOWN record just before the newest record,
    /// if the newest is a LOST record and the queue is at or beyond the ordinary limit: see
    /// [`Queue::push_general`].  Below that limit a shutdown is queued as in C.
    fn merge_behind_lost(&mut self, flags: u32) -> bool {
        if self.len < ORDINARY_LIMIT
            || !matches!(
                self.newest(),
                Some(Record {
                    event: Event::Lost { .. },
                    ..
                })
            )
        {
            return false;
        }
        let before = self.slot(self.len - 2);
        match self.slots.get_mut(before) {
            Some(Record {
                event: Event::Shutdown { flags: reasons },
                ..
            }) => {
                *reasons |= flags;
                true
            }
            _ => false,
        }
    }

    /// Counts one lost event in the newest LOST record, or in a new one.
    fn lose(&mut self, now: &impl Env) -> Outcome {
        now.lost(self);
        self.stats.lost += 1;
        let lost = Event::Lost { count: 1 };
        if !self.merge_newest(&lost, now) {
            self.append(lost, now, false);
        }
        Outcome::Lost
    }

    /// Offers an event to the queue.
    ///
    /// The common case of a reader that stopped reading is handled here, inlined into the
    /// report functions: the queue is full and its newest record is the LOST record, into which
    /// an ordinary event cannot merge, so the event is counted there at once (the general path
    /// would come to the same after two merge attempts).
    #[inline(always)]
    pub(crate) fn push(&mut self, event: Event, now: impl Env) -> Outcome {
        if self.len >= ORDINARY_LIMIT
            && !self.unmounted
            && matches!(
                event,
                Event::Metadata { .. } | Event::Media { .. } | Event::FileIo { .. }
            )
        {
            if let Some(Record {
                event: Event::Lost { count },
                ..
            }) = self.newest_mut()
            {
                *count = count.saturating_add(1);
                self.stats.reported += 1;
                self.stats.lost += 1;
                // Observed after the count, which the observers do not show (C traces before
                // it counts the loss in `lost_prev_event`, which is zero here).
                now.lost(self);
                return Outcome::Lost;
            }
        }
        self.push_general(event, now)
    }

    /// [`Queue::push`] for every other case.
    ///
    /// Ordinary events are queued below [`ORDINARY_LIMIT`] and lost beyond it.  SHUTDOWN and LOST
    /// records always find a slot, and this is why three reserved slots are enough: at or beyond
    /// `ORDINARY_LIMIT` only they are appended, and each only if it cannot merge, so there they
    /// alternate (a record's position only decreases as the reader takes records, so a record there
    /// was appended at the same or a higher position, after the one before it).  A LOST record is
    /// appended only after a SHUTDOWN record, and a SHUTDOWN record after a LOST record only if the
    /// one before that is not a SHUTDOWN record (else its reasons go there): so a fourth record
    /// there, which would make SHUTDOWN, LOST, SHUTDOWN or LOST, SHUTDOWN, LOST, SHUTDOWN, is never
    /// appended.  A later shutdown's reasons thus join the SHUTDOWN record queued before the latest
    /// losses, as racing shutdowns' reasons join in one record; losses stay in order.
    #[inline(never)]
    fn push_general(&mut self, event: Event, now: impl Env) -> Outcome {
        let now = &now;
        if self.unmounted || matches!(event, Event::Running | Event::Unmount | Event::Lost { .. }) {
            // Nothing follows UNMOUNT, and the monitor makes RUNNING, UNMOUNT and LOST itself.
            return Outcome::Ignored;
        }
        self.stats.reported += 1;

        if self.merge_newest(&event, now) {
            self.stats.merged += 1;
            return Outcome::Merged;
        }
        match event {
            Event::Shutdown { flags } if self.merge_behind_lost(flags) => {
                self.stats.merged += 1;
                Outcome::Merged
            }
            Event::Shutdown { .. } => {
                self.append(event, now, false);
                Outcome::Queued
            }
            _ if self.len < ORDINARY_LIMIT => {
                self.append(event, now, false);
                Outcome::Queued
            }
            _ => self.lose(now),
        }
    }

    /// Offers a metadata health report: `old_mask` and `new_mask` are the object's `XFS_SICK_*`
    /// bits before and after, `secondary` the bits never sent to userspace, and `what` builds the
    /// object for the mask to report.  Nothing is queued (or counted) for an empty mask.
    #[inline(always)]
    pub(crate) fn push_metadata(
        &mut self,
        health: Health,
        old_mask: u32,
        new_mask: u32,
        secondary: u32,
        what: impl FnOnce(u32) -> Metadata,
        now: impl Env,
    ) -> Outcome {
        let mask = health.filter(self.verbose, old_mask, new_mask) & !secondary;
        let event = Event::Metadata {
            health,
            what: what(mask),
        };
        now.metadata(self, old_mask, new_mask, &event);
        if mask == 0 {
            return Outcome::Ignored;
        }
        self.push(event, now)
    }

    /// Puts UNMOUNT at the head of the queue, so that the reader learns at once that the
    /// filesystem is going away, and refuses every event after it.
    pub(crate) fn insert_unmount(&mut self, now: impl Env) {
        if self.unmounted {
            return;
        }
        self.unmounted = true;
        self.stats.reported += 1;
        self.stats.records += 1;
        let rec = Record {
            time_ns: now.now(),
            event: Event::Unmount,
        };
        // INVARIANT: the first and only UNMOUNT record.
        self.unmount = Some(rec);
        now.queued(self, true);
    }

    /// Takes the oldest record for the reader.
    pub(crate) fn pop(&mut self, now: impl Env) -> Option<Record> {
        if let Some(rec) = self.unmount.take() {
            self.stats.delivered += 1;
            now.popped(self, &rec);
            return Some(rec);
        }
        if self.len == 0 {
            return None;
        }
        let rec = *self.slots.get(self.head)?;
        // INVARIANT: the oldest record leaves the ring.
        self.head = self.slot(1);
        self.len -= 1;
        if matches!(rec.event, Event::Lost { .. }) {
            self.lost_records -= 1;
        } else {
            self.stats.delivered += 1;
        }
        now.popped(self, &rec);
        Some(rec)
    }

    /// Frees the ring's memory for good: the monitor is going away.  The queue is then empty
    /// and unmounted, so it accepts nothing more.
    pub(crate) fn release(&mut self) {
        // INVARIANT: an empty, unmounted queue never touches its slots again.
        self.head = 0;
        self.len = 0;
        self.newest = Pos::default();
        self.lost_records = 0;
        self.unmounted = true;
        self.unmount = None;
        self.slots.release();
    }

    /// The queued records, oldest first, without taking them (for KUnit and tracing).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Record> + '_ {
        let ring = (0..self.len).filter_map(move |i| self.slots.get(self.slot(i)));
        Iterator::chain(self.unmount.iter(), ring)
    }
}
