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

mod measure;
mod monitor;

use std::fs::File;
use std::fs::OpenOptions;
use std::os::fd::AsFd;
use std::os::fd::AsRawFd;
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

use measure::*;
use monitor::*;

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
