// SPDX-License-Identifier: GPL-2.0

//! A monitor's memory: its allocation and its ring's, straight from `kmalloc()` and
//! `kvmalloc()`, and both given back in one RCU callback.

use super::raw;
use super::shim;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::alloc::allocator::KVmalloc;
use kernel::alloc::allocator::Kmalloc;
use kernel::alloc::Allocator;
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
        // What kmalloc() guarantees without being asked (ARCH_KMALLOC_MINALIGN).
        assert!(core::mem::align_of::<T>() <= Kmalloc::MIN_ALIGN);
    }
    // SAFETY: The shim takes no pointer and has no precondition: any size is valid, and
    // kmalloc()/kvmalloc() return NULL for what they cannot give, which is checked below.
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
        // What kvmalloc() guarantees: kmalloc()'s alignment, or vmalloc()'s page.
        assert!(core::mem::align_of::<T>() <= KVmalloc::MIN_ALIGN);
    }
    let bytes = capacity
        .checked_mul(core::mem::size_of::<T>())
        .filter(|&b| b > 0 && b <= isize::MAX as usize)
        .ok_or(ENOMEM)?;
    // SAFETY: The shim takes no pointer and has no precondition: any size is valid, and
    // kmalloc()/kvmalloc() return NULL for what they cannot give, which is checked below.
    let p = unsafe { shim::xfs_hm_kvmalloc(bytes) };
    let p = NonNull::new(p.cast::<T>()).ok_or(ENOMEM)?;
    // SAFETY: A `kvmalloc()` block of `capacity` `T`s (no more than `isize::MAX` bytes), aligned
    // for `T` (above), owned by nobody else: what
    // `KVmalloc` allocates, and what it frees (`kvrealloc()` to zero is `kvfree()`).  No
    // element is initialised, and the length is zero.
    Ok(unsafe { KVVec::from_raw_parts(p.as_ptr(), 0, capacity) })
}

/// Frees a monitor and its ring once every RCU reader that may have found the monitor is gone,
/// in one callback, without running any destructor.  The memory may go as soon as this
/// returns.
///
/// # Safety
///
/// - `hm` is a [`kbox_uninit`] allocation that nothing but RCU readers can reach any more, and
///   whatever it holds may be freed without being dropped;
/// - `free` points to a [`FreeLater`] inside it, and this is its only use;
/// - `ring`, if any, is a `kvmalloc()` block (such as [`kvvec_with_capacity`]'s) that nothing
///   uses any more and whose contents need no drop.
pub(crate) unsafe fn free_later(
    free: *mut FreeLater,
    hm: NonNull<raw::xfs_hm_monitor>,
    ring: Option<NonNull<u8>>,
) {
    let ring = ring.map_or(core::ptr::null_mut(), |p| p.as_ptr().cast());
    // SAFETY: `free` is room for `struct xfs_hm_free` (asserted the same size on both sides)
    // that nothing else uses, inside `hm`, which stays allocated until `call_rcu()` has taken
    // it (the callback frees it a grace period later, last); `kfree()` and `kvfree()` take `hm`
    // and `ring` (the caller's promise), once.  No reference to `free` outlives the call.
    unsafe {
        shim::xfs_hm_free_later(
            Opaque::cast_into(core::ptr::addr_of!((*free).0)).cast(),
            hm.as_ptr(),
            ring,
        )
    }
}
