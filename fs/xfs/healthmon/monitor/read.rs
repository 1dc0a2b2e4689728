// SPDX-License-Identifier: GPL-2.0

//! Reading a monitor: records taken from the queue, formatted as V0 records and copied to the
//! reader as they are taken, with the C monitor's output buffer kept only as a count.

use super::live::trace_record_event;
use super::Events;
use super::Monitor;
use crate::event::MaskMap;
use crate::queue::Record;
use crate::uapi;
use crate::xfs::trace;
use kernel::iov::IovIterDest;
use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;
use kernel::sync::lock::spinlock::SpinLockGuard;
use kernel::transmute::AsBytes;

/// Largest output buffer a reader gets, as in C.
const MAX_OUTBUF: usize = 64 * 1024;

/// Records taken from the queue per hold of its lock while reading: bounds how long a reader
/// keeps reporters spinning, while taking the lock far less often than once per record (C takes
/// its mutex once per record).  Also the records the reader's batch holds.
const READ_BATCH: usize = 16;

/// What the reader has taken from the queue and not yet copied out, and the C monitor's output
/// buffer, which it stands in for.
///
/// The C monitor keeps an output buffer of `size` bytes (set by the first read, at most 64 KiB)
/// for the monitor's life, formats queued records into it until it is full, and then copies
/// them out; what the reader's buffer cannot take stays for the next read.  This one formats up
/// to [`READ_BATCH`] records at a time into `batch` (1 KiB, allocated by the first read, as C's
/// buffer is) and copies them out at once, so a reader that takes everything (`xfs_healer`
/// reads 64 KiB, more than the queue holds) needs no more.  It keeps C's buffer as a count
/// (`head`, the bytes formatted since the buffer was last empty), so that it takes exactly the
/// records C would take: when the reader's buffer fills, or its copy faults, part way, the rest
/// of what C would have formatted goes to `spill`, allocated then and freed once read.  The
/// records taken are then out of the queue, as in C, so no later event merges into them.
///
/// # Invariants
///
/// - `batch` has room for `READ_BATCH` records once `size` is set; `btail <= batch.len()` times
///   a record's size and `stail <= spill.len()`: the bytes not yet copied are those of `batch`
///   from `btail` on, then `spill[stail..]`.
/// - `pending() <= head <= size`: they are the last of the bytes formatted since the buffer was
///   last empty.
pub(super) struct OutBuf {
    size: usize,
    head: usize,
    batch: KVec<uapi::V0Record>,
    btail: usize,
    spill: KVVec<u8>,
    stail: usize,
}

impl OutBuf {
    /// An empty buffer, before the first read.
    pub(super) fn new() -> Self {
        // INVARIANT: empty, with no buffer yet.
        OutBuf {
            size: 0,
            head: 0,
            batch: KVec::new(),
            btail: 0,
            spill: KVVec::new(),
            stail: 0,
        }
    }

    /// Frees the buffers, once the file is released: what is left owns no memory, so the
    /// monitor's memory may go without a drop of `OutBuf`.  A buffer never allocated is left
    /// alone (dropping even an empty vector calls the allocator, about 70 instructions).
    pub(super) fn free(&mut self) {
        // INVARIANT: As before the first read: no size, nothing pending, no buffer.
        self.size = 0;
        self.head = 0;
        self.btail = 0;
        self.stail = 0;
        if self.batch.capacity() > 0 {
            self.batch = KVec::new();
        }
        if self.spill.capacity() > 0 {
            self.spill = KVVec::new();
        }
    }

    /// Sets C's buffer size for a first read of `count` bytes, and allocates the batch; C
    /// allocates its buffer then, and fails the read with ENOMEM if it cannot, as this does.
    fn first_read(&mut self, count: usize) -> Result {
        self.batch = KVec::with_capacity(READ_BATCH, GFP_KERNEL)?;
        // INVARIANT: the batch has room for `READ_BATCH` records, and nothing was formatted
        // before the first read.
        self.size = Self::size_for(count);
        Ok(())
    }

    /// Bytes in the batch.
    fn batch_bytes(&self) -> usize {
        self.batch.len() * uapi::V0_SIZE
    }

    /// The buffer size the C monitor picks for a first read of `count` bytes.
    #[allow(clippy::manual_clamp)]
    fn size_for(count: usize) -> usize {
        // C's `min(64 KiB, max(PAGE_SIZE, count))`, which is 64 KiB on a page size above that,
        // where `clamp()`, which clippy suggests, would panic.
        count.max(kernel::page::PAGE_SIZE).min(MAX_OUTBUF)
    }

    /// The size of C's buffer; zero before the first read.
    fn size(&self) -> usize {
        self.size
    }

    /// Bytes taken but not yet copied.
    fn pending(&self) -> usize {
        (self.batch_bytes() - self.btail) + (self.spill.len() - self.stail)
    }

    /// How many more records C's buffer would take before it is copied out.
    fn room(&self) -> usize {
        (self.size - self.head) / uapi::V0_SIZE
    }

    /// Empties C's buffer once everything in it has been copied out, as C does after each copy;
    /// the spill's memory goes with it.
    fn reset_if_copied(&mut self) {
        if self.pending() == 0 {
            // INVARIANT: nothing pending, and a buffer with nothing formatted.
            self.head = 0;
            self.batch.clear();
            self.btail = 0;
            self.stail = 0;
            if self.spill.capacity() > 0 {
                self.spill = KVVec::new();
            }
        }
    }

    /// Empties the monitor's buffer, all of which has been copied, for the next batch of the
    /// same round: C's buffer is not empty yet.
    fn next_batch(&mut self) {
        if self.btail == self.batch_bytes() {
            // INVARIANT: nothing of the batch is pending.
            self.batch.clear();
            self.btail = 0;
        }
    }

    /// Records the monitor's buffer can take now, at most `READ_BATCH` and what C's buffer
    /// has room for.
    fn batch_room(&self) -> usize {
        (self.batch.capacity() - self.batch.len()).min(self.room())
    }

    /// Formats `rec`, a record popped from the queue, into the batch; the caller has checked
    /// `batch_room()`, so this never allocates.
    fn put(&mut self, rec: &Record, masks: &impl MaskMap) {
        let v0 = rec.event.encode_v0(rec.time_ns, masks);
        if self.room() > 0 && self.batch.push_within_capacity(v0).is_ok() {
            // INVARIANT: `room()` was at least one.
            self.head += uapi::V0_SIZE;
        } else {
            // Cannot happen (the caller checked); if it did, the record would be lost to the
            // reader although the queue counts it as delivered: the warning says why.
            kernel::warn_on!(true);
        }
    }

    /// Formats `rec`, a record popped from the queue, into the spill; the caller has checked
    /// `room()` and reserved the memory, so this never allocates.
    fn put_spill(&mut self, rec: &Record, masks: &impl MaskMap) {
        let fits = self.room() > 0 && self.spill.capacity() - self.spill.len() >= uapi::V0_SIZE;
        let v0 = rec.event.encode_v0(rec.time_ns, masks);
        if fits
            && self
                .spill
                .extend_from_slice(v0.as_bytes(), GFP_NOWAIT)
                .is_ok()
        {
            // INVARIANT: `room()` was at least one.
            self.head += uapi::V0_SIZE;
        } else {
            // Cannot happen, as in `put`.
            kernel::warn_on!(true);
        }
    }

    /// Copies pending bytes to `to`: C's copy of its buffer.  Copying nothing of something is a
    /// fault.
    fn copy_to(&mut self, to: &mut IovIterDest<'_>) -> Result<usize> {
        let mut copied = 0;
        if let Some(src) = self.batch.as_slice().as_bytes().get(self.btail..) {
            if !src.is_empty() {
                let n = to.copy_to_iter(src);
                // INVARIANT: `copy_to_iter` copies at most `src.len()` bytes.
                self.btail += n;
                copied += n;
            }
        }
        if self.btail == self.batch_bytes() {
            if let Some(src) = self.spill.get(self.stail..) {
                if !src.is_empty() {
                    let n = to.copy_to_iter(src);
                    // INVARIANT: as above.
                    self.stail += n;
                    copied += n;
                }
            }
        }
        if copied == 0 && self.pending() > 0 {
            return Err(EFAULT);
        }
        Ok(copied)
    }
}

impl Monitor {
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
            // Counted under the lock, before the waiter drops it: a report that queues after
            // that sees the count and wakes a reader.
            events.sleepers += 1;
            signalled = self.readers.wait_interruptible(&mut events);
            events.sleepers -= 1;
        }
    }

    /// Takes queued records into the monitor's buffer while it and C's buffer have room; says
    /// how many, and, if `round_start` and the `copybuf` tracepoint is on, where C's buffer
    /// would end once C had formatted its round (records while it has room, as many as are
    /// queued now).
    fn fill_batch(
        &self,
        out: &mut OutBuf,
        masks: &impl MaskMap,
        round_start: bool,
    ) -> (usize, Option<usize>) {
        let mut events = self.events.lock();
        let room = out.room();
        let n = self.take(&mut events, out.batch_room(), |rec| out.put(rec, masks));
        let c_head = (round_start && trace::copybuf_on()).then(|| {
            let queued = n + events.queue.waiting() as usize;
            out.head - n * uapi::V0_SIZE + queued.min(room) * uapi::V0_SIZE
        });
        // Records taken from the queue must stay visible to other readers and to pollers, who
        // look under this lock: as buffered bytes, before the lock goes.  (Left to the end of
        // the read, a second reader could find neither records nor bytes while this one copies
        // to userspace, and sleep with bytes to read.)
        self.buffered.store(out.pending(), Relaxed);
        (n, c_head)
    }

    /// Pops up to `max` records and hands each to `put`, which has room for `max`; says how
    /// many it took.
    #[inline(always)]
    fn take(
        &self,
        events: &mut SpinLockGuard<'_, Events>,
        max: usize,
        mut put: impl FnMut(&Record),
    ) -> usize {
        let mut n = 0;
        while n < max {
            let Some(rec) = events.queue.pop(self.live()) else {
                break;
            };
            if trace::enabled(trace::Kind::Format) {
                trace_record_event(trace::Kind::Format, self.dev, &events.queue, rec.event);
            }
            put(&rec);
            n += 1;
        }
        n
    }

    /// Takes into the spill what C would format into its buffer now: records while it has
    /// room, `READ_BATCH` per hold of the queue lock.  The memory is allocated with the queue
    /// unlocked, for the records queued then; if that fails, the records stay queued, to be
    /// read next time.
    fn spill(&self, out: &mut OutBuf, masks: &impl MaskMap) {
        let mut want = out.room().min(self.events.lock().queue.waiting() as usize);
        if want == 0 || out.spill.reserve(want * uapi::V0_SIZE, GFP_KERNEL).is_err() {
            return;
        }
        while want > 0 {
            let mut events = self.events.lock();
            let n = self.take(&mut events, want.min(READ_BATCH), |rec| {
                out.put_spill(rec, masks)
            });
            self.buffered.store(out.pending(), Relaxed);
            drop(events);
            if n < READ_BATCH {
                return;
            }
            want -= n;
        }
    }

    /// Reads V0 records into `to`: first what is left from the last read, then as many queued
    /// records as fit.  Returns 0 at the end of the stream only, once the monitor has
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
                if let Err(e) = out.first_read(to.len()) {
                    trace::monitor(trace::Kind::ReadFinish, || self.trace_mon());
                    self.finish_read(&out, true);
                    return Err(e);
                }
            }
            trace::monitor(trace::Kind::ReadStart, || self.trace_mon());
            let result = self.read_locked(&mut out, to, masks);
            trace::monitor(trace::Kind::ReadFinish, || self.trace_mon());
            // A reader that stopped short of what it could take (its destination filled, or
            // the copy faulted, perhaps after copying part) may leave records or bytes behind.
            // One that stopped with room left and nothing buffered found the queue empty, and
            // whatever came after woke a reader of its own.
            let stopped_short = to.is_empty() || out.pending() > 0 || result.is_err();
            let at_end = self.finish_read(&out, stopped_short);
            match result {
                Ok(0) if !to.is_empty() && !at_end => {
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

    /// Ends a hold of the reader's buffer `out`: publishes what is left in it and, if this
    /// reader `stopped_short` and leaves something to read, wakes the next blocked reader, as
    /// `pipe_read()` does.  A new record wakes one reader only, where C wakes them all, so a
    /// reader that leaves it half read (a short buffer, a fault, an allocation failure) must
    /// pass the wake-up on; deciding here, under `out`, means that a reader that took nothing
    /// (a non-blocking one that found no records, or one that found them taken) never wakes
    /// another.  Says whether the stream has ended: detached, and nothing queued or buffered.
    fn finish_read(&self, out: &OutBuf, stopped_short: bool) -> bool {
        let events = self.events.lock();
        self.buffered.store(out.pending(), Relaxed);
        if stopped_short && events.sleepers > 0 && self.has_data_locked(&events) {
            self.readers.notify_one();
        }
        events.detached && events.queue.is_empty() && out.pending() == 0
    }

    /// Fires `xfs_healthmon_copybuf` before a copy from `out` to `to`, with C's buffer as it
    /// is.
    #[inline(always)]
    fn trace_copybuf(&self, out: &OutBuf, to: &IovIterDest<'_>) {
        self.trace_copybuf_at(out, out.head, out.head.saturating_sub(out.pending()), to);
    }

    /// Fires `xfs_healthmon_copybuf` with C's buffer holding `head` bytes, `tail` of them
    /// copied.
    #[inline(always)]
    fn trace_copybuf_at(&self, out: &OutBuf, head: usize, tail: usize, to: &IovIterDest<'_>) {
        let mon = || trace::Mon {
            dev: self.dev,
            bufsize: out.size as u64,
            bufhead: head as u64,
            buftail: tail as u64,
            ..Default::default()
        };
        trace::copybuf(mon, to.len());
    }

    /// C's read: what is left from the last read, then rounds of formatting records into its
    /// buffer until it is full and copying them out, while the reader has room.
    fn read_locked(
        &self,
        out: &mut OutBuf,
        to: &mut IovIterDest<'_>,
        masks: &impl MaskMap,
    ) -> Result<usize> {
        self.trace_copybuf(out, to);
        let mut copied = out.copy_to(to)?;
        out.reset_if_copied();
        while !to.is_empty() {
            let round = if out.pending() > 0 {
                // Only after a copy that faulted part way: C formats into what room is left,
                // then copies again (which faults again, unless the reader's memory appeared).
                self.spill(out, masks);
                self.trace_copybuf(out, to);
                let round = out.copy_to(to);
                out.reset_if_copied();
                round
            } else {
                self.round(out, to, masks)
            };
            match round {
                Ok(0) => break,
                Ok(n) => copied += n,
                Err(e) if copied == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(copied)
    }

    /// One of C's rounds on an empty buffer: format records while the buffer has room, then
    /// copy them out.  Here each batch is copied as it is taken; if the reader's buffer fills
    /// or faults part way, the rest of the round goes to the spill.  `copybuf` fires once, as
    /// in C, before the first copy, with C's buffer as C's round would have filled it (so with
    /// more than `READ_BATCH` records, formatting is traced partly before it and partly after).
    fn round(
        &self,
        out: &mut OutBuf,
        to: &mut IovIterDest<'_>,
        masks: &impl MaskMap,
    ) -> Result<usize> {
        let result = self.round_copy(out, to, masks);
        // C empties its buffer once all of it is copied.
        out.reset_if_copied();
        result
    }

    fn round_copy(
        &self,
        out: &mut OutBuf,
        to: &mut IovIterDest<'_>,
        masks: &impl MaskMap,
    ) -> Result<usize> {
        let mut copied = 0;
        let mut first = true;
        loop {
            let (n, c_head) = self.fill_batch(out, masks, first);
            if n == 0 && !first {
                // The queue is empty: C's round ended with the last batch, which is copied.
                return Ok(copied);
            }
            if first {
                self.trace_copybuf_at(out, c_head.unwrap_or(out.head), 0, to);
                first = false;
            }
            match out.copy_to(to) {
                Ok(w) => copied += w,
                Err(e) => {
                    // C would have formatted the whole round before its copy faulted.
                    self.spill(out, masks);
                    return if copied > 0 { Ok(copied) } else { Err(e) };
                }
            }
            if out.pending() > 0 || (to.is_empty() && out.room() > 0) {
                // The reader's buffer is full, or faulted: C would have formatted the rest of
                // the round before copying.
                self.spill(out, masks);
                return Ok(copied);
            }
            if n < READ_BATCH || out.room() == 0 {
                return Ok(copied);
            }
            out.next_batch();
        }
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_read)]
mod tests {
    use super::*;
    use crate::event::testing::*;

    use crate::event::Event;
    use crate::event::FileIo;
    use crate::event::MediaDev;
    use crate::file::XfsMasks;
    use crate::monitor::MonitorRef;
    use crate::monitor::Reporting;
    use crate::queue::Outcome;
    use crate::xfs::ReportRcu;
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

    /// Makes `hm` look attached (to no real mount) or detached, so that reads can be driven
    /// without a mount.
    ///
    /// # Safety
    ///
    /// While `hm` looks attached, neither [`Monitor::detach`] nor [`Monitor::release`] may run
    /// on it: they would look up the mount of a superblock address that is not one.
    unsafe fn set_attached(hm: &Monitor, attached: bool) {
        hm.cookie.store(usize::from(attached), Relaxed);
        hm.events.lock().detached = !attached;
    }

    /// Reports `event` as the report functions do, without a mount.
    fn push(hm: &Monitor, event: Event) -> Outcome {
        let rcu = ReportRcu::enter();
        let Some(mut r) = Reporting::new(hm, hm.events.lock(), rcu) else {
            return Outcome::Ignored;
        };
        let outcome = r.events.queue.push(event, r.live);
        r.finish(outcome)
    }

    /// A monitor with records to read, made to look attached (to no real mount).
    fn monitor_with(events: &[Event]) -> Result<MonitorRef> {
        let hm = Monitor::create(0x0080_0010, false)?;
        // SAFETY: Nothing detaches or releases the monitor: the tests make it look detached
        // again before they drop it, and dropping only puts the reference.
        unsafe { set_attached(&hm, true) };
        for e in events {
            push(&hm, *e);
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
        // C's `min(64 KiB, max(PAGE_SIZE, count))`, whatever the page size.
        assert_eq!(OutBuf::size_for(1), PAGE_SIZE.min(64 * 1024));
        assert_eq!(
            OutBuf::size_for(PAGE_SIZE + 64),
            (PAGE_SIZE + 64).min(64 * 1024)
        );
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
        // SAFETY: Looking detached is what the monitor's detach and release expect.
        unsafe { set_attached(&hm, false) };
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
            // A one-byte first read still sizes C's buffer to a page.
            assert_eq!(hm.out.lock().size(), OutBuf::size_for(1));
            // SAFETY: Looking detached is what the monitor's detach and release expect.
            unsafe { set_attached(&hm, false) };
        }
        Ok(())
    }

    /// Distinct records: media errors that do not touch.
    fn distinct(n: u64) -> impl Iterator<Item = Event> {
        (0..n).map(|i| media(MediaDev::Data, 1000 * i, 8))
    }

    #[test]
    fn a_reader_that_takes_everything_needs_no_memory() -> Result {
        let hm = monitor_with(&[])?;
        for e in distinct(300) {
            push(&hm, e);
        }
        let mut buf = KVec::from_elem(0u8, 64 * 1024, GFP_KERNEL)?;
        assert_eq!(read_into(&hm, &mut buf, true)?, 301 * uapi::V0_SIZE);
        {
            let out = hm.out.lock();
            assert_eq!(out.pending(), 0);
            assert_eq!(out.spill.capacity(), 0);
        }
        // SAFETY: Looking detached is what the monitor's detach and release expect.
        unsafe { set_attached(&hm, false) };
        Ok(())
    }

    /// Reads everything left with one 64 KiB read and checks that `first`, then that, are the
    /// records of `want`.
    fn read_rest_and_check(hm: &Monitor, first: &[u8], want: &[Event]) -> Result {
        let mut all = KVec::from_elem(0u8, 64 * 1024, GFP_KERNEL)?;
        let n = read_into(hm, &mut all, true)?;
        assert_eq!(first.len() + n, want.len() * uapi::V0_SIZE);
        let mut stream = KVec::new();
        stream.extend_from_slice(first, GFP_KERNEL)?;
        stream.extend_from_slice(&all[..n], GFP_KERNEL)?;
        for (i, w) in expected(want).iter().enumerate() {
            assert!(same_record(&stream[i * 64..(i + 1) * 64], w));
        }
        Ok(())
    }

    /// What C's read of `count` bytes does with `queued` records and a buffer that holds
    /// `per_round` of them: rounds of formatting as many records as the buffer holds, then
    /// copying, until the reader's buffer is full.  Returns the bytes read and the records
    /// taken from the queue.
    fn c_read(count: usize, mut queued: usize, per_round: usize) -> (usize, usize) {
        let (mut read, mut taken) = (0, 0);
        loop {
            let round = queued.min(per_round);
            if round == 0 || read == count {
                return (read, taken);
            }
            queued -= round;
            taken += round;
            let copied = (count - read).min(round * uapi::V0_SIZE);
            read += copied;
            if copied < round * uapi::V0_SIZE {
                return (read, taken);
            }
        }
    }

    #[test]
    fn a_short_read_takes_what_c_takes() -> Result {
        // A first read of `first` bytes sizes C's buffer, which then takes as many records as
        // it holds (`per_round`), round after round, and leaves the rest queued, where the
        // newest can still merge.  Six more records than a round are queued: RUNNING and
        // `per_round + 5` media errors.  The sizes: shorter than a record, a batch's worth
        // (the reader's buffer ends exactly at a batch), a page, and a size that is not a
        // multiple of a record (whose second round takes the rest).
        for first in [1usize, 100, 1024, 4096, 4152] {
            let per_round = OutBuf::size_for(first) / uapi::V0_SIZE;
            if per_round + 6 > crate::queue::ORDINARY_LIMIT {
                // Pages too large for this queue to hold more than C's buffer.
                continue;
            }
            let media_errors = (per_round + 5) as u64;
            let (c_read_bytes, c_taken) = c_read(first, per_round + 6, per_round);
            let hm = monitor_with(&[])?;
            for e in distinct(media_errors) {
                push(&hm, e);
            }
            let mut head = KVec::from_elem(0u8, first, GFP_KERNEL)?;
            let n = read_into(&hm, &mut head, true)?;
            assert_eq!(n, c_read_bytes);
            assert_eq!(hm.out.lock().pending(), c_taken * uapi::V0_SIZE - n);
            let (stats, _) = hm.stats();
            assert_eq!(stats.delivered, c_taken as u64);
            assert_eq!(stats.queued, (per_round + 6 - c_taken) as u64);
            // A media error that touches the newest record merges into it if it is still
            // queued, and is a record of its own if the read took it.
            let newest = media_errors - 1;
            let touching = media(MediaDev::Data, 1000 * newest + 8, 8);
            let still_queued = c_taken < per_round + 6;
            let mut want = KVec::new();
            want.push(Event::Running, GFP_KERNEL)?;
            for e in distinct(newest) {
                want.push(e, GFP_KERNEL)?;
            }
            if still_queued {
                assert_eq!(push(&hm, touching), Outcome::Merged);
                want.push(media(MediaDev::Data, 1000 * newest, 16), GFP_KERNEL)?;
            } else {
                assert_eq!(push(&hm, touching), Outcome::Queued);
                want.push(media(MediaDev::Data, 1000 * newest, 8), GFP_KERNEL)?;
                want.push(touching, GFP_KERNEL)?;
            }
            read_rest_and_check(&hm, &head[..n], &want)?;
            // Read out: the spill's memory is gone.
            assert_eq!(hm.out.lock().spill.capacity(), 0);
            // SAFETY: Looking detached is what the monitor's detach and release expect.
            unsafe { set_attached(&hm, false) };
        }
        Ok(())
    }

    #[test]
    fn an_empty_read_of_leftovers_faults() -> Result {
        // As C: with bytes left from the last read, a read of nothing copies nothing of them.
        let hm = monitor_with(&[media(MediaDev::Data, 0, 8)])?;
        let mut head = [0u8; 100];
        assert_eq!(read_into(&hm, &mut head, true)?, 100);
        assert!(read_into(&hm, &mut [], true) == Err(EFAULT));
        let mut rest = [0u8; 28];
        assert_eq!(read_into(&hm, &mut rest, true)?, 28);
        // SAFETY: Looking detached is what the monitor's detach and release expect.
        unsafe { set_attached(&hm, false) };
        Ok(())
    }

    #[test]
    fn records_taken_but_not_read_do_not_merge() -> Result {
        // RUNNING and 30 records, more than one batch, all taken by a first read of 100 bytes,
        // as C's buffer takes them: the newest is out of the queue, and a record that touches
        // it is queued on its own.
        let hm = monitor_with(&[])?;
        for e in distinct(30) {
            push(&hm, e);
        }
        let mut first = [0u8; 100];
        assert_eq!(read_into(&hm, &mut first, true)?, 100);
        assert_eq!(hm.stats().0.queued, 0);
        let touching = media(MediaDev::Data, 29_008, 8);
        assert_eq!(push(&hm, touching), Outcome::Queued);
        let mut want = KVec::new();
        want.push(Event::Running, GFP_KERNEL)?;
        for e in distinct(30) {
            want.push(e, GFP_KERNEL)?;
        }
        want.push(touching, GFP_KERNEL)?;
        read_rest_and_check(&hm, &first, &want)?;
        // SAFETY: Looking detached is what the monitor's detach and release expect.
        unsafe { set_attached(&hm, false) };
        Ok(())
    }
}
