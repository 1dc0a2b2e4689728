// SPDX-License-Identifier: GPL-2.0

//! The ring's memory: four 8 KiB chunks of records, filled in order as records arrive.

use super::Record;
use kernel::prelude::*;

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

/// The ring's memory: [`CHUNKS`] vectors of up to [`CHUNK`] records.
///
/// # Invariants
///
/// Each chunk has room for `CHUNK` records (until [`Slots::release`]), and the chunks fill in
/// order: a chunk holds records only once the ones before it are full.
pub(super) struct Slots {
    chunks: [KVec<Record>; CHUNKS],
}

impl Slots {
    /// Allocates the ring, empty.
    pub(super) fn new() -> Result<Self> {
        let chunk = || KVec::with_capacity(CHUNK, GFP_KERNEL);
        // INVARIANT: every chunk has room for `CHUNK` records and holds none.
        Ok(Slots {
            chunks: [chunk()?, chunk()?, chunk()?, chunk()?],
        })
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&Record> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    #[inline]
    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut Record> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    /// The record at a position found by [`Slots::put`], without dividing by `CHUNK` again.
    #[inline]
    pub(super) fn at(&self, at: Pos) -> Option<&Record> {
        self.chunks.get(at.chunk)?.get(at.index)
    }

    /// [`Slots::at`], to change the record.
    #[inline]
    pub(super) fn at_mut(&mut self, at: Pos) -> Option<&mut Record> {
        self.chunks.get_mut(at.chunk)?.get_mut(at.index)
    }

    /// Stores `rec` in slot `i`, over an old record or as the next one of a growing ring, and
    /// says where it went.
    #[inline]
    pub(super) fn put(&mut self, i: usize, rec: Record) -> Option<Pos> {
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
    pub(super) fn release(&mut self) {
        // INVARIANT: released for good.
        for chunk in &mut self.chunks {
            drop(core::mem::replace(chunk, KVec::new()));
        }
    }
}

/// Where a slot's record is: chunk and index within it.
#[derive(Clone, Copy, Default)]
pub(super) struct Pos {
    chunk: usize,
    index: usize,
}

const _: () = assert!(CHUNKS == 4);
const _: () = assert!(CHUNK * core::mem::size_of::<Record>() <= CHUNK_BYTES);
