// SPDX-License-Identifier: GPL-2.0

//! `churn SEED ROUNDS`: readers of every style coming and going while the driver reports.

use super::*;

/// What a reader thread of `churn` does.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Style {
    Blocking,
    Poll,
    Epoll,
}

/// Reads `fd` in `style` until `stop`; returns records read.  Blocking readers are woken by
/// SIGUSR1.
pub(crate) fn churn_reader(fd: i32, style: Style, seed: u64, stop: &AtomicBool) -> Res<u64> {
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
pub(crate) struct Reporter {
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) commands: Arc<AtomicU64>,
    pub(crate) thread: std::thread::JoinHandle<Res<()>>,
}

impl Reporter {
    pub(crate) fn start(fs: &Fs, seed: u64) -> Reporter {
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
    pub(crate) fn stop(self) -> Res<u64> {
        self.stop.store(true, SeqCst);
        self.thread.join().map_err(|_| "reporter panicked")??;
        Ok(self.commands.load(SeqCst))
    }
}

/// Monitors created, read, checked and closed while kernel threads report.
pub(crate) fn churn(fs: &Fs, seed: u64, rounds: u64) -> Res<()> {
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
