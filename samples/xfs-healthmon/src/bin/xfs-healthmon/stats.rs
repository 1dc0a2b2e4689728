// SPDX-License-Identifier: GPL-2.0

//! `stats`: every monitor on the host, from /proc/PID/fdinfo, without opening one; as lines or as
//! the Prometheus text exposition labelled by mount.

use super::*;

/// `major:minor` of the filesystem at `path`, as fdinfo's `dev` line shows it.
pub(crate) fn dev_of(path: &str) -> Result<(u32, u32), String> {
    use std::os::unix::fs::MetadataExt;
    let dev = std::fs::metadata(path)
        .map_err(|e| format!("{path}: {e}"))?
        .dev();
    Ok((libc::major(dev), libc::minor(dev)))
}

/// The XFS mount points of `/proc/self/mountinfo` by device, `major:minor`.
pub(crate) fn xfs_mounts() -> Vec<(String, String)> {
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
pub(crate) fn unescape(field: &str) -> String {
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
pub(crate) type Plain = (
    &'static str,
    &'static str,
    &'static str,
    fn(&FdInfo) -> Option<u64>,
);

/// A metric by type or domain: name, label, help, and its fdinfo counts.
pub(crate) type By = (
    &'static str,
    &'static str,
    &'static str,
    fn(&FdInfo) -> &Vec<(String, u64)>,
);

/// The Prometheus text exposition of the monitors found, each labelled by its mount point
/// (empty once unmounted) and device.  Its own metric names, apart from `watch --prometheus`'s,
/// so that both files can sit in one textfile collector directory.
pub(crate) fn stats_prometheus(found: &[FdInfo]) -> String {
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

pub(crate) fn stats(mount: Option<&str>, prometheus: bool) -> Result<ExitCode, String> {
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

pub(crate) fn describe(pid: u32, comm: &str, fd: i32, i: &FdInfo) -> String {
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
