// SPDX-License-Identifier: GPL-2.0

//! What the KUnit suites of events, queues and reads share: events built in one call, and
//! records as bytes.

use super::{
    Event,
    FileIo,
    Health,
    MaskMap,
    MediaDev,
    Metadata, //
};
use crate::uapi;
use kernel::transmute::AsBytes;

/// The bytes of a record, as `read()` copies them.
pub(crate) trait ToBytes {
    /// The record's bytes.
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
pub(crate) struct SameMasks;

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

/// A SICK report of inode `ino`, generation `gen`.
pub(crate) fn sick_inode(ino: u64, gen: u32, mask: u32) -> Event {
    Event::Metadata {
        health: Health::Sick,
        what: Metadata::Inode { ino, gen, mask },
    }
}

/// A SICK report of allocation group `group`.
pub(crate) fn sick_ag(group: u32, mask: u32) -> Event {
    Event::Metadata {
        health: Health::Sick,
        what: Metadata::Ag { group, mask },
    }
}

/// A file I/O error of inode `ino` (generation 7).
pub(crate) fn file_io(op: FileIo, ino: u64, pos: u64, len: u64, error: i32) -> Event {
    Event::FileIo {
        op,
        ino,
        gen: 7,
        pos,
        len,
        error,
    }
}

/// A media error on device `dev`.
pub(crate) fn media(dev: MediaDev, daddr: u64, bbcount: u64) -> Event {
    Event::Media {
        dev,
        daddr,
        bbcount,
    }
}
