// SPDX-License-Identifier: GPL-2.0

//! The XFS and VFS objects the monitor touches, as Rust types over the C structures.

use super::raw;
use super::shim;
use super::LockedMonitor;
use super::ReportRcu;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::ffi::c_int;
use kernel::fs::File;
use kernel::prelude::*;
use kernel::types::Opaque;

/// An XFS mount (`struct xfs_mount`).
///
/// # Invariants
///
/// A `&Mount` is only made from a mount that lives for the reference's lifetime.
#[repr(transparent)]
pub(crate) struct Mount(Opaque<raw::xfs_mount>);

/// An XFS inode (`struct xfs_inode`), live for the reference's lifetime.
#[repr(transparent)]
pub(crate) struct Inode(Opaque<raw::xfs_inode>);

/// An XFS allocation or realtime group (`struct xfs_group`), live for the reference's lifetime.
#[repr(transparent)]
pub(crate) struct Group(Opaque<raw::xfs_group>);

/// A file I/O error passed on by fserror (`struct fserror_event`), live for the reference's
/// lifetime.
#[repr(transparent)]
pub(crate) struct FserrorEvent(pub(super) Opaque<raw::fserror_event>);

/// A superblock (`struct super_block`), live for the reference's lifetime.
#[repr(transparent)]
pub(crate) struct SuperBlock(Opaque<raw::super_block>);

impl Mount {
    /// The mount at `ptr`, or `None` for NULL.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or a mount that lives for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut raw::xfs_mount) -> Option<&'a Mount> {
        // SAFETY: `Mount` is a transparent wrapper of the C structure, and the caller guarantees
        // that a non-NULL `ptr` is a mount that lives for `'a`.
        unsafe { ptr.cast::<Mount>().as_ref() }
    }

    pub(super) fn as_ptr(&self) -> *mut raw::xfs_mount {
        self.0.get()
    }

    /// Whether a monitor is published on the mount (a look without any lock).
    pub(crate) fn is_monitored(&self) -> bool {
        // SAFETY: A live mount; the shim only reads the value of its monitor pointer.
        unsafe { shim::xfs_hm_monitored(self.as_ptr()) }
    }

    /// The monitor published on the mount, with its report lock held.
    #[inline]
    pub(crate) fn report_lock(&self) -> Option<LockedMonitor> {
        let rcu = ReportRcu::enter();
        // SAFETY: A live mount; the result, with the lock it holds, is handed over, and `rcu` was
        // entered before the call.
        unsafe { LockedMonitor::new(rcu, shim::xfs_hm_report_lock(self.as_ptr())) }
    }

    /// The mount's superblock (set for the mount's whole life).
    pub(crate) fn sb(&self) -> Option<&SuperBlock> {
        // SAFETY: A live mount, whose `m_super` lives as long as the mount.
        unsafe {
            shim::xfs_hm_mount_sb(self.as_ptr())
                .cast::<SuperBlock>()
                .as_ref()
        }
    }

    /// The filesystem's device number.
    pub(crate) fn dev(&self) -> u32 {
        // SAFETY: A live mount, whose superblock is set for its whole life.
        unsafe { shim::xfs_hm_mount_dev(self.as_ptr()) }
    }
}

impl Inode {
    /// The inode at `ptr`, or `None` for NULL.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or an inode that lives for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut raw::xfs_inode) -> Option<&'a Inode> {
        // SAFETY: A transparent wrapper; the caller guarantees the inode lives for `'a`.
        unsafe { ptr.cast::<Inode>().as_ref() }
    }

    /// The monitor of the inode's mount, with its report lock held, and the inode's number and
    /// generation.
    #[inline]
    pub(crate) fn report_lock(&self) -> Option<(LockedMonitor, u64, u32)> {
        let (mut ino, mut gen) = (0, 0);
        let rcu = ReportRcu::enter();
        // SAFETY: A live inode, and the others valid places to write.
        let hm = unsafe { shim::xfs_hm_inode_report_lock(self.0.get(), &mut ino, &mut gen) };
        // SAFETY: The shim's result, with the lock it holds, called after `rcu` was entered.
        Some((unsafe { LockedMonitor::new(rcu, hm) }?, ino, gen))
    }

    /// [`Inode::report_lock`] for file I/O error `p` on this inode, with the inode's and the
    /// error's fields, read in the same call.
    #[inline]
    pub(crate) fn fileio_report_lock(
        &self,
        p: &FserrorEvent,
    ) -> Option<(LockedMonitor, FileIoFields)> {
        let mut f = FileIoFields::default();
        let rcu = ReportRcu::enter();
        // SAFETY: A live inode and fserror event, and a valid place to write.
        let hm = unsafe { shim::xfs_hm_fileio_report_lock(self.0.get(), p.0.get(), &mut f) };
        // SAFETY: The shim's result, with the lock it holds, called after `rcu` was entered.
        Some((unsafe { LockedMonitor::new(rcu, hm) }?, f))
    }
}

/// What kind of group a [`Group`] is.
pub(crate) enum GroupKind {
    /// An allocation group.
    Ag,
    /// A realtime group.
    Rtgroup,
}

impl Group {
    /// The group at `ptr`, or `None` for NULL.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or a group that lives for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut raw::xfs_group) -> Option<&'a Group> {
        // SAFETY: A transparent wrapper; the caller guarantees the group lives for `'a`.
        unsafe { ptr.cast::<Group>().as_ref() }
    }

    /// The monitor of the group's mount, with its report lock held, and the group's number and
    /// kind; `None` for a group of another kind (there is none yet).
    #[inline]
    pub(crate) fn report_lock(&self) -> Option<(LockedMonitor, u32, GroupKind)> {
        let (mut gno, mut kind) = (0, 0);
        let rcu = ReportRcu::enter();
        // SAFETY: A live group, and the others valid places to write.
        let hm = unsafe { shim::xfs_hm_group_report_lock(self.0.get(), &mut gno, &mut kind) };
        // SAFETY: The shim's result, with the lock it holds, called after `rcu` was entered.
        let found = unsafe { LockedMonitor::new(rcu, hm) }?;
        match kind {
            0 => Some((found, gno, GroupKind::Ag)),
            1 => Some((found, gno, GroupKind::Rtgroup)),
            _ => None,
        }
    }
}

/// What a file I/O error report needs of the inode and of fserror's event
/// (`struct xfs_hm_fileio` of the shim).
#[repr(C)]
#[derive(Default)]
pub(crate) struct FileIoFields {
    /// The inode number.
    pub(crate) ino: u64,
    /// Start of the file range.
    pub(crate) pos: i64,
    /// Length of the file range.
    pub(crate) len: u64,
    /// The inode generation.
    pub(crate) gen: u32,
    /// `enum fserror_type`.
    pub(crate) ty: u32,
    /// The negative errno.
    pub(crate) error: i32,
}

// The layout of `struct xfs_hm_fileio`, which the shim asserts too.
const _: () = {
    assert!(core::mem::size_of::<FileIoFields>() == 40);
    assert!(core::mem::offset_of!(FileIoFields, pos) == 8);
    assert!(core::mem::offset_of!(FileIoFields, len) == 16);
    assert!(core::mem::offset_of!(FileIoFields, gen) == 24);
    assert!(core::mem::offset_of!(FileIoFields, ty) == 28);
    assert!(core::mem::offset_of!(FileIoFields, error) == 32);
};

impl FserrorEvent {
    /// The event at `ptr`, or `None` for NULL.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or an fserror event that lives for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const raw::fserror_event) -> Option<&'a FserrorEvent> {
        // SAFETY: A transparent wrapper; the caller guarantees the event lives for `'a`.
        unsafe { ptr.cast::<FserrorEvent>().as_ref() }
    }
}

impl SuperBlock {
    /// The superblock's address, which identifies it (a monitor's weak reference to its mount).
    pub(crate) fn addr(&self) -> usize {
        self.0.get() as usize
    }
}

/// Whether the caller may monitor the filesystem of XFS file `file` (privileged, on the root
/// directory, in the initial user namespace), checked in the C monitor's order.
pub(crate) fn may_monitor(file: &File) -> bool {
    // SAFETY: A live XFS file (the ioctl was called on it).
    unsafe { shim::xfs_hm_may_monitor(file.as_ptr()) }
}

/// The mount of XFS file `file`, which outlives the open file.
pub(crate) fn file_mount(file: &File) -> Option<&Mount> {
    // SAFETY: A live XFS file; its inode's mount lives at least as long as the file is open.
    unsafe { Mount::from_raw(shim::xfs_hm_file_mount(file.as_ptr())) }
}

/// The superblock address of the file behind `fd`, for comparison; EBADF for a bad fd.
pub(crate) fn fd_super(fd: i32) -> Result<usize> {
    let mut sb = 0usize;
    // SAFETY: `sb` is a valid place for the shim to write to; the fd is looked up and released
    // inside the shim.
    kernel::error::to_result(unsafe { shim::xfs_hm_fd_super(fd, &mut sb) })?;
    Ok(sb)
}

/// Installs a read-only, close-on-exec anonymous-inode fd ("xfs_healthmon") with operations
/// `fops` and private data `hm`, and returns it.
///
/// # Safety
///
/// `hm` is what the operations of `fops` expect in `file->private_data`; on success the
/// new file owns it, and the operations may use it until `release`.
pub(crate) unsafe fn anon_inode_getfd(
    fops: &'static bindings::file_operations,
    hm: NonNull<raw::xfs_hm_monitor>,
) -> Result<c_int> {
    // SAFETY: A static operations table and the private data the caller vouches for.
    let fd = unsafe { shim::xfs_hm_anon_inode_getfd(fops, hm.as_ptr()) };
    if fd < 0 {
        return Err(Error::from_errno(fd));
    }
    Ok(fd)
}
