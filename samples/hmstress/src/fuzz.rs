// SPDX-License-Identifier: GPL-2.0

//! `fuzz SEED CALLS`: seeded random ioctls and reads with hostile arguments, one transcript line
//! each.

use super::*;

/// A page mapped PROT_NONE right after `len` readable and writable bytes (or read-only ones).
pub(crate) struct Pages {
    /// The first page.
    pub(crate) base: *mut u8,
    pub(crate) size: usize,
}

impl Pages {
    /// Two pages: the first readable (and writable unless `ro`), the second unmapped.
    pub(crate) fn new(ro: bool) -> Res<Pages> {
        let size = 2 * 4096;
        // SAFETY: A fresh anonymous mapping; the second page is then made inaccessible.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return Err(format!("mmap: {}", errno_name(errno())));
            }
            let base = base.cast::<u8>();
            if ro {
                libc::mprotect(base.cast(), 4096, libc::PROT_READ);
            }
            libc::mprotect(base.add(4096).cast(), 4096, libc::PROT_NONE);
            Ok(Pages { base, size })
        }
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        // SAFETY: Our own mapping.
        unsafe { libc::munmap(self.base.cast(), self.size) };
    }
}

/// A random ioctl argument pointer: valid (a random struct), NULL, unmapped, read-only, or
/// straddling the end of the mapping.  Returns the pointer and its name.
pub(crate) fn fuzz_ptr(
    rng: &mut Rng,
    rw: &Pages,
    ro: &Pages,
    size: usize,
    body: &[u8],
) -> (u64, &'static str) {
    // SAFETY: Writes within the first (writable) page of `rw`.
    unsafe {
        let p = rw.base.add(4096 - 256);
        std::ptr::copy_nonoverlapping(body.as_ptr(), p, body.len().min(256));
    }
    match rng.below(10) {
        0 => (0, "null"),
        1 => (rw.base as u64 + 4096, "unmapped"),
        // The read-only page holds zeroes: a valid, all-zero argument.
        2 => (ro.base as u64, "read-only"),
        3 => (
            rw.base as u64 + 4096 - (size as u64 / 2).max(1),
            "straddling",
        ),
        4 => (0xffff_8000_0000_0000, "kernel"),
        _ => (rw.base as u64 + 4096 - 256, "valid"),
    }
}

pub(crate) fn fuzz_body(rng: &mut Rng) -> [u8; 32] {
    let mut b = [0u8; 32];
    match rng.below(4) {
        0 => {}
        1 => b[0] = rng.below(4) as u8,
        2 => b[8] = rng.below(3) as u8,
        _ => {
            for x in b.iter_mut() {
                if rng.chance(10) {
                    *x = rng.next_u64() as u8;
                }
            }
        }
    }
    b
}

/// Seeded random calls of the ioctls and reads, one transcript line each, with the monitor's
/// state (fdinfo's C lines) after it: both variants must print the same transcript.
pub(crate) fn fuzz(fs: &Fs, seed: u64, calls: u64) -> Res<()> {
    let mut rng = Rng::new(seed);
    let rw = Pages::new(false)?;
    let ro = Pages::new(true)?;
    let mut hm: Option<Monitor> = None;
    let other = File::open("/proc/self/stat").map_err(|e| e.to_string())?;
    let mut reported = 0u64;
    for call in 0..calls {
        let line = match rng.below(8) {
            // Creation, on the root directory (or on a file: EPERM).
            0 | 1 => {
                let body = fuzz_body(&mut rng);
                let (arg, how) = fuzz_ptr(&mut rng, &rw, &ro, 32, &body);
                let on_file = rng.chance(10);
                let fd = if on_file {
                    fs.files[0].as_raw_fd()
                } else {
                    fs.root_fd()
                };
                // SAFETY: The kernel checks the pointer; a bad one gives EFAULT.
                let r =
                    unsafe { libc::ioctl(fd, v0::XFS_IOC_HEALTH_MONITOR as libc::c_ulong, arg) };
                let res = ioctl_result(r as i64);
                if r >= 0 {
                    set_nonblock(r, true);
                    hm = Some(Monitor(r));
                }
                format!(
                    "create{} {how} flags={} format={} pad={}: {res}",
                    if on_file { " on-file" } else { "" },
                    body[0],
                    body[8],
                    body[9..32].iter().any(|&b| b != 0) as u8
                )
            }
            // The monitor fd's ioctls and random ones.
            2 | 3 => {
                let Some(m) = &hm else {
                    continue;
                };
                let (cmd, name) = match rng.below(4) {
                    0 => (v0::XFS_IOC_HEALTH_MONITOR, "reconf".to_string()),
                    1 => (v0::XFS_IOC_HEALTH_FD_ON_MONITORED_FS, "onfs".to_string()),
                    2 => {
                        // Another ioctl of XFS's 'X' range, away from the VFS's own (FIFREEZE,
                        // FITHAW and their neighbours).
                        let nr = rng.below(110);
                        let dir = rng.below(4);
                        let size = rng.below(64);
                        (
                            (dir << 30) | (size << 16) | ((b'X' as u64) << 8) | nr,
                            format!("X/{nr}/{dir}/{size}"),
                        )
                    }
                    _ => {
                        let c = (rng.next_u64() as u32 | 0x8000_0000) as u64 & !0xff00
                            | ((b'Y' as u64) << 8);
                        (c, format!("{c:#x}"))
                    }
                };
                let mut body = fuzz_body(&mut rng);
                if cmd == v0::XFS_IOC_HEALTH_FD_ON_MONITORED_FS {
                    let fd: i32 = match rng.below(6) {
                        0 => fs.files[1].as_raw_fd(),
                        1 => other.as_raw_fd(),
                        2 => -1 - rng.below(1000) as i32,
                        3 => 100_000 + rng.below(1 << 20) as i32,
                        4 => m.0,
                        _ => fs.root_fd(),
                    };
                    body[0..4].copy_from_slice(&fd.to_ne_bytes());
                    body[4..8]
                        .copy_from_slice(&(if rng.chance(20) { 1u32 } else { 0 }).to_ne_bytes());
                }
                let (arg, how) = fuzz_ptr(&mut rng, &rw, &ro, 32, &body);
                // SAFETY: The kernel checks the pointer; a bad one gives EFAULT.
                let r = unsafe { libc::ioctl(m.0, cmd as libc::c_ulong, arg) };
                format!("ioctl {name} {how}: {}", ioctl_result(r as i64))
            }
            // Reads: sizes, buffers, pread.
            4 | 5 => {
                let Some(m) = &hm else {
                    continue;
                };
                let size = match rng.below(5) {
                    0 => 0,
                    1 => 1 + rng.below(200) as usize,
                    2 => 4096,
                    3 => 65536,
                    _ => 1 << 20,
                };
                let (buf, how): (*mut u8, &str) = match rng.below(6) {
                    0 => (std::ptr::null_mut(), "null"),
                    1 => (rw.base.wrapping_add(4096), "unmapped"),
                    2 => (ro.base, "read-only"),
                    3 => (rw.base.wrapping_add(4096 - 100), "straddling"),
                    _ => (rw.base, "valid"),
                };
                // A valid buffer is one page: larger reads use a heap buffer.
                let mut heap = Vec::new();
                let (buf, how) = if how == "valid" && size > 4096 {
                    heap.resize(size, 0u8);
                    (heap.as_mut_ptr(), "valid")
                } else {
                    (buf, how)
                };
                let pread = rng.chance(10);
                // SAFETY: The kernel checks the buffer; a bad one gives EFAULT.
                let r = unsafe {
                    if pread {
                        libc::pread(m.0, buf.cast(), size, 0)
                    } else {
                        libc::read(m.0, buf.cast(), size)
                    }
                };
                let res = if r < 0 {
                    errno_name(errno())
                } else {
                    format!("{r} bytes")
                };
                format!(
                    "{} {size} {how}: {res}",
                    if pread { "pread" } else { "read" }
                )
            }
            // Reports, so that there is something to read.
            6 => {
                let k = 1 + rng.below(20);
                fs.driver(&format!("rand F0 {} {k} F1", rng.next_u64() % 1000))?;
                reported += k;
                format!("report {k}")
            }
            // Close the monitor (the next creation makes another).
            _ => {
                if hm.take().is_none() {
                    continue;
                }
                "close".to_string()
            }
        };
        let state = hm.as_ref().map_or("none".to_string(), |m| {
            let info = fdinfo(m.0);
            let v = |k: &str| info.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v);
            format!("events {} lost {}", v("events"), v("lost"))
        });
        println!("{call}: {line} -> {state}");
        if let Some(m) = &hm {
            balanced(m.0).map_err(|e| format!("call {call}: {e}"))?;
        }
    }
    eprintln!("fuzz: {calls} calls, {reported} reports");
    Ok(())
}
