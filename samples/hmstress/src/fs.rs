// SPDX-License-Identifier: GPL-2.0

//! The filesystem under test and its monitors: opening them with the report driver's files,
//! reading, fdinfo, and the accounting check.

use super::*;

/// The filesystem under test: its root directory and two files for the driver's reports.
pub(crate) struct Fs {
    pub(crate) mount: String,
    pub(crate) root: Option<File>,
    pub(crate) files: Vec<File>,
}

impl Fs {
    pub(crate) fn open(mount: &str) -> Res<Fs> {
        let root = File::open(mount).map_err(|e| format!("{mount}: {e}"))?;
        let mut files = Vec::new();
        for i in 0..2 {
            files.push(
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(format!("{mount}/hmstress.{i}"))
                    .map_err(|e| format!("{mount}/hmstress.{i}: {e}"))?,
            );
        }
        Ok(Fs {
            mount: mount.to_string(),
            root: Some(root),
            files,
        })
    }

    pub(crate) fn root_fd(&self) -> i32 {
        self.root.as_ref().map_or(-1, |f| f.as_raw_fd())
    }

    /// One driver command with F0 and F1 replaced by the files' fds; its result line.
    pub(crate) fn driver(&self, cmd: &str) -> Res<String> {
        let mut cmd = cmd.to_string();
        for (i, f) in self.files.iter().enumerate() {
            cmd = cmd.replace(&format!("F{i}"), &f.as_raw_fd().to_string());
        }
        let mut ctl = driver::command(&cmd)?;
        let mut res = String::new();
        ctl.read_to_string(&mut res).map_err(|e| e.to_string())?;
        Ok(res)
    }

    /// Creates a monitor; the errno on failure.
    pub(crate) fn try_monitor(&self, verbose: bool) -> Result<Monitor, i32> {
        let arg = v0::HealthMonitor {
            flags: u64::from(verbose),
            ..Default::default()
        };
        // Closed (Fs::close), the root directory is a bad descriptor, as the kernel would say.
        let Some(root) = self.root.as_ref() else {
            return Err(libc::EBADF);
        };
        xfs_healthmon::Monitor::create_fd(root.as_fd(), &arg)
            .map(|fd| Monitor(fd.into_raw_fd()))
            .map_err(|e| e.raw_os_error().unwrap_or(0))
    }

    /// A new monitor whose RUNNING record is read, so that the readers of a test start on an
    /// empty queue.
    pub(crate) fn monitor_running(&self) -> Res<Monitor> {
        let hm = self.monitor()?;
        let mut buf = vec![0u8; 4096];
        if !matches!(read_fd(hm.0, &mut buf), Got::Bytes(64)) {
            return Err("no RUNNING record".into());
        }
        Ok(hm)
    }

    pub(crate) fn monitor(&self) -> Res<Monitor> {
        self.try_monitor(false).map_err(|e| {
            format!(
                "XFS_IOC_HEALTH_MONITOR on {}: {}",
                self.mount,
                errno_name(e)
            )
        })
    }

    /// Closes every fd on the filesystem, so that it can be unmounted.
    pub(crate) fn close(&mut self) {
        self.files.clear();
        self.root = None;
    }
}

/// A monitor fd, closed when dropped.
pub(crate) struct Monitor(pub(crate) i32);

impl Drop for Monitor {
    fn drop(&mut self) {
        // SAFETY: Our own fd, closed once.
        unsafe { libc::close(self.0) };
    }
}

/// How a read ended.
pub(crate) enum Got {
    Bytes(usize),
    Eof,
    Err(i32),
}

pub(crate) fn read_fd(fd: i32, buf: &mut [u8]) -> Got {
    // SAFETY: `buf` is writable for its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    match n {
        n if n < 0 => Got::Err(errno()),
        0 => Got::Eof,
        n => Got::Bytes(n as usize),
    }
}

pub(crate) fn set_nonblock(fd: i32, on: bool) {
    // SAFETY: fcntl on our own fd.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        let fl = if on {
            fl | libc::O_NONBLOCK
        } else {
            fl & !libc::O_NONBLOCK
        };
        libc::fcntl(fd, libc::F_SETFL, fl);
    }
}

/// The numbers of fdinfo's lines, by key.
pub(crate) fn fdinfo(fd: i32) -> Vec<(String, u64)> {
    std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

pub(crate) fn fdinfo_value(fd: i32, key: &str) -> Option<u64> {
    fdinfo(fd)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Whether the monitor of `fd` is still attached (fdinfo's `state`, in both variants): a read
/// that returns 0 then is a false end of stream.
pub(crate) fn attached(fd: i32) -> bool {
    std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("state:") && l.contains("alive"))
}

/// False ends of stream seen by every reader of this process.
pub(crate) static EARLY_EOF: AtomicU64 = AtomicU64::new(0);

/// Checks the Rust monitor's accounting (reported = delivered + merged + lost + queued); the C
/// monitor has no such lines, and passes.
pub(crate) fn balanced(fd: i32) -> Res<()> {
    // One read of fdinfo: reports in flight change it between reads.
    let info = fdinfo(fd);
    let v = |k: &str| info.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    let (Some(r), Some(d), Some(m), Some(l), Some(q)) = (
        v("reported"),
        v("delivered"),
        v("merged"),
        v("lost"),
        v("queued"),
    ) else {
        return Ok(());
    };
    if r != d + m + l + q {
        return Err(format!(
            "fdinfo does not balance: reported {r} != delivered {d} + merged {m} + lost {l} + queued {q}"
        ));
    }
    Ok(())
}

pub(crate) fn records(buf: &[u8]) -> impl Iterator<Item = v0::Record> + '_ {
    buf.chunks_exact(v0::V0_SIZE).map(v0::Record::parse)
}
