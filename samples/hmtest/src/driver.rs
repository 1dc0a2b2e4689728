// SPDX-License-Identifier: GPL-2.0

//! The test-only report driver (`tests/driver/hmdrv.c`, in the test builds of both `xfs.ko`
//! variants): a command written to its control file makes XFS report events through the same
//! hooks the rest of XFS calls; reading the file back gives the command's result line.

use std::fs::File;
use std::fs::OpenOptions;
use std::io::Read;
use std::io::Write;

use crate::Res;

/// The driver's control file.
pub const CTL: &str = "/sys/kernel/debug/xfs_hmdrv/ctl";

/// The control file, opened for one command and its result.
pub fn open() -> std::io::Result<File> {
    OpenOptions::new().read(true).write(true).open(CTL)
}

/// Runs one command; the open control file, from which its result line can be read.
pub fn command(cmd: &str) -> Res<File> {
    let mut ctl = open().map_err(|e| format!("{CTL}: {e}"))?;
    ctl.write_all(cmd.as_bytes())
        .map_err(|e| format!("driver command '{cmd}': {e}"))?;
    Ok(ctl)
}

/// Runs one command and returns its result line.
pub fn run(cmd: &str) -> Res<String> {
    let mut ctl = command(cmd)?;
    let mut res = String::new();
    ctl.read_to_string(&mut res).map_err(|e| e.to_string())?;
    Ok(res)
}
