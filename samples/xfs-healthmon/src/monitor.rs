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
use std::os::fd::OwnedFd;
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
///
/// # Safety
///
/// `fd`'s driver must treat `request` as an ioctl whose argument is a pointer to a `T` that it
/// only reads (an `_IOW` of this ABI on a directory or a monitor: XFS, or a filesystem that does
/// not know the number and fails with `ENOTTY`).
unsafe fn ioctl_arg<T>(fd: RawFd, request: u64, arg: &T) -> io::Result<i32> {
    // SAFETY: By the function's contract, the kernel reads `size_of::<T>()` bytes from `arg`,
    // which points to a live `T`.
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

/// Whether this process may create a monitor: `CAP_SYS_ADMIN` in its effective set, in the
/// initial user namespace (whose `uid_map` maps all of the 32-bit range onto itself).  `None` if
/// that cannot be told.
fn privileged() -> Option<bool> {
    const CAP_SYS_ADMIN: u32 = 21;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let caps = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    let caps = u64::from_str_radix(caps.trim(), 16).ok()?;
    let map = std::fs::read_to_string("/proc/self/uid_map").ok()?;
    let initial = map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"];
    Some(caps & (1 << CAP_SYS_ADMIN) != 0 && initial)
}

impl Monitor {
    /// Starts monitoring the XFS filesystem mounted at `mount` (its root directory), with
    /// every health change reported if `verbose`; otherwise metadata found sick in use is
    /// always reported, found corrupt by a check only where it is new, and found healthy only
    /// where it was bad before (see `Documentation/uapi.rst`).
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
        let fd = match Monitor::create_fd(dir.as_fd(), &arg) {
            Ok(fd) => fd,
            Err(e) => {
                let kind = match e.raw_os_error() {
                    Some(libc::ENOTTY | libc::EOPNOTSUPP) if is_xfs(mount) == Some(false) => {
                        ErrorKind::NotXfs
                    }
                    Some(libc::ENOTTY | libc::EOPNOTSUPP) => ErrorKind::Unsupported,
                    Some(libc::EEXIST) => ErrorKind::AlreadyMonitored,
                    Some(libc::EPERM) if is_xfs(mount) == Some(false) => ErrorKind::NotXfs,
                    // The kernel checks the privilege first, then that this is the root
                    // directory: EPERM of a privileged process means the latter.
                    Some(libc::EPERM) if privileged() == Some(true) => ErrorKind::NotRoot,
                    Some(libc::EPERM | libc::EACCES) => ErrorKind::PermissionDenied,
                    Some(libc::EINVAL) => ErrorKind::InvalidArgument,
                    _ => ErrorKind::Io,
                };
                return Err(err(kind, "XFS_IOC_HEALTH_MONITOR", e));
            }
        };
        Ok(Monitor {
            stream: RecordStream::new(File::from(fd)),
            mount: mount.to_path_buf(),
        })
    }

    /// Creates a monitor on `dir`, an XFS filesystem's root directory, with `arg` as it is (any
    /// flags, format or padding): the bare descriptor, or the errno.  For programs that test the
    /// kernel's answers and drive the descriptor themselves; [`Monitor::open`] is the way in
    /// otherwise.  Anything but a directory is refused with `ENOTDIR` before the call: on a
    /// monitor the same ioctl reconfigures it and returns 0, which is no new descriptor.
    pub fn create_fd(dir: BorrowedFd<'_>, arg: &abi::HealthMonitorArg) -> io::Result<OwnedFd> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `st` has room for a `struct stat`, which fstat fills on success.
        if unsafe { libc::fstat(dir.as_raw_fd(), st.as_mut_ptr()) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fstat succeeded, so it filled `st`.
        if unsafe { st.assume_init() }.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
        }
        // SAFETY: `dir` is a directory, which `ioctl_arg` accepts; `XFS_IOC_HEALTH_MONITOR`
        // reads a `struct xfs_health_monitor`, and on a directory returns a new descriptor.
        let fd = unsafe { ioctl_arg(dir.as_raw_fd(), abi::XFS_IOC_HEALTH_MONITOR, arg) }?;
        // SAFETY: The ioctl returned a new descriptor, which nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// The path the monitor was opened on.
    pub fn mount(&self) -> &Path {
        &self.mount
    }

    fn error(&self, kind: ErrorKind, op: &'static str, source: io::Error) -> Error {
        Error::new(kind, &self.mount, op, source)
    }

    /// Reports every health change from now on if `verbose`, else the changes of
    /// [`Monitor::open`]'s quiet mode.
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
        // SAFETY: `XFS_IOC_HEALTH_MONITOR` reads a `struct xfs_health_monitor`.
        unsafe { ioctl_arg(self.as_raw_fd(), abi::XFS_IOC_HEALTH_MONITOR, &arg) }
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
        // SAFETY: `XFS_IOC_HEALTH_FD_ON_MONITORED_FS` reads a
        // `struct xfs_health_file_on_monitored_fs`.
        let ret = unsafe {
            ioctl_arg(
                self.as_raw_fd(),
                abi::XFS_IOC_HEALTH_FD_ON_MONITORED_FS,
                &arg,
            )
        };
        match ret {
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

    /// Waits up to `timeout` (forever if `None`) until [`Monitor::next_record`] would not wait:
    /// a record is buffered here, or the monitor has bytes or the end of the stream; says
    /// whether that came.  An event loop takes records until `WouldBlock` before it waits again.
    pub fn poll(&self, timeout: Option<Duration>) -> io::Result<bool> {
        if self.has_buffered_record() {
            return Ok(true);
        }
        let mut pfd = libc::pollfd {
            fd: self.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // Rounded up, so that a timeout below a millisecond waits rather than spins.
        let ms = timeout.map_or(-1, |t| {
            t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32
        });
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
