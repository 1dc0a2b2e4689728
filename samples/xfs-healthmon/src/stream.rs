// SPDX-License-Identifier: GPL-2.0

//! Whole records out of a byte stream.
//!
//! The monitor fills a read's buffer with the byte stream of its records, so a read whose size
//! is not a multiple of 64 ends inside a record, whose rest comes with the next read: a reader
//! must put records together.  [`RecordStream`] does, over any [`Read`], which is also how the
//! tests feed it recorded streams in pieces of any size.

use crate::abi::RECORD_SIZE;
use crate::record::Record;
use std::io;
use std::io::Read;

/// How many bytes one read asks for: the size `xfs_io` and `xfs_healer` use, 64 records.
pub const READ_SIZE: usize = 4096;

/// Records read from `R`, put together from reads of any size.
pub struct RecordStream<R> {
    inner: R,
    buf: Box<[u8; READ_SIZE]>,
    start: usize,
    end: usize,
    read_size: usize,
}

impl<R: Read> RecordStream<R> {
    /// Records from `inner`, read [`READ_SIZE`] bytes at a time.
    pub fn new(inner: R) -> Self {
        RecordStream {
            inner,
            buf: Box::new([0; READ_SIZE]),
            start: 0,
            end: 0,
            read_size: READ_SIZE,
        }
    }

    /// Asks for `size` bytes per read from now on (at least one, at most [`READ_SIZE`]).
    pub fn set_read_size(&mut self, size: usize) {
        self.read_size = size.clamp(1, READ_SIZE);
    }

    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Whether a whole record waits in the buffer, so that the next record comes without a
    /// read (a caller that acts after each read's records can tell where they end).
    pub fn has_buffered_record(&self) -> bool {
        self.end - self.start >= RECORD_SIZE
    }

    /// The next record: `Ok(None)` at end of file.  Errors of the reader, such as
    /// [`io::ErrorKind::WouldBlock`] from a non-blocking descriptor or
    /// [`io::ErrorKind::Interrupted`] from a signal, are returned as they are, and reading may
    /// go on after them with no byte lost.  End of file in the middle of a record is
    /// [`io::ErrorKind::UnexpectedEof`].
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        loop {
            if self.end - self.start >= RECORD_SIZE {
                let rec = Record::from_slice(&self.buf[self.start..self.end]);
                self.start += RECORD_SIZE;
                return Ok(rec);
            }
            // Move a partial record to the front, so the read has room after it.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            let room = (READ_SIZE - self.end).min(self.read_size);
            let n = self.inner.read(&mut self.buf[self.end..self.end + room])?;
            if n == 0 {
                if self.end == 0 {
                    return Ok(None);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{} bytes of a record remain at end of file", self.end),
                ));
            }
            self.end += n;
        }
    }
}

impl<R: Read> Iterator for RecordStream<R> {
    type Item = io::Result<Record>;

    /// Blocking iteration: records until end of file, or the first error.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}
