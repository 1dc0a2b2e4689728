// SPDX-License-Identifier: GPL-2.0

//! Decoding, text and JSON of generated records, unknown values among them, and records put
//! together from reads of every size.

use std::io;
use std::io::Read;
use xfs_healthmon::json;
use xfs_healthmon::text;
use xfs_healthmon::Details;
use xfs_healthmon::Domain;
use xfs_healthmon::EventType;
use xfs_healthmon::FdInfo;
use xfs_healthmon::Record;
use xfs_healthmon::RecordStream;

/// A record with these fields; `e` is the union's bytes.
fn rec(domain: u32, ty: u32, time_ns: u64, e: &[u8]) -> Record {
    let mut b = [0u8; 64];
    b[0..4].copy_from_slice(&domain.to_ne_bytes());
    b[4..8].copy_from_slice(&ty.to_ne_bytes());
    b[8..16].copy_from_slice(&time_ns.to_ne_bytes());
    b[16..16 + e.len()].copy_from_slice(e);
    Record::from_bytes(b)
}

fn bytes(fields: &[&[u8]]) -> Vec<u8> {
    fields.concat()
}

#[test]
fn every_domain_decodes() {
    let inode = rec(
        3,
        4,
        7,
        &bytes(&[
            &0x11u32.to_ne_bytes(),
            &0xdeadu32.to_ne_bytes(),
            &u64::MAX.to_ne_bytes(),
        ]),
    );
    assert_eq!(inode.domain(), Domain::Inode);
    assert_eq!(inode.event_type(), EventType::Corrupt);
    let Details::Inode { ino, gen, mask } = inode.details() else {
        panic!("not an inode record: {inode:?}");
    };
    assert_eq!((ino, gen, mask.bits), (u64::MAX, 0xdead, 0x11));
    let names: Vec<_> = mask.known().map(|n| n.text).collect();
    assert_eq!(names, ["core", "directory"]);
    assert_eq!(
        text::line("/m", &inode),
        "/m ino 18446744073709551615 gen 0xdead core, directory: corrupt"
    );
    // 64-bit numbers come out whole in JSON.
    assert!(json::object(&inode).contains("\"ino\":18446744073709551615,"));

    let range = rec(
        8,
        12,
        1,
        &bytes(&[
            &4096u64.to_ne_bytes(),
            &512u64.to_ne_bytes(),
            &131u64.to_ne_bytes(),
            &7u32.to_ne_bytes(),
            &61u32.to_ne_bytes(),
        ]),
    );
    assert_eq!(
        range.details(),
        Details::FileRange {
            ino: 131,
            gen: 7,
            pos: 4096,
            len: 512,
            error: 61
        }
    );
    assert_eq!(
        text::line("/m", &range),
        "/m ino 131 gen 0x7 pos 4096 len 512: media failed"
    );
    let media = rec(
        6,
        7,
        1,
        &bytes(&[&100u64.to_ne_bytes(), &8u64.to_ne_bytes()]),
    );
    assert_eq!(
        text::line("/m", &media),
        "/m rtdev daddr 0x64 bbcount 0x8: media error"
    );
    let lost = rec(0, 1, 1, &3u64.to_ne_bytes());
    assert_eq!(text::line("/m", &lost), "/m: 3 events lost");
    assert_eq!(
        json::object(&lost),
        "{\"type\":\"lost\",\"type_code\":1,\"domain\":\"mount\",\"domain_code\":0,\"time_ns\":1,\"count\":3}"
    );
    let group = rec(
        4,
        5,
        1,
        &bytes(&[&0x3u32.to_ne_bytes(), &2u32.to_ne_bytes()]),
    );
    assert_eq!(
        text::line("/m", &group),
        "/m rgno 0x2 super, bitmap: healthy"
    );
}

#[test]
fn unknown_values_are_kept() {
    // A mask bit beyond the known ones: named bits first, then the rest in hexadecimal.
    let fs = rec(1, 3, 1, &0x8001u32.to_ne_bytes());
    let Details::Fs { mask } = fs.details() else {
        panic!("not an fs record");
    };
    assert_eq!(mask.unknown(), 0x8000);
    assert_eq!(text::line("/m", &fs), "/m fscounters, 0x8000: sick");
    assert!(json::object(&fs)
        .ends_with("\"mask\":32769,\"mask_names\":[\"fscounters\"],\"mask_unknown\":32768}"));
    let shutdown = rec(0, 6, 1, &0x44u32.to_ne_bytes());
    assert_eq!(
        text::line("/m", &shutdown),
        "/m: filesystem shut down due to forced unmount, 0x40"
    );

    // A new domain and a new type: numbers and payload kept, never an error.
    let new = rec(77, 99, 5, &[0xab; 32]);
    assert_eq!(new.domain(), Domain::Unknown(77));
    assert_eq!(new.event_type(), EventType::Unknown(99));
    assert_eq!(new.domain().code(), 77);
    assert_eq!(new.details(), Details::Unknown);
    let line = text::line("/m", &new);
    assert!(line.starts_with("/m: unknown event: domain 77 type 99 time_ns 5 payload abab"));
    let obj = json::object(&new);
    assert!(obj.contains("\"type\":\"unknown\",\"type_code\":99"));
    assert!(obj.contains(&format!("\"payload\":\"{}\"", "ab".repeat(32))));

    // A known domain with a type it never has.
    let odd = rec(1, 8, 1, &1u32.to_ne_bytes());
    assert_eq!(text::line("/m", &odd), "/m fscounters: unknown value");

    // Padding that is not zero shows in JSON.
    let mut b = *rec(0, 0, 1, &[]).as_bytes();
    b[63] = 1;
    let padded = Record::from_bytes(b);
    assert!(!padded.pad_is_zero());
    assert!(json::object(&padded).ends_with("\"pad\":\"00000000000000000000000000000001\"}"));
}

#[test]
fn codes_round_trip() {
    for code in 0..20 {
        assert_eq!(Domain::from_code(code).code(), code);
        assert_eq!(EventType::from_code(code).code(), code);
    }
    assert_eq!(EventType::from_code(12), EventType::DataLost);
    assert_eq!(EventType::from_code(13), EventType::Unknown(13));
    assert_eq!(Domain::from_code(8), Domain::FileRange);
    assert_eq!(Domain::from_code(9), Domain::Unknown(9));
}

/// A reader that hands out at most `chunk` bytes per read, and `WouldBlock` or `Interrupted`
/// between reads when asked, as a non-blocking monitor or a signal would.
struct Chunked {
    data: Vec<u8>,
    at: usize,
    chunk: usize,
    hiccup: Option<io::ErrorKind>,
    calls: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if let Some(kind) = self.hiccup {
            if self.calls.is_multiple_of(2) {
                return Err(kind.into());
            }
        }
        let n = buf.len().min(self.chunk).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn stream_of(n: u64) -> (Vec<Record>, Vec<u8>) {
    let recs: Vec<Record> = (0..n)
        .map(|i| {
            rec(
                3,
                3,
                i,
                &bytes(&[&1u32.to_ne_bytes(), &0u32.to_ne_bytes(), &i.to_ne_bytes()]),
            )
        })
        .collect();
    let data = recs.iter().flat_map(|r| r.as_bytes().to_vec()).collect();
    (recs, data)
}

#[test]
fn reads_of_every_size_give_the_same_records() {
    let (recs, data) = stream_of(100);
    for chunk in [1, 7, 63, 64, 65, 4095, 4096, 4152, 65536] {
        for hiccup in [
            None,
            Some(io::ErrorKind::WouldBlock),
            Some(io::ErrorKind::Interrupted),
        ] {
            let mut s = RecordStream::new(Chunked {
                data: data.clone(),
                at: 0,
                chunk,
                hiccup,
                calls: 0,
            });
            let mut got = Vec::new();
            loop {
                match s.next_record() {
                    Ok(Some(r)) => got.push(r),
                    Ok(None) => break,
                    Err(e) if Some(e.kind()) == hiccup => continue,
                    Err(e) => panic!("chunk {chunk}: {e}"),
                }
            }
            assert_eq!(got, recs, "chunk {chunk}, {hiccup:?}");
        }
    }
}

#[test]
fn a_torn_record_at_end_of_file_is_an_error() {
    let (_, mut data) = stream_of(2);
    data.truncate(100);
    let mut s = RecordStream::new(&data[..]);
    assert!(s.next_record().expect("first record").is_some());
    let e = s.next_record().expect_err("36 bytes of a record");
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn fdinfo_of_both_monitors() {
    let c = "pos:\t0\nflags:\t02000000\nmnt_id:\t16\nino:\t1057\nstate:\talive\ndev:\t254:16\nformat:\tv0\nevents:\t5\nlost:\t0\n";
    let i = FdInfo::parse(c);
    assert_eq!(i.state.as_deref(), Some("alive"));
    assert_eq!(i.dev, Some((254, 16)));
    assert_eq!((i.events, i.lost), (Some(5), Some(0)));
    assert_eq!(i.reported, None);
    assert_eq!(i.balanced(), None);
    assert_eq!(i.other.len(), 4);
    let rust = format!(
        "{c}reported:\t9\ndelivered:\t4\nmerged:\t3\nqueued:\t2\nverbose:\t1\nnew_line:\tx\n"
    );
    let i = FdInfo::parse(&rust);
    assert_eq!(i.verbose, Some(true));
    assert_eq!(i.balanced(), Some(true));
    assert_eq!(
        i.other.last(),
        Some(&("new_line".to_string(), "x".to_string()))
    );
    assert_eq!(i.counts_add_up(), None);
    let counted =
        format!("{rust}types:\trunning=1 sick=6 media_error=2\ndomains:\tmount=1 ag=6 datadev=2\n");
    let i = FdInfo::parse(&counted);
    assert_eq!(i.types[1], ("sick".to_string(), 6));
    assert_eq!(i.domains.len(), 3);
    assert_eq!(i.counts_add_up(), Some(true));
    let torn = format!("{rust}types:\trunning=1 sick\n");
    let i = FdInfo::parse(&torn);
    assert!(i.types.is_empty());
    assert_eq!(i.other.last().map(|(k, _)| k.as_str()), Some("types"));
}

/// A recording from the VM (tests/cli/001: the records `xfs-healthmon watch --raw` saved, and
/// the lines `xfs_io -c 'healthmon -c -v'` printed for the same scenario on the same files),
/// decoded from reads of several sizes: the text is xfs_io's, line for line.
#[test]
fn a_recorded_stream_reads_as_xfs_io_prints_it() {
    let data = include_bytes!("data/scenario.bin");
    let want = include_str!("data/scenario.xfs_io");
    assert_eq!(data.len() % 64, 0);
    for chunk in [1, 63, 64, 4096] {
        let stream = RecordStream::new(Chunked {
            data: data.to_vec(),
            at: 0,
            chunk,
            hiccup: None,
            calls: 0,
        });
        let mut got = String::new();
        for r in stream {
            let r = r.expect("a whole record");
            assert!(r.pad_is_zero());
            got.push_str(&text::line("/mnt/scratch", &r));
            got.push('\n');
            // JSON of every recorded record has the numbers of its record.
            let obj = json::object(&r);
            let t = format!("\"time_ns\":{}", r.time_ns());
            assert!(obj.contains(&format!("{t},")) || obj.ends_with(&format!("{t}}}")));
        }
        assert_eq!(got, want, "chunk {chunk}");
    }
}
