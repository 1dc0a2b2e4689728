// SPDX-License-Identifier: GPL-2.0

//! The health monitor's ABI for the test helpers, from the xfs-healthmon library (which checks it
//! against `include/uapi/xfs_healthmon.h`), and the one-line description of a record that the
//! golden files hold.

use xfs_healthmon::abi;
use xfs_healthmon::abi::e;
use xfs_healthmon::Domain;
use xfs_healthmon::EventType;

pub use xfs_healthmon::abi::FileOnMonitoredFsArg as FileOnMonitoredFs;
pub use xfs_healthmon::abi::HealthMonitorArg as HealthMonitor;
pub use xfs_healthmon::abi::XFS_IOC_HEALTH_FD_ON_MONITORED_FS;
pub use xfs_healthmon::abi::XFS_IOC_HEALTH_MONITOR;

/// `XFS_HEALTH_MONITOR_VERBOSE`.
pub const MONITOR_VERBOSE: u64 = abi::XFS_HEALTH_MONITOR_VERBOSE;

/// Size of a V0 record.
pub const V0_SIZE: usize = abi::RECORD_SIZE;

/// One record, split into its fields (the tests change and compare them).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Record {
    pub domain: u32,
    pub ty: u32,
    pub time_ns: u64,
    pub e: [u8; abi::E_SIZE],
    pub pad: [u8; 16],
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(a)
}

impl Record {
    /// Decodes the 64 bytes of a record (the caller passes whole records).
    pub fn parse(b: &[u8]) -> Record {
        let rec = xfs_healthmon::Record::from_slice(b).expect("a whole record");
        let mut e = [0u8; abi::E_SIZE];
        e.copy_from_slice(rec.payload());
        let mut pad = [0u8; 16];
        pad.copy_from_slice(&rec.as_bytes()[abi::OFF_PAD..]);
        Record {
            domain: rec.domain().code(),
            ty: rec.event_type().code(),
            time_ns: rec.time_ns(),
            e,
            pad,
        }
    }

    /// The type's name.
    pub fn type_name(&self) -> &'static str {
        match EventType::from_code(self.ty) {
            EventType::Unknown(_) => "unknown-type",
            t => t.id(),
        }
    }

    fn domain_name(&self) -> &'static str {
        match Domain::from_code(self.domain) {
            Domain::Unknown(_) => "unknown-domain",
            d => d.id(),
        }
    }

    /// The record's 64 bytes with `time_ns` zeroed: what must be equal between two monitors.
    pub fn bytes_without_time(&self) -> [u8; V0_SIZE] {
        let mut b = [0u8; V0_SIZE];
        b[abi::OFF_DOMAIN..abi::OFF_DOMAIN + 4].copy_from_slice(&self.domain.to_ne_bytes());
        b[abi::OFF_TYPE..abi::OFF_TYPE + 4].copy_from_slice(&self.ty.to_ne_bytes());
        b[abi::OFF_E..abi::OFF_E + abi::E_SIZE].copy_from_slice(&self.e);
        b[abi::OFF_PAD..].copy_from_slice(&self.pad);
        b
    }

    /// `lost.count` of a LOST record.
    pub fn lost_count(&self) -> u64 {
        u64_at(&self.e, e::LOST_COUNT)
    }

    /// One line: type, domain and the fields of the domain (no timestamp).
    pub fn describe(&self) -> String {
        let x = &self.e;
        let body = match (
            Domain::from_code(self.domain),
            EventType::from_code(self.ty),
        ) {
            (Domain::Mount, EventType::Lost) => format!("count={}", u64_at(x, e::LOST_COUNT)),
            (Domain::Mount, EventType::Shutdown) => {
                format!("reasons={:#x}", u32_at(x, e::SHUTDOWN_REASONS))
            }
            (Domain::Mount, _) => String::new(),
            (Domain::Fs, _) => format!("mask={:#x}", u32_at(x, e::FS_MASK)),
            (Domain::Ag | Domain::Rtgroup, _) => format!(
                "group={} mask={:#x}",
                u32_at(x, e::GROUP_GNO),
                u32_at(x, e::GROUP_MASK)
            ),
            (Domain::Inode, _) => format!(
                "ino={} gen={:#x} mask={:#x}",
                u64_at(x, e::INODE_INO),
                u32_at(x, e::INODE_GEN),
                u32_at(x, e::INODE_MASK)
            ),
            (Domain::Datadev | Domain::Rtdev | Domain::Logdev, _) => format!(
                "daddr={} bbcount={}",
                u64_at(x, e::MEDIA_DADDR),
                u64_at(x, e::MEDIA_BBCOUNT)
            ),
            (Domain::FileRange, _) => format!(
                "ino={} gen={:#x} pos={} len={} error={}",
                u64_at(x, e::FILERANGE_INO),
                u32_at(x, e::FILERANGE_GEN),
                u64_at(x, e::FILERANGE_POS),
                u64_at(x, e::FILERANGE_LEN),
                u32_at(x, e::FILERANGE_ERROR)
            ),
            _ => String::from("?"),
        };
        let pad = if self.pad.iter().any(|b| *b != 0) {
            " PADDING-NOT-ZERO"
        } else {
            ""
        };
        let sep = if body.is_empty() { "" } else { " " };
        format!(
            "{} {}{}{}{}",
            self.type_name(),
            self.domain_name(),
            sep,
            body,
            pad
        )
    }
}
