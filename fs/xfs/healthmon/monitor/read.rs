// SPDX-License-Identifier: GPL-2.0

//! Reading a monitor: the output buffer of formatted V0 records, waiting for records, and
//! copying them to the reader.

use super::live::trace_record_event;
use super::Events;
use super::Monitor;
use crate::event::MaskMap;
use crate::uapi;
use crate::uapi::V0Record;
use crate::xfs::trace;
use kernel::iov::IovIterDest;
use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;
use kernel::sync::lock::spinlock::SpinLockGuard;
use kernel::transmute::AsBytes;

/// Largest output buffer a reader gets, as in C.
const MAX_OUTBUF: usize = 64 * 1024;

/// The formatted V0 records waiting to be copied to the reader.
///
/// # Invariants
///
/// `tail <= head <= buf.len()`; the bytes `buf[tail..head]` are formatted records not yet copied.
pub(super) struct OutBuf {
    buf: KVec<u8>,
    head: usize,
    tail: usize,
}

impl OutBuf {
    pub(super) fn new() -> Self {
        // INVARIANT: empty.
        OutBuf {
            buf: KVec::new(),
            head: 0,
            tail: 0,
        }
    }

    /// The buffer size the C monitor picks for a first read of `count` bytes.
    #[allow(clippy::manual_clamp)]
    fn size_for(count: usize) -> usize {
        // C's `min(64 KiB, max(PAGE_SIZE, count))`, which is 64 KiB on a page size above that,
        // where `clamp()`, which clippy suggests, would panic.
        count.max(kernel::page::PAGE_SIZE).min(MAX_OUTBUF)
    }

    /// Allocates the buffer on the first read, falling back to one page as C does.
    fn alloc(&mut self, count: usize) -> Result {
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
    fn size(&self) -> usize {
        self.buf.len()
    }

    /// Bytes formatted but not yet copied.
    fn pending(&self) -> usize {
        self.head - self.tail
    }

    /// How many more whole records fit.
    fn room(&self) -> usize {
        (self.buf.len() - self.head) / uapi::V0_SIZE
    }

    /// Appends a formatted record; the caller has checked for room.
    fn put(&mut self, rec: &V0Record) {
        if let Some(dst) = self.buf.get_mut(self.head..self.head + uapi::V0_SIZE) {
            dst.copy_from_slice(rec.as_bytes());
            // INVARIANT: the record fit within `buf`.
            self.head += uapi::V0_SIZE;
        }
    }

    /// Copies pending bytes to `to`.  Copying nothing of something is a fault.
    fn copy_to(&mut self, to: &mut IovIterDest<'_>) -> Result<usize> {
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

/// Records taken from the queue per hold of its lock while reading: bounds how long a reader
/// keeps reporters spinning, while taking the lock far less often than once per record (C takes
/// its mutex once per record).
const READ_BATCH: usize = 16;

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
            // A one-byte first read still gets a page-sized buffer.
            assert!(hm.out.lock().size() >= PAGE_SIZE);
            // SAFETY: Looking detached is what the monitor's detach and release expect.
            unsafe { set_attached(&hm, false) };
        }
        Ok(())
    }
}
