// SPDX-License-Identifier: GPL-2.0

//! hmbench: measure one xfs.ko's health monitor, row by row, printing `NAME VALUE` lines that
//! `scripts/bench-report` turns into the Rust/C table.  Reports come from the test-only report
//! driver (`tests/driver/hmdrv.c`, in the test builds of both xfs.ko variants), so the two
//! monitors are measured through exactly the same calls.
//!
//! ```text
//! hmbench MOUNT ROW...
//!   noreport:OP:ITERS       no monitor: ns per call of the entry point OP (fs ag rtg inode
//!                           shutdown media fileio unmount); this and report: are the median of
//!                           5 runs of ITERS calls
//!   report:OP:MODE:READER:THREADS:ITERS
//!                           a monitor; MODE merge or distinct; READER stopped (nobody reads:
//!                           the queue fills, then every report takes the full-queue path) or
//!                           drain (a thread reads 64 KiB at a time); ns per report, over all
//!                           THREADS kernel threads; with drain, also the records per 1000
//!                           reports that reached the reader (.../delivered)
//!   read:CHUNK:RECORDS:REPS read throughput: ns per record when RECORDS queued records are read
//!                           with CHUNK-byte reads, on REPS fresh monitors
//!   flood:N                 N distinct reports while a thread reads 64 KiB at a time: records
//!                           delivered and events lost
//!   wake:REPS               ns from a report to the return of a reader blocked in read(): p50, p99
//!   create:REPS             ns to create a monitor, and to close it (medians)
//!   memory:REPS             bytes of kernel memory a monitor holds with its queue full (median)
//!   memory-idle:REPS        bytes one monitor holds with its queue empty: just opened, and
//!                           after one 64 KiB read (what xfs_healer holds between events)
//!   memory-mounts:REPS:DIR  the same after the read, per monitor, over one monitor on every
//!                           XFS mounted on DIR/*, as on a host with a healer per mount
//! ```

use std::fs::File;
use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::os::fd::FromRawFd;
use std::os::fd::OwnedFd;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use hmtest::driver;
use hmtest::errno;
use hmtest::num;
use hmtest::v0;
use hmtest::Res;

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Runs the calling thread on `cpu` only, or on every CPU with `None`.
fn pin(cpu: Option<usize>) -> Res<()> {
    // SAFETY: A zeroed `cpu_set_t` is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let cpus = match cpu {
        Some(cpu) => cpu..cpu + 1,
        None => 0..libc::CPU_SETSIZE as usize,
    };
    for cpu in cpus {
        // SAFETY: `cpu` is below `CPU_SETSIZE`, within the set.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: A valid set for the calling thread (pid 0).
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) } != 0 {
        return Err(format!("sched_setaffinity: errno {}", errno()));
    }
    Ok(())
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

fn percentile(v: &mut [u64], p: usize) -> u64 {
    v.sort_unstable();
    if v.is_empty() {
        return 0;
    }
    v[((v.len() * p).div_ceil(100))
        .saturating_sub(1)
        .min(v.len() - 1)]
}

/// The filesystem under test: its root directory and two files for inode and file reports.
struct Fs {
    mount: String,
    root: File,
    files: [File; 2],
}

impl Fs {
    fn open(mount: &str) -> Res<Fs> {
        let root = File::open(mount).map_err(|e| format!("{mount}: {e}"))?;
        let file = |i| {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(format!("{mount}/hmbench.{i}"))
                .map_err(|e| format!("{mount}/hmbench.{i}: {e}"))
        };
        Ok(Fs {
            mount: mount.to_string(),
            root,
            files: [file(0)?, file(1)?],
        })
    }

    /// One driver command with F0 and F1 replaced by the files' fds; returns its result line.
    fn driver(&self, cmd: &str) -> Res<String> {
        let cmd = cmd
            .replace("F0", &self.files[0].as_raw_fd().to_string())
            .replace("F1", &self.files[1].as_raw_fd().to_string());
        driver::run(&cmd)
    }

    /// The value of `key=` in a driver command's result.
    fn driver_value(&self, cmd: &str, key: &str) -> Res<u64> {
        let res = self.driver(cmd)?;
        res.split_whitespace()
            .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .ok_or_else(|| format!("no {key} in '{res}'"))
            .and_then(num)
    }

    /// Makes a monitor on the filesystem.
    fn monitor(&self) -> Res<Monitor> {
        open_monitor(&self.root, &self.mount)
    }
}

/// A new monitor of the filesystem whose root directory is `root`.
fn open_monitor(root: &File, mount: &str) -> Res<Monitor> {
    let mut arg = v0::HealthMonitor::default();
    // SAFETY: `arg` is a valid argument of the ioctl.
    let fd = unsafe {
        libc::ioctl(
            root.as_raw_fd(),
            v0::XFS_IOC_HEALTH_MONITOR as libc::c_ulong,
            &mut arg,
        )
    };
    if fd < 0 {
        return Err(format!(
            "XFS_IOC_HEALTH_MONITOR on {mount}: errno {}",
            errno()
        ));
    }
    // SAFETY: The ioctl returned a new fd that nothing else owns.
    Ok(Monitor(Arc::new(unsafe { OwnedFd::from_raw_fd(fd) })))
}

/// A monitor fd.
#[derive(Clone)]
struct Monitor(Arc<OwnedFd>);

impl Monitor {
    fn fd(&self) -> i32 {
        self.0.as_raw_fd()
    }

    /// One read; Ok(None) at EAGAIN.
    fn read(&self, buf: &mut [u8]) -> Res<Option<usize>> {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return match errno() {
                libc::EAGAIN => Ok(None),
                e => Err(format!("read: errno {e}")),
            };
        }
        Ok(Some(n as usize))
    }

    fn set_nonblock(&self) {
        // SAFETY: fcntl on our own fd.
        unsafe {
            let fl = libc::fcntl(self.fd(), libc::F_GETFL);
            libc::fcntl(self.fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
    }

    /// Reads with `chunk`-byte non-blocking reads until EAGAIN or end of file; returns records.
    fn drain(&self, chunk: usize) -> Res<Vec<v0::Record>> {
        self.set_nonblock();
        let mut buf = vec![0u8; chunk];
        let mut bytes = Vec::new();
        while let Some(n) = self.read(&mut buf)? {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
        }
        Ok(bytes
            .chunks_exact(v0::V0_SIZE)
            .map(v0::Record::parse)
            .collect())
    }

    fn fdinfo(&self, key: &str) -> Option<u64> {
        std::fs::read_to_string(format!("/proc/self/fdinfo/{}", self.fd()))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':')?.trim().parse().ok())
    }
}

/// A thread that reads a monitor 64 KiB at a time until told to stop, counting records other
/// than RUNNING and LOST.
struct Reader {
    stop: Arc<AtomicBool>,
    records: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<Res<()>>,
}

impl Reader {
    fn start(hm: &Monitor) -> Reader {
        Self::start_on(hm, None)
    }

    /// A reader on CPU `cpu`, or wherever the scheduler puts it.
    fn start_on(hm: &Monitor, cpu: Option<usize>) -> Reader {
        let stop = Arc::new(AtomicBool::new(false));
        let records = Arc::new(AtomicU64::new(0));
        let (hm, s, r) = (hm.clone(), stop.clone(), records.clone());
        let thread = std::thread::spawn(move || {
            if cpu.is_some() {
                pin(cpu)?;
            }
            hm.set_nonblock();
            let mut buf = vec![0u8; 65536];
            loop {
                let mut pfd = libc::pollfd {
                    fd: hm.fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: One valid pollfd.
                unsafe { libc::poll(&mut pfd, 1, 20) };
                while let Some(n) = hm.read(&mut buf)? {
                    if n == 0 {
                        return Ok(());
                    }
                    let n = buf[..n]
                        .chunks_exact(v0::V0_SIZE)
                        .map(v0::Record::parse)
                        .filter(|rec| rec.ty > 1)
                        .count();
                    r.fetch_add(n as u64, Ordering::Relaxed);
                }
                if s.load(Ordering::Relaxed) {
                    return Ok(());
                }
            }
        });
        Reader {
            stop,
            records,
            thread,
        }
    }

    fn finish(self) -> Res<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| "reader thread panicked".to_string())??;
        Ok(self.records.load(Ordering::Relaxed))
    }
}

/// Runs of each driver loop within a row; the row reports their median, which keeps one
/// descheduled vCPU (TCG) from deciding a row.
const RUNS: usize = 5;

fn bench_ns(fs: &Fs, op: &str, mode: &str, threads: u64, iters: u64) -> Res<f64> {
    let mut ns = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        ns.push(fs.driver_value(&format!("bench F0 F1 {op} {mode} {threads} {iters}"), "ns")?);
    }
    Ok(median(&mut ns) as f64 / (threads * iters) as f64)
}

/// Kernel memory in use, in bytes: every slab cache's objects in use times their size
/// (`/proc/slabinfo`), the pages of kmalloc() calls too large for a slab cache, and
/// `VmallocUsed`.  Every cache is shrunk first, which also flushes the per-CPU slabs, so that
/// the counts are exact; objects, not pages, are counted, because slab pages kept for reuse
/// would otherwise hide or inflate what one monitor holds.  Large kmalloc() pages (the Rust
/// monitor's ring, the C monitor's output buffer) appear in no cache: the kernel counts them
/// in meminfo's `Slab:` beside the caches' pages, so they are `Slab:` less the pages of every
/// cache, read after the per-CPU counters are folded in (`vm/stat_refresh`).
fn kernel_memory() -> Res<u64> {
    let slabs =
        std::fs::read_dir("/sys/kernel/slab").map_err(|e| format!("/sys/kernel/slab: {e}"))?;
    for entry in slabs.flatten() {
        // Caches without the file just fail; that is fine.
        let _ = std::fs::write(entry.path().join("shrink"), "1");
    }
    // Shrinking frees the empty slabs of SLAB_TYPESAFE_BY_RCU caches after a grace period,
    // and until then their pages count in `Slab:` but in no cache: let them go first.
    std::thread::sleep(Duration::from_secs(1));
    std::fs::write("/proc/sys/vm/stat_refresh", "1")
        .map_err(|e| format!("/proc/sys/vm/stat_refresh: {e}"))?;
    let slabinfo = std::fs::read_to_string("/proc/slabinfo").map_err(|e| e.to_string())?;
    let meminfo = std::fs::read_to_string("/proc/meminfo").map_err(|e| e.to_string())?;
    // SAFETY: sysconf() takes no pointer and only reads a value the kernel fixed at exec.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    let (mut objects, mut slab_pages) = (0, 0);
    for line in slabinfo.lines().skip(2) {
        // name active_objs num_objs objsize objperslab pagesperslab : tunables ... :
        // slabdata active_slabs num_slabs sharedavail
        let f: Vec<&str> = line.split_whitespace().collect();
        if let (Some(active), Some(size), Some(pages), Some(slabs)) =
            (f.get(1), f.get(3), f.get(5), f.get(14))
        {
            objects += num(active)? * num(size)?;
            slab_pages += num(pages)? * num(slabs)? * page;
        }
    }
    let kib = |key: &str| {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .map_or(Ok(0), num)
            .map(|v| v * 1024)
    };
    let large = kib("Slab:")?.saturating_sub(slab_pages);
    Ok(objects + large + kib("VmallocUsed:")?)
}

/// [`kernel_memory`] once it has stopped moving, for the reading before a measurement: what
/// earlier rows freed with kfree_rcu() comes back in batches up to five seconds later
/// (KFREE_DRAIN_JIFFIES), and call_rcu()'s callbacks a grace period later, so a measurement
/// whose window such a batch falls in reads too little (the rows read 0 after the create row's
/// hundred monitors).  So it waits out one such batch, then takes readings a second apart
/// (each takes one) until two agree to a page.
fn settled_memory() -> Res<u64> {
    std::thread::sleep(Duration::from_secs(6));
    let mut prev = kernel_memory()?;
    for _ in 0..30 {
        let now = kernel_memory()?;
        if now.abs_diff(prev) <= 4096 {
            return Ok(now);
        }
        prev = now;
    }
    Err("kernel memory did not settle in 30 readings".to_string())
}

/// The root directories of the XFS filesystems mounted on the directories in `dir`.  Only the
/// roots are opened: files created there would dirty every log just before a measurement.
fn mounted_under(dir: &str) -> Res<Vec<(String, File)>> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").map_err(|e| e.to_string())?;
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    let mut found = Vec::new();
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let (Some(at), Some(&"xfs")) = (f.get(1), f.get(2)) {
            if at.starts_with(&prefix) {
                let root = File::open(at).map_err(|e| format!("{at}: {e}"))?;
                found.push((at.to_string(), root));
            }
        }
    }
    if found.is_empty() {
        return Err(format!("no XFS mounted under {dir}"));
    }
    Ok(found)
}

/// The first read of a new monitor, 64 KiB as xfs_healer reads: it takes the RUNNING record,
/// which leaves the queue empty.  Non-blocking, so that a monitor without RUNNING fails the row
/// instead of hanging it.
fn first_read(hm: &Monitor) -> Res<()> {
    let mut buf = vec![0u8; 65536];
    hm.set_nonblock();
    match hm.read(&mut buf)? {
        Some(n) if n > 0 => Ok(()),
        _ => Err("the first read of a new monitor returned no record".to_string()),
    }
}

fn row(fs: &Fs, spec: &str) -> Res<Vec<(String, f64)>> {
    let f: Vec<&str> = spec.split(':').collect();
    let arg = |i: usize| {
        f.get(i)
            .copied()
            .ok_or_else(|| format!("{spec}: too few fields"))
    };
    let n = |i: usize| arg(i).and_then(num);
    match f[0] {
        "noreport" => Ok(vec![(
            format!("noreport/{}", arg(1)?),
            bench_ns(fs, arg(1)?, "distinct", 1, n(2)?)?,
        )]),
        "report" => {
            let (op, mode, reader, threads) = (arg(1)?, arg(2)?, arg(3)?, n(4)?);
            let hm = fs.monitor()?;
            let name = format!("report/{op}/{mode}/{reader}/t{threads}");
            match reader {
                "stopped" => Ok(vec![(name, bench_ns(fs, op, mode, threads, n(5)?)?)]),
                "drain" => {
                    let r = Reader::start(&hm);
                    let ns = bench_ns(fs, op, mode, threads, n(5)?);
                    let records = r.finish()?;
                    // How many records per 1000 reports reached the reader (the others
                    // merged): a faster reader takes records sooner and leaves fewer reports
                    // to merge, so it reads more of them, and each costs the reader's work.
                    let reports = RUNS as u64 * threads * n(5)?;
                    Ok(vec![
                        (name.clone(), ns?),
                        (
                            format!("{name}/delivered"),
                            records as f64 * 1000.0 / reports as f64,
                        ),
                    ])
                }
                _ => Err(format!("{spec}: reader is stopped or drain")),
            }
        }
        "read" => {
            let (chunk, records, reps) = (n(1)? as usize, n(2)?, n(3)?);
            let (mut ns, mut read) = (0u64, 0u64);
            for _ in 0..reps {
                let hm = fs.monitor()?;
                fs.driver(&format!("bench F0 F1 media distinct 1 {records}"))?;
                let t0 = monotonic_ns();
                read += hm.drain(chunk)?.len() as u64;
                ns += monotonic_ns() - t0;
            }
            Ok(vec![(
                format!("read/{chunk}"),
                ns as f64 / read.max(1) as f64,
            )])
        }
        "flood" => {
            // The reader on CPU 1 and the reporting thread on CPU 0: left to the scheduler, a
            // woken reader may be queued behind the reporter on its CPU and run only at its
            // next tick, and the row would count ticks, not what the monitor delivers.
            let hm = fs.monitor()?;
            let r = Reader::start_on(&hm, Some(1));
            pin(Some(0))?;
            let done = fs.driver(&format!("bench F0 F1 media distinct 1 {}", n(1)?));
            pin(None)?;
            std::thread::sleep(Duration::from_millis(100));
            let delivered = r.finish()?;
            done?;
            let lost = hm.fdinfo("lost").ok_or("no lost line in fdinfo")?;
            Ok(vec![
                ("flood/delivered".to_string(), delivered as f64),
                ("flood/lost".to_string(), lost as f64),
            ])
        }
        "wake" => {
            let hm = fs.monitor()?;
            hm.drain(4096)?;
            // Back to blocking reads for the reader thread.
            // SAFETY: fcntl on our own fd.
            unsafe { libc::fcntl(hm.fd(), libc::F_SETFL, 0) };
            let (tx, rx) = mpsc::channel();
            let stop = Arc::new(AtomicBool::new(false));
            let (h, s) = (hm.clone(), stop.clone());
            let reader = std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !s.load(Ordering::Relaxed) {
                    match h.read(&mut buf) {
                        Ok(Some(n)) if n > 0 => {
                            if tx.send(monotonic_ns()).is_err() {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
            });
            let mut lat = Vec::new();
            for i in 0..n(1)? {
                // Let the reader block again before the next report.
                std::thread::sleep(Duration::from_millis(2));
                let t0 = fs.driver_value(&format!("media F0 1 {} 1", i * 16), "t")?;
                let t1 = rx
                    .recv_timeout(Duration::from_secs(10))
                    .map_err(|_| "the reader did not wake".to_string())?;
                lat.push(t1.saturating_sub(t0));
            }
            stop.store(true, Ordering::Relaxed);
            fs.driver("media F0 1 1 1")?;
            let _ = reader.join();
            Ok(vec![
                ("wake/p50".to_string(), percentile(&mut lat, 50) as f64),
                ("wake/p99".to_string(), percentile(&mut lat, 99) as f64),
            ])
        }
        "create" => {
            let (mut create, mut close) = (Vec::new(), Vec::new());
            for _ in 0..n(1)? {
                let t0 = Instant::now();
                let hm = fs.monitor()?;
                let t1 = Instant::now();
                drop(hm);
                create.push((t1 - t0).as_nanos() as u64);
                close.push(t1.elapsed().as_nanos() as u64);
            }
            Ok(vec![
                ("monitor/create".to_string(), median(&mut create) as f64),
                ("monitor/close".to_string(), median(&mut close) as f64),
            ])
        }
        "memory" => {
            let mut bytes = Vec::new();
            for _ in 0..n(1)? {
                let before = settled_memory()?;
                let hm = fs.monitor()?;
                // Far more distinct events than either queue holds.
                fs.driver("bench F0 F1 media distinct 1 4000")?;
                let after = kernel_memory()?;
                drop(hm);
                bytes.push(after.saturating_sub(before));
            }
            Ok(vec![(
                "monitor/memory".to_string(),
                median(&mut bytes) as f64,
            )])
        }
        "memory-idle" => {
            let (mut open, mut read) = (Vec::new(), Vec::new());
            for _ in 0..n(1)? {
                let before = settled_memory()?;
                let hm = fs.monitor()?;
                let opened = kernel_memory()?;
                first_read(&hm)?;
                let after = kernel_memory()?;
                drop(hm);
                open.push(opened.saturating_sub(before));
                read.push(after.saturating_sub(before));
            }
            Ok(vec![
                (
                    "monitor/memory-idle/open".to_string(),
                    median(&mut open) as f64,
                ),
                (
                    "monitor/memory-idle/read".to_string(),
                    median(&mut read) as f64,
                ),
            ])
        }
        "memory-mounts" => {
            let mounts = mounted_under(arg(2)?)?;
            let mut per = Vec::new();
            for _ in 0..n(1)? {
                let before = settled_memory()?;
                let mut held = Vec::with_capacity(mounts.len());
                for (mount, root) in &mounts {
                    let hm = open_monitor(root, mount)?;
                    first_read(&hm)?;
                    held.push(hm);
                }
                let after = kernel_memory()?;
                drop(held);
                per.push(after.saturating_sub(before) / mounts.len() as u64);
            }
            Ok(vec![(
                format!("monitor/memory-idle/{}-mounts", mounts.len()),
                median(&mut per) as f64,
            )])
        }
        other => Err(format!("unknown row {other}")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((mount, rows)) = args.split_first() else {
        eprintln!("usage: hmbench MOUNT ROW...  (see the source for the rows)");
        std::process::exit(2);
    };
    let fs = match Fs::open(mount) {
        Ok(fs) => fs,
        Err(e) => {
            eprintln!("hmbench: {e}");
            std::process::exit(1);
        }
    };
    let mut failed = false;
    for spec in rows {
        match row(&fs, spec) {
            Ok(values) => {
                for (name, v) in values {
                    println!("{name} {v:.1}");
                }
            }
            Err(e) => {
                eprintln!("hmbench: {spec}: {e}");
                failed = true;
            }
        }
    }
    std::process::exit(i32::from(failed));
}
