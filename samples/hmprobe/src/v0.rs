// SPDX-License-Identifier: GPL-2.0

//! The health monitor's userspace ABI (`include/uapi/xfs_healthmon.h`), and a decoder of V0
//! records into one line of text each.

/// `struct xfs_health_monitor`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct HealthMonitor {
    pub flags: u64,
    pub format: u8,
    pub pad: [u8; 23],
}

/// `struct xfs_health_file_on_monitored_fs`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct FileOnMonitoredFs {
    pub fd: i32,
    pub flags: u32,
}

const fn iow(nr: u64, size: usize) -> u64 {
    (1 << 30) | ((size as u64) << 16) | ((b'X' as u64) << 8) | nr
}

/// `XFS_IOC_HEALTH_MONITOR`.
pub const XFS_IOC_HEALTH_MONITOR: u64 = iow(68, std::mem::size_of::<HealthMonitor>());
/// `XFS_IOC_HEALTH_FD_ON_MONITORED_FS`.
pub const XFS_IOC_HEALTH_FD_ON_MONITORED_FS: u64 =
    iow(69, std::mem::size_of::<FileOnMonitoredFs>());
/// `XFS_HEALTH_MONITOR_VERBOSE`.
pub const MONITOR_VERBOSE: u64 = 1;

/// Size of a V0 record.
pub const V0_SIZE: usize = 64;

/// One decoded V0 record.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Record {
    pub domain: u32,
    pub ty: u32,
    pub time_ns: u64,
    pub e: [u8; 32],
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
    /// Decodes the 64 bytes of a record.
    pub fn parse(b: &[u8]) -> Record {
        let mut e = [0u8; 32];
        e.copy_from_slice(&b[16..48]);
        let mut pad = [0u8; 16];
        pad.copy_from_slice(&b[48..64]);
        Record {
            domain: u32_at(b, 0),
            ty: u32_at(b, 4),
            time_ns: u64_at(b, 8),
            e,
            pad,
        }
    }

    /// The type's name, as xfs_io prints it.
    pub fn type_name(&self) -> &'static str {
        const NAMES: [&str; 13] = [
            "running",
            "lost",
            "unmount",
            "sick",
            "corrupt",
            "healthy",
            "shutdown",
            "media_error",
            "buffered_read",
            "buffered_write",
            "directio_read",
            "directio_write",
            "data_lost",
        ];
        NAMES
            .get(self.ty as usize)
            .copied()
            .unwrap_or("unknown-type")
    }

    fn domain_name(&self) -> &'static str {
        const NAMES: [&str; 9] = [
            "mount",
            "fs",
            "ag",
            "inode",
            "rtgroup",
            "datadev",
            "rtdev",
            "logdev",
            "filerange",
        ];
        NAMES
            .get(self.domain as usize)
            .copied()
            .unwrap_or("unknown-domain")
    }

    /// The record's 64 bytes with `time_ns` zeroed: what must be equal between two monitors.
    pub fn bytes_without_time(&self) -> [u8; V0_SIZE] {
        let mut b = [0u8; V0_SIZE];
        b[0..4].copy_from_slice(&self.domain.to_ne_bytes());
        b[4..8].copy_from_slice(&self.ty.to_ne_bytes());
        b[16..48].copy_from_slice(&self.e);
        b[48..64].copy_from_slice(&self.pad);
        b
    }

    /// `lost.count` of a LOST record.
    pub fn lost_count(&self) -> u64 {
        u64_at(&self.e, 0)
    }

    /// One line: type, domain and the fields of the domain (no timestamp).
    pub fn describe(&self) -> String {
        let e = &self.e;
        let body = match (self.domain, self.ty) {
            (0, 1) => format!("count={}", u64_at(e, 0)),
            (0, 6) => format!("reasons={:#x}", u32_at(e, 0)),
            (0, _) => String::new(),
            (1, _) => format!("mask={:#x}", u32_at(e, 0)),
            (2 | 4, _) => format!("group={} mask={:#x}", u32_at(e, 4), u32_at(e, 0)),
            (3, _) => format!(
                "ino={} gen={:#x} mask={:#x}",
                u64_at(e, 8),
                u32_at(e, 4),
                u32_at(e, 0)
            ),
            (5..=7, _) => format!("daddr={} bbcount={}", u64_at(e, 0), u64_at(e, 8)),
            (8, _) => format!(
                "ino={} gen={:#x} pos={} len={} error={}",
                u64_at(e, 16),
                u32_at(e, 24),
                u64_at(e, 0),
                u64_at(e, 8),
                u32_at(e, 28)
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
