// SPDX-License-Identifier: GPL-2.0

//! `xfs-healthmon`: watch the XFS live health monitor from the command line.

mod signals;
mod stats;
mod watch;

use std::collections::BTreeMap;
use std::io;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::fd::AsRawFd;
use std::os::fd::FromRawFd;
use std::os::fd::OwnedFd;
use std::process::ExitCode;
use std::sync::atomic::AtomicI32;
use std::sync::atomic::Ordering;
use xfs_healthmon::json;
use xfs_healthmon::text;
use xfs_healthmon::Details;
use xfs_healthmon::FdInfo;
use xfs_healthmon::Monitor;
use xfs_healthmon::Record;

use signals::*;
use stats::stats;
use watch::watch;
use watch::WatchArgs;

const USAGE: &str = "\
Usage: xfs-healthmon watch MOUNT [--verbose] [--json] [--nonblock] [--prometheus FILE] [--raw FILE]
  or:  xfs-healthmon probe MOUNT
  or:  xfs-healthmon samefs MOUNT FILE
  or:  xfs-healthmon stats [MOUNT] [--prometheus]
  or:  xfs-healthmon --help | --version
Read the live health monitor of an XFS filesystem (XFS_IOC_HEALTH_MONITOR).

Commands:
  watch MOUNT        print the health events of the XFS filesystem mounted at MOUNT as they come,
                     in the words of `xfs_io -c healthmon` (or as JSON); exit 0 when the filesystem
                     is unmounted, and on SIGINT or SIGTERM after a summary
  probe MOUNT        whether MOUNT's filesystem can be monitored, and nobody monitors it now
  samefs MOUNT FILE  whether FILE is on the filesystem of MOUNT (opens a monitor for the question)
  stats [MOUNT]      the accounting of every running monitor (of MOUNT's filesystem), from fdinfo,
                     without opening one (so beside xfs_healer)

Options of watch:
  --verbose     every metadata health report, not only changes
  --json        one JSON object per line instead
  --nonblock    read with O_NONBLOCK and poll(2), as an event loop would
  --prometheus FILE  keep FILE, a node_exporter textfile-collector file, up to date
  --raw FILE    also append every record's 64 bytes to FILE

Options of stats:
  --prometheus  instead, the Prometheus text exposition of each monitor's counts, by type and
                domain, labelled by mount (for node_exporter's textfile collector)

Exit status:
  0  done, or yes (probe: free; samefs: same filesystem; stats: monitors found, or
     --prometheus written)
  1  no (probe: the line says why; samefs: another filesystem; stats: none found)
  2  an error, or a usage error
";

/// A Prometheus label value: backslash, double quote and newline escaped, as the text
/// exposition format asks.
fn label(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `line` and a newline to standard output, unbuffered, so that each record is out as
/// soon as it is read.  Unlike `write_all`, which retries a write that a signal interrupted, this
/// returns `Interrupted` once a stop was asked for, so a reader that stopped reading (a full pipe)
/// cannot keep `watch` from stopping.
fn write_line(line: &str) -> io::Result<()> {
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    let mut at = 0;
    while at < buf.len() {
        let rest = &buf[at..];
        // SAFETY: `rest` is readable for its length; descriptor 1 is standard output.
        let n = unsafe { libc::write(1, rest.as_ptr().cast(), rest.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted && STOP.load(Ordering::Relaxed) == 0 {
                continue;
            }
            return Err(e);
        }
        at += n as usize;
    }
    Ok(())
}

/// Prints a line; a closed standard output (`| head`) is not an error worth a panic.
fn say(line: &str) {
    let _ = writeln!(io::stdout(), "{line}");
}

fn probe(mount: &str) -> ExitCode {
    match Monitor::open(mount, false) {
        Ok(_) => {
            say(&format!("{mount}: health monitoring is supported and free"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            say(&e.to_string());
            ExitCode::FAILURE
        }
    }
}

fn samefs(mount: &str, file: &str) -> Result<ExitCode, String> {
    let mon = Monitor::open(mount, false).map_err(|e| e.to_string())?;
    let f = std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?;
    let same = mon
        .is_on_monitored_fs(f.as_fd())
        .map_err(|e| e.to_string())?;
    if same {
        say(&format!("{file}: on the filesystem of {mount}"));
        Ok(ExitCode::SUCCESS)
    } else {
        say(&format!("{file}: not on the filesystem of {mount}"));
        Ok(ExitCode::FAILURE)
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let usage = || Err(USAGE.to_string());
    match args.first().map(String::as_str) {
        Some("watch") => {
            let mut w = WatchArgs {
                mount: String::new(),
                verbose: false,
                json: false,
                nonblock: false,
                prometheus: None,
                raw: None,
            };
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--verbose" | "-v" => w.verbose = true,
                    "--json" => w.json = true,
                    "--nonblock" => w.nonblock = true,
                    "--prometheus" => w.prometheus = it.next().cloned(),
                    "--raw" => w.raw = it.next().cloned(),
                    m if !m.starts_with('-') && w.mount.is_empty() => w.mount = m.to_string(),
                    _ => return usage(),
                }
            }
            if w.mount.is_empty()
                || (args.iter().any(|a| a == "--prometheus") && w.prometheus.is_none())
                || (args.iter().any(|a| a == "--raw") && w.raw.is_none())
            {
                return usage();
            }
            watch(w)
        }
        Some("probe") if args.len() == 2 => Ok(probe(&args[1])),
        Some("samefs") if args.len() == 3 => samefs(&args[1], &args[2]),
        Some("stats") => {
            let prometheus = args[1..].iter().any(|a| a == "--prometheus");
            let rest: Vec<&String> = args[1..].iter().filter(|a| *a != "--prometheus").collect();
            match rest.as_slice() {
                [] => stats(None, prometheus),
                [m] if !m.starts_with('-') => stats(Some(m.as_str()), prometheus),
                _ => usage(),
            }
        }
        Some("-h" | "--help" | "help") => {
            let _ = write!(io::stdout(), "{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some("-V" | "--version") if args.len() == 1 => {
            let _ = writeln!(io::stdout(), "xfs-healthmon {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        _ => usage(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            let nl = if msg.ends_with('\n') { "" } else { "\n" };
            let _ = write!(io::stderr(), "xfs-healthmon: {msg}{nl}");
            ExitCode::from(2)
        }
    }
}
