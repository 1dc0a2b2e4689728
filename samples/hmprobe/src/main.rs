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

mod monitor;
mod read;
mod report;

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
