// SPDX-License-Identifier: GPL-2.0

//! A monitor's `/proc/PID/fdinfo/FD`: the C monitor's lines, and this project's accounting
//! where the Rust monitor adds it.

use std::io;

/// The lines of a monitor's fdinfo, each `None` where the kernel does not show it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdInfo {
    /// `state`: `alive` while the filesystem is mounted, `dead` after.
    pub state: Option<String>,
    /// `dev`: major and minor of the filesystem's device.
    pub dev: Option<(u32, u32)>,
    /// `format`: `v0`.
    pub format: Option<String>,
    /// `events`: records queued so far, LOST and UNMOUNT ones included.
    pub events: Option<u64>,
    /// `lost`: events lost so far.
    pub lost: Option<u64>,
    /// `reported` (Rust monitor): events offered to the queue.
    pub reported: Option<u64>,
    /// `delivered` (Rust monitor): events read by the reader.
    pub delivered: Option<u64>,
    /// `merged` (Rust monitor): events merged into a queued record.
    pub merged: Option<u64>,
    /// `queued` (Rust monitor): events waiting to be read.
    pub queued: Option<u64>,
    /// `verbose` (Rust monitor): whether every health change is reported.
    pub verbose: Option<bool>,
    /// `types` (Rust monitor): the events of `reported` by V0 type name, in the kernel's order.
    pub types: Vec<(String, u64)>,
    /// `domains` (Rust monitor): the same by V0 domain name.
    pub domains: Vec<(String, u64)>,
    /// Every other line (`pos`, `flags`, `mnt_id`, `ino`, and lines of later kernels), as key
    /// and value.
    pub other: Vec<(String, String)>,
}

impl FdInfo {
    /// Reads `/proc/PID/fdinfo/FD`.
    pub fn read(pid: u32, fd: i32) -> io::Result<FdInfo> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}"))?;
        Ok(FdInfo::parse(&text))
    }

    /// The fdinfo in `text`.  Lines that do not parse are kept in `other`.
    pub fn parse(text: &str) -> FdInfo {
        let mut info = FdInfo::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            let num = || value.parse::<u64>().ok();
            let slot = match key {
                "state" => {
                    info.state = Some(value.to_string());
                    continue;
                }
                "format" => {
                    info.format = Some(value.to_string());
                    continue;
                }
                "dev" => {
                    let dev = value
                        .split_once(':')
                        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
                    if dev.is_some() {
                        info.dev = dev;
                        continue;
                    }
                    None
                }
                "types" | "domains" => {
                    if let Some(counts) = name_counts(value) {
                        if key == "types" {
                            info.types = counts;
                        } else {
                            info.domains = counts;
                        }
                        continue;
                    }
                    None
                }
                "verbose" => {
                    if let Some(v) = num() {
                        info.verbose = Some(v != 0);
                        continue;
                    }
                    None
                }
                "events" => Some(&mut info.events),
                "lost" => Some(&mut info.lost),
                "reported" => Some(&mut info.reported),
                "delivered" => Some(&mut info.delivered),
                "merged" => Some(&mut info.merged),
                "queued" => Some(&mut info.queued),
                _ => None,
            };
            match (slot, num()) {
                (Some(slot), Some(v)) => *slot = Some(v),
                _ => info.other.push((key.to_string(), value.to_string())),
            }
        }
        info
    }

    /// Whether the by-type and by-domain counts each sum to `reported` (`None` without them).
    pub fn counts_add_up(&self) -> Option<bool> {
        let reported = self.reported?;
        if self.types.is_empty() || self.domains.is_empty() {
            return None;
        }
        let sum = |v: &[(String, u64)]| v.iter().map(|(_, n)| n).sum::<u64>();
        Some(sum(&self.types) == reported && sum(&self.domains) == reported)
    }

    /// Whether the monitor shows this project's accounting, and it balances:
    /// `reported == delivered + merged + lost + queued`.
    pub fn balanced(&self) -> Option<bool> {
        Some(self.reported? == self.delivered? + self.merged? + self.lost? + self.queued?)
    }
}

/// `name=count name=count ...`, or `None` if any pair does not parse.
fn name_counts(value: &str) -> Option<Vec<(String, u64)>> {
    value
        .split_whitespace()
        .map(|pair| {
            let (name, n) = pair.split_once('=')?;
            Some((name.to_string(), n.parse().ok()?))
        })
        .collect()
}
