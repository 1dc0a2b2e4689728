// SPDX-License-Identifier: GPL-2.0

//! The monitor's queue environment: the clock that stamps its records and the C monitor's
//! tracepoints, fired from the queue's observers and the report functions.

use crate::event::{
    Event,
    Metadata, //
};
use crate::queue::{
    Env,
    Queue,
    Record, //
};
use crate::xfs;
use crate::xfs::trace;

/// A monitor's queue environment: the realtime clock its records are stamped with, and the C
/// monitor's tracepoints, which need the filesystem's device number.
///
/// The tracepoints' closures capture the device by value and at most one reference, so that
/// they travel in registers and a disabled tracepoint leaves nothing to build (see
/// [`trace`]).
#[derive(Clone, Copy)]
pub(super) struct Live {
    /// The filesystem's device number, which the tracepoints print.
    pub(super) dev: u32,
}

/// The monitor of device `dev` with `queue` as the tracepoints show it.
pub(super) fn mon_of(dev: u32, queue: &Queue) -> trace::Mon {
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
pub(super) fn trace_report_mon(dev: u32) -> trace::Mon {
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
pub(super) fn trace_record_event(kind: trace::Kind, dev: u32, queue: &Queue, event: Event) {
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
pub(super) fn trace_report(dev: u32, event: Event) {
    match event {
        Event::Shutdown { flags } => trace::report_shutdown(|| trace_report_mon(dev), flags),
        Event::Media { dev: fdev, .. } => {
            trace::report_media(|| (trace_report_mon(dev), trace_event(&event)), fdev as u32)
        }
        _ => {}
    }
}

/// An event as the C monitor's tracepoints show it: its `struct xfs_healthmon_event` fields.
pub(super) fn trace_event(event: &Event) -> trace::Event {
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
