//! The writing half of the ring.

use core::cell::Cell;
use core::fmt;
use core::mem::MaybeUninit;

use super::groups::{self, Cursor};
use super::Ring;
use crate::loom::Ordering::{Acquire, Relaxed, Release};
use crate::wake::OwnParker;
use crate::PushError;

/// The writing half of an [`spsc`](crate::spsc) ring.
///
/// `Producer` is `Send` but not `Sync`: only one thread pushes at a time,
/// which is what makes `push` wait-free.
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// let (tx, _rx) = handoff::spsc::channel::<u8>(1);
/// shared(&tx); // a Producer cannot be shared between threads
/// ```
///
/// ```
/// fn send<T: Send>(_: T) {}
/// let (tx, _rx) = handoff::spsc::channel::<u8>(1);
/// send(tx);
/// ```
pub struct Producer<T> {
    pub(super) ring: Ring<T>,
    /// Position the next push writes. Equal to `shared.tail` after every
    /// publication; `tail - shared.head <= capacity`.
    pub(super) tail: usize,
    /// The cell position `tail` lives in.
    at: Cursor,
    /// A value `shared.head` had; `cached_head <= shared.head <= tail`, so
    /// `capacity - (tail - cached_head)` never overstates the free slots.
    cached_head: Cell<usize>,
    /// The parker `push_blocking` and friends sleep on.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(super) own: OwnParker,
}

// SAFETY: the producer owns the writing end; moving it to another thread
// moves `T` values into the ring from there, so `T: Send` is all it needs.
// The raw slot pointer it holds is kept alive by its `Arc`.
unsafe impl<T: Send> Send for Producer<T> {}

impl<T> Producer<T> {
    pub(super) fn new(ring: Ring<T>) -> Self {
        // ordering: Relaxed; the ring is new, not shared yet.
        let tail = ring.shared.tail.load(Relaxed);
        Self {
            at: ring.cells.first(),
            ring,
            tail,
            cached_head: Cell::new(tail),
            own: OwnParker::default(),
        }
    }

    /// Pushes `value`, or hands it back in [`PushError::Full`] if the ring is
    /// full, or in [`PushError::Closed`] if the consumer is gone. Wait-free.
    ///
    /// ```
    /// use handoff::{spsc, PushError};
    ///
    /// let (mut tx, mut rx) = spsc::channel(1);
    /// assert_eq!(tx.push(1), Ok(()));
    /// assert_eq!(tx.push(2), Err(PushError::Full(2)));
    /// assert_eq!(rx.pop(), Some(1));
    /// assert_eq!(tx.push(2), Ok(()));
    /// drop(rx);
    /// assert_eq!(tx.push(3), Err(PushError::Closed(3)));
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), PushError<T>> {
        let tail = self.tail;
        if self.is_closed_relaxed() {
            return Err(PushError::Closed(value));
        }
        if self.free_from(self.cached_head.get()) == 0 && self.refresh_free() == 0 {
            return Err(PushError::Full(value));
        }
        let at = self.at;
        // Position `tail`'s cell is free: the consumer has moved past `tail
        // - capacity`, and so past the cell's previous position (checked
        // above, with an `Acquire` read of its head that orders its read of
        // the old value before this write).
        let cell = self.ring.cells.cell(at);
        // SAFETY: the cell is free (above) and only this producer writes it.
        cell.with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        let end = tail.wrapping_add(1);
        // The stamp goes right after the value, while this core holds the
        // line: with other stores between them, a consumer polling the
        // stamp can take the line away in between, and the stamp store then
        // pays a second transfer (measured: 1.0x against 1.6x rtrb).
        self.stamp(at, end);
        self.tail = end;
        self.at = self.ring.cells.next(at);
        self.publish_tail();
        Ok(())
    }

    /// Pushes as many items of `items` as fit, in order; returns how many
    /// went in. Wait-free. Items are published a cache line at a time (one
    /// stamp per line, one tail store per call), so a consumer may start on
    /// the first ones before the call returns. Pushes nothing once the
    /// consumer is gone (check [`is_closed`](Self::is_closed) on 0).
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(3);
    /// assert_eq!(tx.push_slice(&[1, 2, 3, 4]), 3);
    /// let mut out = [0; 4];
    /// assert_eq!(rx.pop_slice(&mut out), 3);
    /// assert_eq!(out, [1, 2, 3, 0]);
    /// ```
    #[inline]
    pub fn push_slice(&mut self, items: &[T]) -> usize
    where
        T: Copy,
    {
        if self.is_closed_relaxed() {
            return 0;
        }
        let mut free = self.free_from(self.cached_head.get());
        if free < items.len() {
            free = self.refresh_free();
        }
        let n = free.min(items.len());
        if n == 0 {
            return 0;
        }
        let at = self.at;
        let mut src = items.as_ptr();
        let mut end = self.tail;
        self.ring.cells.for_each_run(at, n, |group, cells| {
            // SAFETY: as in `push`, the cells' positions are among the
            // `free` ones the consumer has released; `for_each_run` hands
            // out `n <= items.len()` cells in all, so `src` stays in `items`.
            unsafe {
                groups::write_copies(cells, src);
                src = src.add(cells.len());
            }
            end = end.wrapping_add(cells.len());
            self.stamp(group, end);
        });
        self.tail = end;
        self.at = self.ring.cells.skip(at, n);
        self.publish_tail();
        n
    }

    /// Pushes items from `iter` until it ends or the ring is full; returns
    /// how many went in. Wait-free if the iterator is. Published a cache
    /// line at a time, as [`push_slice`](Self::push_slice). Pushes nothing
    /// once the consumer is gone.
    ///
    /// The iterator is not advanced past the last item that fits, so nothing
    /// is lost:
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(2);
    /// let mut words = vec!["a".to_string(), "b".into(), "c".into()].into_iter();
    /// assert_eq!(tx.push_iter(&mut words), 2);
    /// assert_eq!(words.next().as_deref(), Some("c"));
    /// assert_eq!(rx.drain(8).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    #[inline]
    pub fn push_iter<I: IntoIterator<Item = T>>(&mut self, iter: I) -> usize {
        let iter = iter.into_iter();
        let (lower, upper) = iter.size_hint();
        if self.is_closed_relaxed() {
            return 0;
        }
        let mut free = self.free_from(self.cached_head.get());
        // Re-read the consumer's head only if the cached view may be short.
        if free < upper.unwrap_or(usize::MAX).max(lower) {
            free = self.refresh_free();
        }
        // Publishes what was written, as one run, when the loop ends, also if
        // the iterator panics part-way.
        let batch = Batch {
            start: self.tail,
            producer: self,
        };
        for value in iter.take(free) {
            let producer = &mut *batch.producer;
            let at = producer.at;
            let cell = producer.ring.cells.cell(at);
            // SAFETY: as in `push`: position `tail` is among the `free` ones
            // the consumer has released.
            cell.with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
            producer.tail = producer.tail.wrapping_add(1);
            producer.at = producer.ring.cells.next(at);
            if producer.at.offset() == 0 {
                // A group filled: publish it now (see `stamp`).
                producer.stamp(at, producer.tail);
            }
        }
        batch.producer.tail.wrapping_sub(batch.start)
    }

    /// How many items the ring holds now. The consumer may pop concurrently,
    /// so the true number can only be lower by the time this returns.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(4);
    /// tx.push(1).unwrap();
    /// tx.push(2).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// rx.pop();
    /// assert_eq!(tx.len(), 1);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.ring.capacity - self.refresh_free()
    }

    /// Whether the ring is empty now (it can only become empty later, not
    /// stop being so, without a push from this producer).
    ///
    /// ```
    /// let (mut tx, _rx) = handoff::spsc::channel(4);
    /// assert!(tx.is_empty());
    /// tx.push(()).unwrap();
    /// assert!(!tx.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the ring is full now, so that `push` would fail.
    ///
    /// ```
    /// let (mut tx, _rx) = handoff::spsc::channel(1);
    /// assert!(!tx.is_full());
    /// tx.push(()).unwrap();
    /// assert!(tx.is_full());
    /// ```
    #[inline]
    pub fn is_full(&self) -> bool {
        self.free_from(self.cached_head.get()) == 0 && self.refresh_free() == 0
    }

    /// How many more items can be pushed now without the consumer popping.
    ///
    /// ```
    /// let (mut tx, _rx) = handoff::spsc::channel(4);
    /// tx.push(0).unwrap();
    /// assert_eq!(tx.free_len(), 3);
    /// ```
    #[inline]
    pub fn free_len(&self) -> usize {
        self.refresh_free()
    }

    /// The most items the ring holds: exactly what [`channel`] was asked for.
    ///
    /// [`channel`]: crate::spsc::channel
    ///
    /// ```
    /// let (tx, _rx) = handoff::spsc::channel::<u8>(1000);
    /// assert_eq!(tx.capacity(), 1000);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Whether the [`Consumer`](crate::spsc::Consumer) has been dropped or
    /// has [`close`](crate::spsc::Consumer::close)d the ring: every push from
    /// now on fails with [`PushError::Closed`].
    ///
    /// ```
    /// let (tx, rx) = handoff::spsc::channel::<u8>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    #[inline]
    pub fn is_closed(&self) -> bool {
        // ordering: Acquire pairs with the consumer's Release in its `close`
        // or `Drop`.
        self.ring.shared.closed.load(Acquire)
    }

    /// `is_closed` for `push`, which only hands the value back on it.
    #[inline(always)]
    fn is_closed_relaxed(&self) -> bool {
        // ordering: Relaxed; no memory is read on the strength of the flag, a
        // push racing the consumer's drop may go either way, and an item
        // pushed then is dropped with the ring.
        self.ring.shared.closed.load(Relaxed)
    }

    /// Free slots by a given head: `capacity - (tail - head)`.
    #[inline(always)]
    fn free_from(&self, head: usize) -> usize {
        let len = self.tail.wrapping_sub(head);
        debug_assert!(
            len <= self.ring.capacity,
            "tail {} is more than capacity past head {head}",
            self.tail
        );
        self.ring.capacity - len
    }

    /// Re-reads the consumer's head and returns the free slots.
    #[inline]
    fn refresh_free(&self) -> usize {
        // ordering: Acquire pairs with the consumer's Release store of head:
        // its reads of the values in the slots it released happen before we
        // overwrite them.
        let head = self.ring.shared.head.load(Acquire);
        self.cached_head.set(head);
        self.free_from(head)
    }

    /// Publishes, in the stamp of the group `at` is in, that every position
    /// before `end` is written: the consumer may read up to `end` once it
    /// has caught up and polls that stamp. A batch stamps each group as it
    /// fills it, so that every group it touches is rewritten (no stamp is
    /// then old enough to alias across the wrap of positions) and the
    /// consumer can start on a long batch before it is all written.
    #[inline(always)]
    fn stamp(&self, at: Cursor, end: usize) {
        debug_assert!(end.wrapping_sub(self.cached_head.get()) <= self.ring.capacity);
        // ordering: Release publishes every value before `end`, all written
        // before it, to a consumer that reads the stamp with Acquire.
        self.ring.cells.stamp(at).store(end, Release);
    }

    /// Publishes `self.tail` in the shared tail (for batch pops and `len`),
    /// once its run is stamped, and wakes a parked consumer.
    #[inline(always)]
    fn publish_tail(&self) {
        // ordering: Release publishes every value before the tail to a
        // consumer that reads the tail with Acquire.
        self.ring.shared.tail.store(self.tail, Release);
        self.ring.shared.rx_wake.notify();
    }
}

/// Publishes a batch push's run once when the batch ends, however it ends
/// (the iterator may panic): stamps the group it ended in, if it did not
/// fill it, and the tail.
struct Batch<'a, T> {
    producer: &'a mut Producer<T>,
    start: usize,
}

impl<T> Drop for Batch<'_, T> {
    #[inline]
    fn drop(&mut self) {
        let producer = &*self.producer;
        if producer.tail != self.start {
            if producer.at.offset() != 0 {
                producer.stamp(producer.at, producer.tail);
            }
            producer.publish_tail();
        }
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        // ordering: Release orders our last tail store before the flag, for a
        // consumer that reads the flag with Acquire and then drains.
        self.ring.shared.producer_gone.store(true, Release);
        // A consumer asleep on an empty ring wakes to see it closed.
        self.ring.shared.rx_wake.notify();
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("ring", &self.ring)
            .field("tail", &self.tail)
            .finish()
    }
}
