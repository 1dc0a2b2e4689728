// SPDX-License-Identifier: GPL-2.0

//! `rtwindow`: monitors created and closed by a real-time thread while kernel threads report.
//!
//! A reporter finds the monitor in an RCU read-side critical section and takes its lock; the
//! close detaches the monitor and frees it a grace period after its last reference.  On
//! `PREEMPT_RT` the lock is a sleeping lock and its holder can be preempted: a `SCHED_FIFO`
//! thread, moved from CPU to CPU, opens a monitor, sleeps a random fraction of a millisecond
//! (the reporters run and take the lock), wakes (preempting whichever reporter runs on its
//! CPU, on `PREEMPT_RT` possibly one holding the lock, which the close then waits for with
//! priority inheritance), checks that fdinfo balances and closes it, round after round.  The
//! kernel's checkers judge the memory (lockdep, `PROVE_RCU`, and on the rt kernel
//! `slub_debug` poisoning).
//!
//! This is a churn test under real-time preemption, not a reproducer of the use after free
//! that a reporter leaving its RCU section before the lock's release would allow: that needs
//! the reporter preempted between the two for a whole grace period, and 7.2.13's
//! `rt_spin_unlock()` itself stays in a section until after the release.  The KUnit test
//! `report_rcu_outlasts_the_release` (monitor/lifetime.rs) checks that ordering directly.
//! How often the reporters were preempted goes to the full log, as a figure only.

use super::*;

/// `/proc/PID/status` field `key` of task `pid`.
fn status(pid: &str, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
}

/// The report driver's kernel threads now running, with their involuntary context switches.
fn reporter_switches() -> Vec<(String, u64)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.starts_with("xfs_hmdrv/"))
        })
        .filter_map(|pid| status(&pid, "nonvoluntary_ctxt_switches:").map(|n| (pid, n)))
        .collect()
}

/// Makes the calling thread `SCHED_FIFO` at priority 10, above every reporter.
fn realtime() -> Res<()> {
    let param = libc::sched_param { sched_priority: 10 };
    // SAFETY: `param` is a valid parameter for the calling thread.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } < 0 {
        return Err(format!("sched_setscheduler: {}", errno_name(errno())));
    }
    Ok(())
}

/// The CPUs this process may run on.
fn allowed_cpus() -> Res<Vec<usize>> {
    // SAFETY: A zeroed cpu_set_t, filled by the call for the calling thread.
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) < 0 {
            return Err(format!("sched_getaffinity: {}", errno_name(errno())));
        }
        set
    };
    // SAFETY: Tests bits of a valid set.
    Ok((0..libc::CPU_SETSIZE as usize)
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
        .collect())
}

/// Moves the calling thread to `cpu`.
fn run_on(cpu: usize) -> Res<()> {
    // SAFETY: A zeroed cpu_set_t with one CPU set, for the calling thread.
    let r = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if r < 0 {
        return Err(format!("sched_setaffinity {cpu}: {}", errno_name(errno())));
    }
    Ok(())
}

pub(crate) fn rtwindow(fs: &Fs, seed: u64, rounds: u64) -> Res<()> {
    let mut rng = Rng::new(seed);
    let cpus = allowed_cpus()?;
    let reporter = Reporter::start(fs, seed);
    // Watches the reporters' involuntary context switches: the most seen per thread.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut most = std::collections::HashMap::new();
            while !stop.load(SeqCst) {
                for (pid, n) in reporter_switches() {
                    let m = most.entry(pid).or_insert(0);
                    *m = n.max(*m);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            (most.len(), most.values().sum::<u64>())
        })
    };
    let mut closer = || -> Res<()> {
        realtime()?;
        for round in 0..rounds {
            run_on(cpus[round as usize % cpus.len()])?;
            let hm = fs
                .try_monitor(rng.chance(50))
                .map_err(|e| format!("round {round}: creation failed: {}", errno_name(e)))?;
            std::thread::sleep(Duration::from_micros(rng.below(500)));
            balanced(hm.0).map_err(|e| format!("round {round}: {e}"))?;
            drop(hm);
        }
        Ok(())
    };
    let result = closer();
    let commands = reporter.stop();
    stop.store(true, SeqCst);
    let (threads, preempted) = watcher.join().map_err(|_| "watcher panicked")?;
    // The closer's failure first: it is the one under test.
    result?;
    let commands = commands?;
    eprintln!(
        "rtwindow: {rounds} rounds on {} CPUs, {commands} driver commands, {threads} \
         reporter threads seen, preempted {preempted} times",
        cpus.len()
    );
    println!("rtwindow: {rounds} monitors closed under a real-time thread, all balanced");
    Ok(())
}
