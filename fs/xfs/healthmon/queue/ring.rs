// SPDX-License-Identifier: GPL-2.0

//! The ring's memory: one block of records, filled in order as records arrive.

use super::Record;
use core::ptr::NonNull;
use kernel::prelude::*;

/// Memory for the ring: what the C monitor allows its heap-allocated events.
pub(crate) const QUEUE_BYTES: usize = 32 * 1024;
/// Records in the ring.
pub(crate) const CAPACITY: usize = QUEUE_BYTES / core::mem::size_of::<Record>();

/// The ring's memory: one `kvmalloc()` block of [`CAPACITY`] records.
///
/// One block, not the 8 KiB pieces the kmalloc caches serve: a 32 KiB block is an order-3
/// allocation, which the page allocator serves from its per-CPU lists as quickly as a slab
/// cache, and `kvmalloc()` falls back to `vmalloc()` where memory is too fragmented for it.  One
/// allocation and one free per monitor cost less than four, and the record at a position is
/// found without dividing it by a chunk's size.
///
/// # Invariants
///
/// `records` has room for `CAPACITY` records (until [`Slots::take`]).
pub(crate) struct Slots {
    records: KVVec<Record>,
}

impl Slots {
    /// Allocates the ring, empty, for KUnit's queues.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn new() -> Result<Self> {
        Self::from_vec(KVVec::with_capacity(CAPACITY, GFP_KERNEL)?)
    }

    /// The ring in `records`, an empty vector with room for [`CAPACITY`] records (the monitor
    /// allocates it with `kvmalloc()` directly, see [`crate::xfs::kvvec_with_capacity`]).
    pub(crate) fn from_vec(records: KVVec<Record>) -> Result<Self> {
        if !records.is_empty() || records.capacity() < CAPACITY {
            return Err(EINVAL);
        }
        // INVARIANT: room for `CAPACITY` records, none of them stored.
        Ok(Slots { records })
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&Record> {
        self.records.get(i)
    }

    #[inline]
    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut Record> {
        self.records.get_mut(i)
    }

    /// The record at a position found by [`Slots::put`].
    #[inline]
    pub(super) fn at(&self, at: Pos) -> Option<&Record> {
        self.records.get(at.0)
    }

    /// [`Slots::at`], to change the record.
    #[inline]
    pub(super) fn at_mut(&mut self, at: Pos) -> Option<&mut Record> {
        self.records.get_mut(at.0)
    }

    /// Stores `rec` in slot `i`, over an old record or as the next one of a growing ring, and
    /// says where it went.
    #[inline]
    pub(super) fn put(&mut self, i: usize, rec: Record) -> Option<Pos> {
        if let Some(old) = self.records.get_mut(i) {
            *old = rec;
            return Some(Pos(i));
        }
        // Records are stored in order, so slot `i` is the next one of a growing ring; the ring
        // was allocated with room for all of them, so this never allocates.
        (self.records.len() == i && self.records.push_within_capacity(rec).is_ok())
            .then_some(Pos(i))
    }

    /// Gives up the memory, to be freed by the caller: the ring is then empty for good.
    pub(super) fn take(&mut self) -> RingMemory {
        // INVARIANT: taken for good; an empty vector holds no memory.
        RingMemory(core::mem::replace(&mut self.records, KVVec::new()))
    }
}

/// A ring's memory, taken from its queue so that it can be freed outside the queue's lock.
pub(crate) struct RingMemory(KVVec<Record>);

impl RingMemory {
    /// Gives up the memory as a `kvmalloc()` pointer for `kvfree()` (none if nothing was
    /// allocated).  The records need no drop: they are `Copy`.
    #[must_use = "the block leaks unless it is freed"]
    pub(crate) fn into_raw(self) -> Option<NonNull<u8>> {
        if self.0.capacity() == 0 {
            return None;
        }
        let (ptr, _len, _cap) = self.0.into_raw_parts();
        NonNull::new(ptr.cast::<u8>())
    }
}

/// Where a slot's record is.
#[derive(Clone, Copy, Default)]
pub(super) struct Pos(usize);

// A ring of 48-byte records uses all but 32 bytes of the block.
const _: () = assert!(CAPACITY * core::mem::size_of::<Record>() <= QUEUE_BYTES);
// Records are never dropped: `RingMemory::into_raw` frees the block without dropping them.
const _: () = assert!(!core::mem::needs_drop::<Record>());
const _: () = assert!(CAPACITY >= 680);
