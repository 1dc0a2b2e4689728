// SPDX-License-Identifier: GPL-2.0

//! The monitor's file: creation with any argument, its ioctls, fdinfo and the accounting,
//! descriptor flags.

use super::*;

impl Probe {
    pub(crate) fn ioctl<T>(&self, fd: i32, cmd: u64, arg: *mut T) -> i64 {
        // SAFETY: `arg` points to a live, properly sized argument or is deliberately invalid
        // (the kernel then fails with EFAULT).
        i64::from(unsafe { libc::ioctl(fd, cmd as libc::c_ulong, arg) })
    }

    pub(crate) fn open(&mut self, opts: &[&str]) -> String {
        let (mut hmo, badptr, path) = monitor_arg(opts);
        let path = path.unwrap_or_else(|| self.mount.clone());
        let dirfd = open_path(&path, libc::O_RDONLY);
        if dirfd < 0 {
            return format!("open {path}: {}", errno_name(errno()));
        }
        let ret = if badptr {
            self.ioctl(dirfd, v0::XFS_IOC_HEALTH_MONITOR, bad_pointer())
        } else {
            self.ioctl(dirfd, v0::XFS_IOC_HEALTH_MONITOR, &mut hmo)
        };
        let err = errno();
        // SAFETY: `dirfd` is ours.
        unsafe { libc::close(dirfd) };
        if ret < 0 {
            return format!("create: {}", errno_name(err));
        }
        if self.fd >= 0 {
            // SAFETY: The previous monitor fd is ours.
            unsafe { libc::close(self.fd) };
        }
        self.close_epoll();
        self.fd = ret as i32;
        self.partial.clear();
        "create: ok".to_string()
    }

    pub(crate) fn reconf(&mut self, opts: &[&str]) -> String {
        let (mut hmo, badptr, _) = monitor_arg(opts);
        let ret = if badptr {
            self.ioctl(self.fd, v0::XFS_IOC_HEALTH_MONITOR, bad_pointer())
        } else {
            self.ioctl(self.fd, v0::XFS_IOC_HEALTH_MONITOR, &mut hmo)
        };
        result("reconfigure", ret)
    }

    pub(crate) fn onfs(&mut self, key: &str, val: &str) -> String {
        let mut arg = v0::FileOnMonitoredFs::default();
        let mut opened = -1;
        match key {
            "onfs" => {
                opened = open_path(val, libc::O_RDONLY);
                if opened < 0 {
                    return format!("open {val}: {}", errno_name(errno()));
                }
                arg.fd = opened;
            }
            "onfs-fd" => arg.fd = parse_num(val) as i32,
            "onfs-flags" => {
                opened = open_path(&self.mount.clone(), libc::O_RDONLY);
                arg.fd = opened;
                arg.flags = parse_num(val) as u32;
            }
            _ => {}
        }
        let ret = if key == "onfs-badptr" {
            self.ioctl(
                self.fd,
                v0::XFS_IOC_HEALTH_FD_ON_MONITORED_FS,
                bad_pointer(),
            )
        } else {
            self.ioctl(self.fd, v0::XFS_IOC_HEALTH_FD_ON_MONITORED_FS, &mut arg)
        };
        let line = result("fd-on-monitored-fs", ret);
        if opened >= 0 {
            // SAFETY: `opened` is ours.
            unsafe { libc::close(opened) };
        }
        line
    }

    pub(crate) fn fdinfo(&self) -> Vec<(String, String)> {
        let text =
            std::fs::read_to_string(format!("/proc/self/fdinfo/{}", self.fd)).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    }

    pub(crate) fn fdinfo_value(&self, key: &str) -> Option<u64> {
        self.fdinfo()
            .into_iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
    }

    pub(crate) fn balance(&self) -> String {
        let get = |k| self.fdinfo_value(k);
        match (
            get("reported"),
            get("delivered"),
            get("merged"),
            get("lost"),
            get("queued"),
        ) {
            (Some(r), Some(d), Some(m), Some(l), Some(q)) => {
                if r == d + m + l + q {
                    "accounting: reported = delivered + merged + lost + queued".to_string()
                } else {
                    format!("accounting: UNBALANCED reported={r} delivered={d} merged={m} lost={l} queued={q}")
                }
            }
            _ => "accounting: not shown".to_string(),
        }
    }

    pub(crate) fn set_nonblock(&self, on: bool) {
        // SAFETY: fcntl on our own fd.
        unsafe {
            let fl = libc::fcntl(self.fd, libc::F_GETFL);
            let fl = if on {
                fl | libc::O_NONBLOCK
            } else {
                fl & !libc::O_NONBLOCK
            };
            libc::fcntl(self.fd, libc::F_SETFL, fl);
        }
    }

    pub(crate) fn await_fdinfo(&self, val: &str) -> Vec<String> {
        let Some((key, want)) = val.split_once(':') else {
            return vec![format!("await={val}: want KEY:N")];
        };
        let Ok(want) = want.parse::<u64>() else {
            return vec![format!("await={val}: {want} is not a number")];
        };
        for _ in 0..6000 {
            if self.fdinfo_value(key).is_some_and(|v| v >= want) {
                return Vec::new();
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let now = self
            .fdinfo_value(key)
            .map_or_else(|| "absent".to_string(), |v| v.to_string());
        vec![format!("timed out waiting for {key} >= {want} (now {now})")]
    }

    pub(crate) fn fdflags(&self) -> String {
        // SAFETY: fcntl on our own fd.
        let (fl, fdfl) = unsafe {
            (
                libc::fcntl(self.fd, libc::F_GETFL),
                libc::fcntl(self.fd, libc::F_GETFD),
            )
        };
        let mode = match fl & libc::O_ACCMODE {
            libc::O_RDONLY => "read-only",
            libc::O_WRONLY => "write-only",
            _ => "read-write",
        };
        let cloexec = if fdfl & libc::FD_CLOEXEC != 0 {
            "close-on-exec"
        } else {
            "inherited on exec"
        };
        let link = std::fs::read_link(format!("/proc/self/fd/{}", self.fd))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        format!("fd: {mode}, {cloexec}, {link}")
    }
}
