// SPDX-License-Identifier: GPL-2.0

//! V0 records, decoded without undefined behaviour: the 64 bytes are kept as they came, and every
//! field is read from them with `from_ne_bytes` at its offset, so a record from any buffer, at
//! any alignment, decodes, and whatever this library does not know (a new type, domain or mask
//! bit) is kept and shown rather than refused.

use crate::abi;
use crate::abi::e;
use crate::abi::Named;
use std::fmt;

/// One V0 record (`struct xfs_health_monitor_event`), in its 64 bytes of native byte order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Record {
    bytes: [u8; abi::RECORD_SIZE],
}

/// What a record is about: `XFS_HEALTH_MONITOR_DOMAIN_*`.
#[non_exhaustive]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Domain {
    /// The monitor and the mount as a whole.
    Mount,
    /// Filesystem-wide metadata.
    Fs,
    /// An allocation group's metadata.
    Ag,
    /// A file's metadata.
    Inode,
    /// A realtime group's metadata.
    Rtgroup,
    /// The data device.
    Datadev,
    /// The realtime device.
    Rtdev,
    /// The log device.
    Logdev,
    /// A range of a file.
    FileRange,
    /// A domain newer than this library.
    Unknown(u32),
}

/// What happened: `XFS_HEALTH_MONITOR_TYPE_*`.
#[non_exhaustive]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EventType {
    /// The monitor started: always the first record.
    Running,
    /// Events were lost since the previous LOST record.
    Lost,
    /// The filesystem was unmounted: the last records follow, then end of file.
    Unmount,
    /// Metadata was found bad while in use.
    Sick,
    /// Metadata was found bad by a check (scrub).
    Corrupt,
    /// Metadata was found or made good.
    Healthy,
    /// The filesystem shut down.
    Shutdown,
    /// A device reported a media error.
    MediaError,
    /// A buffered read of a file range failed.
    BufferedRead,
    /// A buffered write (writeback) of a file range failed.
    BufferedWrite,
    /// A direct read of a file range failed.
    DirectioRead,
    /// A direct write of a file range failed.
    DirectioWrite,
    /// A file range lost its data (media failure).
    DataLost,
    /// A type newer than this library.
    Unknown(u32),
}

macro_rules! coded {
    ($ty:ident, $table:expr, [$($v:ident),*]) => {
        impl $ty {
            /// The variants in the order of their values, from 0.
            const KNOWN: &'static [$ty] = &[$($ty::$v),*];

            /// The value of `code`.
            pub fn from_code(code: u32) -> $ty {
                Self::KNOWN.get(code as usize).copied().unwrap_or($ty::Unknown(code))
            }

            /// The number in the record.
            pub fn code(self) -> u32 {
                match self {
                    $ty::Unknown(code) => code,
                    known => Self::KNOWN.iter().position(|k| *k == known).unwrap_or(0) as u32,
                }
            }

            /// The entry of the ABI table, if the value is known.
            pub fn named(self) -> Option<&'static Named> {
                abi::lookup($table, self.code()).filter(|_| !matches!(self, $ty::Unknown(_)))
            }

            /// The name in JSON output (`unknown` for an unknown value).
            pub fn id(self) -> &'static str {
                self.named().map_or("unknown", |n| n.id)
            }
        }
    };
}

coded!(
    Domain,
    abi::DOMAINS,
    [Mount, Fs, Ag, Inode, Rtgroup, Datadev, Rtdev, Logdev, FileRange]
);
coded!(
    EventType,
    abi::TYPES,
    [
        Running,
        Lost,
        Unmount,
        Sick,
        Corrupt,
        Healthy,
        Shutdown,
        MediaError,
        BufferedRead,
        BufferedWrite,
        DirectioRead,
        DirectioWrite,
        DataLost
    ]
);

/// A set of bits and the table that names them: a health mask or shutdown reasons.  Bits the
/// table does not name are kept.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Flags {
    /// The bits, as in the record.
    pub bits: u32,
    /// The names of the bits this library knows.
    pub table: &'static [Named],
}

impl Flags {
    /// The named bits that are set, lowest first.
    pub fn known(&self) -> impl Iterator<Item = &'static Named> + '_ {
        self.table.iter().filter(|n| self.bits & n.value != 0)
    }

    /// The bits set that have no name here.
    pub fn unknown(&self) -> u32 {
        self.table.iter().fold(self.bits, |b, n| b & !n.value)
    }
}

/// A record's object and details, by domain (and, in the mount domain, by type).
#[non_exhaustive]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Details {
    /// RUNNING or UNMOUNT: nothing more.
    None,
    /// LOST: how many events were lost since the previous LOST record.
    Lost {
        /// `lost.count`.
        count: u64,
    },
    /// SHUTDOWN: why.
    Shutdown {
        /// `shutdown.reasons`.
        reasons: Flags,
    },
    /// Filesystem-wide metadata.
    Fs {
        /// `fs.mask`.
        mask: Flags,
    },
    /// Allocation group or realtime group metadata.
    Group {
        /// `group.gno`.
        gno: u32,
        /// `group.mask`.
        mask: Flags,
    },
    /// A file's metadata.
    Inode {
        /// `inode.ino`.
        ino: u64,
        /// `inode.gen`.
        gen: u32,
        /// `inode.mask`.
        mask: Flags,
    },
    /// A media error, in 512-byte sectors of the record's device.
    Media {
        /// `media.daddr`.
        daddr: u64,
        /// `media.bbcount`.
        bbcount: u64,
    },
    /// A failed file range.
    FileRange {
        /// `filerange.ino`.
        ino: u64,
        /// `filerange.gen`.
        gen: u32,
        /// `filerange.pos`.
        pos: u64,
        /// `filerange.len`.
        len: u64,
        /// `filerange.error`: a positive errno.
        error: u32,
    },
    /// A domain or type this library does not know: the union's bytes are in the record.
    Unknown,
}

impl Record {
    /// The record in `bytes`.
    pub fn from_bytes(bytes: [u8; abi::RECORD_SIZE]) -> Record {
        Record { bytes }
    }

    /// The record in the first 64 bytes of `buf`, if it has that many.
    pub fn from_slice(buf: &[u8]) -> Option<Record> {
        let bytes = buf.get(..abi::RECORD_SIZE)?.try_into().ok()?;
        Some(Record { bytes })
    }

    /// The 64 bytes, as read.
    pub fn as_bytes(&self) -> &[u8; abi::RECORD_SIZE] {
        &self.bytes
    }

    fn u32_at(&self, off: usize) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.bytes[off..off + 4]);
        u32::from_ne_bytes(b)
    }

    fn u64_at(&self, off: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes[off..off + 8]);
        u64::from_ne_bytes(b)
    }

    fn e32(&self, off: usize) -> u32 {
        self.u32_at(abi::OFF_E + off)
    }

    fn e64(&self, off: usize) -> u64 {
        self.u64_at(abi::OFF_E + off)
    }

    /// `domain`.
    pub fn domain(&self) -> Domain {
        Domain::from_code(self.u32_at(abi::OFF_DOMAIN))
    }

    /// `type`.
    pub fn event_type(&self) -> EventType {
        EventType::from_code(self.u32_at(abi::OFF_TYPE))
    }

    /// `time_ns`: when the kernel queued the event, in nanoseconds of `CLOCK_REALTIME`.
    pub fn time_ns(&self) -> u64 {
        self.u64_at(abi::OFF_TIME_NS)
    }

    /// The union `e`, as read.
    pub fn payload(&self) -> &[u8] {
        &self.bytes[abi::OFF_E..abi::OFF_E + abi::E_SIZE]
    }

    /// Whether `pad` is zero, as the ABI promises.
    pub fn pad_is_zero(&self) -> bool {
        self.bytes[abi::OFF_PAD..].iter().all(|b| *b == 0)
    }

    /// The object and details of the record, by the union member its domain (or, in the mount
    /// domain, its type) selects.
    pub fn details(&self) -> Details {
        let flags = |table| Flags {
            bits: self.e32(0),
            table,
        };
        match (self.domain(), self.event_type()) {
            (Domain::Mount, EventType::Running | EventType::Unmount) => Details::None,
            (Domain::Mount, EventType::Lost) => Details::Lost {
                count: self.e64(e::LOST_COUNT),
            },
            (Domain::Mount, EventType::Shutdown) => Details::Shutdown {
                reasons: flags(abi::SHUTDOWN_REASONS),
            },
            (Domain::Fs, _) => Details::Fs {
                mask: flags(abi::FS_MASK),
            },
            (Domain::Ag, _) => Details::Group {
                gno: self.e32(e::GROUP_GNO),
                mask: flags(abi::AG_MASK),
            },
            (Domain::Rtgroup, _) => Details::Group {
                gno: self.e32(e::GROUP_GNO),
                mask: flags(abi::RTGROUP_MASK),
            },
            (Domain::Inode, _) => Details::Inode {
                ino: self.e64(e::INODE_INO),
                gen: self.e32(e::INODE_GEN),
                mask: flags(abi::INODE_MASK),
            },
            (Domain::Datadev | Domain::Rtdev | Domain::Logdev, _) => Details::Media {
                daddr: self.e64(e::MEDIA_DADDR),
                bbcount: self.e64(e::MEDIA_BBCOUNT),
            },
            (Domain::FileRange, _) => Details::FileRange {
                ino: self.e64(e::FILERANGE_INO),
                gen: self.e32(e::FILERANGE_GEN),
                pos: self.e64(e::FILERANGE_POS),
                len: self.e64(e::FILERANGE_LEN),
                error: self.e32(e::FILERANGE_ERROR),
            },
            _ => Details::Unknown,
        }
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("domain", &self.domain())
            .field("type", &self.event_type())
            .field("time_ns", &self.time_ns())
            .field("details", &self.details())
            .finish()
    }
}
