// SPDX-License-Identifier: GPL-2.0

//! The report driver: the files its reports name, its commands, and the coverage of every event
//! kind.

use super::*;

impl Probe {
    /// `files=N`: N files on the filesystem for the driver's inode and file range reports.
    pub(crate) fn make_files(&mut self, n: usize) -> String {
        for i in self.files.len()..n {
            let path = format!("{}/hmprobe.{i}", self.mount);
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
            {
                Ok(f) => self.files.push(f),
                Err(e) => return format!("files: {path}: {e}"),
            }
        }
        self.known = self.known_inodes();
        format!("files: {n}")
    }

    /// `drv=CMD`: one command of the report driver, with R and FI replaced by fds.
    pub(crate) fn driver(&mut self, cmd: &str) -> String {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        if self.root.is_none() {
            match std::fs::File::open(&self.mount) {
                Ok(f) => self.root = Some(f),
                Err(e) => return format!("drv {cmd}: {e}"),
            }
            self.known = self.known_inodes();
        }
        let root = self.root.as_ref().map_or(-1, |f| f.as_raw_fd());
        let words: Vec<String> = cmd
            .split_whitespace()
            .map(|w| match w {
                "R" => root.to_string(),
                _ => w
                    .strip_prefix('F')
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| self.files.get(i))
                    .map_or_else(|| w.to_string(), |f| f.as_raw_fd().to_string()),
            })
            .collect();
        let mut ctl = match driver::open() {
            Ok(f) => f,
            Err(e) => return format!("drv {cmd}: {}: {e}", driver::CTL),
        };
        if let Err(e) = ctl.write_all(words.join(" ").as_bytes()) {
            let name = e.raw_os_error().map_or_else(|| e.to_string(), errno_name);
            return format!("drv {cmd}: {name}");
        }
        let mut res = String::new();
        let _ = ctl.read_to_string(&mut res);
        // The call's timestamp and duration differ from run to run; the rest does not.
        let res: Vec<&str> = res
            .split_whitespace()
            .filter(|w| !w.starts_with("t=") && !w.starts_with("ns="))
            .collect();
        format!("drv {cmd}: {}", res.join(" "))
    }

    /// Reads until the file ranges of the records of type `val`'s TYPE cover its [POS, POS+LEN)
    /// (see `cover=` above); records of other types are printed as they come.
    pub(crate) fn cover(&mut self, val: &str) -> Vec<String> {
        use xfs_healthmon::abi::e;
        let mut it = val.split(':');
        let (Some(kind), Some(pos), Some(len), None) = (it.next(), it.next(), it.next(), it.next())
        else {
            return vec![format!("cover={val}: want TYPE:POS:LEN")];
        };
        let (Ok(want_pos), Ok(want_len)) = (pos.parse::<u64>(), len.parse::<u64>()) else {
            return vec![format!("cover={val}: POS and LEN must be decimal numbers")];
        };
        let Some(want_end) = want_pos.checked_add(want_len) else {
            return vec![format!("cover={val}: POS+LEN overflows")];
        };
        let field64 = |r: &Record, at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&r.e[at..at + 8]);
            u64::from_ne_bytes(b)
        };
        let field32 = |r: &Record, at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&r.e[at..at + 4]);
            u32::from_ne_bytes(b)
        };
        /// (ino, gen, error) -> the ranges [start, end) seen, joined where they touch.
        type Ranges = std::collections::BTreeMap<(u64, u32, u32), Vec<(u64, u64)>>;
        let mut lines = Vec::new();
        let mut ranges = Ranges::new();
        let covered = |ranges: &Ranges| {
            ranges
                .values()
                .any(|v| v.iter().any(|&(s, e)| s <= want_pos && e >= want_end))
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut end = String::new();
        self.set_nonblock(true);
        while !covered(&ranges) {
            if std::time::Instant::now() >= deadline {
                end = format!("cover: timed out before {kind} covered {want_pos}..{want_end}");
                break;
            }
            let mut recs = Vec::new();
            match self.read_once(4096, &mut recs) {
                ReadEnd::Records(_) => {}
                ReadEnd::Err(libc::EAGAIN) => {
                    let _ = self.poll(100);
                }
                ReadEnd::Err(err) => {
                    end = format!("read: {}", errno_name(err));
                    break;
                }
                ReadEnd::Eof => {
                    end = "end of file".to_string();
                    break;
                }
            }
            for r in &recs {
                if r.type_name() != kind || r.domain != xfs_healthmon::Domain::FileRange.code() {
                    lines.push(self.record_line(r));
                    continue;
                }
                let key = (
                    field64(r, e::FILERANGE_INO),
                    field32(r, e::FILERANGE_GEN),
                    field32(r, e::FILERANGE_ERROR),
                );
                let start = field64(r, e::FILERANGE_POS);
                let v = ranges.entry(key).or_default();
                v.push((start, start.saturating_add(field64(r, e::FILERANGE_LEN))));
                v.sort_unstable();
                let mut joined: Vec<(u64, u64)> = Vec::new();
                for &(s, e) in v.iter() {
                    match joined.last_mut() {
                        Some(last) if s <= last.1 => last.1 = last.1.max(e),
                        _ => joined.push((s, e)),
                    }
                }
                *v = joined;
            }
        }
        self.set_nonblock(false);
        for ((ino, gen, error), v) in &ranges {
            for &(s, e) in v {
                lines.push(format!(
                    "{kind} filerange ino={ino} gen={gen:#x} failed pos={s} len={} error={error}",
                    e - s
                ));
            }
        }
        if !end.is_empty() {
            lines.push(end);
        }
        lines
    }
}
