// SPDX-License-Identifier: GPL-2.0

//! `Monitor::create_fd` refuses what is not a directory before it calls the ioctl: on a monitor
//! the same number reconfigures and returns 0, which must not become an `OwnedFd`.

use std::fs::File;
use std::os::fd::AsFd;

use xfs_healthmon::abi::HealthMonitorArg;
use xfs_healthmon::Monitor;

#[test]
fn create_fd_refuses_a_file() {
    let file = File::open(env!("CARGO_MANIFEST_PATH")).expect("the manifest opens");
    let err = Monitor::create_fd(file.as_fd(), &HealthMonitorArg::default())
        .expect_err("a regular file is no root directory");
    assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR));
}

#[test]
fn create_fd_refuses_a_pipe() {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe() returns.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: pipe() returned two new descriptors that nothing else owns.
    let (r, w) = unsafe {
        use std::os::fd::FromRawFd;
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    let err = Monitor::create_fd(r.as_fd(), &HealthMonitorArg::default())
        .expect_err("a pipe is no root directory");
    assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR));
    drop(w);
}
