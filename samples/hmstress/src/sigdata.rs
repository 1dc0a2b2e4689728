// SPDX-License-Identifier: GPL-2.0

//! `sigdata N`: signals that interrupt blocked reads must lose no data.

use super::*;

/// A record and a signal for a blocked reader, N times.
pub(crate) fn sigdata(fs: &Fs, n: u64) -> Res<()> {
    catch_sigusr1();
    pin_to_cpu0();
    let hm = fs.monitor_running()?;
    let fd = hm.0;
    let got = Arc::new(AtomicU64::new(0));
    let eintr = Arc::new(AtomicU64::new(0));
    let wrong = Arc::new(AtomicU64::new(0));
    // Records queued so far: each before its signal.
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tid = Arc::new(AtomicI32::new(0));
    let reader = {
        let (got, eintr, wrong, sent, stop, tid) = (
            got.clone(),
            eintr.clone(),
            wrong.clone(),
            sent.clone(),
            stop.clone(),
            tid.clone(),
        );
        std::thread::spawn(move || -> Res<()> {
            pin_to_cpu0();
            tid.store(gettid(), SeqCst);
            let mut buf = vec![0u8; 4096];
            while !stop.load(SeqCst) {
                match read_fd(fd, &mut buf) {
                    Got::Bytes(b) => {
                        got.fetch_add((b / v0::V0_SIZE) as u64, SeqCst);
                    }
                    Got::Err(libc::EINTR) => {
                        // Fine if this reader took the record before the signal came (it ran
                        // between the two); wrong if the record still waits: it was queued
                        // before the signal was sent.
                        eintr.fetch_add(1, SeqCst);
                        if got.load(SeqCst) < sent.load(SeqCst) {
                            wrong.fetch_add(1, SeqCst);
                        }
                    }
                    Got::Eof if attached(fd) => {
                        EARLY_EOF.fetch_add(1, SeqCst);
                    }
                    Got::Eof => return Err("end of stream".into()),
                    Got::Err(e) => return Err(format!("reader: {}", errno_name(e))),
                }
            }
            Ok(())
        })
    };
    for i in 0..n {
        wait_for("the reader to block", || {
            let t = tid.load(SeqCst);
            t != 0 && blocked_in_read(t)
        })
        .map_err(|e| {
            let t = tid.load(SeqCst);
            let st =
                std::fs::read_to_string(format!("/proc/self/task/{t}/stat")).unwrap_or_default();
            let sc =
                std::fs::read_to_string(format!("/proc/self/task/{t}/syscall")).unwrap_or_default();
            format!(
                "{e} (record {i}, read {}, EINTR {}, false ends {}, reader: {} / {})",
                got.load(SeqCst),
                eintr.load(SeqCst),
                EARLY_EOF.load(SeqCst),
                st.trim(),
                sc.trim()
            )
        })?;
        fs.driver(&format!("media F0 1 {} 1", i * 16))?;
        sent.fetch_add(1, SeqCst);
        signal_thread(tid.load(SeqCst));
        wait_for("the reader to get the record", || got.load(SeqCst) > i)?;
    }
    // The reader sees `stop` either before its next read, and returns, or blocked in it, and
    // then one more record ends that read.
    stop.store(true, SeqCst);
    wait_for("the reader to block or return", || {
        reader.is_finished() || blocked_in_read(tid.load(SeqCst))
    })?;
    fs.driver("media F0 1 1 1")?;
    reader.join().map_err(|_| "reader panicked")??;
    eprintln!(
        "sigdata: {} records, {} EINTR, {} of them with a record queued",
        got.load(SeqCst),
        eintr.load(SeqCst),
        wrong.load(SeqCst)
    );
    println!("sigdata: {n} records with a signal each");
    println!(
        "sigdata: end of stream while attached: {}",
        EARLY_EOF.load(SeqCst)
    );
    println!(
        "sigdata: reads interrupted although a record was queued: {}",
        wrong.load(SeqCst)
    );
    Ok(())
}
