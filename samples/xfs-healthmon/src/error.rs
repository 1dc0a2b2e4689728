// SPDX-License-Identifier: GPL-2.0

//! Errors that say what went wrong and what to do about it.

use std::fmt;
use std::io;
use std::path::Path;
use std::path::PathBuf;

/// What kind of failure, from the errno and a look at the path.
#[non_exhaustive]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    /// The path is not on an XFS filesystem.
    NotXfs,
    /// The path is on XFS but is not its root directory (`EPERM` for a process that has
    /// `CAP_SYS_ADMIN` in the initial user namespace; an LSM that refuses the capability looks
    /// the same from here).
    NotRoot,
    /// The kernel has no health monitoring (`ENOTTY`, `EOPNOTSUPP`).
    Unsupported,
    /// Another monitor watches this filesystem (`EEXIST`): one at a time.
    AlreadyMonitored,
    /// The caller lacks `CAP_SYS_ADMIN` in the initial user namespace (`EPERM`).
    PermissionDenied,
    /// The kernel refused the arguments (`EINVAL`).
    InvalidArgument,
    /// Anything else.
    Io,
}

/// A failed operation on a monitor or on the path it is opened on.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: PathBuf,
    op: &'static str,
    source: io::Error,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: &Path, op: &'static str, source: io::Error) -> Self {
        Error {
            kind,
            path: path.to_path_buf(),
            op,
            source,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The errno, if there was one.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.raw_os_error()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let advice = match self.kind {
            ErrorKind::NotXfs => "not an XFS filesystem",
            ErrorKind::NotRoot => {
                "not the root directory of the filesystem; give the mount point itself"
            }
            ErrorKind::Unsupported => {
                "this kernel has no XFS health monitoring (it came with Linux 7.0)"
            }
            ErrorKind::AlreadyMonitored => {
                "already monitored: one monitor per filesystem at a time (is xfs_healer running?)"
            }
            ErrorKind::PermissionDenied => {
                "permission denied: health monitoring needs CAP_SYS_ADMIN in the initial user namespace"
            }
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Io => "failed",
        };
        // The C library's words for an errno, without Rust's "(os error N)".
        let why = match self.source.raw_os_error() {
            Some(errno) => crate::text::strerror(errno as u32),
            None => self.source.to_string(),
        };
        write!(f, "{}: {advice} ({}: {why})", self.path.display(), self.op)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The symbolic name of an errno value (`"EINVAL"`): those that the monitor's calls return (the
/// C reference's: `EPERM`, `EEXIST`, `EINVAL`, `EFAULT`, `EBADF`, `ESTALE`, `ENOTTY`, `EAGAIN`,
/// `EINTR`, ...) and a few that tests of the descriptor meet.  `None` for any other.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::EPERM => "EPERM",
        libc::EINTR => "EINTR",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::EINVAL => "EINVAL",
        libc::ENOTTY => "ENOTTY",
        libc::ESPIPE => "ESPIPE",
        libc::ESTALE => "ESTALE",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        _ => return None,
    })
}
