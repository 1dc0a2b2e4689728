// SPDX-License-Identifier: GPL-2.0

//! Measuring: the clock, CPU pinning, medians and percentiles, the timed driver command, and the
//! kernel's memory before and after.

use super::*;

pub(crate) fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Runs the calling thread on `cpu` only, or on every CPU with `None`.
pub(crate) fn pin(cpu: Option<usize>) -> Res<()> {
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

pub(crate) fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

pub(crate) fn percentile(v: &mut [u64], p: usize) -> u64 {
    v.sort_unstable();
    if v.is_empty() {
        return 0;
    }
    v[((v.len() * p).div_ceil(100))
        .saturating_sub(1)
        .min(v.len() - 1)]
}

/// Runs of each driver loop within a row; the row reports their median, which keeps one
/// descheduled vCPU (TCG) from deciding a row.
pub(crate) const RUNS: usize = 5;

pub(crate) fn bench_ns(fs: &Fs, op: &str, mode: &str, threads: u64, iters: u64) -> Res<f64> {
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
pub(crate) fn kernel_memory() -> Res<u64> {
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
pub(crate) fn settled_memory() -> Res<u64> {
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
