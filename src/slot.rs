//! The cell the `mpsc` ring is made of (a value and, beside it in the same
//! cache line, a stamp that says whose the value is), and the dropping of
//! what both rings hold when they go.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::mem::MaybeUninit;

use crate::loom::{AtomicUsize, UnsafeCell};
use crate::CapacityError;

/// One cell of a ring. What the stamp means, and so when the value is
/// initialised, is the owning ring's protocol (see `spsc::Shared` and
/// `mpsc::Shared`).
pub(crate) struct Slot<T> {
    pub(crate) stamp: AtomicUsize,
    pub(crate) value: UnsafeCell<MaybeUninit<T>>,
}

/// Allocates the slots of a ring asked to hold `capacity` items: `len(capacity)`
/// of them, slot `i`'s stamp starting at `stamp(i)`, values uninitialised.
///
/// Capacity 0 is [`CapacityError::Zero`]; a slot count that `len` cannot
/// compute, whose memory overflows, or that cannot be allocated is
/// [`CapacityError::TooLarge`] (never an abort).
pub(crate) fn alloc<T>(
    capacity: usize,
    len: impl FnOnce(usize) -> Option<usize>,
    mut stamp: impl FnMut(usize) -> usize,
) -> Result<Box<[Slot<T>]>, CapacityError> {
    if capacity == 0 {
        return Err(CapacityError::Zero);
    }
    let too_large = CapacityError::TooLarge {
        requested: capacity,
    };
    let len = len(capacity).ok_or(too_large)?;
    // Positions are compared with wrapping arithmetic, which needs the slot
    // count to stay far below `usize::MAX`.
    if len > isize::MAX as usize / 2 || Layout::array::<Slot<T>>(len).is_err() {
        return Err(too_large);
    }
    let mut slots = Vec::new();
    slots.try_reserve_exact(len).map_err(|_| too_large)?;
    slots.extend((0..len).map(|i| Slot {
        stamp: AtomicUsize::new(stamp(i)),
        value: UnsafeCell::new(MaybeUninit::uninit()),
    }));
    Ok(slots.into_boxed_slice())
}

/// Drops the value of every cell `cells` yields, all of them even if one's
/// `Drop` panics: as a `Vec` does, the rest are dropped while that panic
/// unwinds (a second panic then aborts, as anywhere in Rust), and the
/// first panic goes on to the caller. Nothing is dropped twice.
///
/// # Safety
///
/// - every cell `cells` yields holds an initialised value, and yields it
///   once;
/// - nothing reads or drops those values again.
pub(crate) unsafe fn drop_values<'a, T: 'a, I>(cells: I)
where
    I: Iterator<Item = &'a UnsafeCell<MaybeUninit<T>>>,
{
    /// Drops what is left in the iterator: normally nothing, but everything
    /// after a panicking `Drop` while it unwinds.
    struct Rest<'a, T: 'a, I: Iterator<Item = &'a UnsafeCell<MaybeUninit<T>>>>(I);

    impl<'a, T: 'a, I: Iterator<Item = &'a UnsafeCell<MaybeUninit<T>>>> Drop for Rest<'a, T, I> {
        fn drop(&mut self) {
            for cell in &mut self.0 {
                // SAFETY: the caller's contract: initialised, yielded once,
                // never touched again.
                cell.with_mut(|p| unsafe { (*p).assume_init_drop() });
            }
        }
    }

    let mut rest = Rest(cells);
    for cell in &mut rest.0 {
        // SAFETY: as in `Rest::drop`; a cell leaves the iterator before its
        // value is dropped, so the guard never drops it again.
        cell.with_mut(|p| unsafe { (*p).assume_init_drop() });
    }
}
