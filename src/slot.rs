//! The cell both rings are made of: a value and, beside it in the same
//! cache line, a stamp that says whose the value is.

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
