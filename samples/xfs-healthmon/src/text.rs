// SPDX-License-Identifier: GPL-2.0

//! Records as text, in the words of `xfs_io -c healthmon` (xfsprogs 7.2), so that the two can be
//! compared line for line.
//!
//! Where `xfs_io` has no words (a domain or type newer than this library, or mask bits it does
//! not name, which it leaves out), this output keeps the values: unknown mask bits are listed in
//! hexadecimal after the named ones, and an unknown record is printed with its numbers.

use crate::record::Details;
use crate::record::Domain;
use crate::record::EventType;
use crate::record::Flags;
use crate::record::Record;
use std::fmt::Write;

/// The text of `strerror(errno)`, as the C library gives it.
pub fn strerror(errno: u32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    let Ok(errnum) = libc::c_int::try_from(errno) else {
        return format!("Unknown error {errno}");
    };
    // SAFETY: `buf` is writable for its length, which is passed; the XSI `strerror_r` writes a
    // NUL-terminated string of at most that many bytes into it.
    let ret = unsafe { libc::strerror_r(errnum, buf.as_mut_ptr(), buf.len()) };
    if ret != 0 {
        return format!("Unknown error {errno}");
    }
    // SAFETY: `strerror_r` succeeded, so `buf` holds a NUL-terminated string.
    let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    text.to_string_lossy().into_owned()
}

/// The names of the bits set, joined as `xfs_io` joins them, then the unknown bits.
pub fn flag_names(flags: &Flags) -> String {
    let mut out = String::new();
    for n in flags.known() {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(n.text);
    }
    let unknown = flags.unknown();
    if unknown != 0 {
        if !out.is_empty() {
            out.push_str(", ");
        }
        let _ = write!(out, "{unknown:#x}");
    }
    out
}

/// What `xfs_io` prints for a metadata record's type ("unknown value" for a type that is not
/// sick, corrupt or healthy).
fn health_word(ty: EventType) -> &'static str {
    match ty {
        EventType::Sick | EventType::Corrupt | EventType::Healthy => {
            ty.named().map_or("unknown value", |n| n.text)
        }
        _ => "unknown value",
    }
}

/// One record as one line of `xfs_io -c healthmon` output, without the newline; `mount` is the
/// path as the user gave it.
pub fn line(mount: &str, rec: &Record) -> String {
    let ty = rec.event_type();
    let dom = rec.domain();
    match rec.details() {
        Details::None if ty == EventType::Running => format!("{mount}: monitoring started"),
        Details::None => format!("{mount}: filesystem unmounted"),
        Details::Lost { count } => format!("{mount}: {count} events lost"),
        Details::Shutdown { reasons } => {
            format!(
                "{mount}: filesystem shut down due to {}",
                flag_names(&reasons)
            )
        }
        Details::Fs { mask } => format!("{mount} {}: {}", flag_names(&mask), health_word(ty)),
        Details::Group { gno, mask } => {
            let what = if dom == Domain::Ag { "agno" } else { "rgno" };
            format!(
                "{mount} {what} {gno:#x} {}: {}",
                flag_names(&mask),
                health_word(ty)
            )
        }
        Details::Inode { ino, gen, mask } => format!(
            "{mount} ino {ino} gen {gen:#x} {}: {}",
            flag_names(&mask),
            health_word(ty)
        ),
        Details::Media { daddr, bbcount } => {
            let what = match ty {
                EventType::MediaError => "media error",
                _ => "unknown value",
            };
            format!(
                "{mount} {} daddr {daddr:#x} bbcount {bbcount:#x}: {what}",
                dom.named().map_or("unknown value", |n| n.text)
            )
        }
        Details::FileRange {
            ino,
            gen,
            pos,
            len,
            error,
        } => {
            let head = format!("{mount} ino {ino} gen {gen:#x} pos {pos} len {len}");
            match ty {
                EventType::DataLost => format!("{head}: media failed"),
                EventType::BufferedRead
                | EventType::BufferedWrite
                | EventType::DirectioRead
                | EventType::DirectioWrite => {
                    let name = ty.named().map_or("unknown value", |n| n.text);
                    format!("{head}: {name}: {}", strerror(error))
                }
                _ => format!("{head}: unknown value: {}", strerror(error)),
            }
        }
        _ => {
            let mut payload = String::new();
            for b in rec.payload() {
                let _ = write!(payload, "{b:02x}");
            }
            format!(
                "{mount}: unknown event: domain {} type {} time_ns {} payload {payload}",
                dom.code(),
                ty.code(),
                rec.time_ns()
            )
        }
    }
}
