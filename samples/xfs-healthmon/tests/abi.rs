// SPDX-License-Identifier: GPL-2.0

//! The library's ABI against `include/uapi/xfs_healthmon.h`: a C program compiled against the
//! header prints every value, size and offset the library has, and each must match; and every
//! value of these kinds that the header defines must be in the library's tables, so that a new
//! mask bit in the header cannot go unnoticed.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::Command;
use xfs_healthmon::abi;
use xfs_healthmon::abi::e;
use xfs_healthmon::abi::Named;

/// The header of this checkout: `cargo test` names the crate's directory at run time, which a
/// test binary built from another checkout of the same tree would not know.
fn header() -> PathBuf {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    dir.join("../../include/uapi/xfs_healthmon.h")
}

/// Every table, with the prefix of the C names it holds.
const TABLES: &[(&str, &[Named])] = &[
    ("XFS_HEALTH_MONITOR_DOMAIN_", abi::DOMAINS),
    ("XFS_HEALTH_MONITOR_TYPE_", abi::TYPES),
    ("XFS_FSOP_GEOM_SICK_", abi::FS_MASK),
    ("XFS_AG_GEOM_SICK_", abi::AG_MASK),
    ("XFS_BS_SICK_", abi::INODE_MASK),
    ("XFS_RTGROUP_GEOM_SICK_", abi::RTGROUP_MASK),
    ("XFS_HEALTH_SHUTDOWN_", abi::SHUTDOWN_REASONS),
];

/// Compiles and runs a C program that prints `name value` for each C expression given.
fn c_values(items: &[(String, String)]) -> Vec<(String, u64)> {
    let mut src = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include \"xfs_healthmon.h\"\nint main(void)\n{\n",
    );
    for (name, expr) in items {
        let _ = writeln!(
            src,
            "\tprintf(\"%s %llu\\n\", \"{name}\", (unsigned long long)({expr}));"
        );
    }
    src.push_str("\treturn 0;\n}\n");
    let dir = std::env::temp_dir().join(format!("xfs-healthmon-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let c = dir.join("abi.c");
    let exe = dir.join("abi");
    std::fs::write(&c, src).expect("write the C program");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let include = header().parent().expect("include dir").to_path_buf();
    let status = Command::new(cc)
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(&include)
        .arg(&c)
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("run the C compiler");
    assert!(
        status.success(),
        "the C program against the header does not compile"
    );
    let out = Command::new(&exe).output().expect("run the C program");
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout)
        .expect("text")
        .lines()
        .map(|l| {
            let (n, v) = l.rsplit_once(' ').expect("name value");
            (n.to_string(), v.parse().expect("number"))
        })
        .collect()
}

#[test]
fn every_value_matches_the_header() {
    let mut items = Vec::new();
    let mut want = Vec::new();
    for (_, table) in TABLES {
        for n in *table {
            items.push((n.c_name.to_string(), n.c_name.to_string()));
            want.push(u64::from(n.value));
        }
    }
    let ev = "struct xfs_health_monitor_event";
    let scalar: &[(&str, String, u64)] = &[
        (
            "XFS_IOC_HEALTH_MONITOR",
            "XFS_IOC_HEALTH_MONITOR".into(),
            abi::XFS_IOC_HEALTH_MONITOR,
        ),
        (
            "XFS_IOC_HEALTH_FD_ON_MONITORED_FS",
            "XFS_IOC_HEALTH_FD_ON_MONITORED_FS".into(),
            abi::XFS_IOC_HEALTH_FD_ON_MONITORED_FS,
        ),
        (
            "XFS_HEALTH_MONITOR_VERBOSE",
            "XFS_HEALTH_MONITOR_VERBOSE".into(),
            abi::XFS_HEALTH_MONITOR_VERBOSE,
        ),
        (
            "XFS_HEALTH_MONITOR_ALL",
            "XFS_HEALTH_MONITOR_ALL".into(),
            abi::XFS_HEALTH_MONITOR_ALL,
        ),
        (
            "XFS_HEALTH_MONITOR_FMT_V0",
            "XFS_HEALTH_MONITOR_FMT_V0".into(),
            abi::XFS_HEALTH_MONITOR_FMT_V0.into(),
        ),
        (
            "sizeof event",
            format!("sizeof({ev})"),
            abi::RECORD_SIZE as u64,
        ),
        (
            "domain",
            format!("offsetof({ev}, domain)"),
            abi::OFF_DOMAIN as u64,
        ),
        (
            "type",
            format!("offsetof({ev}, type)"),
            abi::OFF_TYPE as u64,
        ),
        (
            "time_ns",
            format!("offsetof({ev}, time_ns)"),
            abi::OFF_TIME_NS as u64,
        ),
        ("e", format!("offsetof({ev}, e)"), abi::OFF_E as u64),
        (
            "sizeof e",
            format!("sizeof((({ev} *)0)->e)"),
            abi::E_SIZE as u64,
        ),
        ("pad", format!("offsetof({ev}, pad)"), abi::OFF_PAD as u64),
        (
            "sizeof struct xfs_health_monitor",
            "sizeof(struct xfs_health_monitor)".into(),
            std::mem::size_of::<abi::HealthMonitorArg>() as u64,
        ),
        (
            "sizeof struct xfs_health_file_on_monitored_fs",
            "sizeof(struct xfs_health_file_on_monitored_fs)".into(),
            std::mem::size_of::<abi::FileOnMonitoredFsArg>() as u64,
        ),
    ];
    for (name, expr, v) in scalar {
        items.push((name.to_string(), expr.clone()));
        want.push(*v);
    }
    // The argument structures, field by field.
    let args: &[(&str, &str, usize)] = &[
        (
            "struct xfs_health_monitor",
            "flags",
            std::mem::offset_of!(abi::HealthMonitorArg, flags),
        ),
        (
            "struct xfs_health_monitor",
            "format",
            std::mem::offset_of!(abi::HealthMonitorArg, format),
        ),
        (
            "struct xfs_health_monitor",
            "pad",
            std::mem::offset_of!(abi::HealthMonitorArg, pad),
        ),
        (
            "struct xfs_health_file_on_monitored_fs",
            "fd",
            std::mem::offset_of!(abi::FileOnMonitoredFsArg, fd),
        ),
        (
            "struct xfs_health_file_on_monitored_fs",
            "flags",
            std::mem::offset_of!(abi::FileOnMonitoredFsArg, flags),
        ),
    ];
    for (st, f, off) in args {
        items.push((format!("{st}.{f}"), format!("offsetof({st}, {f})")));
        want.push(*off as u64);
    }
    let members: &[(&str, &str, usize)] = &[
        ("lost", "count", e::LOST_COUNT),
        ("fs", "mask", e::FS_MASK),
        ("group", "mask", e::GROUP_MASK),
        ("group", "gno", e::GROUP_GNO),
        ("inode", "mask", e::INODE_MASK),
        ("inode", "gen", e::INODE_GEN),
        ("inode", "ino", e::INODE_INO),
        ("shutdown", "reasons", e::SHUTDOWN_REASONS),
        ("media", "daddr", e::MEDIA_DADDR),
        ("media", "bbcount", e::MEDIA_BBCOUNT),
        ("filerange", "pos", e::FILERANGE_POS),
        ("filerange", "len", e::FILERANGE_LEN),
        ("filerange", "ino", e::FILERANGE_INO),
        ("filerange", "gen", e::FILERANGE_GEN),
        ("filerange", "error", e::FILERANGE_ERROR),
    ];
    for (m, f, off) in members {
        items.push((
            format!("e.{m}.{f}"),
            format!("offsetof({ev}, e.{m}.{f}) - offsetof({ev}, e)"),
        ));
        want.push(*off as u64);
    }
    let got = c_values(&items);
    assert_eq!(got.len(), items.len());
    for ((name, v), w) in got.iter().zip(&want) {
        assert_eq!(v, w, "{name}: the header says {v}, the library {w}");
    }
}

#[test]
fn the_header_defines_nothing_the_library_lacks() {
    let text = std::fs::read_to_string(header()).expect("read the header");
    let mut seen = 0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("#define ") else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or("");
        for (prefix, table) in TABLES {
            if name.starts_with(prefix) {
                assert!(
                    table.iter().any(|n| n.c_name == name),
                    "{name} is in the header but not in the library's table"
                );
                seen += 1;
            }
        }
    }
    let total: usize = TABLES.iter().map(|(_, t)| t.len()).sum();
    assert_eq!(seen, total, "the header and the tables differ in size");
}
