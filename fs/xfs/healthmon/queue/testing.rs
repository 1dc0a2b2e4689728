// SPDX-License-Identifier: GPL-2.0

//! What the KUnit suites of the queue share: full queues and the accounting's balance.

use super::{
    Outcome,
    Queue,
    Stats,
    ORDINARY_LIMIT, //
};
use crate::event::testing::sick_inode;
use crate::event::EventType;
use kernel::prelude::*;

/// Whether every event offered to the queue is accounted for exactly once.
pub(crate) fn balanced(s: &Stats) -> bool {
    s.reported == s.delivered + s.merged + s.lost + s.queued
        && s.by_type.iter().sum::<u64>() == s.reported
        && s.by_domain.iter().sum::<u64>() == s.reported
}

/// Fills a fresh queue with distinct, unmergeable events up to its ordinary limit.
pub(crate) fn full_queue() -> Result<KBox<Queue>> {
    let mut q = Queue::new(true, 1)?;
    let mut ino = 0u64;
    while waiting(&q) < ORDINARY_LIMIT {
        ino += 1;
        assert_eq!(q.push(sick_inode(ino, 0, 1), 2), Outcome::Queued);
    }
    Ok(q)
}

/// The types of the queued records, oldest first.
pub(crate) fn types(q: &Queue) -> KVec<EventType> {
    let mut v = KVec::new();
    for r in q.iter() {
        if v.push(r.event.event_type(), GFP_KERNEL).is_err() {
            break;
        }
    }
    v
}

/// Records waiting for the reader, LOST and UNMOUNT included.
pub(crate) fn waiting(q: &Queue) -> usize {
    q.waiting() as usize
}
