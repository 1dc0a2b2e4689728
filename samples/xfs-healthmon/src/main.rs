// SPDX-License-Identifier: GPL-2.0

//! `xfs-healthmon`: watch the XFS live health monitor from the command line.

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

/// The signal that asked us to stop, or 0.
static STOP: AtomicI32 = AtomicI32::new(0);

/// The write end of the pipe that wakes the watch loop when a signal comes, or -1.
static WAKE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    STOP.store(sig, Ordering::Relaxed);
    let fd = WAKE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe; `fd` is the non-blocking write end of the wake
        // pipe, which stays open for the life of the process, and `byte` is one readable byte.
        // A full pipe already wakes the loop, so a failed write loses nothing.
        let _ = unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    }
}

/// Stops on SIGINT and SIGTERM.  A signal that comes while the loop waits ends the wait with
/// `EINTR`; one that comes just before it waits would be missed that way, so the handler also
/// writes to a pipe that the loop polls with the monitor (the self-pipe trick).  Returns the read
/// end of the pipe.
fn catch_signals() -> io::Result<OwnedFd> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` returns.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `pipe2` returned two new descriptors that nothing else owns.  The write end is
    // kept open for the life of the process (the handler may run until it exits).
    let read_end = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    WAKE.store(fds[1], Ordering::Relaxed);
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `sigaction` is plain old data, for which all zeroes is a valid value.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: `sa` is a valid action whose handler only stores to an atomic and writes to a
        // pipe, both async-signal-safe.
        if unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(read_end)
}

/// Waits until the monitor has something to read or the wake pipe has a byte (a signal).
fn wait(mon: &Monitor, wake: &OwnedFd) -> io::Result<()> {
    let mut fds = [
        libc::pollfd {
            fd: mon.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: two valid `pollfd`s.
    if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

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

/// What a `watch` has seen, for the summary and the Prometheus file.
#[derive(Default)]
struct Tally {
    /// Records by type and domain name.
    records: BTreeMap<(&'static str, &'static str), u64>,
    /// The sum of LOST records' counts.
    lost: u64,
    /// `time_ns` of the newest record.
    last_ns: u64,
    /// Whether the filesystem was unmounted.
    unmounted: bool,
}

impl Tally {
    fn add(&mut self, rec: &Record) {
        *self
            .records
            .entry((rec.event_type().id(), rec.domain().id()))
            .or_default() += 1;
        if let Details::Lost { count } = rec.details() {
            self.lost = self.lost.saturating_add(count);
        }
        self.last_ns = rec.time_ns();
    }

    fn summary(&self) -> String {
        let total: u64 = self.records.values().sum();
        let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
        for ((ty, _), n) in &self.records {
            *by_type.entry(ty).or_default() += n;
        }
        let list: Vec<String> = by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
        format!(
            "{total} records ({}), {} events lost",
            list.join(", "),
            self.lost
        )
    }

    /// The Prometheus text exposition of the tally.
    fn prometheus(&self, mount: &str) -> String {
        let label = label(mount);
        let mut out = String::new();
        out.push_str(
            "# HELP xfs_healthmon_records_total Health monitor records read, by type and domain.\n\
             # TYPE xfs_healthmon_records_total counter\n",
        );
        for ((ty, dom), n) in &self.records {
            out.push_str(&format!(
                "xfs_healthmon_records_total{{mount={label},type=\"{ty}\",domain=\"{dom}\"}} {n}\n"
            ));
        }
        out.push_str(&format!(
            "# HELP xfs_healthmon_lost_events_total Events the kernel could not queue (the LOST records' counts).\n\
             # TYPE xfs_healthmon_lost_events_total counter\n\
             xfs_healthmon_lost_events_total{{mount={label}}} {}\n\
             # HELP xfs_healthmon_last_record_timestamp_seconds When the newest record was queued.\n\
             # TYPE xfs_healthmon_last_record_timestamp_seconds gauge\n\
             xfs_healthmon_last_record_timestamp_seconds{{mount={label}}} {}.{:09}\n\
             # HELP xfs_healthmon_mounted Whether the monitored filesystem is still mounted.\n\
             # TYPE xfs_healthmon_mounted gauge\n\
             xfs_healthmon_mounted{{mount={label}}} {}\n",
            self.lost,
            self.last_ns / 1_000_000_000,
            self.last_ns % 1_000_000_000,
            u8::from(!self.unmounted),
        ));
        out
    }
}

/// Replaces `path` with `contents` atomically: a reader sees the old file or the new one.
fn write_atomically(path: &str, contents: &str) -> io::Result<()> {
    let tmp = format!("{path}.{}.tmp", std::process::id());
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

struct WatchArgs {
    mount: String,
    verbose: bool,
    json: bool,
    nonblock: bool,
    prometheus: Option<String>,
    raw: Option<String>,
}

fn watch(args: WatchArgs) -> Result<ExitCode, String> {
    let mut mon = Monitor::open(&args.mount, args.verbose).map_err(|e| e.to_string())?;
    let wake = catch_signals().map_err(|e| format!("signals: {e}"))?;
    if args.nonblock {
        mon.set_nonblocking(true)
            .map_err(|e| format!("{}: O_NONBLOCK: {e}", args.mount))?;
    }
    let mut raw = match &args.raw {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| format!("{p}: {e}"))?,
        ),
        None => None,
    };
    let mut tally = Tally::default();
    let publish = |tally: &Tally| -> Result<(), String> {
        if let Some(p) = &args.prometheus {
            write_atomically(p, &tally.prometheus(&args.mount)).map_err(|e| format!("{p}: {e}"))?;
        }
        Ok(())
    };
    publish(&tally)?;
    let waited = |r: io::Result<()>| match r {
        Err(e) if e.kind() != io::ErrorKind::Interrupted => {
            Err(format!("{}: poll: {e}", args.mount))
        }
        _ => Ok(()),
    };
    loop {
        if STOP.load(Ordering::Relaxed) != 0 {
            publish(&tally)?;
            let _ = writeln!(
                io::stderr(),
                "xfs-healthmon: {}: {}",
                args.mount,
                tally.summary()
            );
            return Ok(ExitCode::SUCCESS);
        }
        // A blocking read is entered only when poll() says it will not wait, and poll() also
        // watches the wake pipe, so a signal never leaves the loop asleep.  In non-blocking mode
        // the loop reads until EAGAIN and then waits the same way.
        if !args.nonblock && !mon.has_buffered_record() {
            waited(wait(&mon, &wake))?;
            if STOP.load(Ordering::Relaxed) != 0 {
                continue;
            }
        }
        let rec = match mon.next_record() {
            Ok(Some(rec)) => rec,
            Ok(None) => {
                tally.unmounted = true;
                publish(&tally)?;
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                waited(wait(&mon, &wake))?;
                continue;
            }
            Err(e) => return Err(format!("{}: read: {e}", args.mount)),
        };
        tally.add(&rec);
        if let Some(f) = raw.as_mut() {
            f.write_all(rec.as_bytes())
                .map_err(|e| format!("raw file: {e}"))?;
        }
        // After the records of one read, and before the last of them is printed, so that the
        // file is up to date by the time the output shows that record.
        if !mon.has_buffered_record() {
            publish(&tally)?;
        }
        let line = if args.json {
            json::object(&rec)
        } else {
            text::line(&args.mount, &rec)
        };
        match write_line(&line) {
            Ok(()) => {}
            // A signal while standard output is full: the loop's check stops us.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Nobody reads our output any more (a closed pipe): stop quietly.
            Err(_) => return Ok(ExitCode::SUCCESS),
        }
    }
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

/// `major:minor` of the filesystem at `path`, as fdinfo's `dev` line shows it.
fn dev_of(path: &str) -> Result<(u32, u32), String> {
    use std::os::unix::fs::MetadataExt;
    let dev = std::fs::metadata(path)
        .map_err(|e| format!("{path}: {e}"))?
        .dev();
    Ok((libc::major(dev), libc::minor(dev)))
}

/// The XFS mount points of `/proc/self/mountinfo` by device, `major:minor`.
fn xfs_mounts() -> Vec<(String, String)> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|l| {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|&x| x == "-")?;
            if f.get(sep + 1) != Some(&"xfs") {
                return None;
            }
            Some((f.get(2)?.to_string(), unescape(f.get(4)?)))
        })
        .collect()
}

/// A mountinfo field with its octal escapes (`\040` for a space) undone.
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        // Three octal digits that make a byte: the first at most 3.
        let oct = b.get(i + 1..i + 4).filter(|d| {
            (b'0'..=b'3').contains(&d[0]) && d[1..].iter().all(|c| (b'0'..=b'7').contains(c))
        });
        match (b[i], oct) {
            (b'\\', Some(d)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A plain metric of `stats --prometheus`: name, type, help, and its fdinfo value.
type Plain = (
    &'static str,
    &'static str,
    &'static str,
    fn(&FdInfo) -> Option<u64>,
);
/// A metric by type or domain: name, label, help, and its fdinfo counts.
type By = (
    &'static str,
    &'static str,
    &'static str,
    fn(&FdInfo) -> &Vec<(String, u64)>,
);

/// The Prometheus text exposition of the monitors found, each labelled by its mount point
/// (empty once unmounted) and device.  Its own metric names, apart from `watch --prometheus`'s,
/// so that both files can sit in one textfile collector directory.
fn stats_prometheus(found: &[FdInfo]) -> String {
    let mounts = xfs_mounts();
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, lines: &mut dyn FnMut(&mut String)| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        lines(&mut out);
    };
    let labels = |i: &FdInfo| {
        let dev = i.dev.map_or(String::new(), |(a, b)| format!("{a}:{b}"));
        // A dead monitor's filesystem is gone, whatever is mounted from its device now.
        let alive = i.state.as_deref() == Some("alive");
        let mount = mounts
            .iter()
            .find(|(d, _)| alive && *d == dev)
            .map_or("", |(_, m)| m.as_str());
        format!("mount={},dev={}", label(mount), label(&dev))
    };
    // One series per label set: a monitor open on several fds (dup(), fork(), SCM_RIGHTS) is
    // found once per fd, and dead monitors of one device share their labels.  The first found
    // stands for them.
    let mut seen = Vec::new();
    let found: Vec<&FdInfo> = found
        .iter()
        .filter(|i| {
            let key = labels(i);
            let new = !seen.contains(&key);
            if new {
                seen.push(key);
            }
            new
        })
        .collect();
    let plain: [Plain; 6] = [
        (
            "xfs_healthmon_monitor_records_total",
            "counter",
            "Records the monitor queued, LOST and UNMOUNT ones included.",
            |i| i.events,
        ),
        (
            "xfs_healthmon_monitor_reported_total",
            "counter",
            "Events reported to the monitor.",
            |i| i.reported,
        ),
        (
            "xfs_healthmon_monitor_delivered_total",
            "counter",
            "Records other than LOST taken by the monitor's reader.",
            |i| i.delivered,
        ),
        (
            "xfs_healthmon_monitor_merged_total",
            "counter",
            "Events merged into a queued record.",
            |i| i.merged,
        ),
        (
            "xfs_healthmon_monitor_lost_total",
            "counter",
            "Events the monitor could not queue.",
            |i| i.lost,
        ),
        (
            "xfs_healthmon_monitor_queued",
            "gauge",
            "Records other than LOST waiting to be read.",
            |i| i.queued,
        ),
    ];
    for (name, kind, help, get) in plain {
        family(name, kind, help, &mut |out| {
            for &i in &found {
                if let Some(v) = get(i) {
                    out.push_str(&format!("{name}{{{}}} {v}\n", labels(i)));
                }
            }
        });
    }
    let by: [By; 2] = [
        (
            "xfs_healthmon_monitor_reported_by_type_total",
            "type",
            "Events reported to the monitor, by record type.",
            |i| &i.types,
        ),
        (
            "xfs_healthmon_monitor_reported_by_domain_total",
            "domain",
            "Events reported to the monitor, by domain.",
            |i| &i.domains,
        ),
    ];
    for (name, key, help, get) in by {
        family(name, "counter", help, &mut |out| {
            for &i in &found {
                for (what, n) in get(i) {
                    out.push_str(&format!(
                        "{name}{{{},{key}={}}} {n}\n",
                        labels(i),
                        label(what)
                    ));
                }
            }
        });
    }
    family(
        "xfs_healthmon_monitor_alive",
        "gauge",
        "Whether the monitored filesystem is still mounted.",
        &mut |out| {
            for &i in &found {
                let alive = u8::from(i.state.as_deref() == Some("alive"));
                out.push_str(&format!(
                    "xfs_healthmon_monitor_alive{{{}}} {alive}\n",
                    labels(i)
                ));
            }
        },
    );
    out
}

fn stats(mount: Option<&str>, prometheus: bool) -> Result<ExitCode, String> {
    let want = mount.map(dev_of).transpose()?;
    let mut infos = Vec::new();
    let mut found = 0;
    let procs = std::fs::read_dir("/proc").map_err(|e| format!("/proc: {e}"))?;
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Some(n) = fd.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            match std::fs::read_link(fd.path()) {
                Ok(l) if l.as_os_str() == "anon_inode:xfs_healthmon" => {}
                _ => continue,
            }
            let Ok(info) = FdInfo::read(pid, n) else {
                continue;
            };
            if want.is_some() && info.dev != want {
                continue;
            }
            found += 1;
            if prometheus {
                infos.push(info);
                continue;
            }
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            say(&describe(pid, comm.trim(), n, &info));
        }
    }
    if prometheus {
        // Written, and a success, even when no monitor is found: no monitor is a state to
        // report, and a textfile collector needs the file whole (so nothing else goes to
        // stdout) and replaced (so a wrapper's `&& mv` must run).
        write!(io::stdout(), "{}", stats_prometheus(&infos)).map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    if found == 0 {
        say("no health monitor is running");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(pid: u32, comm: &str, fd: i32, i: &FdInfo) -> String {
    let num = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    let mut s = format!(
        "pid {pid} ({comm}) fd {fd}: state {}, dev {}, format {}, events {}, lost {}",
        i.state.as_deref().unwrap_or("-"),
        i.dev.map_or("-".to_string(), |(a, b)| format!("{a}:{b}")),
        i.format.as_deref().unwrap_or("-"),
        num(i.events),
        num(i.lost)
    );
    if i.reported.is_some() {
        s.push_str(&format!(
            ", reported {}, delivered {}, merged {}, queued {}, verbose {}, {}",
            num(i.reported),
            num(i.delivered),
            num(i.merged),
            num(i.queued),
            i.verbose.map_or("-", |v| if v { "yes" } else { "no" }),
            match i.balanced() {
                Some(true) => "balanced",
                Some(false) => "NOT BALANCED",
                None => "-",
            }
        ));
    }
    s
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
