// SPDX-License-Identifier: GPL-2.0

//! The bounded event queue of one monitor.
//!
//! The queue is a ring of [`CAPACITY`] records allocated when the monitor is created (one
//! 32 KiB block, see [`Slots`]), so that reporting an event never allocates and memory pressure
//! never loses one.  Within the ring:
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
    Domain,
    Event,
    Health,
    Metadata, //
};
use crate::uapi::V0Type;
use kernel::prelude::*;
use ring::Pos;

mod env;
mod reserve;
mod ring;
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) mod testing;

pub(crate) use env::Env;
pub(crate) use ring::{
    RingMemory,
    Slots,
    CAPACITY,
    QUEUE_BYTES, //
};

/// A queued event and the time it happened.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Record {
    /// Realtime clock, in nanoseconds since the epoch.
    pub(crate) time_ns: u64,
    /// The event.
    pub(crate) event: Event,
}

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
    /// The events of `reported` by their V0 type (`XFS_HEALTH_MONITOR_TYPE_*`, the index),
    /// whatever became of them; LOST is never reported (the queue makes it), `lost` counts
    /// what was.
    pub(crate) by_type: [u64; V0_TYPES],
    /// The same by V0 domain (`XFS_HEALTH_MONITOR_DOMAIN_*`).
    pub(crate) by_domain: [u64; V0_DOMAINS],
}

/// How many V0 types and domains [`Stats`] counts by.
pub(crate) const V0_TYPES: usize = V0Type::DataLost as usize + 1;
/// See [`V0_TYPES`].
pub(crate) const V0_DOMAINS: usize = Domain::FileRange as usize + 1;

impl Stats {
    /// Counts an event offered to the queue, by its type and domain.
    #[inline(always)]
    fn count(&mut self, event: &Event) {
        self.reported += 1;
        let (t, d) = event.v0_indices();
        // Wrapping: no u64 count of events overflows, and the check would cost every report.
        if let Some(n) = self.by_type.get_mut(t) {
            *n = n.wrapping_add(1);
        }
        if let Some(n) = self.by_domain.get_mut(d) {
            *n = n.wrapping_add(1);
        }
    }
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
///   number of records stored.  [`Queue::release`] gives it up for good.
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
    /// Makes a queue in place, in `slots` (from [`Slots::new`]), with RUNNING, stamped `now`,
    /// as its first record.  Built where it will live, as a field of the monitor: a queue moved
    /// into place would be copied once for every struct it is wrapped in on the way.
    pub(crate) fn init(slots: Slots, verbose: bool, now: impl Env) -> impl Init<Self> {
        // INVARIANT: `slots` has room for `CAPACITY` records and the queue is empty.
        init!(Queue {
            slots,
            head: 0,
            len: 0,
            newest: Pos::default(),
            lost_records: 0,
            unmounted: false,
            unmount: None,
            verbose,
            stats: Stats::default(),
        })
        .chain(move |queue| {
            // The reader learns that the monitor works before anything else, so RUNNING is
            // queued before the monitor is reachable from the mount and can race with nothing.
            queue.stats.count(&Event::Running);
            queue.append(Event::Running, &now, true);
            Ok(())
        })
    }

    /// A queue of its own, for KUnit.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn new(verbose: bool, now: impl Env) -> Result<KBox<Self>> {
        KBox::init(Self::init(Slots::new()?, verbose, now), GFP_KERNEL)
    }

    /// Whether every health event is reported, not just changes.
    pub(crate) fn verbose(&self) -> bool {
        self.verbose
    }

    /// Switches verbose reporting on or off for the events reported from now on.
    pub(crate) fn set_verbose(&mut self, verbose: bool) {
        self.verbose = verbose;
    }

    /// Whether no record waits for the reader.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0 && self.unmount.is_none()
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
                self.stats.count(&event);
                self.stats.lost += 1;
                // Observed after the count, which the observers do not show (C traces before
                // it counts the loss in `lost_prev_event`, which is zero here).
                now.lost(self);
                return Outcome::Lost;
            }
        }
        self.push_general(event, now)
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
        self.stats.count(&Event::Unmount);
        self.stats.records += 1;
        let rec = Record {
            time_ns: now.now(),
            event: Event::Unmount,
        };
        // INVARIANT: the first and only UNMOUNT record.
        self.unmount = Some(rec);
        now.queued(self, true);
    }

    /// Takes the oldest record for the reader.  Inlined into the reader's loop, which it is
    /// most of: called there, the record would travel through memory twice more.
    #[inline(always)]
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

    /// Gives up the ring's memory for good, to be freed by the caller (outside the queue's
    /// lock): the monitor is going away.  The queue is then empty and unmounted, so it accepts
    /// nothing more.
    #[must_use = "dropping the ring's memory frees it under the caller's lock"]
    pub(crate) fn release(&mut self) -> RingMemory {
        // INVARIANT: an empty, unmounted queue never touches its slots again.
        self.head = 0;
        self.len = 0;
        self.newest = Pos::default();
        self.lost_records = 0;
        self.unmounted = true;
        self.unmount = None;
        self.slots.take()
    }

    /// The queued records, oldest first, without taking them (for KUnit and tracing).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Record> + '_ {
        let ring = (0..self.len).filter_map(move |i| self.slots.get(self.slot(i)));
        Iterator::chain(self.unmount.iter(), ring)
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_queue)]
mod tests {
    use super::*;
    use crate::event::testing::*;
    use crate::event::EventType;
    use crate::event::FileIo;
    use crate::event::MediaDev;
    use crate::queue::testing::*;
    use crate::uapi;

    #[test]
    fn bound_and_memory() {
        assert!(core::mem::size_of::<Record>() <= 48);
        assert!(CAPACITY * core::mem::size_of::<Record>() <= QUEUE_BYTES);
        assert!(QUEUE_BYTES <= 32 * 1024);
        assert!(ORDINARY_LIMIT >= C_MAX_EVENTS);
    }

    /// An environment that writes down what the queue tells its observers, with the record each
    /// shows, found in the queue as the monitor's tracepoints find it.
    struct Observer {
        seen: core::cell::RefCell<KVec<(u8, Option<Event>)>>,
    }

    impl Observer {
        fn note(&self, what: u8, rec: Option<&Record>) {
            let seen = (what, rec.map(|rec| rec.event));
            assert!(self.seen.borrow_mut().push(seen, GFP_KERNEL).is_ok());
        }
    }

    impl Env for Observer {
        fn now(&self) -> u64 {
            1
        }

        fn queued(&self, queue: &Queue, at_head: bool) {
            if at_head {
                self.note(b'I', queue.iter().next());
            } else {
                self.note(b'P', queue.newest());
            }
        }

        fn merged(&self, queue: &Queue) {
            self.note(b'M', queue.newest());
        }

        fn lost(&self, _queue: &Queue) {
            self.note(b'L', None);
        }
    }

    #[test]
    fn observers_find_the_record_in_the_queue() -> Result {
        let obs = Observer {
            seen: core::cell::RefCell::new(KVec::new()),
        };
        let mut q = Queue::new(false, &obs)?;
        assert_eq!(q.push(media(MediaDev::Data, 0, 8), &obs), Outcome::Queued);
        assert_eq!(q.push(media(MediaDev::Data, 8, 8), &obs), Outcome::Merged);
        assert_eq!(q.push(sick_inode(128, 1, 1), &obs), Outcome::Queued);
        q.insert_unmount(&obs);
        let seen = obs.seen.borrow();
        let want = [
            (b'I', Some(Event::Running)),
            (b'P', Some(media(MediaDev::Data, 0, 8))),
            (b'M', Some(media(MediaDev::Data, 0, 16))),
            (b'P', Some(sick_inode(128, 1, 1))),
            (b'I', Some(Event::Unmount)),
        ];
        assert_eq!(&seen[..], &want[..]);
        Ok(())
    }

    #[test]
    fn ring_takes_only_an_empty_vector_of_full_size() -> Result {
        // The monitor's ring comes from kvmalloc() directly, as a vector made elsewhere.
        let short: KVVec<Record> = KVVec::with_capacity(1, GFP_KERNEL)?;
        assert!(Slots::from_vec(short).is_err());
        let mut used: KVVec<Record> = KVVec::with_capacity(CAPACITY, GFP_KERNEL)?;
        used.push(
            Record {
                time_ns: 1,
                event: Event::Running,
            },
            GFP_KERNEL,
        )?;
        assert!(Slots::from_vec(used).is_err());
        let ring = crate::xfs::kvvec_with_capacity::<Record>(CAPACITY)?;
        assert!(ring.capacity() >= CAPACITY && ring.is_empty());
        let mut q = KBox::init(Queue::init(Slots::from_vec(ring)?, false, 5), GFP_KERNEL)?;
        assert_eq!(waiting(&q), 1);
        assert_eq!(
            q.pop(6),
            Some(Record {
                time_ns: 5,
                event: Event::Running
            })
        );
        Ok(())
    }

    #[test]
    fn counts_by_type_and_domain() -> Result {
        let mut q = Queue::new(true, 1)?;
        q.push(sick_ag(0, 1), 2);
        q.push(sick_ag(0, 2), 3);
        q.push(sick_inode(7, 1, 1), 4);
        q.push(media(MediaDev::Log, 8, 1), 5);
        q.push(file_io(FileIo::DioWrite, 7, 0, 4096, 5), 6);
        q.push(Event::Shutdown { flags: 4 }, 7);
        // An empty mask reports nothing, and counts nothing.
        assert_eq!(
            q.push_metadata(Health::Sick, 1, 0, 0, |mask| Metadata::Fs { mask }, 8),
            Outcome::Ignored
        );
        q.insert_unmount(9);
        let s = q.stats();
        let t = |ty: uapi::V0Type| s.by_type[ty as usize];
        let d = |dom: Domain| s.by_domain[dom as usize];
        assert_eq!(t(uapi::V0Type::Running), 1);
        assert_eq!(t(uapi::V0Type::Unmount), 1);
        // The merged report counts: what was reported, not what was queued.
        assert_eq!(t(uapi::V0Type::Sick), 3);
        assert_eq!(t(uapi::V0Type::MediaError), 1);
        assert_eq!(t(uapi::V0Type::DioWrite), 1);
        assert_eq!(t(uapi::V0Type::Shutdown), 1);
        assert_eq!(t(uapi::V0Type::Lost), 0);
        assert_eq!(
            (d(Domain::Mount), d(Domain::Ag), d(Domain::Inode)),
            (3, 2, 1)
        );
        assert_eq!(
            (d(Domain::LogDev), d(Domain::FileRange), d(Domain::Fs)),
            (1, 1, 0)
        );
        assert!(balanced(&s));
        // Events lost on a full queue count by their type too; `lost` says they were lost.
        let mut q = full_queue()?;
        let before = q.stats();
        assert_eq!(q.push(media(MediaDev::Rt, 1, 1), 3), Outcome::Lost);
        assert_eq!(q.push(media(MediaDev::Rt, 9, 1), 3), Outcome::Lost);
        let s = q.stats();
        assert_eq!(s.by_type[uapi::V0Type::MediaError as usize], 2);
        assert_eq!(s.by_domain[Domain::RtDev as usize], 2);
        assert_eq!(s.lost, before.lost + 2);
        assert!(balanced(&s));
        Ok(())
    }

    #[test]
    fn running_comes_first() -> Result {
        let mut q = Queue::new(false, 11)?;
        assert_eq!(waiting(&q), 1);
        assert_eq!(
            q.pop(12),
            Some(Record {
                time_ns: 11,
                event: Event::Running
            })
        );
        assert!(q.is_empty());
        Ok(())
    }

    #[test]
    fn fifo_and_merge_with_newest_only() -> Result {
        let mut q = Queue::new(false, 1)?;
        assert_eq!(q.push(sick_ag(0, 1), 2), Outcome::Queued);
        assert_eq!(q.push(sick_ag(1, 1), 3), Outcome::Queued);
        // Merges into AG 1 (the newest), not AG 0.
        assert_eq!(q.push(sick_ag(1, 2), 4), Outcome::Merged);
        assert_eq!(q.push(sick_ag(0, 2), 5), Outcome::Queued);
        assert_eq!(q.pop(6).map(|r| r.event), Some(Event::Running));
        assert_eq!(q.pop(6).map(|r| r.event), Some(sick_ag(0, 1)));
        assert_eq!(q.pop(6).map(|r| r.event), Some(sick_ag(1, 3)));
        assert_eq!(q.pop(6).map(|r| r.event), Some(sick_ag(0, 2)));
        assert_eq!(q.pop(6), None);
        let s = q.stats();
        assert_eq!(s.merged, 1);
        assert_eq!(s.delivered, 4);
        assert!(balanced(&s));
        Ok(())
    }

    #[test]
    fn unmount_goes_to_the_head_and_ends_the_queue() -> Result {
        let mut q = Queue::new(false, 1)?;
        q.push(sick_ag(0, 1), 2);
        q.push(Event::Shutdown { flags: 4 }, 3);
        q.insert_unmount(4);
        assert!(q.unmounted);
        assert_eq!(q.push(sick_ag(1, 1), 5), Outcome::Ignored);
        let t = types(&q);
        assert_eq!(t.len(), 4);
        assert_eq!(t[0], EventType::Unmount);
        assert_eq!(t[1], EventType::Running);
        assert_eq!(t[2], EventType::Sick);
        assert_eq!(t[3], EventType::Shutdown);
        // Only once.
        q.insert_unmount(6);
        assert_eq!(waiting(&q), 4);
        assert!(balanced(&q.stats()));
        Ok(())
    }

    #[test]
    fn unmount_fits_a_full_queue() -> Result {
        let mut q = full_queue()?;
        for i in 0..4u32 {
            q.push(sick_inode(3_000_000 + u64::from(i), 0, 1), 3);
            q.push(Event::Shutdown { flags: 1 << i }, 3);
        }
        q.insert_unmount(4);
        assert_eq!(q.iter().next().map(|r| r.event), Some(Event::Unmount));
        // The ring within its capacity, and UNMOUNT beside it.
        assert!(waiting(&q) <= CAPACITY + 1);
        assert!(balanced(&q.stats()));
        Ok(())
    }

    #[test]
    fn monitor_events_cannot_be_pushed() -> Result {
        let mut q = Queue::new(false, 1)?;
        assert_eq!(q.push(Event::Running, 2), Outcome::Ignored);
        assert_eq!(q.push(Event::Unmount, 2), Outcome::Ignored);
        assert_eq!(q.push(Event::Lost { count: 9 }, 2), Outcome::Ignored);
        assert_eq!(waiting(&q), 1);
        assert_eq!(q.stats().reported, 1);
        Ok(())
    }

    #[test]
    fn queue_filters_strips_and_skips_empty_masks() -> Result {
        let mut q = Queue::new(false, 1)?;
        let ino = |mask| Metadata::Inode {
            ino: 128,
            gen: 1,
            mask,
        };
        // Only the secondary bit: nothing to report, nothing counted.
        let forget = uapi::SICK_INO_SECONDARY;
        assert_eq!(
            q.push_metadata(Health::Sick, 0, forget, forget, ino, 2),
            Outcome::Ignored
        );
        // Corrupt and already known: nothing.
        assert_eq!(
            q.push_metadata(Health::Corrupt, 1, 1, forget, ino, 2),
            Outcome::Ignored
        );
        assert_eq!(waiting(&q), 1);
        assert_eq!(q.stats().reported, 1);
        // The secondary bit is stripped from what is reported.
        assert_eq!(
            q.push_metadata(Health::Sick, 0, 1 | forget, forget, ino, 3),
            Outcome::Queued
        );
        assert!(q.iter().any(|r| r.event == sick_inode(128, 1, 1)));
        // Switching to verbose takes effect for the next report.
        q.set_verbose(true);
        assert_eq!(
            q.push_metadata(Health::Healthy, 0, 4, forget, ino, 4),
            Outcome::Queued
        );
        assert_eq!(waiting(&q), 3);
        assert!(balanced(&q.stats()));
        Ok(())
    }
}
