// SPDX-License-Identifier: GPL-2.0

//! `unmount SEED ROUNDS DEV RTDEV`: unmounts, lazy unmounts and shutdowns racing monitors and
//! reports.

use super::*;

/// Mount, monitor, report, unmount: ROUNDS times, in three ways.
pub(crate) fn unmount_races(
    mount: &str,
    seed: u64,
    rounds: u64,
    dev: &str,
    rtdev: &str,
) -> Res<()> {
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
