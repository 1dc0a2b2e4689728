// SPDX-License-Identifier: GPL-2.0

//! SIGINT and SIGTERM: which one asked the command to stop, and the pipe that wakes the watch loop
//! when one comes.

use super::*;

/// The signal that asked us to stop, or 0.
pub(crate) static STOP: AtomicI32 = AtomicI32::new(0);

/// The write end of the pipe that wakes the watch loop when a signal comes, or -1.
pub(crate) static WAKE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    STOP.store(sig, Ordering::Relaxed);
    let fd = WAKE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe; `fd` is the non-blocking write end of the wake
        // pipe, which stays open for the life of the process, and `byte` is one readable byte.
        // A full pipe already wakes the loop, so a failed write loses nothing.
        let _ = unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    }
}

/// Stops on SIGINT and SIGTERM.  A signal that comes while the loop waits ends the wait with
/// `EINTR`; one that comes just before it waits would be missed that way, so the handler also
/// writes to a pipe that the loop polls with the monitor (the self-pipe trick).  Returns the read
/// end of the pipe.
pub(crate) fn catch_signals() -> io::Result<OwnedFd> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` returns.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `pipe2` returned two new descriptors that nothing else owns.  The write end is
    // kept open for the life of the process (the handler may run until it exits).
    let read_end = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    WAKE.store(fds[1], Ordering::Relaxed);
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `sigaction` is plain old data, for which all zeroes is a valid value.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: `sa` is a valid action whose handler only stores to an atomic and writes to a
        // pipe, both async-signal-safe.
        if unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(read_end)
}

/// Waits until the monitor has something to read or the wake pipe has a byte (a signal).
pub(crate) fn wait(mon: &Monitor, wake: &OwnedFd) -> io::Result<()> {
    let mut fds = [
        libc::pollfd {
            fd: mon.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: two valid `pollfd`s.
    if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
