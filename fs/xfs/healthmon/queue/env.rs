// SPDX-License-Identifier: GPL-2.0

//! What the queue needs from its surroundings: the clock and observers of what it does.

use super::Queue;
use super::Record;
use crate::event::Event;

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
