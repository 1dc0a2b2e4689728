// SPDX-License-Identifier: GPL-2.0

//! hmstress: races, allocation failures and hostile input for the XFS health monitor, for the
//! shell tests of group `stress` (tests/stress).  Reports come from the test-only report driver
//! (`tests/driver/hmdrv.c`), which both test builds of `xfs.ko` have, so every command runs the
//! same calls on the C and the Rust monitor.  Each command prints a few lines that must not
//! depend on timing (the golden output) and its figures on stderr (the test's full log); it
//! exits non-zero when a check fails.
//!
//! ```text
//! hmstress MOUNT readers N    two readers blocked on one monitor fd, N single reports: a reader
//!                             that finds the records taken by the other must not see the end
//!                             of the stream while the monitor is attached
//! hmstress MOUNT sigdata N    a blocked reader gets a record and a signal together, N times:
//!                             the record wins (no EINTR), as in C's wait_event_interruptible()
//! hmstress MOUNT churn SEED ROUNDS
//!                             reporting kernel threads (random entry points, merging or not,
//!                             1-4 threads) run throughout, while in each round a monitor is
//!                             created, read by 1-3 readers (random sizes, blocking or not,
//!                             poll, epoll, signals), checked and closed with reports in flight;
//!                             then open+close in a tight loop
//! hmstress MOUNT unmount SEED ROUNDS DEV RTDEV
//!                             each round mounts, blocks readers on a monitor, reports, and
//!                             unmounts (lazily, with reports in flight, or racing a forced
//!                             shutdown): every reader returns and UNMOUNT arrives once
//! hmstress MOUNT enomem       fail each allocation of the creation ioctl in turn (fail-nth)
//! hmstress MOUNT lossy N      N reports while every kmalloc-64 allocation fails (failslab)
//! hmstress MOUNT fuzz SEED CALLS
//!                             seeded random ioctls and reads, one transcript line per call
//! hmstress MOUNT wakeone N    8 readers blocked in read() and 8 threads in epoll_wait() on
//!                             EPOLLEXCLUSIVE entries, N single reports: how many wake per record
//! hmstress MOUNT passon N [fault]
//!                             two readers blocked in 32-byte reads, N single reports: the one
//!                             woken must wake the other for the second half of the record;
//!                             with fault, 64-byte reads that fault after 32 bytes
//! hmstress MOUNT rtwindow SEED N
//!                             N monitors opened and closed by a SCHED_FIFO thread that moves
//!                             from CPU to CPU, preempting kernel threads that report
//! ```

mod rtwindow;
mod wake;

use std::fs::File;
use std::fs::OpenOptions;
use std::io::Read;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicI32;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use hmtest::driver;
use hmtest::errno;
use hmtest::errno_name;
use hmtest::ioctl_result;
use hmtest::num;
use hmtest::v0;
use hmtest::Res;
use hmtest::Rng;

/// `XFS_HEALTH_MONITOR_TYPE_UNMOUNT`.
const TYPE_UNMOUNT: u32 = 2;
/// `XFS_IOC_GOINGDOWN`, `_IOR('X', 125, __u32)`.
const XFS_IOC_GOINGDOWN: u64 = (2 << 30) | (4 << 16) | ((b'X' as u64) << 8) | 125;

fn gettid() -> i32 {
    // SAFETY: No arguments.
    unsafe { libc::gettid() }
}

/// Whether thread `tid` of this process sleeps in a system call of `calls` (x86-64 numbers).
fn sleeping_in(tid: i32, calls: &[&str]) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|s| s.split_whitespace().next());
    let sys = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).unwrap_or_default();
    state == Some("S")
        && sys
            .split_whitespace()
            .next()
            .is_some_and(|n| calls.contains(&n))
}

/// Whether thread `tid` of this process sleeps in `read()`.
fn blocked_in_read(tid: i32) -> bool {
    sleeping_in(tid, &["0"])
}

/// Waits up to ten seconds for `cond`.
fn wait_for(what: &str, cond: impl Fn() -> bool) -> Res<()> {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

extern "C" fn on_signal(_: libc::c_int) {}

/// Installs a SIGUSR1 handler without SA_RESTART, so that a blocked read returns EINTR.
fn catch_sigusr1() {
    // SAFETY: Installs a handler that does nothing.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
    }
}

/// Where thread `tid` of this process is, for a failure message: its state, the kernel function
/// it sleeps in and its kernel stack (readable by root), so that a reader that never returns
/// says whether it waits for a lock, for records or for nothing the monitor controls.
fn where_is(tid: i32) -> String {
    if tid == 0 {
        return "a thread that never started".into();
    }
    let task = format!("/proc/self/task/{tid}");
    let state = std::fs::read_to_string(format!("{task}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(") ")
                .and_then(|(_, rest)| rest.split(' ').next().map(str::to_owned))
        })
        .unwrap_or_else(|| "?".into());
    let wchan = std::fs::read_to_string(format!("{task}/wchan")).unwrap_or_default();
    let stack = std::fs::read_to_string(format!("{task}/stack")).unwrap_or_default();
    let stack: Vec<&str> = stack
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    format!(
        "thread {tid} state {state}, wchan {}, stack {}",
        if wchan.is_empty() { "?" } else { &wchan },
        if stack.is_empty() {
            "?".into()
        } else {
            stack.join(" < ")
        }
    )
}

fn signal_thread(tid: i32) {
    // SAFETY: Sends a signal to a thread of this process.
    unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, libc::SIGUSR1) };
}

/// The filesystem under test: its root directory and two files for the driver's reports.
struct Fs {
    mount: String,
    root: Option<File>,
    files: Vec<File>,
}

impl Fs {
    fn open(mount: &str) -> Res<Fs> {
        let root = File::open(mount).map_err(|e| format!("{mount}: {e}"))?;
        let mut files = Vec::new();
        for i in 0..2 {
            files.push(
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(format!("{mount}/hmstress.{i}"))
                    .map_err(|e| format!("{mount}/hmstress.{i}: {e}"))?,
            );
        }
        Ok(Fs {
            mount: mount.to_string(),
            root: Some(root),
            files,
        })
    }

    fn root_fd(&self) -> i32 {
        self.root.as_ref().map_or(-1, |f| f.as_raw_fd())
    }

    /// One driver command with F0 and F1 replaced by the files' fds; its result line.
    fn driver(&self, cmd: &str) -> Res<String> {
        let mut cmd = cmd.to_string();
        for (i, f) in self.files.iter().enumerate() {
            cmd = cmd.replace(&format!("F{i}"), &f.as_raw_fd().to_string());
        }
        let mut ctl = driver::command(&cmd)?;
        let mut res = String::new();
        ctl.read_to_string(&mut res).map_err(|e| e.to_string())?;
        Ok(res)
    }

    /// Creates a monitor; the errno on failure.
    fn try_monitor(&self, verbose: bool) -> Result<Monitor, i32> {
        let mut arg = v0::HealthMonitor {
            flags: u64::from(verbose),
            ..Default::default()
        };
        // SAFETY: `arg` is a valid argument of the ioctl.
        let fd = unsafe {
            libc::ioctl(
                self.root_fd(),
                v0::XFS_IOC_HEALTH_MONITOR as libc::c_ulong,
                &mut arg,
            )
        };
        if fd < 0 {
            return Err(errno());
        }
        Ok(Monitor(fd))
    }

    fn monitor(&self) -> Res<Monitor> {
        self.try_monitor(false).map_err(|e| {
            format!(
                "XFS_IOC_HEALTH_MONITOR on {}: {}",
                self.mount,
                errno_name(e)
            )
        })
    }

    /// Closes every fd on the filesystem, so that it can be unmounted.
    fn close(&mut self) {
        self.files.clear();
        self.root = None;
    }
}

/// A monitor fd, closed when dropped.
struct Monitor(i32);

impl Drop for Monitor {
    fn drop(&mut self) {
        // SAFETY: Our own fd, closed once.
        unsafe { libc::close(self.0) };
    }
}

/// How a read ended.
enum Got {
    Bytes(usize),
    Eof,
    Err(i32),
}

fn read_fd(fd: i32, buf: &mut [u8]) -> Got {
    // SAFETY: `buf` is writable for its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    match n {
        n if n < 0 => Got::Err(errno()),
        0 => Got::Eof,
        n => Got::Bytes(n as usize),
    }
}

fn set_nonblock(fd: i32, on: bool) {
    // SAFETY: fcntl on our own fd.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        let fl = if on {
            fl | libc::O_NONBLOCK
        } else {
            fl & !libc::O_NONBLOCK
        };
        libc::fcntl(fd, libc::F_SETFL, fl);
    }
}

/// The numbers of fdinfo's lines, by key.
fn fdinfo(fd: i32) -> Vec<(String, u64)> {
    std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

fn fdinfo_value(fd: i32, key: &str) -> Option<u64> {
    fdinfo(fd)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Whether the monitor of `fd` is still attached (fdinfo's `state`, in both variants): a read
/// that returns 0 then is a false end of stream.
fn attached(fd: i32) -> bool {
    std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("state:") && l.contains("alive"))
}

/// False ends of stream seen by every reader of this process.
static EARLY_EOF: AtomicU64 = AtomicU64::new(0);

/// Checks the Rust monitor's accounting (reported = delivered + merged + lost + queued); the C
/// monitor has no such lines, and passes.
fn balanced(fd: i32) -> Res<()> {
    // One read of fdinfo: reports in flight change it between reads.
    let info = fdinfo(fd);
    let v = |k: &str| info.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    let (Some(r), Some(d), Some(m), Some(l), Some(q)) = (
        v("reported"),
        v("delivered"),
        v("merged"),
        v("lost"),
        v("queued"),
    ) else {
        return Ok(());
    };
    if r != d + m + l + q {
        return Err(format!(
            "fdinfo does not balance: reported {r} != delivered {d} + merged {m} + lost {l} + queued {q}"
        ));
    }
    Ok(())
}

fn records(buf: &[u8]) -> impl Iterator<Item = v0::Record> + '_ {
    buf.chunks_exact(v0::V0_SIZE).map(v0::Record::parse)
}

/// Two readers blocked on one fd; N single reports; then the unmount.
fn readers(fs: &mut Fs, n: u64) -> Res<()> {
    let hm = fs.monitor()?;
    let mut buf = vec![0u8; 4096];
    // RUNNING first, so that the readers start on an empty queue.
    if !matches!(read_fd(hm.0, &mut buf), Got::Bytes(64)) {
        return Err("no RUNNING record".into());
    }
    let fd = hm.0;
    let got = Arc::new(AtomicU64::new(0));
    let early = Arc::new(AtomicU64::new(0));
    let unmounts = Arc::new(AtomicU64::new(0));
    let tids: Vec<Arc<AtomicI32>> = (0..2).map(|_| Arc::new(AtomicI32::new(0))).collect();
    let mut threads = Vec::new();
    for tid in &tids {
        let (got, early, unmounts, tid) =
            (got.clone(), early.clone(), unmounts.clone(), tid.clone());
        threads.push(std::thread::spawn(move || -> Res<()> {
            tid.store(gettid(), SeqCst);
            let mut buf = vec![0u8; 4096];
            loop {
                match read_fd(fd, &mut buf) {
                    Got::Bytes(b) => {
                        for r in records(&buf[..b]) {
                            if r.ty == TYPE_UNMOUNT {
                                unmounts.fetch_add(1, SeqCst);
                            } else {
                                got.fetch_add(1, SeqCst);
                            }
                        }
                    }
                    Got::Eof if attached(fd) => {
                        early.fetch_add(1, SeqCst);
                    }
                    Got::Eof => return Ok(()),
                    Got::Err(e) => return Err(format!("reader: {}", errno_name(e))),
                }
            }
        }));
    }
    for i in 0..n {
        for tid in &tids {
            wait_for("a reader to block", || {
                let t = tid.load(SeqCst);
                t != 0 && blocked_in_read(t)
            })?;
        }
        fs.driver(&format!("media F0 1 {} 1", i * 16))?;
        wait_for("a reader to get the record", || got.load(SeqCst) > i)?;
    }
    fs.close();
    umount(&fs.mount)?;
    let mut returned = 0;
    for t in threads {
        wait_for("the readers to return", || t.is_finished())?;
        t.join().map_err(|_| "reader panicked")??;
        returned += 1;
    }
    eprintln!(
        "readers: {} records, {} early ends of stream",
        got.load(SeqCst),
        early.load(SeqCst)
    );
    println!("readers: {} records read by two readers", got.load(SeqCst));
    println!(
        "readers: end of stream while attached: {}",
        early.load(SeqCst)
    );
    println!(
        "readers: {returned} of 2 returned at the end of the stream, UNMOUNT records {}",
        unmounts.load(SeqCst)
    );
    Ok(())
}

/// Runs `cmd` with `sh -c`; its success.
fn sh(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .is_ok_and(|s| s.success())
}

fn umount(mount: &str) -> Res<()> {
    if sh(&format!("umount {mount}")) {
        Ok(())
    } else {
        Err(format!("umount {mount} failed"))
    }
}

/// Pins the calling thread to CPU 0, so that a woken reader runs only when the waker yields.
fn pin_to_cpu0() {
    // SAFETY: A zeroed cpu_set_t with one CPU set, for the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A record and a signal for a blocked reader, N times.
fn sigdata(fs: &Fs, n: u64) -> Res<()> {
    catch_sigusr1();
    pin_to_cpu0();
    let hm = fs.monitor()?;
    let mut buf = vec![0u8; 4096];
    if !matches!(read_fd(hm.0, &mut buf), Got::Bytes(64)) {
        return Err("no RUNNING record".into());
    }
    let fd = hm.0;
    let got = Arc::new(AtomicU64::new(0));
    let eintr = Arc::new(AtomicU64::new(0));
    let wrong = Arc::new(AtomicU64::new(0));
    // Records queued so far: each before its signal.
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tid = Arc::new(AtomicI32::new(0));
    let reader = {
        let (got, eintr, wrong, sent, stop, tid) = (
            got.clone(),
            eintr.clone(),
            wrong.clone(),
            sent.clone(),
            stop.clone(),
            tid.clone(),
        );
        std::thread::spawn(move || -> Res<()> {
            pin_to_cpu0();
            tid.store(gettid(), SeqCst);
            let mut buf = vec![0u8; 4096];
            while !stop.load(SeqCst) {
                match read_fd(fd, &mut buf) {
                    Got::Bytes(b) => {
                        got.fetch_add((b / v0::V0_SIZE) as u64, SeqCst);
                    }
                    Got::Err(libc::EINTR) => {
                        // Fine if this reader took the record before the signal came (it ran
                        // between the two); wrong if the record still waits: it was queued
                        // before the signal was sent.
                        eintr.fetch_add(1, SeqCst);
                        if got.load(SeqCst) < sent.load(SeqCst) {
                            wrong.fetch_add(1, SeqCst);
                        }
                    }
                    Got::Eof if attached(fd) => {
                        EARLY_EOF.fetch_add(1, SeqCst);
                    }
                    Got::Eof => return Err("end of stream".into()),
                    Got::Err(e) => return Err(format!("reader: {}", errno_name(e))),
                }
            }
            Ok(())
        })
    };
    for i in 0..n {
        wait_for("the reader to block", || {
            let t = tid.load(SeqCst);
            t != 0 && blocked_in_read(t)
        })
        .map_err(|e| {
            let t = tid.load(SeqCst);
            let st =
                std::fs::read_to_string(format!("/proc/self/task/{t}/stat")).unwrap_or_default();
            let sc =
                std::fs::read_to_string(format!("/proc/self/task/{t}/syscall")).unwrap_or_default();
            format!(
                "{e} (record {i}, read {}, EINTR {}, false ends {}, reader: {} / {})",
                got.load(SeqCst),
                eintr.load(SeqCst),
                EARLY_EOF.load(SeqCst),
                st.trim(),
                sc.trim()
            )
        })?;
        fs.driver(&format!("media F0 1 {} 1", i * 16))?;
        sent.fetch_add(1, SeqCst);
        signal_thread(tid.load(SeqCst));
        wait_for("the reader to get the record", || got.load(SeqCst) > i)?;
    }
    // The reader sees `stop` either before its next read, and returns, or blocked in it, and
    // then one more record ends that read.
    stop.store(true, SeqCst);
    wait_for("the reader to block or return", || {
        reader.is_finished() || blocked_in_read(tid.load(SeqCst))
    })?;
    fs.driver("media F0 1 1 1")?;
    reader.join().map_err(|_| "reader panicked")??;
    eprintln!(
        "sigdata: {} records, {} EINTR, {} of them with a record queued",
        got.load(SeqCst),
        eintr.load(SeqCst),
        wrong.load(SeqCst)
    );
    println!("sigdata: {n} records with a signal each");
    println!(
        "sigdata: end of stream while attached: {}",
        EARLY_EOF.load(SeqCst)
    );
    println!(
        "sigdata: reads interrupted although a record was queued: {}",
        wrong.load(SeqCst)
    );
    Ok(())
}

/// What a reader thread of `churn` does.
#[derive(Clone, Copy, Debug)]
enum Style {
    Blocking,
    Poll,
    Epoll,
}

/// Reads `fd` in `style` until `stop`; returns records read.  Blocking readers are woken by
/// SIGUSR1.
fn churn_reader(fd: i32, style: Style, seed: u64, stop: &AtomicBool) -> Res<u64> {
    let mut rng = Rng::new(seed);
    let mut buf = vec![0u8; 70_000];
    let mut got = 0;
    let ep = if let Style::Epoll = style {
        // SAFETY: Creates an epoll instance and adds our monitor fd to it.
        unsafe {
            let ep = libc::epoll_create1(libc::EPOLL_CLOEXEC);
            let mut ev = libc::epoll_event {
                events: (libc::EPOLLIN | if rng.chance(50) { libc::EPOLLET } else { 0 }) as u32,
                u64: 0,
            };
            libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev);
            ep
        }
    } else {
        -1
    };
    let mut partial = 0usize;
    while !stop.load(SeqCst) {
        let size = match rng.below(4) {
            0 => 1 + rng.below(63) as usize,
            1 => 64,
            2 => 4096,
            _ => 1 + rng.below(70_000) as usize,
        };
        let r = match style {
            Style::Blocking => {
                // Blocking reads share the fd's flags with the other readers: use a flag-free
                // wait instead of toggling O_NONBLOCK.
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: One valid pollfd.
                unsafe { libc::poll(&mut pfd, 1, 20) };
                read_fd(fd, &mut buf[..size])
            }
            Style::Poll => {
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: One valid pollfd.
                unsafe { libc::poll(&mut pfd, 1, rng.below(20) as i32) };
                read_fd(fd, &mut buf[..size])
            }
            Style::Epoll => {
                let mut ev = libc::epoll_event { events: 0, u64: 0 };
                // SAFETY: One event slot.
                unsafe { libc::epoll_wait(ep, &mut ev, 1, rng.below(20) as i32) };
                read_fd(fd, &mut buf[..size])
            }
        };
        match r {
            Got::Bytes(b) => {
                partial += b;
                got += (partial / v0::V0_SIZE) as u64;
                partial %= v0::V0_SIZE;
            }
            Got::Err(libc::EAGAIN) | Got::Err(libc::EINTR) => {}
            Got::Eof if attached(fd) => {
                EARLY_EOF.fetch_add(1, SeqCst);
            }
            Got::Eof => return Err("end of stream while the monitor was open".into()),
            Got::Err(e) => return Err(format!("reader: {}", errno_name(e))),
        }
    }
    if ep >= 0 {
        // SAFETY: Our own epoll fd.
        unsafe { libc::close(ep) };
    }
    Ok(got)
}

/// Reports from kernel threads until stopped: one driver `bench` command after another, each
/// 1-4 kernel threads reporting 100-2099 events of a random kind, merging or distinct.
struct Reporter {
    stop: Arc<AtomicBool>,
    commands: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<Res<()>>,
}

impl Reporter {
    fn start(fs: &Fs, seed: u64) -> Reporter {
        let stop = Arc::new(AtomicBool::new(false));
        let commands = Arc::new(AtomicU64::new(0));
        let mut rng = Rng::new(seed ^ 0x5eed);
        let cmds: Vec<String> = (0..64)
            .map(|_| {
                let op = ["fs", "ag", "rtg", "inode", "shutdown", "media", "fileio"]
                    [rng.below(7) as usize];
                let mode = if rng.chance(50) { "merge" } else { "distinct" };
                format!(
                    "bench F0 F1 {op} {mode} {} {}",
                    1 + rng.below(4),
                    100 + rng.below(2000)
                )
            })
            .collect();
        let files: Vec<i32> = fs.files.iter().map(|f| f.as_raw_fd()).collect();
        let thread = {
            let (stop, commands) = (stop.clone(), commands.clone());
            std::thread::spawn(move || -> Res<()> {
                let mut i = 0;
                while !stop.load(SeqCst) {
                    let cmd = cmds[i % cmds.len()]
                        .replace("F0", &files[0].to_string())
                        .replace("F1", &files[1].to_string());
                    driver::command(&cmd)?;
                    commands.fetch_add(1, SeqCst);
                    i += 1;
                }
                Ok(())
            })
        };
        Reporter {
            stop,
            commands,
            thread,
        }
    }

    /// Stops after the command under way; the number of commands run.
    fn stop(self) -> Res<u64> {
        self.stop.store(true, SeqCst);
        self.thread.join().map_err(|_| "reporter panicked")??;
        Ok(self.commands.load(SeqCst))
    }
}

/// Monitors created, read, checked and closed while kernel threads report.
fn churn(fs: &Fs, seed: u64, rounds: u64) -> Res<()> {
    catch_sigusr1();
    let mut rng = Rng::new(seed);
    let reporter = Reporter::start(fs, seed);
    let mut total = 0u64;
    for round in 0..rounds {
        let hm = fs
            .try_monitor(rng.chance(50))
            .map_err(|e| format!("round {round}: creation failed: {}", errno_name(e)))?;
        if rng.chance(50) {
            set_nonblock(hm.0, true);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut readers = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let style = [Style::Blocking, Style::Poll, Style::Epoll][rng.below(3) as usize];
            let (fd, stop, s) = (hm.0, stop.clone(), rng.next_u64());
            let tid = Arc::new(AtomicI32::new(0));
            let t = tid.clone();
            readers.push((
                tid,
                std::thread::spawn(move || {
                    t.store(gettid(), SeqCst);
                    churn_reader(fd, style, s, &stop)
                }),
            ));
        }
        std::thread::sleep(Duration::from_millis(rng.below(30)));
        stop.store(true, SeqCst);
        for (tid, t) in readers {
            let start = Instant::now();
            while !t.is_finished() {
                if start.elapsed() > Duration::from_secs(10) {
                    let at = where_is(tid.load(SeqCst));
                    let fdinfo = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", hm.0))
                        .unwrap_or_default()
                        .replace('\n', " ");
                    eprintln!("churn: round {round}: stuck reader: {at}; monitor fdinfo: {fdinfo}");
                    return Err(format!("round {round}: a reader did not return"));
                }
                let tid = tid.load(SeqCst);
                if tid != 0 {
                    signal_thread(tid);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            total += t.join().map_err(|_| "reader panicked")??;
        }
        balanced(hm.0).map_err(|e| format!("round {round}: {e}"))?;
        // Closed with reports in flight; the next round opens at once.
        drop(hm);
    }
    // Open right after close, in a tight loop, with reports still coming.
    let mut reopened = 0;
    for i in 0..rounds * 20 {
        let hm = fs
            .try_monitor(false)
            .map_err(|e| format!("reopen {i}: creation failed: {}", errno_name(e)))?;
        balanced(hm.0).map_err(|e| format!("reopen {i}: {e}"))?;
        reopened += 1;
    }
    let commands = reporter.stop()?;
    eprintln!("churn: {rounds} rounds, {reopened} reopens, {commands} driver commands, {total} records read");
    println!("churn: {rounds} monitors read and closed with reports in flight, all balanced");
    println!(
        "churn: end of stream while attached: {}",
        EARLY_EOF.load(SeqCst)
    );
    println!("churn: {reopened} monitors opened right after the previous one closed");
    Ok(())
}

/// Mount, monitor, report, unmount: ROUNDS times, in three ways.
fn unmount_races(mount: &str, seed: u64, rounds: u64, dev: &str, rtdev: &str) -> Res<()> {
    let mut rng = Rng::new(seed);
    let mut ways = [0u64; 3];
    for round in 0..rounds {
        if !sh(&format!("mount -o rtdev={rtdev} {dev} {mount}")) {
            return Err(format!("round {round}: mount failed"));
        }
        let mut fs = Fs::open(mount)?;
        let hm = fs.monitor()?;
        let fd = hm.0;
        let unmounts = Arc::new(AtomicU64::new(0));
        let mut readers = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let unmounts = unmounts.clone();
            let tid = Arc::new(AtomicI32::new(0));
            let t = tid.clone();
            readers.push((
                tid,
                std::thread::spawn(move || -> Res<u64> {
                    t.store(gettid(), SeqCst);
                    let mut buf = vec![0u8; 65536];
                    let mut got = 0;
                    loop {
                        match read_fd(fd, &mut buf) {
                            Got::Bytes(b) => {
                                for r in records(&buf[..b]) {
                                    got += 1;
                                    if r.ty == TYPE_UNMOUNT {
                                        unmounts.fetch_add(1, SeqCst);
                                    }
                                }
                            }
                            Got::Eof if attached(fd) => {
                                EARLY_EOF.fetch_add(1, SeqCst);
                                // Wait like a reader that polls, rather than spin.
                                std::thread::sleep(Duration::from_millis(1));
                            }
                            Got::Eof => return Ok(got),
                            Got::Err(e) => return Err(format!("reader: {}", errno_name(e))),
                        }
                    }
                }),
            ));
        }
        for (tid, _) in &readers {
            // (A reader of the C monitor may be looping on false ends of stream instead.)
            wait_for("the readers to block", || {
                let t = tid.load(SeqCst);
                t != 0 && (blocked_in_read(t) || EARLY_EOF.load(SeqCst) > 0)
            })
            .map_err(|e| format!("round {round}: {e}"))?;
        }
        let way = rng.below(3) as usize;
        ways[way] += 1;
        match way {
            // Lazy unmount while kernel threads report: the filesystem goes when the last
            // file closes, right after the reports.
            0 => {
                let files: Vec<i32> = fs.files.iter().map(|f| f.as_raw_fd()).collect();
                let cmd = format!(
                    "bench {} {} media distinct {} {}",
                    files[0],
                    files[1],
                    1 + rng.below(4),
                    500 + rng.below(5000)
                );
                let reporter =
                    std::thread::spawn(move || -> Res<()> { driver::command(&cmd).map(drop) });
                std::thread::sleep(Duration::from_millis(rng.below(10)));
                if !sh(&format!("umount -l {mount}")) {
                    return Err(format!("round {round}: umount -l failed"));
                }
                reporter.join().map_err(|_| "reporter panicked")??;
                fs.close();
            }
            // A forced shutdown racing the unmount.
            1 => {
                let root = fs.root_fd();
                // SAFETY: dup of our own fd, for the shutdown thread to own.
                let fd = unsafe { libc::dup(root) };
                fs.close();
                let shut = std::thread::spawn(move || {
                    let mut flags: u32 = 2; // XFS_FSOP_GOING_FLAGS_NOLOGFLUSH
                                            // SAFETY: The ioctl reads a u32; the fd is ours.
                    unsafe {
                        libc::ioctl(fd, XFS_IOC_GOINGDOWN as libc::c_ulong, &mut flags);
                        libc::close(fd);
                    }
                });
                // The unmount fails (EBUSY) while the shutdown thread holds its fd, however long
                // the shutdown takes (seconds on a debug kernel under TCG), and must succeed
                // once the thread has closed it.
                let start = Instant::now();
                let mut finished: Option<Instant> = None;
                while !sh(&format!("umount {mount} 2>/dev/null")) {
                    if start.elapsed() > Duration::from_secs(300) {
                        return Err(format!("round {round}: the shutdown did not finish"));
                    }
                    match finished {
                        None if shut.is_finished() => finished = Some(Instant::now()),
                        Some(at) if at.elapsed() > Duration::from_secs(10) => {
                            return Err(format!(
                                "round {round}: umount kept failing after the shutdown"
                            ));
                        }
                        _ => {}
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                shut.join().map_err(|_| "shutdown thread panicked")?;
            }
            // A plain unmount with records queued.
            _ => {
                fs.driver("rand F0 7 50 F1")?;
                fs.close();
                umount(mount)?;
            }
        }
        for (_, t) in readers {
            wait_for("the readers to return", || t.is_finished())
                .map_err(|e| format!("round {round}: {e}"))?;
            t.join().map_err(|_| "reader panicked")??;
        }
        if unmounts.load(SeqCst) != 1 {
            return Err(format!(
                "round {round}: {} UNMOUNT records",
                unmounts.load(SeqCst)
            ));
        }
        balanced(fd).map_err(|e| format!("round {round}: {e}"))?;
        if fdinfo_value(fd, "queued").is_some_and(|q| q != 0) {
            return Err(format!(
                "round {round}: records left after the end of stream"
            ));
        }
        drop(hm);
    }
    eprintln!(
        "unmount: lazy {}, shutdown race {}, plain {}",
        ways[0], ways[1], ways[2]
    );
    println!("unmount: {rounds} unmounts, every reader returned, one UNMOUNT each, balanced");
    println!(
        "unmount: end of stream while attached: {}",
        EARLY_EOF.load(SeqCst)
    );
    Ok(())
}

fn write_file(path: &str, val: &str) -> Res<()> {
    std::fs::write(path, val).map_err(|e| format!("{path}: {e}"))
}

/// Open fds of this process.
fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Fails each allocation of the creation ioctl in turn.
fn enomem(fs: &Fs) -> Res<()> {
    let fi = "/sys/kernel/debug/failslab";
    let fp = "/sys/kernel/debug/fail_page_alloc";
    for dir in [fi, fp] {
        write_file(&format!("{dir}/ignore-gfp-wait"), "N")?;
        write_file(&format!("{dir}/verbose"), "0")?;
    }
    write_file(&format!("{fp}/min-order"), "0")?;
    // One open file for fail-nth, used with pread and pwrite, which allocate nothing: opening
    // it after arming would itself take the injected failure.
    let nth_path = format!("/proc/self/task/{}/fail-nth", gettid());
    let nth = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&nth_path)
        .map_err(|e| format!("{nth_path}: {e}"))?;
    let arm = |n: u64| {
        nth.write_at(n.to_string().as_bytes(), 0)
            .map_err(|e| format!("{nth_path}: {e}"))
    };
    let fds = fd_count();
    let mut points = 0;
    let (mut failed, mut survived) = (0, 0);
    let mut other = Vec::new();
    for n in 1..1000 {
        arm(n)?;
        let r = fs.try_monitor(false);
        let mut buf = [0u8; 32];
        let len = nth
            .read_at(&mut buf, 0)
            .map_err(|e| format!("{nth_path}: {e}"))?;
        let left = num(String::from_utf8_lossy(&buf[..len]).trim())?;
        arm(0)?;
        if left != 0 {
            // Every allocation of the ioctl passed: all failure points were tried.
            drop(r);
            break;
        }
        points += 1;
        match r {
            Err(libc::ENOMEM) => failed += 1,
            // An allocation whose failure the ioctl survives (a debugging allocation, say).
            Ok(m) => {
                survived += 1;
                drop(m);
            }
            Err(e) => other.push(format!("{n}: {}", errno_name(e))),
        }
        // No monitor may be left attached: the next creation works at once.
        let again = fs
            .try_monitor(false)
            .map_err(|e| format!("creation after failure {n}: {}", errno_name(e)))?;
        drop(again);
    }
    eprintln!(
        "enomem: {points} allocation points: {failed} creations failed with ENOMEM, \
         {survived} succeeded; other results: {other:?}"
    );
    if failed == 0 {
        return Err("no injected failure made the creation fail".into());
    }
    println!(
        "enomem: every failed creation: ENOMEM ({})",
        if other.is_empty() { "yes" } else { "no" }
    );
    for o in &other {
        println!("enomem: failure {o}");
    }
    println!("enomem: fds leaked: {}", fd_count().saturating_sub(fds));
    println!("enomem: the next creation always worked");
    Ok(())
}

/// N distinct reports from this task while failslab fails every kmalloc-64 allocation of it.
fn lossy(fs: &Fs, n: u64) -> Res<()> {
    let fi = "/sys/kernel/debug/failslab";
    let hm = fs.monitor()?;
    let cache = "/sys/kernel/slab/kmalloc-64/failslab";
    // Open the driver's file first: its allocations must not be failed.
    let mut ctl = driver::open().map_err(|e| format!("{}: {e}", driver::CTL))?;
    let f0 = fs.files[0].as_raw_fd();
    let cmds: Vec<String> = (0..n)
        .map(|i| format!("media {f0} 1 {} 1", i * 16))
        .collect();
    for (k, v) in [
        ("ignore-gfp-wait", "N"),
        ("verbose", "0"),
        ("cache-filter", "Y"),
        ("task-filter", "Y"),
        ("probability", "100"),
        ("interval", "1"),
        ("times", "-1"),
    ] {
        write_file(&format!("{fi}/{k}"), v)?;
    }
    write_file(cache, "1")?;
    write_file("/proc/self/make-it-fail", "1")?;
    let mut failed = 0;
    for cmd in &cmds {
        if ctl.write_all(cmd.as_bytes()).is_err() {
            failed += 1;
        }
    }
    write_file("/proc/self/make-it-fail", "0")?;
    write_file(cache, "0")?;
    write_file(&format!("{fi}/probability"), "0")?;
    drop(ctl);
    set_nonblock(hm.0, true);
    let mut buf = vec![0u8; 65536];
    let mut media = 0;
    let mut lost_records = 0;
    while let Got::Bytes(b) = read_fd(hm.0, &mut buf) {
        for r in records(&buf[..b]) {
            match r.ty {
                7 => media += 1,
                1 => lost_records += 1,
                _ => {}
            }
        }
    }
    let lost = fdinfo_value(hm.0, "lost").unwrap_or(0);
    eprintln!("lossy: {n} reports, {failed} driver writes failed, {media} media records, lost {lost}, {lost_records} LOST records");
    println!("lossy: {n} reports under failing kmalloc-64 allocations ({failed} commands failed)");
    println!("lossy: media records read {media}, events lost {lost}");
    balanced(hm.0)?;
    Ok(())
}

/// A page mapped PROT_NONE right after `len` readable and writable bytes (or read-only ones).
pub(crate) struct Pages {
    /// The first page.
    pub(crate) base: *mut u8,
    size: usize,
}

impl Pages {
    /// Two pages: the first readable (and writable unless `ro`), the second unmapped.
    pub(crate) fn new(ro: bool) -> Res<Pages> {
        let size = 2 * 4096;
        // SAFETY: A fresh anonymous mapping; the second page is then made inaccessible.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return Err(format!("mmap: {}", errno_name(errno())));
            }
            let base = base.cast::<u8>();
            if ro {
                libc::mprotect(base.cast(), 4096, libc::PROT_READ);
            }
            libc::mprotect(base.add(4096).cast(), 4096, libc::PROT_NONE);
            Ok(Pages { base, size })
        }
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        // SAFETY: Our own mapping.
        unsafe { libc::munmap(self.base.cast(), self.size) };
    }
}

/// A random ioctl argument pointer: valid (a random struct), NULL, unmapped, read-only, or
/// straddling the end of the mapping.  Returns the pointer and its name.
fn fuzz_ptr(
    rng: &mut Rng,
    rw: &Pages,
    ro: &Pages,
    size: usize,
    body: &[u8],
) -> (u64, &'static str) {
    // SAFETY: Writes within the first (writable) page of `rw`.
    unsafe {
        let p = rw.base.add(4096 - 256);
        std::ptr::copy_nonoverlapping(body.as_ptr(), p, body.len().min(256));
    }
    match rng.below(10) {
        0 => (0, "null"),
        1 => (rw.base as u64 + 4096, "unmapped"),
        // The read-only page holds zeroes: a valid, all-zero argument.
        2 => (ro.base as u64, "read-only"),
        3 => (
            rw.base as u64 + 4096 - (size as u64 / 2).max(1),
            "straddling",
        ),
        4 => (0xffff_8000_0000_0000, "kernel"),
        _ => (rw.base as u64 + 4096 - 256, "valid"),
    }
}

fn fuzz_body(rng: &mut Rng) -> [u8; 32] {
    let mut b = [0u8; 32];
    match rng.below(4) {
        0 => {}
        1 => b[0] = rng.below(4) as u8,
        2 => b[8] = rng.below(3) as u8,
        _ => {
            for x in b.iter_mut() {
                if rng.chance(10) {
                    *x = rng.next_u64() as u8;
                }
            }
        }
    }
    b
}

/// Seeded random calls of the ioctls and reads, one transcript line each, with the monitor's
/// state (fdinfo's C lines) after it: both variants must print the same transcript.
fn fuzz(fs: &Fs, seed: u64, calls: u64) -> Res<()> {
    let mut rng = Rng::new(seed);
    let rw = Pages::new(false)?;
    let ro = Pages::new(true)?;
    let mut hm: Option<Monitor> = None;
    let other = File::open("/proc/self/stat").map_err(|e| e.to_string())?;
    let mut reported = 0u64;
    for call in 0..calls {
        let line = match rng.below(8) {
            // Creation, on the root directory (or on a file: EPERM).
            0 | 1 => {
                let body = fuzz_body(&mut rng);
                let (arg, how) = fuzz_ptr(&mut rng, &rw, &ro, 32, &body);
                let on_file = rng.chance(10);
                let fd = if on_file {
                    fs.files[0].as_raw_fd()
                } else {
                    fs.root_fd()
                };
                // SAFETY: The kernel checks the pointer; a bad one gives EFAULT.
                let r =
                    unsafe { libc::ioctl(fd, v0::XFS_IOC_HEALTH_MONITOR as libc::c_ulong, arg) };
                let res = ioctl_result(r as i64);
                if r >= 0 {
                    set_nonblock(r, true);
                    hm = Some(Monitor(r));
                }
                format!(
                    "create{} {how} flags={} format={} pad={}: {res}",
                    if on_file { " on-file" } else { "" },
                    body[0],
                    body[8],
                    body[9..32].iter().any(|&b| b != 0) as u8
                )
            }
            // The monitor fd's ioctls and random ones.
            2 | 3 => {
                let Some(m) = &hm else {
                    continue;
                };
                let (cmd, name) = match rng.below(4) {
                    0 => (v0::XFS_IOC_HEALTH_MONITOR, "reconf".to_string()),
                    1 => (v0::XFS_IOC_HEALTH_FD_ON_MONITORED_FS, "onfs".to_string()),
                    2 => {
                        // Another ioctl of XFS's 'X' range, away from the VFS's own (FIFREEZE,
                        // FITHAW and their neighbours).
                        let nr = rng.below(110);
                        let dir = rng.below(4);
                        let size = rng.below(64);
                        (
                            (dir << 30) | (size << 16) | ((b'X' as u64) << 8) | nr,
                            format!("X/{nr}/{dir}/{size}"),
                        )
                    }
                    _ => {
                        let c = (rng.next_u64() as u32 | 0x8000_0000) as u64 & !0xff00
                            | ((b'Y' as u64) << 8);
                        (c, format!("{c:#x}"))
                    }
                };
                let mut body = fuzz_body(&mut rng);
                if cmd == v0::XFS_IOC_HEALTH_FD_ON_MONITORED_FS {
                    let fd: i32 = match rng.below(6) {
                        0 => fs.files[1].as_raw_fd(),
                        1 => other.as_raw_fd(),
                        2 => -1 - rng.below(1000) as i32,
                        3 => 100_000 + rng.below(1 << 20) as i32,
                        4 => m.0,
                        _ => fs.root_fd(),
                    };
                    body[0..4].copy_from_slice(&fd.to_ne_bytes());
                    body[4..8]
                        .copy_from_slice(&(if rng.chance(20) { 1u32 } else { 0 }).to_ne_bytes());
                }
                let (arg, how) = fuzz_ptr(&mut rng, &rw, &ro, 32, &body);
                // SAFETY: The kernel checks the pointer; a bad one gives EFAULT.
                let r = unsafe { libc::ioctl(m.0, cmd as libc::c_ulong, arg) };
                format!("ioctl {name} {how}: {}", ioctl_result(r as i64))
            }
            // Reads: sizes, buffers, pread.
            4 | 5 => {
                let Some(m) = &hm else {
                    continue;
                };
                let size = match rng.below(5) {
                    0 => 0,
                    1 => 1 + rng.below(200) as usize,
                    2 => 4096,
                    3 => 65536,
                    _ => 1 << 20,
                };
                let (buf, how): (*mut u8, &str) = match rng.below(6) {
                    0 => (std::ptr::null_mut(), "null"),
                    1 => (rw.base.wrapping_add(4096), "unmapped"),
                    2 => (ro.base, "read-only"),
                    3 => (rw.base.wrapping_add(4096 - 100), "straddling"),
                    _ => (rw.base, "valid"),
                };
                // A valid buffer is one page: larger reads use a heap buffer.
                let mut heap = Vec::new();
                let (buf, how) = if how == "valid" && size > 4096 {
                    heap.resize(size, 0u8);
                    (heap.as_mut_ptr(), "valid")
                } else {
                    (buf, how)
                };
                let pread = rng.chance(10);
                // SAFETY: The kernel checks the buffer; a bad one gives EFAULT.
                let r = unsafe {
                    if pread {
                        libc::pread(m.0, buf.cast(), size, 0)
                    } else {
                        libc::read(m.0, buf.cast(), size)
                    }
                };
                let res = if r < 0 {
                    errno_name(errno())
                } else {
                    format!("{r} bytes")
                };
                format!(
                    "{} {size} {how}: {res}",
                    if pread { "pread" } else { "read" }
                )
            }
            // Reports, so that there is something to read.
            6 => {
                let k = 1 + rng.below(20);
                fs.driver(&format!("rand F0 {} {k} F1", rng.next_u64() % 1000))?;
                reported += k;
                format!("report {k}")
            }
            // Close the monitor (the next creation makes another).
            _ => {
                if hm.take().is_none() {
                    continue;
                }
                "close".to_string()
            }
        };
        let state = hm.as_ref().map_or("none".to_string(), |m| {
            let info = fdinfo(m.0);
            let v = |k: &str| info.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v);
            format!("events {} lost {}", v("events"), v("lost"))
        });
        println!("{call}: {line} -> {state}");
        if let Some(m) = &hm {
            balanced(m.0).map_err(|e| format!("call {call}: {e}"))?;
        }
    }
    eprintln!("fuzz: {calls} calls, {reported} reports");
    Ok(())
}

fn run(args: &[String]) -> Res<()> {
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or("too few arguments");
    let n = |i: usize| arg(i).map_err(str::to_string).and_then(num);
    let mount = arg(1)?;
    match arg(2)? {
        "readers" => readers(&mut Fs::open(mount)?, n(3)?),
        "sigdata" => sigdata(&Fs::open(mount)?, n(3)?),
        "churn" => churn(&Fs::open(mount)?, n(3)?, n(4)?),
        "unmount" => unmount_races(mount, n(3)?, n(4)?, arg(5)?, arg(6)?),
        "enomem" => enomem(&Fs::open(mount)?),
        "lossy" => lossy(&Fs::open(mount)?, n(3)?),
        "fuzz" => fuzz(&Fs::open(mount)?, n(3)?, n(4)?),
        "wakeone" => wake::wakeone(&mut Fs::open(mount)?, n(3)?),
        "rtwindow" => rtwindow::rtwindow(&Fs::open(mount)?, n(3)?, n(4)?),
        "passon" => wake::passon(&mut Fs::open(mount)?, n(3)?, arg(4) == Ok("fault")),
        other => Err(format!("unknown command {other}")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Err(e) = run(&args) {
        println!("hmstress: {e}");
        std::process::exit(1);
    }
}
