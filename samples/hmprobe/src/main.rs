// SPDX-License-Identifier: GPL-2.0

//! hmprobe: drive the XFS health monitor from userspace, one operation at a time, printing one
//! line per result so that shell tests can compare the output with a golden file.
//!
//! ```text
//! hmprobe MOUNT OP...
//!   open[,verbose][,flags=N][,format=N][,pad=I:V][,badptr][,path=P]
//!                       create a monitor with XFS_IOC_HEALTH_MONITOR on MOUNT (or P)
//!   reconf[,...]        the same ioctl on the monitor fd (toggles verbose)
//!   onfs=PATH | onfs-fd=N | onfs-flags=N | onfs-badptr
//!                       XFS_IOC_HEALTH_FD_ON_MONITORED_FS
//!   ioctl=N             any other ioctl number on the monitor fd
//!   fdflags             access mode and close-on-exec of the monitor fd
//!   fdinfo=KEY,KEY...   those lines of the monitor fd's fdinfo
//!   balance             whether fdinfo shows reported = delivered + merged + lost + queued
//!   dump=PATH           append the whole fdinfo to PATH
//!   read[=CHUNK][,nonblock][,max=N]
//!                       read records (CHUNK bytes per read) until EOF or EAGAIN, or until at
//!                       least N records (one read returns as many whole records as fit)
//!   drain[=CHUNK]       read records until end of file
//!   summary[=CHUNK]     read until end of file and print what a lost-events test checks
//!   poll=MS             whether poll() says readable within MS milliseconds
//!   epoll=MS[,et]       whether epoll_wait() says readable within MS milliseconds, on one
//!                       level-triggered (or, with et, one edge-triggered) epoll instance that
//!                       is created with the monitor fd in it at its first use
//!   eintr               a blocking read interrupted by a signal
//!   await=KEY:N         wait (up to a minute) until fdinfo's KEY is at least N; reports that
//!                       arrive through a workqueue (file I/O, data loss) need it for a fixed order
//!   cover=TYPE:POS:LEN  read records (waiting up to a minute) until the file ranges of the
//!                       TYPE records cover [POS, POS+LEN); print the other records as read,
//!                       then each file's failed ranges of that type joined, one line per file,
//!                       error and joined range: how the page cache splits a failed I/O and in
//!                       which order fserror's workqueue reports the pieces is not fixed, what
//!                       failed is (pieces with different errors are joined apart, so they
//!                       never cover together)
//!   sh=CMD              run a shell command
//!   later=MS:CMD        run a shell command in the background after MS milliseconds; hmprobe
//!                       waits for it before exiting
//!   sleep=MS            wait
//!   close               close the monitor fd
//!   files=N             create and open N files MOUNT/hmprobe.I (kept open; F0..F(N-1) below)
//!   drv=CMD             one command of the test-only report driver (tests/driver/hmdrv.c), with
//!                       the words R (MOUNT's root directory) and FI (file I) replaced by their
//!                       fds; prints the driver's errno, or its result without the run-dependent
//!                       time (t=) and duration (ns=)
//!   unfiles             close the files of files=N and the root directory of drv
//!   bytes               from now on, print each record also as 64 bytes of hex, time_ns zeroed
//! ```

use std::ffi::CString;
use std::io::Write;
use std::process::Command;

use hmtest::driver;
use hmtest::errno;
use hmtest::errno_name;
use hmtest::parse_num;
use hmtest::v0;
use hmtest::v0::Record;
use xfs_healthmon::abi::e;

/// Result line of a call returning -1 on error.
fn result(what: &str, ret: i64) -> String {
    if ret < 0 {
        format!("{what}: {}", errno_name(errno()))
    } else {
        format!("{what}: ok")
    }
}

fn open_path(path: &str, flags: i32) -> i32 {
    let Ok(c) = CString::new(path) else {
        return -1;
    };
    // SAFETY: `c` is a valid C string for the duration of the call.
    unsafe { libc::open(c.as_ptr(), flags) }
}

/// The argument of XFS_IOC_HEALTH_MONITOR built from "verbose,flags=N,format=N,pad=I:V".
fn monitor_arg(opts: &[&str]) -> (v0::HealthMonitor, bool, Option<String>) {
    let mut hmo = v0::HealthMonitor::default();
    let mut badptr = false;
    let mut path = None;
    for opt in opts {
        let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
        match k {
            "verbose" => hmo.flags |= v0::MONITOR_VERBOSE,
            "flags" => hmo.flags = parse_num(v),
            "format" => hmo.format = parse_num(v) as u8,
            "pad" => {
                if let Some((i, b)) = v.split_once(':') {
                    let i = parse_num(i) as usize;
                    if i < hmo.pad.len() {
                        hmo.pad[i] = parse_num(b) as u8;
                    }
                }
            }
            "badptr" => badptr = true,
            "path" => path = Some(v.to_string()),
            _ => {}
        }
    }
    (hmo, badptr, path)
}

/// A pointer the kernel cannot read from.
fn bad_pointer() -> *mut libc::c_void {
    8 as *mut libc::c_void
}

struct Probe {
    mount: String,
    fd: i32,
    /// Bytes of a partly read record, carried over between reads.
    partial: Vec<u8>,
    /// The level-triggered and the edge-triggered epoll instances, once made.
    epfd: [Option<i32>; 2],
    /// Background commands started by `later`, waited for at exit.
    later: Vec<std::process::Child>,
    /// The files of `files=N`.
    files: Vec<std::fs::File>,
    /// MOUNT's root directory, opened for `drv` at its first use.
    root: Option<std::fs::File>,
    /// Whether records are printed with their bytes.
    bytes: bool,
    /// What `known_inodes` said when the files were last opened (kept after `unfiles`).
    known: Vec<(u64, u32, String)>,
}

/// What one read attempt ended with.
enum ReadEnd {
    Records(usize),
    Eof,
    Err(i32),
}

impl Probe {
    fn ioctl<T>(&self, fd: i32, cmd: u64, arg: *mut T) -> i64 {
        // SAFETY: `arg` points to a live, properly sized argument or is deliberately invalid
        // (the kernel then fails with EFAULT).
        i64::from(unsafe { libc::ioctl(fd, cmd as libc::c_ulong, arg) })
    }

    fn open(&mut self, opts: &[&str]) -> String {
        let (mut hmo, badptr, path) = monitor_arg(opts);
        let path = path.unwrap_or_else(|| self.mount.clone());
        let dirfd = open_path(&path, libc::O_RDONLY);
        if dirfd < 0 {
            return format!("open {path}: {}", errno_name(errno()));
        }
        let ret = if badptr {
            self.ioctl(dirfd, v0::XFS_IOC_HEALTH_MONITOR, bad_pointer())
        } else {
            self.ioctl(dirfd, v0::XFS_IOC_HEALTH_MONITOR, &mut hmo)
        };
        let err = errno();
        // SAFETY: `dirfd` is ours.
        unsafe { libc::close(dirfd) };
        if ret < 0 {
            return format!("create: {}", errno_name(err));
        }
        if self.fd >= 0 {
            // SAFETY: The previous monitor fd is ours.
            unsafe { libc::close(self.fd) };
        }
        self.close_epoll();
        self.fd = ret as i32;
        self.partial.clear();
        "create: ok".to_string()
    }

    fn reconf(&mut self, opts: &[&str]) -> String {
        let (mut hmo, badptr, _) = monitor_arg(opts);
        let ret = if badptr {
            self.ioctl(self.fd, v0::XFS_IOC_HEALTH_MONITOR, bad_pointer())
        } else {
            self.ioctl(self.fd, v0::XFS_IOC_HEALTH_MONITOR, &mut hmo)
        };
        result("reconfigure", ret)
    }

    fn onfs(&mut self, key: &str, val: &str) -> String {
        let mut arg = v0::FileOnMonitoredFs::default();
        let mut opened = -1;
        match key {
            "onfs" => {
                opened = open_path(val, libc::O_RDONLY);
                if opened < 0 {
                    return format!("open {val}: {}", errno_name(errno()));
                }
                arg.fd = opened;
            }
            "onfs-fd" => arg.fd = parse_num(val) as i32,
            "onfs-flags" => {
                opened = open_path(&self.mount.clone(), libc::O_RDONLY);
                arg.fd = opened;
                arg.flags = parse_num(val) as u32;
            }
            _ => {}
        }
        let ret = if key == "onfs-badptr" {
            self.ioctl(
                self.fd,
                v0::XFS_IOC_HEALTH_FD_ON_MONITORED_FS,
                bad_pointer(),
            )
        } else {
            self.ioctl(self.fd, v0::XFS_IOC_HEALTH_FD_ON_MONITORED_FS, &mut arg)
        };
        let line = result("fd-on-monitored-fs", ret);
        if opened >= 0 {
            // SAFETY: `opened` is ours.
            unsafe { libc::close(opened) };
        }
        line
    }

    fn fdinfo(&self) -> Vec<(String, String)> {
        let text =
            std::fs::read_to_string(format!("/proc/self/fdinfo/{}", self.fd)).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    }

    fn fdinfo_value(&self, key: &str) -> Option<u64> {
        self.fdinfo()
            .into_iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
    }

    fn balance(&self) -> String {
        let get = |k| self.fdinfo_value(k);
        match (
            get("reported"),
            get("delivered"),
            get("merged"),
            get("lost"),
            get("queued"),
        ) {
            (Some(r), Some(d), Some(m), Some(l), Some(q)) => {
                if r == d + m + l + q {
                    "accounting: reported = delivered + merged + lost + queued".to_string()
                } else {
                    format!("accounting: UNBALANCED reported={r} delivered={d} merged={m} lost={l} queued={q}")
                }
            }
            _ => "accounting: not shown".to_string(),
        }
    }

    /// One read of up to `chunk` bytes; complete records go to `out`.
    fn read_once(&mut self, chunk: usize, out: &mut Vec<Record>) -> ReadEnd {
        let mut buf = vec![0u8; chunk];
        // SAFETY: `buf` is writable for `chunk` bytes.
        let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), chunk) };
        if n < 0 {
            return ReadEnd::Err(errno());
        }
        if n == 0 {
            return ReadEnd::Eof;
        }
        self.partial.extend_from_slice(&buf[..n as usize]);
        let whole = self.partial.len() / v0::V0_SIZE * v0::V0_SIZE;
        let before = out.len();
        for rec in self.partial[..whole].chunks(v0::V0_SIZE) {
            out.push(Record::parse(rec));
        }
        self.partial.drain(..whole);
        ReadEnd::Records(out.len() - before)
    }

    /// Reads until `max` records, end of file or an error; returns the records and how it ended.
    fn read_records(&mut self, chunk: usize, max: usize) -> (Vec<Record>, String) {
        let mut recs = Vec::new();
        loop {
            if recs.len() >= max {
                return (recs, String::new());
            }
            match self.read_once(chunk, &mut recs) {
                ReadEnd::Records(_) => {}
                ReadEnd::Eof => {
                    let tail = if self.partial.is_empty() {
                        "end of file".to_string()
                    } else {
                        format!("end of file with {} stray bytes", self.partial.len())
                    };
                    return (recs, tail);
                }
                ReadEnd::Err(e) => return (recs, format!("read: {}", errno_name(e))),
            }
        }
    }

    /// The inode number and generation of the files of `files=N` and the root directory, with
    /// the names records are printed with (`F0`..., `R`).
    fn known_inodes(&self) -> Vec<(u64, u32, String)> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::MetadataExt;
        /// `FS_IOC_GETVERSION`: `_IOR('v', 1, long)`.
        const FS_IOC_GETVERSION: libc::c_ulong = 0x8008_7601;
        let named = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f, format!("F{i}")))
            .chain(self.root.iter().map(|f| (f, "R".to_string())));
        named
            .filter_map(|(f, name)| {
                let mut gen: libc::c_long = 0;
                // SAFETY: `gen` is a valid place for the ioctl's `long`.
                let ret = unsafe { libc::ioctl(f.as_raw_fd(), FS_IOC_GETVERSION, &mut gen) };
                let ino = f.metadata().ok()?.ino();
                (ret == 0).then_some((ino, gen as u32, name))
            })
            .collect()
    }

    /// A record as one line: decoded, and with `bytes` its 64 bytes with time_ns zeroed.  XFS
    /// gives new inodes random generations, so with `bytes` the generation of a known file
    /// prints as the file's name and its bytes as zero; any other generation stays as it is.
    fn record_line(&self, rec: &Record) -> String {
        if !self.bytes {
            return rec.describe();
        }
        let mut rec = *rec;
        let mut text = rec.describe();
        // Where the inode number and generation are: inode and file range domains.
        let at = match xfs_healthmon::Domain::from_code(rec.domain) {
            xfs_healthmon::Domain::Inode => Some((e::INODE_INO, e::INODE_GEN)),
            xfs_healthmon::Domain::FileRange => Some((e::FILERANGE_INO, e::FILERANGE_GEN)),
            _ => None,
        };
        if let Some((ino_at, gen_at)) = at {
            let mut ino = [0u8; 8];
            ino.copy_from_slice(&rec.e[ino_at..ino_at + 8]);
            let mut gen = [0u8; 4];
            gen.copy_from_slice(&rec.e[gen_at..gen_at + 4]);
            let (ino, gen) = (u64::from_ne_bytes(ino), u32::from_ne_bytes(gen));
            if let Some((_, _, name)) = self.known.iter().find(|(i, g, _)| *i == ino && *g == gen) {
                text = text.replace(&format!("gen={gen:#x}"), &format!("gen={name}"));
                rec.e[gen_at..gen_at + 4].fill(0);
            }
        }
        let hex: String = rec
            .bytes_without_time()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{text} | {hex}")
    }

    /// `files=N`: N files on the filesystem for the driver's inode and file range reports.
    fn make_files(&mut self, n: usize) -> String {
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
    fn driver(&mut self, cmd: &str) -> String {
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

    fn set_nonblock(&self, on: bool) {
        // SAFETY: fcntl on our own fd.
        unsafe {
            let fl = libc::fcntl(self.fd, libc::F_GETFL);
            let fl = if on {
                fl | libc::O_NONBLOCK
            } else {
                fl & !libc::O_NONBLOCK
            };
            libc::fcntl(self.fd, libc::F_SETFL, fl);
        }
    }

    fn read_op(&mut self, opts: &[&str], drain: bool) -> Vec<String> {
        let mut chunk = 4096;
        let mut max = usize::MAX;
        let mut nonblock = false;
        for opt in opts {
            let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
            match k {
                "nonblock" => nonblock = true,
                "max" => max = parse_num(v) as usize,
                _ => chunk = parse_num(opt).max(1) as usize,
            }
        }
        self.set_nonblock(nonblock && !drain);
        let (recs, end) = self.read_records(chunk, max);
        self.set_nonblock(false);
        let mut lines: Vec<String> = recs.iter().map(|r| self.record_line(r)).collect();
        if !end.is_empty() {
            lines.push(end);
        }
        lines
    }

    /// Reads to end of file without printing every record: the facts a lost-events test checks.
    fn summary(&mut self, opts: &[&str]) -> Vec<String> {
        let chunk = opts
            .first()
            .map(|c| parse_num(c).max(1) as usize)
            .unwrap_or(65536);
        let (recs, end) = self.read_records(chunk, usize::MAX);
        let pos = |name: &str| recs.iter().position(|r| r.type_name() == name);
        let lost: u64 = recs
            .iter()
            .filter(|r| r.type_name() == "lost")
            .map(Record::lost_count)
            .sum();
        let lost_records = recs.iter().filter(|r| r.type_name() == "lost").count();
        let yes = |b: bool| if b { "yes" } else { "no" };
        let mut lines = vec![
            format!(
                "first record is unmount: {}",
                yes(pos("unmount") == Some(0))
            ),
            format!("running follows: {}", yes(pos("running") == Some(1))),
            format!("lost record seen: {}", yes(lost_records > 0)),
            format!("shutdown record seen: {}", yes(pos("shutdown").is_some())),
        ];
        if let (Some(s), Some(l)) = (pos("shutdown"), pos("lost")) {
            lines.push(format!(
                "a lost record comes before the shutdown: {}",
                yes(l < s)
            ));
        }
        if let Some(fd_lost) = self.fdinfo_value("lost") {
            lines.push(format!(
                "lost records count every lost event: {}",
                yes(lost == fd_lost)
            ));
        }
        lines.push(end);
        lines
    }

    fn poll(&self, ms: i32) -> String {
        let mut pfd = libc::pollfd {
            fd: self.fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: One valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 {
            format!("poll: {}", errno_name(errno()))
        } else if n > 0 && pfd.revents & libc::POLLIN != 0 {
            "poll: readable".to_string()
        } else {
            "poll: not readable".to_string()
        }
    }

    fn epoll(&mut self, ms: i32, edge: bool) -> String {
        let slot = usize::from(edge);
        let epfd = match self.epfd[slot] {
            Some(epfd) => epfd,
            None => {
                // SAFETY: Creates a new epoll instance; no pointers involved.
                let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
                if epfd < 0 {
                    return format!("epoll_create1: {}", errno_name(errno()));
                }
                let mut ev = libc::epoll_event {
                    events: libc::EPOLLIN as u32 | if edge { libc::EPOLLET as u32 } else { 0 },
                    u64: 0,
                };
                // SAFETY: `ev` is a valid epoll_event for the duration of the call.
                let ret = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, self.fd, &mut ev) };
                if ret < 0 {
                    let e = errno();
                    // SAFETY: Our own epoll fd, not stored anywhere.
                    unsafe { libc::close(epfd) };
                    return format!("epoll_ctl: {}", errno_name(e));
                }
                self.epfd[slot] = Some(epfd);
                epfd
            }
        };
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: Room for exactly one event, as maxevents says.
        let n = unsafe { libc::epoll_wait(epfd, &mut ev, 1, ms) };
        if n < 0 {
            format!("epoll: {}", errno_name(errno()))
        } else if n > 0 && ev.events & libc::EPOLLIN as u32 != 0 {
            "epoll: readable".to_string()
        } else {
            "epoll: not readable".to_string()
        }
    }

    /// Closes the epoll instances: they watch the monitor fd that is being closed or replaced.
    fn close_epoll(&mut self) {
        for epfd in self.epfd.iter_mut().filter_map(Option::take) {
            // SAFETY: Our own epoll fd, taken out of `self.epfd`.
            unsafe { libc::close(epfd) };
        }
    }

    fn await_fdinfo(&self, val: &str) -> Vec<String> {
        let Some((key, want)) = val.split_once(':') else {
            return vec![format!("await={val}: want KEY:N")];
        };
        let Ok(want) = want.parse::<u64>() else {
            return vec![format!("await={val}: {want} is not a number")];
        };
        for _ in 0..6000 {
            if self.fdinfo_value(key).is_some_and(|v| v >= want) {
                return Vec::new();
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let now = self
            .fdinfo_value(key)
            .map_or_else(|| "absent".to_string(), |v| v.to_string());
        vec![format!("timed out waiting for {key} >= {want} (now {now})")]
    }

    /// Reads until the file ranges of the records of type `val`'s TYPE cover its [POS, POS+LEN)
    /// (see `cover=` above); records of other types are printed as they come.
    fn cover(&mut self, val: &str) -> Vec<String> {
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

    fn eintr(&mut self) -> String {
        extern "C" fn on_alarm(_: libc::c_int) {}
        // SAFETY: Installs a handler without SA_RESTART so the blocked read returns EINTR.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as usize;
            libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut());
            libc::alarm(1);
        }
        let mut recs = Vec::new();
        let line = match self.read_once(4096, &mut recs) {
            ReadEnd::Err(e) => format!("blocked read: {}", errno_name(e)),
            ReadEnd::Eof => "blocked read: end of file".to_string(),
            ReadEnd::Records(n) => format!("blocked read: {n} records"),
        };
        // SAFETY: Cancels the alarm.
        unsafe { libc::alarm(0) };
        line
    }

    fn fdflags(&self) -> String {
        // SAFETY: fcntl on our own fd.
        let (fl, fdfl) = unsafe {
            (
                libc::fcntl(self.fd, libc::F_GETFL),
                libc::fcntl(self.fd, libc::F_GETFD),
            )
        };
        let mode = match fl & libc::O_ACCMODE {
            libc::O_RDONLY => "read-only",
            libc::O_WRONLY => "write-only",
            _ => "read-write",
        };
        let cloexec = if fdfl & libc::FD_CLOEXEC != 0 {
            "close-on-exec"
        } else {
            "inherited on exec"
        };
        let link = std::fs::read_link(format!("/proc/self/fd/{}", self.fd))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        format!("fd: {mode}, {cloexec}, {link}")
    }

    fn run(&mut self, op: &str) -> Vec<String> {
        let (key, val) = op.split_once('=').unwrap_or((op, ""));
        let mut parts: Vec<&str> = op.split(',').collect();
        let head = parts.remove(0);
        // The optional chunk size of "drain=CHUNK" and "summary=CHUNK".
        let chunk: Vec<&str> = head
            .split_once('=')
            .map(|(_, c)| vec![c])
            .unwrap_or_default();
        match head.split_once('=').map_or(head, |(k, _)| k) {
            "open" => vec![self.open(&parts)],
            "reconf" => vec![self.reconf(&parts)],
            "onfs" | "onfs-fd" | "onfs-flags" | "onfs-badptr" => vec![self.onfs(key, val)],
            "ioctl" => {
                let cmd = parse_num(val);
                let ret = self.ioctl(self.fd, cmd, std::ptr::null_mut::<u8>());
                vec![result(&format!("ioctl {cmd:#x}"), ret)]
            }
            "fdflags" => vec![self.fdflags()],
            "fdinfo" => {
                let keys: Vec<&str> = val.split(',').collect();
                self.fdinfo()
                    .into_iter()
                    .filter(|(k, _)| keys.contains(&k.as_str()))
                    .map(|(k, v)| format!("fdinfo {k}: {v}"))
                    .collect()
            }
            "balance" => vec![self.balance()],
            "dump" => {
                let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", self.fd))
                    .unwrap_or_default();
                let appended = std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(val)
                    .and_then(|mut f| f.write_all(text.as_bytes()));
                match appended {
                    Ok(()) => Vec::new(),
                    Err(e) => vec![format!("dump {val}: {e}")],
                }
            }
            "read" => {
                let mut opts = parts.clone();
                if let Some((_, c)) = head.split_once('=') {
                    opts.insert(0, c);
                }
                self.read_op(&opts, false)
            }
            "drain" => self.read_op(&chunk, true),
            "summary" => self.summary(&chunk),
            "poll" => vec![self.poll(parse_num(val) as i32)],
            "epoll" => {
                let ms = head
                    .split_once('=')
                    .map_or(0, |(_, ms)| parse_num(ms) as i32);
                vec![self.epoll(ms, parts.contains(&"et"))]
            }
            "await" => self.await_fdinfo(val),
            "cover" => self.cover(val),
            "later" => {
                let (ms, cmd) = val.split_once(':').unwrap_or(("0", val));
                let script = format!("sleep {}; {cmd}", parse_num(ms) as f64 / 1000.0);
                match Command::new("sh").arg("-c").arg(script).spawn() {
                    Ok(child) => {
                        self.later.push(child);
                        Vec::new()
                    }
                    Err(e) => vec![format!("later: {e}")],
                }
            }
            "eintr" => vec![self.eintr()],
            "sh" => {
                let _ = std::io::stdout().flush();
                let _ = Command::new("sh").arg("-c").arg(val).status();
                Vec::new()
            }
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_millis(parse_num(val)));
                Vec::new()
            }
            "close" => {
                self.close_epoll();
                // SAFETY: Our own fd.
                unsafe { libc::close(self.fd) };
                self.fd = -1;
                vec!["close: ok".to_string()]
            }
            "files" => vec![self.make_files(parse_num(val) as usize)],
            "drv" => vec![self.driver(val)],
            "unfiles" => {
                self.files.clear();
                self.root = None;
                Vec::new()
            }
            "bytes" => {
                self.bytes = true;
                Vec::new()
            }
            other => vec![format!("unknown operation {other}")],
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((mount, ops)) = args.split_first() else {
        eprintln!("usage: hmprobe MOUNT OP...  (see the source for the operations)");
        std::process::exit(2);
    };
    let mut probe = Probe {
        mount: mount.clone(),
        fd: -1,
        partial: Vec::new(),
        epfd: [None; 2],
        later: Vec::new(),
        files: Vec::new(),
        root: None,
        bytes: false,
        known: Vec::new(),
    };
    let mut out = std::io::stdout();
    for op in ops {
        for line in probe.run(op) {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }
    for mut child in probe.later.drain(..) {
        let _ = child.wait();
    }
}
