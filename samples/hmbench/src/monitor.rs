// SPDX-License-Identifier: GPL-2.0

//! The filesystem and its monitors: the report driver's files, opening a monitor, its fdinfo, and
//! reader threads.

use super::*;

/// The filesystem under test: its root directory and two files for inode and file reports.
pub(crate) struct Fs {
    pub(crate) mount: String,
    pub(crate) root: File,
    pub(crate) files: [File; 2],
}

impl Fs {
    pub(crate) fn open(mount: &str) -> Res<Fs> {
        let root = File::open(mount).map_err(|e| format!("{mount}: {e}"))?;
        let file = |i| {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(format!("{mount}/hmbench.{i}"))
                .map_err(|e| format!("{mount}/hmbench.{i}: {e}"))
        };
        Ok(Fs {
            mount: mount.to_string(),
            root,
            files: [file(0)?, file(1)?],
        })
    }

    /// One driver command with F0 and F1 replaced by the files' fds; returns its result line.
    pub(crate) fn driver(&self, cmd: &str) -> Res<String> {
        let cmd = cmd
            .replace("F0", &self.files[0].as_raw_fd().to_string())
            .replace("F1", &self.files[1].as_raw_fd().to_string());
        driver::run(&cmd)
    }

    /// The value of `key=` in a driver command's result.
    pub(crate) fn driver_value(&self, cmd: &str, key: &str) -> Res<u64> {
        let res = self.driver(cmd)?;
        res.split_whitespace()
            .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .ok_or_else(|| format!("no {key} in '{res}'"))
            .and_then(num)
    }

    /// Makes a monitor on the filesystem.
    pub(crate) fn monitor(&self) -> Res<Monitor> {
        open_monitor(&self.root, &self.mount)
    }
}

/// A new monitor of the filesystem whose root directory is `root`.
pub(crate) fn open_monitor(root: &File, mount: &str) -> Res<Monitor> {
    let arg = v0::HealthMonitor::default();
    xfs_healthmon::Monitor::create_fd(root.as_fd(), &arg)
        .map(|fd| Monitor(Arc::new(fd)))
        .map_err(|e| {
            format!(
                "XFS_IOC_HEALTH_MONITOR on {mount}: errno {}",
                e.raw_os_error().unwrap_or(0)
            )
        })
}

/// A monitor fd.
#[derive(Clone)]
pub(crate) struct Monitor(pub(crate) Arc<OwnedFd>);

impl Monitor {
    pub(crate) fn fd(&self) -> i32 {
        self.0.as_raw_fd()
    }

    /// One read; Ok(None) at EAGAIN.
    pub(crate) fn read(&self, buf: &mut [u8]) -> Res<Option<usize>> {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return match errno() {
                libc::EAGAIN => Ok(None),
                e => Err(format!("read: errno {e}")),
            };
        }
        Ok(Some(n as usize))
    }

    pub(crate) fn set_nonblock(&self) {
        // SAFETY: fcntl on our own fd.
        unsafe {
            let fl = libc::fcntl(self.fd(), libc::F_GETFL);
            libc::fcntl(self.fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
    }

    /// Reads with `chunk`-byte non-blocking reads until EAGAIN or end of file; returns records.
    pub(crate) fn drain(&self, chunk: usize) -> Res<Vec<v0::Record>> {
        self.set_nonblock();
        let mut buf = vec![0u8; chunk];
        let mut bytes = Vec::new();
        while let Some(n) = self.read(&mut buf)? {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
        }
        Ok(bytes
            .chunks_exact(v0::V0_SIZE)
            .map(v0::Record::parse)
            .collect())
    }

    pub(crate) fn fdinfo(&self, key: &str) -> Option<u64> {
        std::fs::read_to_string(format!("/proc/self/fdinfo/{}", self.fd()))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':')?.trim().parse().ok())
    }
}

/// A thread that reads a monitor 64 KiB at a time until told to stop, counting records other
/// than RUNNING and LOST.
pub(crate) struct Reader {
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) records: Arc<AtomicU64>,
    pub(crate) thread: std::thread::JoinHandle<Res<()>>,
}

impl Reader {
    pub(crate) fn start(hm: &Monitor) -> Reader {
        Self::start_on(hm, None)
    }

    /// A reader on CPU `cpu`, or wherever the scheduler puts it.
    pub(crate) fn start_on(hm: &Monitor, cpu: Option<usize>) -> Reader {
        let stop = Arc::new(AtomicBool::new(false));
        let records = Arc::new(AtomicU64::new(0));
        let (hm, s, r) = (hm.clone(), stop.clone(), records.clone());
        let thread = std::thread::spawn(move || {
            if cpu.is_some() {
                pin(cpu)?;
            }
            hm.set_nonblock();
            let mut buf = vec![0u8; 65536];
            loop {
                let mut pfd = libc::pollfd {
                    fd: hm.fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: One valid pollfd.
                unsafe { libc::poll(&mut pfd, 1, 20) };
                while let Some(n) = hm.read(&mut buf)? {
                    if n == 0 {
                        return Ok(());
                    }
                    let n = buf[..n]
                        .chunks_exact(v0::V0_SIZE)
                        .map(v0::Record::parse)
                        .filter(|rec| rec.ty > 1)
                        .count();
                    r.fetch_add(n as u64, Ordering::Relaxed);
                }
                if s.load(Ordering::Relaxed) {
                    return Ok(());
                }
            }
        });
        Reader {
            stop,
            records,
            thread,
        }
    }

    pub(crate) fn finish(self) -> Res<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| "reader thread panicked".to_string())??;
        Ok(self.records.load(Ordering::Relaxed))
    }
}

/// The root directories of the XFS filesystems mounted on the directories in `dir`.  Only the
/// roots are opened: files created there would dirty every log just before a measurement.
pub(crate) fn mounted_under(dir: &str) -> Res<Vec<(String, File)>> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").map_err(|e| e.to_string())?;
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    let mut found = Vec::new();
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let (Some(at), Some(&"xfs")) = (f.get(1), f.get(2)) {
            if at.starts_with(&prefix) {
                let root = File::open(at).map_err(|e| format!("{at}: {e}"))?;
                found.push((at.to_string(), root));
            }
        }
    }
    if found.is_empty() {
        return Err(format!("no XFS mounted under {dir}"));
    }
    Ok(found)
}

/// The first read of a new monitor, 64 KiB as xfs_healer reads: it takes the RUNNING record,
/// which leaves the queue empty.  Non-blocking, so that a monitor without RUNNING fails the row
/// instead of hanging it.
pub(crate) fn first_read(hm: &Monitor) -> Res<()> {
    let mut buf = vec![0u8; 65536];
    hm.set_nonblock();
    match hm.read(&mut buf)? {
        Some(n) if n > 0 => Ok(()),
        _ => Err("the first read of a new monitor returned no record".to_string()),
    }
}
