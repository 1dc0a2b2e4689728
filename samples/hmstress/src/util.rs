// SPDX-License-Identifier: GPL-2.0

//! Helpers of the threads and processes the commands use: thread ids, where a thread sleeps,
//! signals, shell commands, CPU pinning.

use super::*;

pub(crate) fn gettid() -> i32 {
    // SAFETY: No arguments.
    unsafe { libc::gettid() }
}

/// Whether thread `tid` of this process sleeps in a system call of `calls` (x86-64 numbers).
pub(crate) fn sleeping_in(tid: i32, calls: &[&str]) -> bool {
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
pub(crate) fn blocked_in_read(tid: i32) -> bool {
    sleeping_in(tid, &["0"])
}

/// Waits up to ten seconds for `cond`.
pub(crate) fn wait_for(what: &str, cond: impl Fn() -> bool) -> Res<()> {
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
pub(crate) fn catch_sigusr1() {
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
pub(crate) fn where_is(tid: i32) -> String {
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

pub(crate) fn signal_thread(tid: i32) {
    // SAFETY: Sends a signal to a thread of this process.
    unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, libc::SIGUSR1) };
}

/// Runs `cmd` with `sh -c`; its success.
pub(crate) fn sh(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .is_ok_and(|s| s.success())
}

pub(crate) fn umount(mount: &str) -> Res<()> {
    if sh(&format!("umount {mount}")) {
        Ok(())
    } else {
        Err(format!("umount {mount} failed"))
    }
}

/// Pins the calling thread to CPU 0, so that a woken reader runs only when the waker yields.
pub(crate) fn pin_to_cpu0() {
    // SAFETY: A zeroed cpu_set_t with one CPU set, for the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

pub(crate) fn write_file(path: &str, val: &str) -> Res<()> {
    std::fs::write(path, val).map_err(|e| format!("{path}: {e}"))
}

/// Open fds of this process.
pub(crate) fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}
