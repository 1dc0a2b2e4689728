// SPDX-License-Identifier: GPL-2.0

//! `enomem` and `lossy N`: allocation failures in creation and in reporting, and what the
//! accounting shows of them.

use super::*;

/// Fails each allocation of the creation ioctl in turn.
pub(crate) fn enomem(fs: &Fs) -> Res<()> {
    let fi = "/sys/kernel/debug/failslab";
    let fp = "/sys/kernel/debug/fail_page_alloc";
    for dir in [fi, fp] {
        write_file(&format!("{dir}/ignore-gfp-wait"), "N")?;
        write_file(&format!("{dir}/verbose"), "0")?;
    }
    write_file(&format!("{fp}/min-order"), "0")?;
    // One open file for fail-nth, used with pread and pwrite, which allocate nothing: opening
    // it after arming would itself take the injected failure.
    let nth_path = format!("/proc/self/task/{}/fail-nth", gettid());
    let nth = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&nth_path)
        .map_err(|e| format!("{nth_path}: {e}"))?;
    let arm = |n: u64| {
        nth.write_at(n.to_string().as_bytes(), 0)
            .map_err(|e| format!("{nth_path}: {e}"))
    };
    let fds = fd_count();
    let mut points = 0;
    let (mut failed, mut survived) = (0, 0);
    let mut other = Vec::new();
    for n in 1..1000 {
        arm(n)?;
        let r = fs.try_monitor(false);
        let mut buf = [0u8; 32];
        let len = nth
            .read_at(&mut buf, 0)
            .map_err(|e| format!("{nth_path}: {e}"))?;
        let left = num(String::from_utf8_lossy(&buf[..len]).trim())?;
        arm(0)?;
        if left != 0 {
            // Every allocation of the ioctl passed: all failure points were tried.
            drop(r);
            break;
        }
        points += 1;
        match r {
            Err(libc::ENOMEM) => failed += 1,
            // An allocation whose failure the ioctl survives (a debugging allocation, say).
            Ok(m) => {
                survived += 1;
                drop(m);
            }
            Err(e) => other.push(format!("{n}: {}", errno_name(e))),
        }
        // No monitor may be left attached: the next creation works at once.
        let again = fs
            .try_monitor(false)
            .map_err(|e| format!("creation after failure {n}: {}", errno_name(e)))?;
        drop(again);
    }
    eprintln!(
        "enomem: {points} allocation points: {failed} creations failed with ENOMEM, \
         {survived} succeeded; other results: {other:?}"
    );
    if failed == 0 {
        return Err("no injected failure made the creation fail".into());
    }
    println!(
        "enomem: every failed creation: ENOMEM ({})",
        if other.is_empty() { "yes" } else { "no" }
    );
    for o in &other {
        println!("enomem: failure {o}");
    }
    println!("enomem: fds leaked: {}", fd_count().saturating_sub(fds));
    println!("enomem: the next creation always worked");
    Ok(())
}

/// N distinct reports from this task while failslab fails every kmalloc-64 allocation of it.
pub(crate) fn lossy(fs: &Fs, n: u64) -> Res<()> {
    let fi = "/sys/kernel/debug/failslab";
    let hm = fs.monitor()?;
    let cache = "/sys/kernel/slab/kmalloc-64/failslab";
    // Open the driver's file first: its allocations must not be failed.
    let mut ctl = driver::open().map_err(|e| format!("{}: {e}", driver::CTL))?;
    let f0 = fs.files[0].as_raw_fd();
    let cmds: Vec<String> = (0..n)
        .map(|i| format!("media {f0} 1 {} 1", i * 16))
        .collect();
    for (k, v) in [
        ("ignore-gfp-wait", "N"),
        ("verbose", "0"),
        ("cache-filter", "Y"),
        ("task-filter", "Y"),
        ("probability", "100"),
        ("interval", "1"),
        ("times", "-1"),
    ] {
        write_file(&format!("{fi}/{k}"), v)?;
    }
    write_file(cache, "1")?;
    write_file("/proc/self/make-it-fail", "1")?;
    let mut failed = 0;
    for cmd in &cmds {
        if ctl.write_all(cmd.as_bytes()).is_err() {
            failed += 1;
        }
    }
    write_file("/proc/self/make-it-fail", "0")?;
    write_file(cache, "0")?;
    write_file(&format!("{fi}/probability"), "0")?;
    drop(ctl);
    set_nonblock(hm.0, true);
    let mut buf = vec![0u8; 65536];
    let mut media = 0;
    let mut lost_records = 0;
    while let Got::Bytes(b) = read_fd(hm.0, &mut buf) {
        for r in records(&buf[..b]) {
            match r.ty {
                7 => media += 1,
                1 => lost_records += 1,
                _ => {}
            }
        }
    }
    let lost = fdinfo_value(hm.0, "lost").unwrap_or(0);
    eprintln!("lossy: {n} reports, {failed} driver writes failed, {media} media records, lost {lost}, {lost_records} LOST records");
    println!("lossy: {n} reports under failing kmalloc-64 allocations ({failed} commands failed)");
    println!("lossy: media records read {media}, events lost {lost}");
    balanced(hm.0)?;
    Ok(())
}
