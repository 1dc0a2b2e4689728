// SPDX-License-Identifier: GPL-2.0

//! Records as JSON: one object per record, on one line, with every number exact (64-bit values
//! are written in full, never through a floating point type) and the names of the type, the
//! domain and each mask bit beside their numbers.  Nothing of the record is dropped: unknown
//! mask bits, unknown types and domains (with the union's bytes in hexadecimal) and a non-zero
//! `pad` are all written.

use crate::record::Details;
use crate::record::Flags;
use crate::record::Record;
use crate::text;
use std::fmt::Write;

/// `s` as a JSON string (the names and texts here are ASCII, but any text is escaped right).
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn hex(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out.push('"');
}

fn flags(out: &mut String, key: &str, f: &Flags) {
    let _ = write!(out, ",\"{key}\":{},\"{key}_names\":[", f.bits);
    for (i, n) in f.known().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, n.id);
    }
    out.push(']');
    let unknown = f.unknown();
    if unknown != 0 {
        let _ = write!(out, ",\"{key}_unknown\":{unknown}");
    }
}

/// One record as one JSON object, without the newline.
pub fn object(rec: &Record) -> String {
    let mut out = String::with_capacity(160);
    let (ty, dom) = (rec.event_type(), rec.domain());
    out.push_str("{\"type\":");
    string(&mut out, ty.id());
    let _ = write!(out, ",\"type_code\":{},\"domain\":", ty.code());
    string(&mut out, dom.id());
    let _ = write!(
        out,
        ",\"domain_code\":{},\"time_ns\":{}",
        dom.code(),
        rec.time_ns()
    );
    match rec.details() {
        Details::None => {}
        Details::Lost { count } => {
            let _ = write!(out, ",\"count\":{count}");
        }
        Details::Shutdown { reasons } => flags(&mut out, "reasons", &reasons),
        Details::Fs { mask } => flags(&mut out, "mask", &mask),
        Details::Group { gno, mask } => {
            let _ = write!(out, ",\"gno\":{gno}");
            flags(&mut out, "mask", &mask);
        }
        Details::Inode { ino, gen, mask } => {
            let _ = write!(out, ",\"ino\":{ino},\"gen\":{gen}");
            flags(&mut out, "mask", &mask);
        }
        Details::Media { daddr, bbcount } => {
            let _ = write!(out, ",\"daddr\":{daddr},\"bbcount\":{bbcount}");
        }
        Details::FileRange {
            ino,
            gen,
            pos,
            len,
            error,
        } => {
            let _ = write!(
                out,
                ",\"ino\":{ino},\"gen\":{gen},\"pos\":{pos},\"len\":{len},\"error\":{error},\"error_text\":"
            );
            string(&mut out, &text::strerror(error));
        }
        _ => {
            out.push_str(",\"payload\":");
            hex(&mut out, rec.payload());
        }
    }
    if !rec.pad_is_zero() {
        out.push_str(",\"pad\":");
        hex(&mut out, &rec.as_bytes()[crate::abi::OFF_PAD..]);
    }
    out.push('}');
    out
}
