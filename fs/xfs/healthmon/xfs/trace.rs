// SPDX-License-Identifier: GPL-2.0

//! The C monitor's tracepoints (`trace_xfs_healthmon_*` of `xfs_trace.h`), fired from Rust.
//!
//! They carry the same fields, filled through the shims.  Each function tests the tracepoint's
//! static key first, as `kernel::tracepoint::declare_trace!` does, so a disabled tracepoint costs
//! a no-op jump; only an enabled one calls the shim that fills the C structures the tracepoint
//! reads.

use super::FserrorEvent;
#[cfg(CONFIG_TRACEPOINTS)]
use kernel::bindings;

/// What the tracepoints read of a monitor (`struct xfs_hm_trace_mon`).
#[repr(C)]
#[derive(Default)]
pub(crate) struct Mon {
    /// The filesystem's device number.
    pub(crate) dev: u32,
    /// Records queued (C's `events`).
    pub(crate) events: u32,
    /// Events lost and not yet recorded in a LOST record (C's `lost_prev_event`).
    pub(crate) lost_prev: u64,
    /// The reader's buffer: size, formatted end, copied end.
    pub(crate) bufsize: u64,
    pub(crate) bufhead: u64,
    pub(crate) buftail: u64,
}

/// What they read of an event (`struct xfs_hm_trace_event`), in the C monitor's enums.
#[repr(C)]
#[derive(Default)]
pub(crate) struct Event {
    /// `enum xfs_healthmon_type`.
    pub(crate) ty: u32,
    /// `enum xfs_healthmon_domain`.
    pub(crate) domain: u32,
    /// The health mask or the shutdown flags.
    pub(crate) mask: u32,
    /// The group number.
    pub(crate) group: u32,
    /// The inode number.
    pub(crate) ino: u64,
    /// The inode generation.
    pub(crate) gen: u32,
    /// The file I/O error (positive).
    pub(crate) error: i32,
    /// The disk address or file position.
    pub(crate) pos: u64,
    /// The block count, file range length or lost count.
    pub(crate) count: u64,
}

/// `enum xfs_hm_trace`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    ReadStart,
    ReadFinish,
    Release,
    Detach,
    ReportUnmount,
    LostEvent,
    Insert,
    Push,
    Pop,
    Format,
    Drop,
    Merge,
}

mod shim {
    use super::*;

    extern "C" {
        pub(super) fn xfs_hm_trace_monitor(which: Kind, m: *const Mon);
        pub(super) fn xfs_hm_trace_event(which: Kind, m: *const Mon, t: *const Event);
        pub(super) fn xfs_hm_trace_report_metadata(
            m: *const Mon,
            old_mask: u32,
            new_mask: u32,
            t: *const Event,
        );
        pub(super) fn xfs_hm_trace_report_shutdown(m: *const Mon, flags: u32);
        pub(super) fn xfs_hm_trace_report_media(m: *const Mon, fdev: u32, t: *const Event);
        pub(super) fn xfs_hm_trace_report_file_ioerror(
            m: *const Mon,
            p: *const super::super::raw::fserror_event,
        );
        pub(super) fn xfs_hm_trace_copybuf(m: *const Mon, iter_count: usize);
        pub(super) fn xfs_hm_trace_create(dev: u32, flags: u64, format: u8);
    }
}

/// Declares the tracepoints' `struct tracepoint`s, defined by `xfs_trace.o` in this module,
/// and one function per tracepoint that says whether it is enabled (for callers that fire
/// it from a cold function of their own, which takes values, not a closure).
macro_rules! tracepoints {
    ($($enabled:ident => $tp:ident,)*) => {
        // `struct tracepoint` holds types bindgen cannot express (hence the lint); only
        // its static key is read, as `declare_trace!` does.  `mut`: C writes it (enabling
        // a tracepoint patches the key and its probes), as bindgen declares it too.
        #[cfg(CONFIG_TRACEPOINTS)]
        #[allow(improper_ctypes)]
        extern "C" {
            $(static mut $tp: bindings::tracepoint;)*
        }
        $(
            #[inline(always)]
            pub(crate) fn $enabled() -> bool {
                #[cfg(CONFIG_TRACEPOINTS)]
                // SAFETY: A tracepoint of this module's `xfs_trace.o`, whose static key may
                // always be tested.
                return unsafe {
                    kernel::jump_label::static_branch_unlikely!($tp, bindings::tracepoint, key)
                };
                #[cfg(not(CONFIG_TRACEPOINTS))]
                false
            }
        )*
    };
}

tracepoints! {
    read_start_on => __tracepoint_xfs_healthmon_read_start,
    read_finish_on => __tracepoint_xfs_healthmon_read_finish,
    release_on => __tracepoint_xfs_healthmon_release,
    detach_on => __tracepoint_xfs_healthmon_detach,
    report_unmount_on => __tracepoint_xfs_healthmon_report_unmount,
    lost_event_on => __tracepoint_xfs_healthmon_lost_event,
    insert_on => __tracepoint_xfs_healthmon_insert,
    push_on => __tracepoint_xfs_healthmon_push,
    pop_on => __tracepoint_xfs_healthmon_pop,
    format_on => __tracepoint_xfs_healthmon_format,
    drop_on => __tracepoint_xfs_healthmon_drop,
    merge_on => __tracepoint_xfs_healthmon_merge,
    report_fs_on => __tracepoint_xfs_healthmon_report_fs,
    report_group_on => __tracepoint_xfs_healthmon_report_group,
    report_inode_on => __tracepoint_xfs_healthmon_report_inode,
    report_shutdown_on => __tracepoint_xfs_healthmon_report_shutdown,
    report_media_on => __tracepoint_xfs_healthmon_report_media,
    report_file_ioerror_on => __tracepoint_xfs_healthmon_report_file_ioerror,
    copybuf_on => __tracepoint_xfs_healthmon_copybuf,
    create_on => __tracepoint_xfs_healthmon_create,
}

/// Whether the tracepoint of `kind` is enabled.
#[inline(always)]
pub(crate) fn enabled(kind: Kind) -> bool {
    match kind {
        Kind::ReadStart => read_start_on(),
        Kind::ReadFinish => read_finish_on(),
        Kind::Release => release_on(),
        Kind::Detach => detach_on(),
        Kind::ReportUnmount => report_unmount_on(),
        Kind::LostEvent => lost_event_on(),
        Kind::Insert => insert_on(),
        Kind::Push => push_on(),
        Kind::Pop => pop_on(),
        Kind::Format => format_on(),
        Kind::Drop => drop_on(),
        Kind::Merge => merge_on(),
    }
}

// Each function below tests the static key inline and leaves the rest to a cold function
// of its own, so that a disabled tracepoint costs its caller a no-op jump and nothing else:
// no call that keeps the caller from being inlined, no arguments built before the jump.
// Callers keep the closures small (at most two values or references, which travel in
// registers), for the same reason.

/// Fires a tracepoint of a monitor (`ReadStart` to `LostEvent`), with the state `mon` gives.
#[inline(always)]
pub(crate) fn monitor(kind: Kind, mon: impl FnOnce() -> Mon) {
    if enabled(kind) {
        fire_monitor(kind, mon);
    }
}

/// The out-of-line part of [`monitor`].
#[cold]
#[inline(never)]
fn fire_monitor(kind: Kind, mon: impl FnOnce() -> Mon) {
    // SAFETY: A valid state, read during the call only.
    unsafe { shim::xfs_hm_trace_monitor(kind, &mon()) }
}

/// Fires a tracepoint of an event (`Insert` to `Merge`), with the state and event `args`
/// gives.
#[inline(always)]
pub(crate) fn event(kind: Kind, args: impl FnOnce() -> (Mon, Event)) {
    if enabled(kind) {
        fire_event(kind, args);
    }
}

/// The out-of-line part of [`event`].
#[cold]
#[inline(never)]
fn fire_event(kind: Kind, args: impl FnOnce() -> (Mon, Event)) {
    let (mon, ev) = args();
    // SAFETY: A valid state and event, read during the call only.
    unsafe { shim::xfs_hm_trace_event(kind, &mon, &ev) }
}

/// Fires `xfs_healthmon_report_{fs,group,inode}` (by the event's domain).
#[inline(always)]
pub(crate) fn report_metadata(
    domain_on: MetadataDomain,
    args: impl FnOnce() -> (Mon, u32, u32, Event),
) {
    if report_metadata_on(domain_on) {
        fire_report_metadata(args);
    }
}

/// Whether `xfs_healthmon_report_{fs,group,inode}` (by `domain`) is enabled.
#[inline(always)]
pub(crate) fn report_metadata_on(domain: MetadataDomain) -> bool {
    match domain {
        MetadataDomain::Fs => report_fs_on(),
        MetadataDomain::Group => report_group_on(),
        MetadataDomain::Inode => report_inode_on(),
    }
}

/// The out-of-line part of [`report_metadata`].
#[cold]
#[inline(never)]
fn fire_report_metadata(args: impl FnOnce() -> (Mon, u32, u32, Event)) {
    let (mon, old, new, ev) = args();
    // SAFETY: A valid state and event, read during the call only.
    unsafe { shim::xfs_hm_trace_report_metadata(&mon, old, new, &ev) }
}

/// Which of the metadata report tracepoints a report fires.
pub(crate) enum MetadataDomain {
    /// `xfs_healthmon_report_fs`.
    Fs,
    /// `xfs_healthmon_report_group`.
    Group,
    /// `xfs_healthmon_report_inode`.
    Inode,
}

/// Fires `xfs_healthmon_report_shutdown`.
#[inline(always)]
pub(crate) fn report_shutdown(mon: impl FnOnce() -> Mon, flags: u32) {
    if report_shutdown_on() {
        fire_report_shutdown(mon, flags);
    }
}

/// The out-of-line part of [`report_shutdown`].
#[cold]
#[inline(never)]
fn fire_report_shutdown(mon: impl FnOnce() -> Mon, flags: u32) {
    // SAFETY: A valid state, read during the call only.
    unsafe { shim::xfs_hm_trace_report_shutdown(&mon(), flags) }
}

/// Fires `xfs_healthmon_report_media` for device `fdev` (`enum xfs_device`).
#[inline(always)]
pub(crate) fn report_media(args: impl FnOnce() -> (Mon, Event), fdev: u32) {
    if report_media_on() {
        fire_report_media(args, fdev);
    }
}

/// The out-of-line part of [`report_media`].
#[cold]
#[inline(never)]
fn fire_report_media(args: impl FnOnce() -> (Mon, Event), fdev: u32) {
    let (mon, ev) = args();
    // SAFETY: A valid state and event, read during the call only.
    unsafe { shim::xfs_hm_trace_report_media(&mon, fdev, &ev) }
}

/// Fires `xfs_healthmon_report_file_ioerror` with fserror's event.
#[inline(always)]
pub(crate) fn report_file_ioerror(mon: impl FnOnce() -> Mon, p: &FserrorEvent) {
    if report_file_ioerror_on() {
        fire_report_file_ioerror(mon, p);
    }
}

/// The out-of-line part of [`report_file_ioerror`].
#[cold]
#[inline(never)]
fn fire_report_file_ioerror(mon: impl FnOnce() -> Mon, p: &FserrorEvent) {
    // SAFETY: A valid state, and a live fserror event, read during the call only.
    unsafe { shim::xfs_hm_trace_report_file_ioerror(&mon(), p.0.get()) }
}

/// Fires `xfs_healthmon_copybuf`: the buffer in `mon`, `iter_count` bytes of room.
#[inline(always)]
pub(crate) fn copybuf(mon: impl FnOnce() -> Mon, iter_count: usize) {
    if copybuf_on() {
        // SAFETY: A valid state, read during the call only.
        unsafe { shim::xfs_hm_trace_copybuf(&mon(), iter_count) }
    }
}

/// Fires `xfs_healthmon_create`.
#[inline(always)]
pub(crate) fn create(dev: u32, flags: u64, format: u8) {
    if create_on() {
        // SAFETY: Plain values.
        unsafe { shim::xfs_hm_trace_create(dev, flags, format) }
    }
}
