// SPDX-License-Identifier: GPL-2.0

//! Reading records: one read, reads up to a count, the lines they print, non-blocking reads, poll
//! and epoll, a read interrupted by a signal.

use super::*;

impl Probe {
    /// One read of up to `chunk` bytes; complete records go to `out`.
    pub(crate) fn read_once(&mut self, chunk: usize, out: &mut Vec<Record>) -> ReadEnd {
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
    pub(crate) fn read_records(&mut self, chunk: usize, max: usize) -> (Vec<Record>, String) {
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
    pub(crate) fn known_inodes(&self) -> Vec<(u64, u32, String)> {
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
    pub(crate) fn record_line(&self, rec: &Record) -> String {
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

    pub(crate) fn read_op(&mut self, opts: &[&str], drain: bool) -> Vec<String> {
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
    pub(crate) fn summary(&mut self, opts: &[&str]) -> Vec<String> {
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

    pub(crate) fn poll(&self, ms: i32) -> String {
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

    pub(crate) fn epoll(&mut self, ms: i32, edge: bool) -> String {
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
    pub(crate) fn close_epoll(&mut self) {
        for epfd in self.epfd.iter_mut().filter_map(Option::take) {
            // SAFETY: Our own epoll fd, taken out of `self.epfd`.
            unsafe { libc::close(epfd) };
        }
    }

    pub(crate) fn eintr(&mut self) -> String {
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
}
