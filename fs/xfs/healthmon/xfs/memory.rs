// SPDX-License-Identifier: GPL-2.0

//! A monitor's memory: its allocation and its ring's, straight from `kmalloc()` and
//! `kvmalloc()`, and both given back in one RCU callback.

use super::raw;
use super::shim;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::types::Opaque;

/// Room for `struct xfs_hm_free` of `healthmon_shim.h` (an `rcu_head` and two pointers), which
/// [`free_later`] fills in: a monitor holds one, so that its free needs no allocation.
#[repr(transparent)]
pub(crate) struct FreeLater(Opaque<[usize; 4]>);

impl FreeLater {
    /// Room not yet used: nothing to initialise.
    pub(crate) const fn new() -> Self {
        FreeLater(Opaque::uninit())
    }
}

/// Memory for one `T`, uninitialised, from `kmalloc()` directly: `KBox::new_uninit()` goes
/// through `krealloc()` of NULL and a `kfree(NULL)`, which cost a monitor's creation about 70
/// instructions.
pub(crate) fn kbox_uninit<T>() -> Result<KBox<MaybeUninit<T>>> {
    const {
        assert!(core::mem::size_of::<T>() > 0);
        // What kmalloc() guarantees (ARCH_KMALLOC_MINALIGN, on the architectures that build
        // this) without being asked.
        assert!(core::mem::align_of::<T>() <= 8);
    }
    // SAFETY: Allocates, or returns NULL.
    let p = unsafe { shim::xfs_hm_kmalloc(core::mem::size_of::<T>()) };
    let p = NonNull::new(p.cast::<MaybeUninit<T>>()).ok_or(ENOMEM)?;
    // SAFETY: A `kmalloc()` block of `size_of::<T>()` bytes, aligned for `T` (above), owned by
    // nobody else: what `Kmalloc` allocates, and what it frees (`krealloc()` to zero is
    // `kfree()`); a `MaybeUninit` holds a valid value whatever the memory's contents.
    Ok(unsafe { KBox::from_raw(p.as_ptr()) })
}

/// An empty vector with room for `capacity` `T`s, from `kvmalloc()` directly: `KVVec` would go
/// through `kvrealloc()` and `krealloc()` of NULL and a `kfree(NULL)`, about 110 instructions
/// more for the ring of a monitor.
pub(crate) fn kvvec_with_capacity<T>(capacity: usize) -> Result<KVVec<T>> {
    const {
        assert!(core::mem::size_of::<T>() > 0);
        assert!(core::mem::align_of::<T>() <= 8);
    }
    let bytes = capacity
        .checked_mul(core::mem::size_of::<T>())
        .filter(|&b| b > 0 && b <= isize::MAX as usize)
        .ok_or(ENOMEM)?;
    // SAFETY: Allocates, or returns NULL.
    let p = unsafe { shim::xfs_hm_kvmalloc(bytes) };
    let p = NonNull::new(p.cast::<T>()).ok_or(ENOMEM)?;
    // SAFETY: A `kvmalloc()` block of `capacity` `T`s (no more than `isize::MAX` bytes), aligned
    // for `T` (`kmalloc()` gives at least 8, `vmalloc()` a page), owned by nobody else: what
    // `KVmalloc` allocates, and what it frees (`kvrealloc()` to zero is `kvfree()`).  No
    // element is initialised, and the length is zero.
    Ok(unsafe { KVVec::from_raw_parts(p.as_ptr(), 0, capacity) })
}

/// Frees a monitor and its ring once every RCU reader that may have found the monitor is gone,
/// in one callback, without running any destructor.
///
/// # Safety
///
/// - `hm` is a [`kbox_uninit`] allocation that nothing but RCU readers can reach any more, and
///   whatever it holds may be freed without being dropped;
/// - `free` is inside it, and this is its only use;
/// - `ring`, if any, is a `kvmalloc()` block (such as [`kvvec_with_capacity`]'s) that nothing
///   uses any more and whose contents need no drop.
pub(crate) unsafe fn free_later(
    free: &FreeLater,
    hm: NonNull<raw::xfs_hm_monitor>,
    ring: Option<NonNull<u8>>,
) {
    let ring = ring.map_or(core::ptr::null_mut(), |p| p.as_ptr().cast());
    // SAFETY: `free` is room for `struct xfs_hm_free` (asserted the same size on both sides)
    // that nothing else uses, inside `hm`, which stays allocated until the callback frees it
    // last; `kfree()` and `kvfree()` take `hm` and `ring` (the caller's promise), once.
    unsafe { shim::xfs_hm_free_later(free.0.get().cast(), hm.as_ptr(), ring) }
}
