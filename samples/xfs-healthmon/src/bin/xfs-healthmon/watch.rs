// SPDX-License-Identifier: GPL-2.0

//! `watch`: the records of one monitor as they come, in the words of `xfs_io -c healthmon` or as
//! JSON, with a tally for the summary and the Prometheus file.

use super::*;

/// What a `watch` has seen, for the summary and the Prometheus file.
#[derive(Default)]
pub(crate) struct Tally {
    /// Records by type and domain name.
    pub(crate) records: BTreeMap<(&'static str, &'static str), u64>,
    /// The sum of LOST records' counts.
    pub(crate) lost: u64,
    /// `time_ns` of the newest record.
    pub(crate) last_ns: u64,
    /// Whether the filesystem was unmounted.
    pub(crate) unmounted: bool,
}

impl Tally {
    pub(crate) fn add(&mut self, rec: &Record) {
        *self
            .records
            .entry((rec.event_type().id(), rec.domain().id()))
            .or_default() += 1;
        if let Details::Lost { count } = rec.details() {
            self.lost = self.lost.saturating_add(count);
        }
        self.last_ns = rec.time_ns();
    }

    pub(crate) fn summary(&self) -> String {
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
    pub(crate) fn prometheus(&self, mount: &str) -> String {
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
pub(crate) fn write_atomically(path: &str, contents: &str) -> io::Result<()> {
    let tmp = format!("{path}.{}.tmp", std::process::id());
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

pub(crate) struct WatchArgs {
    pub(crate) mount: String,
    pub(crate) verbose: bool,
    pub(crate) json: bool,
    pub(crate) nonblock: bool,
    pub(crate) prometheus: Option<String>,
    pub(crate) raw: Option<String>,
}

pub(crate) fn watch(args: WatchArgs) -> Result<ExitCode, String> {
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
