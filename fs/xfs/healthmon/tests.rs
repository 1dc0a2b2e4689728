// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of the health monitor.  They run when `xfs.ko` is loaded (with `CONFIG_KUNIT=y`)
//! and exercise the safe core directly: merge rules, verbosity, the queue's bound and accounting,
//! the V0 bytes, the ABI against the C headers, and reads through a kernel iov_iter.

use crate::event::{
    shutdown_reasons,
    Domain,
    Event,
    EventType,
    FileIo,
    Health,
    MaskMap,
    MediaDev,
    Metadata, //
};
use crate::queue::{
    Env,
    Outcome,
    Queue,
    Record,
    Stats,
    CAPACITY,
    C_MAX_EVENTS,
    ORDINARY_LIMIT,
    PRIVILEGED_LIMIT,
    QUEUE_BYTES, //
};
use crate::uapi;
use crate::uapi::V0Type;
use kernel::prelude::*;
use kernel::transmute::AsBytes;

/// The bytes of a record, as `read()` copies them.
trait ToBytes {
    fn to_bytes(&self) -> [u8; uapi::V0_SIZE];
}

impl ToBytes for uapi::V0Record {
    fn to_bytes(&self) -> [u8; uapi::V0_SIZE] {
        let mut bytes = [0u8; uapi::V0_SIZE];
        bytes.copy_from_slice(self.as_bytes());
        bytes
    }
}

/// Masks passed through unchanged, to check the record layout on its own.
struct SameMasks;

impl MaskMap for SameMasks {
    fn fs(&self, mask: u32) -> u32 {
        mask
    }
    fn perag(&self, mask: u32) -> u32 {
        mask
    }
    fn rtgroup(&self, mask: u32) -> u32 {
        mask
    }
    fn inode(&self, mask: u32) -> u32 {
        mask
    }
}

fn sick_inode(ino: u64, gen: u32, mask: u32) -> Event {
    Event::Metadata {
        health: Health::Sick,
        what: Metadata::Inode { ino, gen, mask },
    }
}

fn sick_ag(group: u32, mask: u32) -> Event {
    Event::Metadata {
        health: Health::Sick,
        what: Metadata::Ag { group, mask },
    }
}

fn file_io(op: FileIo, ino: u64, pos: u64, len: u64, error: i32) -> Event {
    Event::FileIo {
        op,
        ino,
        gen: 7,
        pos,
        len,
        error,
    }
}

fn media(dev: MediaDev, daddr: u64, bbcount: u64) -> Event {
    Event::Media {
        dev,
        daddr,
        bbcount,
    }
}

/// Whether every event offered to the queue is accounted for exactly once.
fn balanced(s: &Stats) -> bool {
    s.reported == s.delivered + s.merged + s.lost + s.queued
}

fn u32_at(rec: &[u8; uapi::V0_SIZE], off: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&rec[off..off + 4]);
    u32::from_ne_bytes(b)
}

fn u64_at(rec: &[u8; uapi::V0_SIZE], off: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&rec[off..off + 8]);
    u64::from_ne_bytes(b)
}

/// A V0 record built field by field, the way a C reader would see it.
fn v0(domain: u32, ty: u32, time: u64, fields: &[(usize, u64, usize)]) -> [u8; uapi::V0_SIZE] {
    let mut rec = [0u8; uapi::V0_SIZE];
    rec[0..4].copy_from_slice(&domain.to_ne_bytes());
    rec[4..8].copy_from_slice(&ty.to_ne_bytes());
    rec[8..16].copy_from_slice(&time.to_ne_bytes());
    for &(off, val, width) in fields {
        if width == 4 {
            rec[off..off + 4].copy_from_slice(&(val as u32).to_ne_bytes());
        } else {
            rec[off..off + 8].copy_from_slice(&val.to_ne_bytes());
        }
    }
    rec
}

#[kernel::prelude::kunit_tests(xfs_healthmon_merge)]
mod merge {
    use super::*;

    #[test]
    fn lost_counts_add() {
        let mut e = Event::Lost { count: 3 };
        assert!(e.merge(&Event::Lost { count: 4 }));
        assert_eq!(e, Event::Lost { count: 7 });
    }

    #[test]
    fn shutdown_reasons_or() {
        let mut e = Event::Shutdown { flags: 1 };
        assert!(e.merge(&Event::Shutdown { flags: 4 }));
        assert_eq!(e, Event::Shutdown { flags: 5 });
    }

    #[test]
    fn running_and_unmount_never_merge() {
        assert!(!Event::Running.merge(&Event::Running));
        assert!(!Event::Unmount.merge(&Event::Unmount));
    }

    #[test]
    fn fs_masks_or() {
        let mut e = Event::Metadata {
            health: Health::Corrupt,
            what: Metadata::Fs { mask: 1 },
        };
        assert!(e.merge(&Event::Metadata {
            health: Health::Corrupt,
            what: Metadata::Fs { mask: 2 },
        }));
        assert_eq!(
            e,
            Event::Metadata {
                health: Health::Corrupt,
                what: Metadata::Fs { mask: 3 },
            }
        );
    }

    #[test]
    fn different_health_does_not_merge() {
        let mut e = sick_ag(1, 1);
        assert!(!e.merge(&Event::Metadata {
            health: Health::Corrupt,
            what: Metadata::Ag { group: 1, mask: 2 },
        }));
        assert_eq!(e, sick_ag(1, 1));
    }

    #[test]
    fn groups_merge_only_with_the_same_group() {
        let mut e = sick_ag(1, 1);
        assert!(e.merge(&sick_ag(1, 2)));
        assert_eq!(e, sick_ag(1, 3));
        assert!(!e.merge(&sick_ag(2, 4)));
        let mut rg = Event::Metadata {
            health: Health::Sick,
            what: Metadata::Rtgroup { group: 1, mask: 1 },
        };
        // An rtgroup is not an AG of the same number.
        assert!(!rg.merge(&sick_ag(1, 2)));
        assert!(rg.merge(&Event::Metadata {
            health: Health::Sick,
            what: Metadata::Rtgroup { group: 1, mask: 8 },
        }));
        assert!(!rg.merge(&Event::Metadata {
            health: Health::Sick,
            what: Metadata::Rtgroup { group: 0, mask: 8 },
        }));
    }

    #[test]
    fn inodes_merge_only_with_the_same_ino_and_gen() {
        let mut e = sick_inode(128, 5, 1);
        assert!(e.merge(&sick_inode(128, 5, 16)));
        assert_eq!(e, sick_inode(128, 5, 17));
        assert!(!e.merge(&sick_inode(128, 6, 2)));
        assert!(!e.merge(&sick_inode(129, 5, 2)));
        assert_eq!(e, sick_inode(128, 5, 17));
    }

    #[test]
    fn media_ranges_join_when_adjacent() {
        let mut e = media(MediaDev::Data, 100, 8);
        assert!(e.merge(&media(MediaDev::Data, 108, 8)));
        assert_eq!(e, media(MediaDev::Data, 100, 16));
        assert!(e.merge(&media(MediaDev::Data, 90, 10)));
        assert_eq!(e, media(MediaDev::Data, 90, 26));
        // A gap, an overlap, or another device does not merge.
        assert!(!e.merge(&media(MediaDev::Data, 117, 1)));
        assert!(!e.merge(&media(MediaDev::Data, 100, 4)));
        assert!(!e.merge(&media(MediaDev::Log, 116, 4)));
        assert!(!e.merge(&media(MediaDev::Rt, 116, 4)));
        assert_eq!(e, media(MediaDev::Data, 90, 26));
    }

    #[test]
    fn file_ranges_join_when_adjacent_with_the_same_errno() {
        let mut e = file_io(FileIo::DioWrite, 131, 4096, 4096, 5);
        assert!(e.merge(&file_io(FileIo::DioWrite, 131, 8192, 4096, 5)));
        assert!(e.merge(&file_io(FileIo::DioWrite, 131, 0, 4096, 5)));
        assert_eq!(e, file_io(FileIo::DioWrite, 131, 0, 12288, 5));
        // Another errno, inode, operation, generation or a gap: no merge.
        assert!(!e.merge(&file_io(FileIo::DioWrite, 131, 12288, 4096, 28)));
        assert!(!e.merge(&file_io(FileIo::DioWrite, 132, 12288, 4096, 5)));
        assert!(!e.merge(&file_io(FileIo::DioRead, 131, 12288, 4096, 5)));
        assert!(!e.merge(&file_io(FileIo::DioWrite, 131, 16384, 4096, 5)));
        assert!(!e.merge(&Event::FileIo {
            op: FileIo::DioWrite,
            ino: 131,
            gen: 8,
            pos: 12288,
            len: 4096,
            error: 5,
        }));
        assert_eq!(e, file_io(FileIo::DioWrite, 131, 0, 12288, 5));
    }

    #[test]
    fn different_types_never_merge() {
        let mut e = Event::Shutdown { flags: 1 };
        assert!(!e.merge(&Event::Lost { count: 1 }));
        let mut l = Event::Lost { count: 1 };
        assert!(!l.merge(&Event::Shutdown { flags: 1 }));
        let mut m = media(MediaDev::Data, 0, 8);
        assert!(!m.merge(&file_io(FileIo::BufRead, 1, 4096, 8, 5)));
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_verbosity)]
mod verbosity {
    use super::*;

    #[test]
    fn verbose_reports_every_bit() {
        assert_eq!(Health::Sick.filter(true, 3, 3), 3);
        assert_eq!(Health::Corrupt.filter(true, 3, 3), 3);
        assert_eq!(Health::Healthy.filter(true, 0, 6), 6);
    }

    #[test]
    fn sick_is_always_reported() {
        assert_eq!(Health::Sick.filter(false, 3, 3), 3);
        assert_eq!(Health::Sick.filter(false, 0, 1), 1);
    }

    #[test]
    fn corrupt_only_when_new() {
        assert_eq!(Health::Corrupt.filter(false, 1, 3), 2);
        assert_eq!(Health::Corrupt.filter(false, 3, 3), 0);
    }

    #[test]
    fn healthy_only_when_fixed() {
        assert_eq!(Health::Healthy.filter(false, 5, 7), 5);
        assert_eq!(Health::Healthy.filter(false, 0, 7), 0);
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
        assert_eq!(q.len(), 1);
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
        assert_eq!(q.len(), 3);
        assert!(balanced(&q.stats()));
        Ok(())
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_queue)]
mod queue {
    use super::*;

    /// Fills a fresh queue with distinct, unmergeable events up to its ordinary limit.
    fn full_queue() -> Result<Queue> {
        let mut q = Queue::new(true, 1)?;
        let mut ino = 0u64;
        while q.len() < ORDINARY_LIMIT {
            ino += 1;
            assert_eq!(q.push(sick_inode(ino, 0, 1), 2), Outcome::Queued);
        }
        Ok(q)
    }

    fn types(q: &Queue) -> KVec<EventType> {
        let mut v = KVec::new();
        for r in q.iter() {
            if v.push(r.event.event_type(), GFP_KERNEL).is_err() {
                break;
            }
        }
        v
    }

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
    fn running_comes_first() -> Result {
        let mut q = Queue::new(false, 11)?;
        assert_eq!(q.len(), 1);
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
    fn full_queue_loses_and_says_so_at_once() -> Result {
        let mut q = full_queue()?;
        assert_eq!(q.push(sick_inode(1_000_000, 0, 1), 3), Outcome::Lost);
        assert_eq!(q.len(), ORDINARY_LIMIT + 1);
        assert_eq!(
            q.iter().last().map(|r| r.event),
            Some(Event::Lost { count: 1 })
        );
        // Further losses add to the same LOST record.
        assert_eq!(q.push(sick_inode(1_000_001, 0, 1), 3), Outcome::Lost);
        assert_eq!(q.push(media(MediaDev::Data, 0, 1), 3), Outcome::Lost);
        assert_eq!(q.len(), ORDINARY_LIMIT + 1);
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
        assert!(q.len() <= PRIVILEGED_LIMIT);
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
            assert!(q.len() <= ORDINARY_LIMIT + 3);
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
        assert!(q.len() < ORDINARY_LIMIT);
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
            assert!(q.len() <= ORDINARY_LIMIT + 3);
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

    /// The full-queue path counts a loss in the newest record through a cached position:
    /// drain and refill the ring so that its records cross chunk boundaries and wrap around,
    /// and check that every loss lands in the newest record, which is a LOST record.
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
    fn losses_in_order_after_draining() -> Result {
        let mut q = full_queue()?;
        assert_eq!(q.push(sick_inode(1_000_000, 0, 1), 3), Outcome::Lost);
        // The reader drains, room appears, new events follow the LOST record.
        while q.len() > 10 {
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

    #[test]
    fn unmount_goes_to_the_head_and_ends_the_queue() -> Result {
        let mut q = Queue::new(false, 1)?;
        q.push(sick_ag(0, 1), 2);
        q.push(Event::Shutdown { flags: 4 }, 3);
        q.insert_unmount(4);
        assert!(q.unmounted());
        assert_eq!(q.push(sick_ag(1, 1), 5), Outcome::Ignored);
        let t = types(&q);
        assert_eq!(t.len(), 4);
        assert_eq!(t[0], EventType::Unmount);
        assert_eq!(t[1], EventType::Running);
        assert_eq!(t[2], EventType::Sick);
        assert_eq!(t[3], EventType::Shutdown);
        // Only once.
        q.insert_unmount(6);
        assert_eq!(q.len(), 4);
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
        assert!(q.len() <= CAPACITY + 1);
        assert!(balanced(&q.stats()));
        Ok(())
    }

    #[test]
    fn monitor_events_cannot_be_pushed() -> Result {
        let mut q = Queue::new(false, 1)?;
        assert_eq!(q.push(Event::Running, 2), Outcome::Ignored);
        assert_eq!(q.push(Event::Unmount, 2), Outcome::Ignored);
        assert_eq!(q.push(Event::Lost { count: 9 }, 2), Outcome::Ignored);
        assert_eq!(q.len(), 1);
        assert_eq!(q.stats().reported, 1);
        Ok(())
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_v0)]
mod v0_records {
    use super::*;
    use crate::file::XfsMasks;

    const T: u64 = 0x1122_3344_5566_7788;

    #[test]
    fn running_lost_unmount_shutdown() {
        assert_eq!(
            Event::Running.encode_v0(T, &SameMasks).to_bytes(),
            v0(0, 0, T, &[])
        );
        assert_eq!(
            Event::Lost { count: 99 }
                .encode_v0(T, &SameMasks)
                .to_bytes(),
            v0(0, 1, T, &[(16, 99, 8)])
        );
        assert_eq!(
            Event::Unmount.encode_v0(T, &SameMasks).to_bytes(),
            v0(0, 2, T, &[])
        );
        // Forced unmount (in-core 1 << 2) and corrupt on disk (1 << 4).
        assert_eq!(
            Event::Shutdown { flags: 0x14 }
                .encode_v0(T, &SameMasks)
                .to_bytes(),
            v0(0, 6, T, &[(16, 0x14, 4)])
        );
    }

    #[test]
    fn metadata_domains() {
        let fs = Event::Metadata {
            health: Health::Corrupt,
            what: Metadata::Fs { mask: 0x81 },
        };
        assert_eq!(
            fs.encode_v0(T, &SameMasks).to_bytes(),
            v0(1, 4, T, &[(16, 0x81, 4)])
        );
        let ag = Event::Metadata {
            health: Health::Healthy,
            what: Metadata::Ag { group: 3, mask: 2 },
        };
        assert_eq!(
            ag.encode_v0(T, &SameMasks).to_bytes(),
            v0(2, 5, T, &[(16, 2, 4), (20, 3, 4)])
        );
        assert_eq!(
            sick_inode(0x1_0000_0083, 0xdead_beef, 0x10)
                .encode_v0(T, &SameMasks)
                .to_bytes(),
            v0(
                3,
                3,
                T,
                &[(16, 0x10, 4), (20, 0xdead_beef, 4), (24, 0x1_0000_0083, 8)]
            )
        );
        let rg = Event::Metadata {
            health: Health::Sick,
            what: Metadata::Rtgroup { group: 9, mask: 2 },
        };
        assert_eq!(
            rg.encode_v0(T, &SameMasks).to_bytes(),
            v0(4, 3, T, &[(16, 2, 4), (20, 9, 4)])
        );
    }

    #[test]
    fn media_domains() {
        for (dev, domain) in [(MediaDev::Data, 5), (MediaDev::Rt, 6), (MediaDev::Log, 7)] {
            assert_eq!(
                media(dev, 2048, 16).encode_v0(T, &SameMasks).to_bytes(),
                v0(domain, 7, T, &[(16, 2048, 8), (24, 16, 8)])
            );
        }
    }

    #[test]
    fn file_ranges() {
        let ops = [
            (FileIo::BufRead, 8),
            (FileIo::BufWrite, 9),
            (FileIo::DioRead, 10),
            (FileIo::DioWrite, 11),
            (FileIo::DataLost, 12),
        ];
        for (op, ty) in ops {
            assert_eq!(
                file_io(op, 131, 65536, 4096, 5)
                    .encode_v0(T, &SameMasks)
                    .to_bytes(),
                v0(
                    8,
                    ty,
                    T,
                    &[
                        (16, 65536, 8),
                        (24, 4096, 8),
                        (32, 131, 8),
                        (40, 7, 4),
                        (44, 5, 4)
                    ]
                )
            );
        }
    }

    #[test]
    fn padding_stays_zero() {
        let rec = file_io(FileIo::BufWrite, u64::MAX, u64::MAX, u64::MAX, i32::MAX)
            .encode_v0(u64::MAX, &SameMasks)
            .to_bytes();
        assert_eq!(u64_at(&rec, 48), 0);
        assert_eq!(u64_at(&rec, 56), 0);
    }

    #[test]
    fn xfs_mask_translation() {
        // XFS_SICK_INO_CORE | XFS_SICK_INO_DIR_ZAPPED -> XFS_BS_SICK_INODE | XFS_BS_SICK_DIR.
        let rec = sick_inode(128, 1, (1 << 0) | (1 << 10))
            .encode_v0(T, &XfsMasks)
            .to_bytes();
        assert_eq!(u32_at(&rec, 16), (1 << 0) | (1 << 4));
        // XFS_SICK_AG_SB | XFS_SICK_AG_AGF -> XFS_AG_GEOM_SICK_SB | XFS_AG_GEOM_SICK_AGF.
        assert_eq!(XfsMasks.perag(3), 3);
        // XFS_SICK_RG_BITMAP -> XFS_RTGROUP_GEOM_SICK_BITMAP.
        assert_eq!(XfsMasks.rtgroup(1 << 1), 1 << 1);
        // XFS_SICK_FS_COUNTERS | XFS_SICK_FS_UQUOTA -> the same FSOP_GEOM bits; the rt bits of
        // the fs mask are not sent in the fs domain.
        assert_eq!(XfsMasks.fs(3), 3);
        assert_eq!(XfsMasks.fs(1 << 31), 0);
    }

    #[test]
    fn shutdown_reason_map() {
        for bit in 0..6 {
            assert_eq!(shutdown_reasons(1 << bit), 1 << bit);
        }
        assert_eq!(shutdown_reasons(0x3f), 0x3f);
        assert_eq!(shutdown_reasons(1 << 6), 0);
        assert_eq!(shutdown_reasons(0), 0);
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_uapi)]
mod abi {
    use super::*;

    use crate::xfs::c_abi;

    #[test]
    fn constants_match_the_c_headers() {
        let c = c_abi();
        assert_eq!(c.ioc_health_monitor, uapi::XFS_IOC_HEALTH_MONITOR);
        assert_eq!(
            c.ioc_fd_on_monitored_fs,
            uapi::XFS_IOC_HEALTH_FD_ON_MONITORED_FS
        );
        assert_eq!(c.event_size as usize, uapi::V0_SIZE);
        assert_eq!(
            c.monitor_size as usize,
            core::mem::size_of::<uapi::HealthMonitor>()
        );
        assert_eq!(c.sick_ino_secondary, uapi::SICK_INO_SECONDARY);
        assert_eq!(c.sick_fs_secondary, uapi::SICK_FS_SECONDARY);
        assert_eq!(c.sick_ag_secondary, uapi::SICK_AG_SECONDARY);
        assert_eq!(c.sick_rg_secondary, uapi::SICK_RG_SECONDARY);
    }

    #[test]
    fn enums_match_the_c_headers() {
        let c = c_abi();
        // `enum xfs_healthmon_type`: the same numbers, and the same V0 type for each, which
        // together are every V0 type.
        assert_eq!(c.types.len(), EventType::ALL.len());
        for (ty, &[raw, v0]) in EventType::ALL.iter().zip(c.types) {
            assert_eq!(*ty as u32, raw);
            assert_eq!(EventType::try_from(raw), Ok(*ty));
            assert_eq!(ty.v0() as u32, v0);
        }
        let past = c.types.len() as u32;
        assert_eq!(EventType::try_from(past), Err(past));
        assert_eq!(V0Type::ALL.len(), c.types.len());
        for ty in V0Type::ALL {
            assert!(c.types.iter().any(|&[_, v0]| v0 == *ty as u32));
        }
        // `enum xfs_healthmon_domain` and the V0 domains.
        assert_eq!(c.domains.len(), Domain::ALL.len());
        for (domain, &[raw, v0]) in Domain::ALL.iter().zip(c.domains) {
            assert_eq!(*domain as u32, raw);
            assert_eq!(domain.v0(), v0);
        }
        // `enum xfs_device`; nothing else is a device.
        assert_eq!(c.devices.len(), MediaDev::ALL.len());
        for (dev, &raw) in MediaDev::ALL.iter().zip(c.devices) {
            assert_eq!(MediaDev::try_from(raw), Ok(*dev));
        }
        assert!(MediaDev::try_from(0).is_err());
        // `enum fserror_type`: the file I/O errors, and not `FSERR_METADATA`.
        assert_eq!(c.fserror_types.len(), FileIo::ALL.len());
        for (op, &raw) in FileIo::ALL.iter().zip(c.fserror_types) {
            assert_eq!(FileIo::try_from(raw), Ok(*op));
        }
        assert!(FileIo::try_from(c.fserr_metadata).is_err());
        // `SHUTDOWN_*` to `XFS_HEALTH_SHUTDOWN_*`, one by one and all at once; flags the C table
        // does not know are dropped.
        let (mut incore, mut reasons) = (0, 0);
        for &[flag, reason] in c.shutdown_reasons {
            assert_eq!(shutdown_reasons(flag), reason);
            incore |= flag;
            reasons |= reason;
        }
        assert_eq!(shutdown_reasons(incore), reasons);
        assert_eq!(shutdown_reasons(!incore), 0);
    }

    #[test]
    fn v0_layout_matches_the_c_struct() {
        use core::mem::offset_of;
        use core::mem::size_of;
        use uapi::{
            V0FileRange,
            V0Fs,
            V0Group,
            V0Inode,
            V0Lost,
            V0Media,
            V0Record,
            V0Shutdown, //
        };

        let e = offset_of!(V0Record, e);
        let offsets = [
            offset_of!(V0Record, domain),
            offset_of!(V0Record, ty),
            offset_of!(V0Record, time_ns),
            e + offset_of!(V0Lost, count),
            e + offset_of!(V0Fs, mask),
            e + offset_of!(V0Group, mask),
            e + offset_of!(V0Group, gno),
            e + offset_of!(V0Inode, mask),
            e + offset_of!(V0Inode, gen),
            e + offset_of!(V0Inode, ino),
            e + offset_of!(V0Shutdown, reasons),
            e + offset_of!(V0Media, daddr),
            e + offset_of!(V0Media, bbcount),
            e + offset_of!(V0FileRange, pos),
            e + offset_of!(V0FileRange, len),
            e + offset_of!(V0FileRange, ino),
            e + offset_of!(V0FileRange, gen),
            e + offset_of!(V0FileRange, error),
            offset_of!(V0Record, pad),
        ];
        let sizes = [
            uapi::V0_PAYLOAD_SIZE,
            size_of::<V0Lost>(),
            size_of::<V0Fs>(),
            size_of::<V0Group>(),
            size_of::<V0Inode>(),
            size_of::<V0Shutdown>(),
            size_of::<V0Media>(),
            size_of::<V0FileRange>(),
        ];
        let c = c_abi();
        assert_eq!(c.v0_offsets.len(), offsets.len());
        for (ours, theirs) in offsets.iter().zip(c.v0_offsets) {
            assert_eq!(*ours, *theirs as usize);
        }
        assert_eq!(c.v0_payload_sizes.len(), sizes.len());
        for (ours, theirs) in sizes.iter().zip(c.v0_payload_sizes) {
            assert_eq!(*ours, *theirs as usize);
        }
    }

    #[test]
    fn argument_validation() {
        let mut hmo = uapi::HealthMonitor::default();
        assert!(hmo.is_valid());
        hmo.flags = uapi::MONITOR_VERBOSE;
        assert!(hmo.is_valid() && hmo.verbose());
        hmo.flags = 2;
        assert!(!hmo.is_valid());
        hmo.flags = 0;
        hmo.format = 1;
        assert!(!hmo.is_valid());
        hmo.format = 0;
        hmo.pad[22] = 1;
        assert!(!hmo.is_valid());
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_read)]
mod read {
    use super::*;
    use crate::file::XfsMasks;
    use crate::monitor::{
        Monitor,
        MonitorRef,
        OutBuf, //
    };
    use kernel::bindings;
    use kernel::iov::IovIterDest;
    use kernel::page::PAGE_SIZE;

    /// Reads from `hm` through a kernel iov_iter over `buf`.
    fn read_into(hm: &Monitor, buf: &mut [u8], nonblock: bool) -> Result<usize> {
        let kvec = bindings::kvec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: An all-zero iov_iter is a valid value to initialise.
        let mut iter: bindings::iov_iter = unsafe { core::mem::zeroed() };
        // SAFETY: `iter` and `kvec` live for this function; the kvec covers `buf`.
        unsafe { bindings::iov_iter_kvec(&mut iter, bindings::ITER_DEST, &kvec, 1, buf.len()) };
        // SAFETY: `iter` is a destination iterator that outlives the reference.
        let to = unsafe { IovIterDest::from_raw(&mut iter) };
        hm.read(to, nonblock, &XfsMasks)
    }

    /// A monitor with records to read, made to look attached (to no real mount).
    fn monitor_with(events: &[Event]) -> Result<MonitorRef> {
        let hm = Monitor::create(0x0080_0010, false)?;
        hm.test_set_cookie(1);
        for e in events {
            hm.push(*e);
        }
        Ok(hm)
    }

    fn expected(events: &[Event]) -> KVec<[u8; uapi::V0_SIZE]> {
        let mut v = KVec::new();
        for e in events {
            if v.push(e.encode_v0(0, &SameMasks).to_bytes(), GFP_KERNEL)
                .is_err()
            {
                break;
            }
        }
        v
    }

    /// Compares a record read back with the expected one, ignoring the timestamp.
    fn same_record(got: &[u8], want: &[u8; uapi::V0_SIZE]) -> bool {
        got.len() == uapi::V0_SIZE && got[0..8] == want[0..8] && got[16..] == want[16..]
    }

    #[test]
    fn buffer_sizing() {
        assert_eq!(OutBuf::size_for(1), PAGE_SIZE);
        assert_eq!(OutBuf::size_for(PAGE_SIZE + 64), PAGE_SIZE + 64);
        assert_eq!(OutBuf::size_for(1 << 20), 64 * 1024);
    }

    #[test]
    fn whole_records() -> Result {
        let events = [
            Event::Running,
            media(MediaDev::Data, 100, 8),
            Event::Shutdown { flags: 4 },
        ];
        let hm = monitor_with(&events[1..])?;
        let mut buf = [0u8; 4 * uapi::V0_SIZE];
        let n = read_into(&hm, &mut buf, true)?;
        assert_eq!(n, 3 * uapi::V0_SIZE);
        let want = expected(&events);
        for (i, w) in want.iter().enumerate() {
            assert!(same_record(&buf[i * 64..(i + 1) * 64], w));
        }
        // Empty now: a non-blocking read says try again.
        assert!(read_into(&hm, &mut buf, true) == Err(EAGAIN));
        hm.test_set_cookie(0);
        // Detached and drained: end of file.
        assert_eq!(read_into(&hm, &mut buf, true)?, 0);
        Ok(())
    }

    #[test]
    fn odd_sized_reads_reassemble_records() -> Result {
        let events = [
            Event::Running,
            sick_ag(1, 2),
            file_io(FileIo::DioWrite, 131, 0, 4096, 5),
            sick_inode(128, 3, 1),
        ];
        let want = expected(&events);
        for chunk in [1usize, 7, 63, 65, 100] {
            let hm = monitor_with(&events[1..])?;
            let mut all = [0u8; 4 * uapi::V0_SIZE];
            let mut got = 0;
            while got < all.len() {
                let end = (got + chunk).min(all.len());
                let n = read_into(&hm, &mut all[got..end], true)?;
                assert!(n > 0);
                got += n;
            }
            for (i, w) in want.iter().enumerate() {
                assert!(same_record(&all[i * 64..(i + 1) * 64], w));
            }
            // A one-byte first read still gets a page-sized buffer.
            assert!(hm.test_out_size() >= PAGE_SIZE);
            hm.test_set_cookie(0);
        }
        Ok(())
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_lifetime)]
mod lifetime {
    use crate::exports;
    use crate::monitor::Monitor;
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
        assert_eq!(hm.test_refs().as_atomic().load(Relaxed), 2);
        Monitor::detach(&hm);
        assert!(mp.monitor().is_none());
        // The pointer as a racing report read it, and the count as the last put leaves it.
        // SAFETY: Only `hm`'s drop frees the monitor (forcing the count to zero below frees
        // nothing), and `hm` drops at the end of the test, after the pointer is retracted.
        unsafe { mp.publish(Some(NonNull::from(&*hm).cast())) };
        assert!(hm.test_refs().dec_and_test());
        let (before, _) = hm.stats();
        // SAFETY: `mp` is a live (test) mount for the duration of these calls.
        unsafe {
            exports::xfs_healthmon_report_shutdown(mp.raw(), 1 << 2);
            exports::xfs_healthmon_report_media(mp.raw(), 1, 64, 8);
            exports::xfs_healthmon_report_fs(mp.raw(), SICK, 0, 1);
        }
        let (after, _) = hm.stats();
        let refs = hm.test_refs().as_atomic().load(Relaxed);
        // Retract the pointer and give the count back to `hm`, whose drop frees the monitor.
        // SAFETY: Publishing NULL retracts the pointer; no monitor has to stay allocated.
        unsafe { mp.publish(None) };
        hm.test_refs().set(1);
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
        assert_eq!(hm.test_refs().as_atomic().load(Relaxed), 1);
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
        let refs = hm.test_refs().as_atomic().load(Relaxed);
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
        assert_eq!(still, Some(NonNull::from(&*hm).cast()));
        assert!(mp.monitor().is_none());
        assert_eq!(hm.test_refs().as_atomic().load(Relaxed), 1);
        Ok(())
    }
}
