// SPDX-License-Identifier: GPL-2.0

//! Userspace access to the XFS live health monitor.
//!
//! [`Monitor::open`] starts monitoring a mounted XFS filesystem (`XFS_IOC_HEALTH_MONITOR` on its
//! root directory); reading the monitor yields [`Record`]s, which decode into a [`Details`] by
//! their [`Domain`] and [`EventType`]; [`text`] writes them in the words of
//! `xfs_io -c healthmon`, [`json`] as JSON objects.  The monitor is an ordinary descriptor
//! ([`std::os::fd::AsFd`]) that can be made non-blocking and polled, so it fits an event loop.
//!
//! ```no_run
//! let mut mon = xfs_healthmon::Monitor::open("/mnt", false)?;
//! while let Some(rec) = mon.next_record()? {
//!     println!("{}", xfs_healthmon::text::line("/mnt", &rec));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The ABI is `include/uapi/xfs_healthmon.h` (see `Documentation/uapi.rst`); [`abi`] holds its
//! values, which a test checks against that header.

pub mod abi;
mod error;
mod fdinfo;
pub mod json;
mod monitor;
mod record;
mod stream;
pub mod text;

pub use error::errno_name;
pub use error::Error;
pub use error::ErrorKind;
pub use fdinfo::FdInfo;
pub use monitor::Monitor;
pub use record::Details;
pub use record::Domain;
pub use record::EventType;
pub use record::Flags;
pub use record::Record;
pub use stream::RecordStream;
pub use stream::READ_SIZE;
