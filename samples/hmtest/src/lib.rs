// SPDX-License-Identifier: GPL-2.0

//! What the test and benchmark programs (`hmprobe`, `hmstress`, `hmbench`) share and users of
//! the `xfs_healthmon` library do not need: the test-only report driver's control file, seeded
//! randomness that the report driver reproduces, the words of their result lines, and the
//! one-line form of a record that the golden files hold ([`v0`]).  The ABI, the monitor and the
//! errno names are the library's.

pub mod driver;
pub mod v0;

/// A failure, as the line that says what failed.
pub type Res<T> = Result<T, String>;

/// The calling thread's errno.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// An errno as the result lines print it: its name, or `errno N` for one without.
pub fn errno_name(e: i32) -> String {
    xfs_healthmon::errno_name(e).map_or_else(|| format!("errno {e}"), str::to_string)
}

/// The result of a call that returns -1 and sets errno on failure: `ok` or the errno's name.
pub fn ioctl_result(ret: i64) -> String {
    if ret < 0 {
        errno_name(errno())
    } else {
        "ok".into()
    }
}

/// A decimal argument of a command line.
pub fn num(s: &str) -> Res<u64> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

/// A decimal or `0x` hexadecimal argument of an operation, 0 when it is neither.
pub fn parse_num(s: &str) -> u64 {
    if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).unwrap_or(0)
    } else {
        s.parse().unwrap_or(0)
    }
}

/// xorshift64*, as the report driver's `rand` command uses: a seed gives the same sequence in
/// the program and in the kernel.
pub struct Rng(u64);

impl Rng {
    /// The sequence of `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
