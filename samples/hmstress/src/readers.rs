// SPDX-License-Identifier: GPL-2.0

//! `readers N`: readers racing on one monitor, and the end of the stream at unmount.

use super::*;

/// Two readers blocked on one fd; N single reports; then the unmount.
pub(crate) fn readers(fs: &mut Fs, n: u64) -> Res<()> {
    let hm = fs.monitor_running()?;
    let fd = hm.0;
    let got = Arc::new(AtomicU64::new(0));
    let early = Arc::new(AtomicU64::new(0));
    let unmounts = Arc::new(AtomicU64::new(0));
    let tids: Vec<Arc<AtomicI32>> = (0..2).map(|_| Arc::new(AtomicI32::new(0))).collect();
    let mut threads = Vec::new();
    for tid in &tids {
        let (got, early, unmounts, tid) =
            (got.clone(), early.clone(), unmounts.clone(), tid.clone());
        threads.push(std::thread::spawn(move || -> Res<()> {
            tid.store(gettid(), SeqCst);
            let mut buf = vec![0u8; 4096];
            loop {
                match read_fd(fd, &mut buf) {
                    Got::Bytes(b) => {
                        for r in records(&buf[..b]) {
                            if r.ty == TYPE_UNMOUNT {
                                unmounts.fetch_add(1, SeqCst);
                            } else {
                                got.fetch_add(1, SeqCst);
                            }
                        }
                    }
                    Got::Eof if attached(fd) => {
                        early.fetch_add(1, SeqCst);
                    }
                    Got::Eof => return Ok(()),
                    Got::Err(e) => return Err(format!("reader: {}", errno_name(e))),
                }
            }
        }));
    }
    for i in 0..n {
        for tid in &tids {
            wait_for("a reader to block", || {
                let t = tid.load(SeqCst);
                t != 0 && blocked_in_read(t)
            })?;
        }
        fs.driver(&format!("media F0 1 {} 1", i * 16))?;
        wait_for("a reader to get the record", || got.load(SeqCst) > i)?;
    }
    fs.close();
    umount(&fs.mount)?;
    let mut returned = 0;
    for t in threads {
        wait_for("the readers to return", || t.is_finished())?;
        t.join().map_err(|_| "reader panicked")??;
        returned += 1;
    }
    eprintln!(
        "readers: {} records, {} early ends of stream",
        got.load(SeqCst),
        early.load(SeqCst)
    );
    println!("readers: {} records read by two readers", got.load(SeqCst));
    println!(
        "readers: end of stream while attached: {}",
        early.load(SeqCst)
    );
    println!(
        "readers: {returned} of 2 returned at the end of the stream, UNMOUNT records {}",
        unmounts.load(SeqCst)
    );
    Ok(())
}
