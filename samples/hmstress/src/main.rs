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

mod churn;
mod enomem;
mod fs;
mod fuzz;
mod readers;
mod rtwindow;
mod sigdata;
mod unmount;
mod util;
mod wake;

use std::fs::File;
use std::fs::OpenOptions;
use std::io::Read;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::fd::AsRawFd;
use std::os::fd::IntoRawFd;
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

use churn::churn;
use churn::Reporter;
use enomem::enomem;
use enomem::lossy;
use fs::*;
use fuzz::fuzz;
use fuzz::Pages;
use readers::readers;
use sigdata::sigdata;
use unmount::unmount_races;
use util::*;

/// `XFS_HEALTH_MONITOR_TYPE_UNMOUNT`.
const TYPE_UNMOUNT: u32 = 2;
/// `XFS_IOC_GOINGDOWN`, `_IOR('X', 125, __u32)`.
const XFS_IOC_GOINGDOWN: u64 = (2 << 30) | (4 << 16) | ((b'X' as u64) << 8) | 125;

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
