//! The ring's memory: *groups*, each a stamp followed by as many values as
//! fit beside it in one 64-byte cache line (at least one value).
//!
//! For `u64` items a group is one line holding a stamp and 7 values; for
//! items of 56 bytes or more it holds one value. A consumer that has caught
//! up with the producer learns from the stamp of the group it reads that a
//! run of items is ready, so an item crosses between cores in the cache line
//! that carries it, and the producer writes one stamp per line it fills,
//! not one per item.
//!
//! Values sit at positions in a sequence of cells, `PER_GROUP` per group;
//! each half walks it with a [`Cursor`] that moves with its position, so no
//! position is ever divided by the group size on a hot path.

use alloc::alloc::{alloc, dealloc};
use core::alloc::Layout;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;

use crate::loom::{AtomicUsize, UnsafeCell};
use crate::CapacityError;

/// One value's cell.
pub(super) type Cell<T> = UnsafeCell<MaybeUninit<T>>;

/// The cache line a group fills when its items are small.
const LINE: usize = 64;

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// `n` rounded up to a multiple of `align` (a power of two).
const fn round_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}

/// The layout of a group of `T`s, computed at compile time.
pub(super) struct Shape<T>(PhantomData<T>);

impl<T> Shape<T> {
    const STAMP: Layout = Layout::new::<AtomicUsize>();
    const CELL: Layout = Layout::new::<Cell<T>>();
    /// Where a group's first value starts, from the group's start.
    const VALUES_AT: usize = round_up(Self::STAMP.size(), Self::CELL.align());
    /// Values per group. Under loom, always 2, so that small models cross
    /// groups. A zero-sized `T` takes no room: 64 of them share a stamp.
    pub(super) const PER_GROUP: usize = if cfg!(loom) {
        2
    } else if Self::CELL.size() == 0 {
        LINE
    } else if Self::VALUES_AT + Self::CELL.size() >= LINE {
        1
    } else {
        (LINE - Self::VALUES_AT) / Self::CELL.size()
    };
    /// Bytes from one group to the next: a whole line when a group fits in
    /// one (so that no two groups share a line), else what it needs.
    const STRIDE: usize = {
        let used = Self::VALUES_AT + Self::PER_GROUP * Self::CELL.size();
        if used <= LINE && Self::CELL.size() > 0 {
            LINE
        } else {
            round_up(used, max(Self::STAMP.align(), Self::CELL.align()))
        }
    };
    /// The allocation's alignment: groups start on line boundaries.
    const ALIGN: usize = max(max(Self::STAMP.align(), Self::CELL.align()), LINE);

    /// The memory of `count` groups, if it has a layout.
    fn layout(count: usize) -> Option<Layout> {
        let size = count.checked_mul(Self::STRIDE)?;
        Layout::from_size_align(size, Self::ALIGN).ok()
    }
}

/// Where a half is in the sequence of cells: value `offset` of the group
/// that starts at `group`. Moves in step with the half's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cursor {
    /// Which group: `0 .. count`.
    group: usize,
    /// `0 .. PER_GROUP`.
    offset: usize,
}

impl Cursor {
    /// Which value of its group the cursor is at; 0 at a group's start.
    #[inline(always)]
    pub(super) fn offset(self) -> usize {
        self.offset
    }
}

/// A view of the groups, copied into each half so that the hot paths do not
/// chase the `Arc`. Valid while the [`Groups`] it came from lives.
pub(super) struct Cells<T> {
    /// Invariant: the start of `count` groups laid out by `Shape<T>`, each
    /// stamp and value cell constructed (the values not necessarily
    /// initialised), for as long as the owning `Groups` lives.
    base: NonNull<u8>,
    /// Groups in the ring: at least 1.
    count: usize,
    _values: PhantomData<*const T>,
}

impl<T> Clone for Cells<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Cells<T> {}

impl<T> Cells<T> {
    /// Values per group.
    pub(super) const PER_GROUP: usize = Shape::<T>::PER_GROUP;

    /// The number of cells: at least the ring's capacity.
    pub(super) fn len(&self) -> usize {
        self.count * Self::PER_GROUP
    }

    /// The first cell, where both halves start.
    pub(super) fn first(&self) -> Cursor {
        Cursor {
            group: 0,
            offset: 0,
        }
    }

    /// The start of the group `at` is in, after checking the cursor's
    /// invariant (in debug builds).
    #[inline(always)]
    fn group(&self, at: Cursor) -> *mut u8 {
        debug_assert!(
            at.group < self.count && at.offset < Self::PER_GROUP,
            "a cursor outside the ring: {at:?}"
        );
        // SAFETY: `at.group < count` (cursor invariant), so the group lies
        // in the allocation.
        unsafe { self.base.as_ptr().add(at.group * Shape::<T>::STRIDE) }
    }

    /// The stamp of the group `at` is in.
    #[inline(always)]
    pub(super) fn stamp(&self, at: Cursor) -> &AtomicUsize {
        // SAFETY: a group's stamp is constructed at its start (field
        // invariant); groups start at multiples of `STRIDE` from an
        // allocation aligned for the stamp.
        unsafe { &*self.group(at).cast::<AtomicUsize>() }
    }

    /// The value cells of the group `at` is in.
    #[inline(always)]
    pub(super) fn values(&self, at: Cursor) -> &[Cell<T>] {
        // SAFETY: the group's `PER_GROUP` cells follow its stamp at
        // `VALUES_AT`, contiguous, aligned and constructed, inside the
        // allocation (field invariant; `Shape::STRIDE` leaves room for them).
        unsafe {
            core::slice::from_raw_parts(
                self.group(at).add(Shape::<T>::VALUES_AT).cast::<Cell<T>>(),
                Self::PER_GROUP,
            )
        }
    }

    /// The cell at `at`.
    #[inline(always)]
    pub(super) fn cell(&self, at: Cursor) -> &Cell<T> {
        // SAFETY: as in `values`, and `offset < PER_GROUP` (cursor
        // invariant).
        unsafe {
            &*self
                .group(at)
                .add(Shape::<T>::VALUES_AT)
                .cast::<Cell<T>>()
                .add(at.offset)
        }
    }

    /// The first cell of the group after the one `at` is in.
    #[inline(always)]
    pub(super) fn next_group(&self, at: Cursor) -> Cursor {
        let group = at.group + 1;
        Cursor {
            group: if group == self.count { 0 } else { group },
            offset: 0,
        }
    }

    /// The cursor one cell after `at`.
    #[inline(always)]
    pub(super) fn next(&self, at: Cursor) -> Cursor {
        if at.offset + 1 < Self::PER_GROUP {
            Cursor {
                group: at.group,
                offset: at.offset + 1,
            }
        } else {
            self.next_group(at)
        }
    }

    /// The cursor `n` cells after `at`; `n` is at most the cell count.
    #[inline(always)]
    pub(super) fn skip(&self, at: Cursor, n: usize) -> Cursor {
        debug_assert!(n <= self.len());
        let offset = at.offset + n;
        let group = at.group + offset / Self::PER_GROUP;
        Cursor {
            group: if group >= self.count {
                group - self.count
            } else {
                group
            },
            offset: offset % Self::PER_GROUP,
        }
    }

    /// Calls `f` with the `n` cells from `at`, as one contiguous slice per
    /// group they touch, in order, each with a cursor in its group. Whole
    /// groups come as slices of a length known at compile time.
    #[inline(always)]
    pub(super) fn for_each_run(&self, at: Cursor, n: usize, mut f: impl FnMut(Cursor, &[Cell<T>])) {
        debug_assert!(n <= self.len());
        if n == 0 {
            return;
        }
        // The first group, from `at.offset`.
        let first = (Self::PER_GROUP - at.offset).min(n);
        f(at, &self.values(at)[at.offset..at.offset + first]);
        let left = n - first;
        let at = self.next_group(at);
        // Whole groups: up to the end of the cycle, then from its start.
        let whole = left / Self::PER_GROUP;
        let before_end = whole.min(self.count - at.group);
        for group in at.group..at.group + before_end {
            let at = Cursor { group, offset: 0 };
            f(at, self.values(at));
        }
        for group in 0..whole - before_end {
            let at = Cursor { group, offset: 0 };
            f(at, self.values(at));
        }
        // The last group, up to where the run ends.
        let last = left % Self::PER_GROUP;
        if last > 0 {
            let at = self.skip(at, whole * Self::PER_GROUP);
            f(at, &self.values(at)[..last]);
        }
    }

    /// The cell index of `at`, `0 .. len()`, for `Shared`'s `Drop`.
    pub(super) fn index(&self, at: Cursor) -> usize {
        at.group * Self::PER_GROUP + at.offset
    }

    /// The cursor of cell index `index`.
    pub(super) fn cursor(&self, index: usize) -> Cursor {
        debug_assert!(index < self.len());
        self.skip(self.first(), index)
    }
}

/// Writes copies of the `cells.len()` values at `src` into `cells`.
///
/// # Safety
///
/// `src` is valid for reading that many values; every cell is free: no
/// value in it is initialised or read meanwhile.
#[inline(always)]
pub(super) unsafe fn write_copies<T: Copy>(cells: &[Cell<T>], src: *const T) {
    #[cfg(not(loom))]
    {
        // `Cell<T>` is laid out as a `T` (both wrappers are transparent).
        let dst = Cell::<T>::raw_get(cells.as_ptr()).cast::<T>();
        // SAFETY: `dst` holds `cells.len()` cells that nothing else touches,
        // and `src` as many values (the caller's contract).
        unsafe { copy_run(src, dst, cells.len()) };
    }
    #[cfg(loom)]
    for (i, cell) in cells.iter().enumerate() {
        // SAFETY: the caller's contract.
        cell.with_mut(|p| unsafe { p.write(MaybeUninit::new(*src.add(i))) });
    }
}

/// Copies the values of `cells` to `dst`.
///
/// # Safety
///
/// `dst` is valid for writing `cells.len()` values; every cell holds an
/// initialised value that nothing writes meanwhile.
#[inline(always)]
pub(super) unsafe fn read_copies<T: Copy>(cells: &[Cell<T>], dst: *mut T) {
    #[cfg(not(loom))]
    {
        let src = Cell::<T>::raw_get(cells.as_ptr()).cast::<T>();
        // SAFETY: `src` holds `cells.len()` initialised values, and `dst`
        // has room for them (the caller's contract).
        unsafe { copy_run(src, dst, cells.len()) };
    }
    #[cfg(loom)]
    for (i, cell) in cells.iter().enumerate() {
        // SAFETY: the caller's contract.
        cell.with(|p| unsafe { dst.add(i).write((*p).assume_init_read()) });
    }
}

/// Copies `n` values, at most a group's worth, from `src` to `dst`: a whole
/// group as a copy whose size is known at compile time (a few vector moves,
/// not a call to `memcpy`).
///
/// # Safety
///
/// `src` is valid for reading and `dst` for writing `n` values, and they do
/// not overlap.
#[cfg(not(loom))]
#[inline(always)]
unsafe fn copy_run<T: Copy>(src: *const T, dst: *mut T, n: usize) {
    debug_assert!(n <= Shape::<T>::PER_GROUP);
    if n == Shape::<T>::PER_GROUP {
        for i in 0..Shape::<T>::PER_GROUP {
            // SAFETY: `i < n`; the caller's contract.
            unsafe { dst.add(i).write(src.add(i).read()) };
        }
    } else {
        // SAFETY: the caller's contract.
        unsafe { core::ptr::copy_nonoverlapping(src, dst, n) };
    }
}

/// The allocation of a ring's groups; frees it on drop (dropping no value:
/// that is `Shared`'s job, which knows which cells hold one).
pub(super) struct Groups<T> {
    cells: Cells<T>,
}

impl<T> Groups<T> {
    /// Allocates groups for at least `capacity` cells, every stamp set to
    /// `stamp`.
    ///
    /// Capacity 0 is [`CapacityError::Zero`]; a ring whose memory overflows
    /// or cannot be allocated is [`CapacityError::TooLarge`], never an
    /// abort.
    pub(super) fn new(capacity: usize, stamp: usize) -> Result<Self, CapacityError> {
        if capacity == 0 {
            return Err(CapacityError::Zero);
        }
        let too_large = CapacityError::TooLarge {
            requested: capacity,
        };
        let count = capacity.div_ceil(Shape::<T>::PER_GROUP);
        // Positions are compared with wrapping arithmetic, which needs the
        // cell count to stay far below `usize::MAX`.
        let cells = count.checked_mul(Shape::<T>::PER_GROUP).ok_or(too_large)?;
        if cells > isize::MAX as usize / 4 {
            return Err(too_large);
        }
        let layout = Shape::<T>::layout(count).ok_or(too_large)?;
        // SAFETY: the layout's size is at least one stamp, so not zero.
        let base = NonNull::new(unsafe { alloc(layout) }).ok_or(too_large)?;
        let cells = Cells {
            base,
            count,
            _values: PhantomData,
        };
        for group in 0..count {
            let at = group * Shape::<T>::STRIDE;
            // SAFETY: inside the fresh allocation, aligned (see `stamp` and
            // `values`), and nothing was there to drop.
            unsafe {
                base.as_ptr()
                    .add(at)
                    .cast::<AtomicUsize>()
                    .write(AtomicUsize::new(stamp));
                let values = base
                    .as_ptr()
                    .add(at + Shape::<T>::VALUES_AT)
                    .cast::<Cell<T>>();
                for i in 0..Shape::<T>::PER_GROUP {
                    values.add(i).write(UnsafeCell::new(MaybeUninit::uninit()));
                }
            }
        }
        Ok(Self { cells })
    }

    /// A view for a half.
    pub(super) fn cells(&self) -> Cells<T> {
        self.cells
    }
}

impl<T> Drop for Groups<T> {
    fn drop(&mut self) {
        let cells = self.cells;
        if core::mem::needs_drop::<AtomicUsize>() || core::mem::needs_drop::<Cell<T>>() {
            // Only loom's stand-ins have something to drop.
            for group in 0..cells.count {
                let at = group * Shape::<T>::STRIDE;
                // SAFETY: constructed in `new` at these places, dropped once,
                // here; the cells hold no value any more (`Shared::drop`
                // dropped them) and a `MaybeUninit` drops nothing.
                unsafe {
                    let stamp = cells.base.as_ptr().add(at).cast::<AtomicUsize>();
                    core::ptr::drop_in_place(stamp);
                    let values = cells.base.as_ptr().add(at + Shape::<T>::VALUES_AT);
                    core::ptr::drop_in_place(core::ptr::slice_from_raw_parts_mut(
                        values.cast::<Cell<T>>(),
                        Shape::<T>::PER_GROUP,
                    ));
                }
            }
        }
        let layout = Shape::<T>::layout(cells.count).expect("the layout `new` allocated with");
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { dealloc(cells.base.as_ptr(), layout) };
    }
}
