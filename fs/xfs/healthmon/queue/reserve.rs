// SPDX-License-Identifier: GPL-2.0

//! The reserve: how SHUTDOWN and LOST records always find a slot in a full queue.

use super::Outcome;
use super::Queue;
use super::Record;
use super::ORDINARY_LIMIT;
use crate::event::Event;
use crate::queue::Env;

impl Queue {
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
    pub(super) fn push_general(&mut self, event: Event, now: impl Env) -> Outcome {
        let now = &now;
        if self.unmounted || matches!(event, Event::Running | Event::Unmount | Event::Lost { .. }) {
            // Nothing follows UNMOUNT, and the monitor makes RUNNING, UNMOUNT and LOST itself.
            return Outcome::Ignored;
        }
        self.stats.count(&event);

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
}

#[kernel::prelude::kunit_tests(xfs_healthmon_reserve)]
mod tests {
    use super::*;
    use crate::event::testing::*;
    use crate::event::EventType;
    use crate::event::MediaDev;
    use crate::queue::testing::*;
    use crate::queue::PRIVILEGED_LIMIT;
    use kernel::prelude::*;

    #[test]
    fn shutdown_is_never_dropped() -> Result {
        let mut q = full_queue()?;
        assert_eq!(q.push(sick_inode(1_000_000, 0, 1), 3), Outcome::Lost);
        assert_eq!(q.push(Event::Shutdown { flags: 4 }, 4), Outcome::Queued);
        // A loss after the shutdown gets a LOST record of its own, after it.
        assert_eq!(q.push(sick_inode(1_000_001, 0, 1), 5), Outcome::Lost);
        let t = types(&q);
        let n = t.len();
        assert!(n == ORDINARY_LIMIT + 3);
        assert_eq!(t[n - 3], EventType::Lost);
        assert_eq!(t[n - 2], EventType::Shutdown);
        assert_eq!(t[n - 1], EventType::Lost);
        assert!(waiting(&q) <= PRIVILEGED_LIMIT);
        assert!(balanced(&q.stats()));
        Ok(())
    }

    #[test]
    fn losses_and_shutdowns_fit_the_reserve() -> Result {
        let mut q = full_queue()?;
        // Alternate losses and shutdowns (XFS shuts down only once per mount, so this is beyond
        // what it can do): the reserve holds LOST, SHUTDOWN, LOST, and later reasons join the
        // SHUTDOWN record.
        for i in 0..8u32 {
            assert_eq!(
                q.push(sick_inode(2_000_000 + u64::from(i), 0, 1), 3),
                Outcome::Lost
            );
            let flags = 1 << (i % 6);
            let want = if i == 0 {
                Outcome::Queued
            } else {
                Outcome::Merged
            };
            assert_eq!(q.push(Event::Shutdown { flags }, 3), want);
            assert!(waiting(&q) <= ORDINARY_LIMIT + 3);
            assert!(balanced(&q.stats()));
        }
        let t = types(&q);
        let n = t.len();
        assert_eq!(n, ORDINARY_LIMIT + 3);
        assert_eq!(
            t[n - 3..],
            [EventType::Lost, EventType::Shutdown, EventType::Lost]
        );
        let (lost, reasons) = drain(&mut q);
        let s = q.stats();
        assert_eq!(lost, s.lost);
        assert_eq!(s.lost, 8);
        assert_eq!(reasons, 0x3f);
        assert!(balanced(&s));
        assert_eq!(s.queued, 0);
        Ok(())
    }

    /// Below the ordinary limit a shutdown after SHUTDOWN, LOST is queued as its own record, as
    /// C queues it: joining the earlier SHUTDOWN record is only for the reserve.
    #[test]
    fn shutdown_below_the_limit_is_queued() -> Result {
        let mut q = full_queue()?;
        assert_eq!(q.push(Event::Shutdown { flags: 1 }, 3), Outcome::Queued);
        assert_eq!(q.push(sick_inode(2_000_000, 0, 1), 3), Outcome::Lost);
        // The reader takes a few records, which leaves SHUTDOWN, LOST newest below the limit.
        for _ in 0..3 {
            assert!(q.pop(4).is_some());
        }
        assert!(waiting(&q) < ORDINARY_LIMIT);
        assert_eq!(q.push(Event::Shutdown { flags: 2 }, 5), Outcome::Queued);
        let t = types(&q);
        let n = t.len();
        assert_eq!(
            t[n - 3..],
            [EventType::Shutdown, EventType::Lost, EventType::Shutdown]
        );
        assert!(balanced(&q.stats()));
        Ok(())
    }

    /// Takes every record; returns the sum of the LOST counts and the union of the shutdown
    /// reasons seen.
    fn drain(q: &mut Queue) -> (u64, u32) {
        let (mut lost, mut reasons) = (0, 0);
        while let Some(r) = q.pop(9) {
            match r.event {
                Event::Lost { count } => lost += count,
                Event::Shutdown { flags } => reasons |= flags,
                _ => {}
            }
        }
        (lost, reasons)
    }

    /// Random reports, shutdowns and reads around a full queue: the ring never holds more than
    /// the reserve allows, every loss is in a LOST record and every shutdown reason in a
    /// SHUTDOWN record, and the accounting balances at every step.
    #[test]
    fn privileged_records_always_fit() -> Result {
        let mut q = full_queue()?;
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut ino = 3_000_000u64;
        let mut all_reasons = 0;
        let (mut lost, mut reasons) = (0, 0);
        for _ in 0..20_000 {
            // xorshift64: a fixed sequence, so a failure repeats.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            match seed % 8 {
                0..=3 => {
                    ino += 1;
                    q.push(sick_inode(ino, 0, 1), 5);
                }
                4 => {
                    let flags = 1 << ((seed >> 8) % 6);
                    all_reasons |= flags;
                    assert_ne!(q.push(Event::Shutdown { flags }, 5), Outcome::Ignored);
                }
                _ => match q.pop(6).map(|r| r.event) {
                    Some(Event::Lost { count }) => lost += count,
                    Some(Event::Shutdown { flags }) => reasons |= flags,
                    _ => {}
                },
            }
            assert!(waiting(&q) <= ORDINARY_LIMIT + 3);
            assert!(balanced(&q.stats()));
        }
        let (l, r) = drain(&mut q);
        let s = q.stats();
        assert!(s.lost > 0);
        assert_eq!(lost + l, s.lost);
        assert_eq!(reasons | r, all_reasons);
        assert!(balanced(&s));
        Ok(())
    }

    /// The full-queue path counts a loss in the newest record through a cached position: drain
    /// and refill the ring so that its records wrap around, and check that every loss lands in
    /// the newest record, which is a LOST record.
    #[test]
    fn losses_land_in_the_newest_record_across_the_ring() -> Result {
        let mut q = full_queue()?;
        let mut ino = 1_000_000u64;
        let mut lost = 0u64;
        for round in 0..12usize {
            let k = 1 + (round * 97) % 300;
            for _ in 0..k {
                q.pop(4);
            }
            // Refill until the queue is full and an event is lost, then lose two more.
            loop {
                ino += 1;
                if q.push(sick_inode(ino, 0, 1), 5) == Outcome::Lost {
                    break;
                }
            }
            ino += 1;
            assert_eq!(q.push(sick_inode(ino, 0, 1), 5), Outcome::Lost);
            assert_eq!(q.push(media(MediaDev::Data, ino, 1), 5), Outcome::Lost);
            lost += 3;
            assert_eq!(
                q.iter().last().map(|r| r.event),
                Some(Event::Lost { count: 3 })
            );
            let s = q.stats();
            assert_eq!(s.lost, lost);
            assert!(balanced(&s));
        }
        Ok(())
    }

    #[test]
    fn full_queue_loses_and_says_so_at_once() -> Result {
        let mut q = full_queue()?;
        assert_eq!(q.push(sick_inode(1_000_000, 0, 1), 3), Outcome::Lost);
        assert_eq!(waiting(&q), ORDINARY_LIMIT + 1);
        assert_eq!(
            q.iter().last().map(|r| r.event),
            Some(Event::Lost { count: 1 })
        );
        // Further losses add to the same LOST record.
        assert_eq!(q.push(sick_inode(1_000_001, 0, 1), 3), Outcome::Lost);
        assert_eq!(q.push(media(MediaDev::Data, 0, 1), 3), Outcome::Lost);
        assert_eq!(waiting(&q), ORDINARY_LIMIT + 1);
        assert_eq!(
            q.iter().last().map(|r| r.event),
            Some(Event::Lost { count: 3 })
        );
        let s = q.stats();
        assert_eq!(s.lost, 3);
        assert!(balanced(&s));
        Ok(())
    }

    #[test]
    fn losses_in_order_after_draining() -> Result {
        let mut q = full_queue()?;
        assert_eq!(q.push(sick_inode(1_000_000, 0, 1), 3), Outcome::Lost);
        // The reader drains, room appears, new events follow the LOST record.
        while waiting(&q) > 10 {
            q.pop(4);
        }
        assert_eq!(q.push(sick_ag(3, 1), 5), Outcome::Queued);
        let t = types(&q);
        let n = t.len();
        assert_eq!(t[n - 2], EventType::Lost);
        assert_eq!(t[n - 1], EventType::Sick);
        assert!(balanced(&q.stats()));
        Ok(())
    }
}
