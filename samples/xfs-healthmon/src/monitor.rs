// SPDX-License-Identifier: GPL-2.0

//! A health monitor on one mounted XFS filesystem.

use crate::abi;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::fdinfo::FdInfo;
use crate::record::Record;
use crate::stream::RecordStream;
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::fd::AsRawFd;
use std::os::fd::BorrowedFd;
use std::os::fd::FromRawFd;
use std::os::fd::RawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

/// `XFS_SUPER_MAGIC`, `f_type` of an XFS filesystem.
const XFS_SUPER_MAGIC: i64 = 0x5846_5342;

/// A monitor: the descriptor `XFS_IOC_HEALTH_MONITOR` returned, and the records read from it.
pub struct Monitor {
    stream: RecordStream<File>,
    mount: PathBuf,
}

/// Calls the `_IOW` ioctl `request` on `fd` with `arg`; its return value on success.
fn ioctl_arg<T>(fd: RawFd, request: u64, arg: &T) -> io::Result<i32> {
    // SAFETY: `request` is one of this ABI's `_IOW` ioctls, whose argument type is `T`; the
    // kernel reads `size_of::<T>()` bytes from `arg`, which points to a live `T`.
    let ret = unsafe { libc::ioctl(fd, request as _, arg as *const T) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Whether `path` is on XFS, from `statfs`; `None` if that cannot be told.
fn is_xfs(path: &Path) -> Option<bool> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: `statfs` is plain old data, for which all zeroes is a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a writable `statfs`.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_type as i64 == XFS_SUPER_MAGIC)
}

/// Whether `file` is the root of a mount, from `statx`; `None` if that cannot be told.
fn is_mount_root(file: &File) -> Option<bool> {
    // SAFETY: `statx` is plain old data, for which all zeroes is a valid value.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: an empty path with `AT_EMPTY_PATH` names the open descriptor itself; `st` is a
    // writable `statx`.
    let ret = unsafe {
        libc::statx(
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            0,
            &mut st,
        )
    };
    if ret != 0 || st.stx_attributes_mask & libc::STATX_ATTR_MOUNT_ROOT as u64 == 0 {
        return None;
    }
    Some(st.stx_attributes & libc::STATX_ATTR_MOUNT_ROOT as u64 != 0)
}

impl Monitor {
    /// Starts monitoring the XFS filesystem mounted at `mount` (its root directory), with
    /// every health change reported if `verbose`, or only new problems.
    pub fn open(mount: impl AsRef<Path>, verbose: bool) -> Result<Monitor, Error> {
        let mount = mount.as_ref();
        let err = |kind, op, source| Error::new(kind, mount, op, source);
        let dir = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(mount)
            .map_err(|e| err(ErrorKind::Io, "open", e))?;
        let arg = abi::HealthMonitorArg {
            flags: if verbose {
                abi::XFS_HEALTH_MONITOR_VERBOSE
            } else {
                0
            },
            format: abi::XFS_HEALTH_MONITOR_FMT_V0,
            pad: [0; 23],
        };
        let fd = match ioctl_arg(dir.as_raw_fd(), abi::XFS_IOC_HEALTH_MONITOR, &arg) {
            Ok(fd) => fd,
            Err(e) => {
                let kind = match e.raw_os_error() {
                    Some(libc::ENOTTY | libc::EOPNOTSUPP) if is_xfs(mount) == Some(false) => {
                        ErrorKind::NotXfs
                    }
                    Some(libc::ENOTTY | libc::EOPNOTSUPP) => ErrorKind::Unsupported,
                    Some(libc::EEXIST) => ErrorKind::AlreadyMonitored,
                    Some(libc::EPERM) if is_xfs(mount) == Some(false) => ErrorKind::NotXfs,
                    Some(libc::EPERM) if is_mount_root(&dir) == Some(false) => ErrorKind::NotRoot,
                    Some(libc::EPERM | libc::EACCES) => ErrorKind::PermissionDenied,
                    Some(libc::EINVAL) => ErrorKind::InvalidArgument,
                    _ => ErrorKind::Io,
                };
                return Err(err(kind, "XFS_IOC_HEALTH_MONITOR", e));
            }
        };
        // SAFETY: the ioctl returned a new descriptor, which nothing else owns.
        let file = unsafe { File::from_raw_fd(fd) };
        Ok(Monitor {
            stream: RecordStream::new(file),
            mount: mount.to_path_buf(),
        })
    }

    /// The path the monitor was opened on.
    pub fn mount(&self) -> &Path {
        &self.mount
    }

    fn error(&self, kind: ErrorKind, op: &'static str, source: io::Error) -> Error {
        Error::new(kind, &self.mount, op, source)
    }

    /// Reports every health change from now on if `verbose`, else only new problems.
    pub fn set_verbose(&self, verbose: bool) -> Result<(), Error> {
        let arg = abi::HealthMonitorArg {
            flags: if verbose {
                abi::XFS_HEALTH_MONITOR_VERBOSE
            } else {
                0
            },
            format: abi::XFS_HEALTH_MONITOR_FMT_V0,
            pad: [0; 23],
        };
        ioctl_arg(self.as_raw_fd(), abi::XFS_IOC_HEALTH_MONITOR, &arg)
            .map(|_| ())
            .map_err(|e| {
                let kind = match e.raw_os_error() {
                    Some(libc::EINVAL) => ErrorKind::InvalidArgument,
                    _ => ErrorKind::Io,
                };
                self.error(kind, "XFS_IOC_HEALTH_MONITOR", e)
            })
    }

    /// Whether `fd` is on the monitored filesystem (the mount need not be the same).
    pub fn is_on_monitored_fs(&self, fd: BorrowedFd<'_>) -> Result<bool, Error> {
        let arg = abi::FileOnMonitoredFsArg {
            fd: fd.as_raw_fd(),
            flags: 0,
        };
        match ioctl_arg(
            self.as_raw_fd(),
            abi::XFS_IOC_HEALTH_FD_ON_MONITORED_FS,
            &arg,
        ) {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ESTALE) => Ok(false),
            Err(e) => {
                let kind = match e.raw_os_error() {
                    Some(libc::EINVAL | libc::EBADF) => ErrorKind::InvalidArgument,
                    _ => ErrorKind::Io,
                };
                Err(self.error(kind, "XFS_IOC_HEALTH_FD_ON_MONITORED_FS", e))
            }
        }
    }

    /// Makes reads return [`io::ErrorKind::WouldBlock`] instead of waiting, or wait again.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        let fd = self.as_raw_fd();
        // SAFETY: `F_GETFL` on a descriptor we own.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        let flags = if nonblocking {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        // SAFETY: `F_SETFL` on a descriptor we own, with its own flags changed.
        if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits up to `timeout` (forever if `None`) until a record can be read or end of file is
    /// reached; says whether that came.  A record begun in an earlier read counts only when it
    /// is complete.
    pub fn poll(&self, timeout: Option<Duration>) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
        // SAFETY: one valid `pollfd`.
        let ret = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ret > 0)
    }

    /// The next record: `Ok(None)` at end of file (after the filesystem was unmounted and
    /// every record was read).  See [`RecordStream::next_record`] for the errors.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        self.stream.next_record()
    }

    /// Whether the next record comes without a read.
    pub fn has_buffered_record(&self) -> bool {
        self.stream.has_buffered_record()
    }

    /// Asks for `size` bytes per read (for tests of the file's read semantics).
    pub fn set_read_size(&mut self, size: usize) {
        self.stream.set_read_size(size);
    }

    /// Blocking iteration over the records until end of file.
    pub fn records(&mut self) -> &mut RecordStream<File> {
        &mut self.stream
    }

    /// The monitor's lines of `/proc/self/fdinfo`.
    pub fn fdinfo(&self) -> io::Result<FdInfo> {
        FdInfo::read(std::process::id(), self.as_raw_fd())
    }
}

impl AsFd for Monitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.get_ref().as_fd()
    }
}

impl AsRawFd for Monitor {
    fn as_raw_fd(&self) -> RawFd {
        self.stream.get_ref().as_raw_fd()
    }
}
