// SPDX-License-Identifier: GPL-2.0

//! `wakeone`: how many waiters one new record wakes, with 8 readers blocked in `read()` and 8
//! threads in `epoll_wait()` on `EPOLLEXCLUSIVE` entries of the same monitor.

use super::*;

/// Readers, and `EPOLLEXCLUSIVE` waiters.
const WAITERS: usize = 8;

/// Voluntary context switches of thread `tid`: a thread asleep in the kernel that is woken and
/// sleeps again adds one, whether or not it got anything.
fn switches(tid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Whether thread `tid` of this process sleeps in `epoll_wait()`, `epoll_pwait()` or
/// `epoll_pwait2()`.
fn blocked_in_epoll(tid: i32) -> bool {
    sleeping_in(tid, &["232", "281", "441"])
}

/// An epoll instance watching `fd` for input, edge-triggered, with `EPOLLEXCLUSIVE`.
fn epoll_exclusive(fd: i32) -> Res<i32> {
    // SAFETY: No pointers.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(format!("epoll_create1: {}", errno_name(errno())));
    }
    let mut ev = libc::epoll_event {
        events: (libc::EPOLLIN | libc::EPOLLET | libc::EPOLLEXCLUSIVE) as u32,
        u64: 0,
    };
    // SAFETY: `ev` is a valid event for the call.
    if unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
        return Err(format!("epoll_ctl: {}", errno_name(errno())));
    }
    Ok(ep)
}

/// Per new record, counts the waiters that woke: the threads whose voluntary context switches
/// moved between the record's report and the moment all of them sleep again.  C's `wake_up()`
/// wakes every non-exclusive waiter and one exclusive one: its readers wait non-exclusively, so
/// all 8 wake, and one `EPOLLEXCLUSIVE` entry.  Ours wait exclusively on a queue of their own,
/// so one reader and one `EPOLLEXCLUSIVE` entry wake.  Woken epoll threads only count; a reader
/// reads the record every round, which is checked.
pub(crate) fn wakeone(fs: &mut Fs, rounds: u64) -> Res<()> {
    let hm = fs.monitor_running()?;
    let fd = hm.0;
    let got = Arc::new(AtomicU64::new(0));
    let epoll_wakes = Arc::new(AtomicU64::new(0));
    let readers: Vec<Arc<AtomicI32>> = (0..WAITERS).map(|_| Arc::new(AtomicI32::new(0))).collect();
    let pollers: Vec<Arc<AtomicI32>> = (0..WAITERS).map(|_| Arc::new(AtomicI32::new(0))).collect();
    let done = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for tid in &readers {
        let (got, tid) = (got.clone(), tid.clone());
        threads.push(std::thread::spawn(move || -> Res<()> {
            tid.store(gettid(), SeqCst);
            let mut buf = vec![0u8; 4096];
            loop {
                match read_fd(fd, &mut buf) {
                    Got::Bytes(b) => {
                        let n = records(&buf[..b]).filter(|r| r.ty != TYPE_UNMOUNT).count();
                        got.fetch_add(n as u64, SeqCst);
                    }
                    // C's false end of stream, for a reader woken for a record another took.
                    Got::Eof if attached(fd) => {}
                    Got::Eof => return Ok(()),
                    Got::Err(e) => return Err(format!("reader: {}", errno_name(e))),
                }
            }
        }));
    }
    for tid in &pollers {
        let (wakes, tid, done) = (epoll_wakes.clone(), tid.clone(), done.clone());
        let ep = epoll_exclusive(fd)?;
        threads.push(std::thread::spawn(move || -> Res<()> {
            tid.store(gettid(), SeqCst);
            let mut ev = [libc::epoll_event { events: 0, u64: 0 }];
            while !done.load(SeqCst) {
                // SAFETY: `ev` has room for the one event asked for.
                let n = unsafe { libc::epoll_wait(ep, ev.as_mut_ptr(), 1, -1) };
                if n < 0 && errno() != libc::EINTR {
                    return Err(format!("epoll_wait: {}", errno_name(errno())));
                }
                if n > 0 {
                    wakes.fetch_add(1, SeqCst);
                }
            }
            // SAFETY: Our own epoll fd, closed once.
            unsafe { libc::close(ep) };
            Ok(())
        }));
    }
    let all: Vec<Arc<AtomicI32>> = readers.iter().chain(&pollers).cloned().collect();
    let asleep = || {
        readers.iter().all(|t| {
            let t = t.load(SeqCst);
            t != 0 && blocked_in_read(t)
        }) && pollers.iter().all(|t| {
            let t = t.load(SeqCst);
            t != 0 && blocked_in_epoll(t)
        })
    };
    let mut woken = Vec::new();
    for i in 0..rounds {
        wait_for("the waiters to sleep", asleep)?;
        // One more look, so that a waiter woken late by the previous round is not counted here.
        std::thread::sleep(Duration::from_millis(20));
        wait_for("the waiters to sleep", asleep)?;
        let before: Vec<u64> = all.iter().map(|t| switches(t.load(SeqCst))).collect();
        let got0 = got.load(SeqCst);
        fs.driver(&format!("media F0 1 {} 1", i * 16))?;
        // A woken epoll thread may find the record already read and sleep on in epoll_wait():
        // it is counted by its context switches, not by epoll_wait() returning.
        wait_for("a reader to get the record", || got.load(SeqCst) > got0)?;
        std::thread::sleep(Duration::from_millis(20));
        wait_for("the waiters to sleep again", asleep)?;
        let n = all
            .iter()
            .zip(&before)
            .filter(|(t, b)| switches(t.load(SeqCst)) != **b)
            .count();
        eprintln!(
            "wakeone: round {i}: {n} waiters woken, epoll_wait() returned {} times so far",
            epoll_wakes.load(SeqCst)
        );
        woken.push(n);
    }
    done.store(true, SeqCst);
    fs.close();
    umount(&fs.mount)?;
    for t in threads {
        wait_for("the waiters to return", || t.is_finished())?;
        t.join().map_err(|_| "waiter panicked")??;
    }
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for n in woken {
        match counts.iter_mut().find(|(k, _)| *k == n) {
            Some((_, c)) => *c += 1,
            None => counts.push((n, 1)),
        }
    }
    counts.sort();
    for (n, c) in counts {
        println!(
            "wakeone: {c} of {rounds} records woke {n} of {} waiters",
            2 * WAITERS
        );
    }
    println!("wakeone: records read {}", got.load(SeqCst));
    Ok(())
}

/// Per round, two readers block in one `read()` of 32 bytes each and one record is reported:
/// both must return with half of it.  The reader woken for the record takes the first half and
/// must pass the wake-up on before it returns, as nothing else will wake the second reader
/// (C wakes both with the record).  With `fault`, each reader asks for 64 bytes into a buffer
/// of which only the first 32 are mapped: the copy faults after the first half, and the
/// reader returns 32 bytes with the second half still buffered, which it must pass on too.
pub(crate) fn passon(fs: &mut Fs, rounds: u64, fault: bool) -> Res<()> {
    let hm = fs.monitor_running()?;
    let fd = hm.0;
    let mut whole = 0;
    for i in 0..rounds {
        let tids: Vec<Arc<AtomicI32>> = (0..2).map(|_| Arc::new(AtomicI32::new(0))).collect();
        let halves: Vec<_> = tids
            .iter()
            .map(|tid| {
                let tid = tid.clone();
                std::thread::spawn(move || -> Res<Vec<u8>> {
                    // The reader's own pages, unmapped when it is done with its read (never
                    // while the kernel may still write to them): its buffer is the last 32
                    // mapped bytes, followed by an unmapped page.
                    tid.store(gettid(), SeqCst);
                    let pages = Pages::new(false)?;
                    // SAFETY: The first page of `pages` is mapped; this is its last 32 bytes.
                    let edge = unsafe { pages.base.add(4096 - v0::V0_SIZE / 2) };
                    let half = v0::V0_SIZE / 2;
                    let n = if fault {
                        // SAFETY: Asks for a whole record at `edge`, of which the kernel can
                        // write the first half only; `pages` lives until the thread ends.
                        unsafe { libc::read(fd, edge.cast(), v0::V0_SIZE) }
                    } else {
                        // SAFETY: `edge` is writable for `half` bytes.
                        unsafe { libc::read(fd, edge.cast(), half) }
                    };
                    let got = match n {
                        n if n < 0 => Got::Err(errno()),
                        0 => Got::Eof,
                        n => Got::Bytes(n as usize),
                    };
                    match got {
                        Got::Bytes(n) if n == half => {
                            // SAFETY: The kernel wrote `half` bytes at `edge`, in `pages`.
                            Ok(unsafe { std::slice::from_raw_parts(edge, half) }.to_vec())
                        }
                        Got::Bytes(n) => Err(format!("a reader got {n} bytes")),
                        Got::Eof => Err("a reader got the end of the stream".into()),
                        Got::Err(e) => Err(format!("reader: {}", errno_name(e))),
                    }
                })
            })
            .collect();
        // A reader that failed before its read has finished: the join below shows why.
        wait_for("both readers to sleep", || {
            tids.iter().zip(&halves).all(|(t, h)| {
                let t = t.load(SeqCst);
                h.is_finished() || (t != 0 && blocked_in_read(t))
            })
        })?;
        fs.driver(&format!("media F0 1 {} 1", i * 16))?;
        for h in &halves {
            wait_for("both readers to return", || h.is_finished())?;
        }
        let mut rec = Vec::new();
        for h in halves {
            rec.extend(h.join().map_err(|_| "reader panicked")??);
        }
        // Either reader may have taken either half.
        let (a, b) = rec.split_at(v0::V0_SIZE / 2);
        let swapped = [b, a].concat();
        // `XFS_HEALTH_MONITOR_TYPE_MEDIA_ERROR`.
        let media = |r: &[u8]| v0::Record::parse(r).ty == 7;
        if media(&rec) || media(&swapped) {
            whole += 1;
        } else {
            eprintln!("passon: round {i}: the halves make no record");
        }
    }
    let how = if fault { "faulting " } else { "" };
    println!("passon: {whole} of {rounds} records read in halves by two {how}readers");
    Ok(())
}
