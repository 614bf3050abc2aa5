//! The reading half of the ring and its draining iterator.

use core::cell::Cell;
use core::fmt;
use core::iter::FusedIterator;

use super::groups::{self, Cursor};
use super::Ring;
use crate::loom::Ordering::{Acquire, Relaxed, Release};
use crate::wake::OwnParker;

/// The reading half of an [`spsc`](crate::spsc) ring.
///
/// `Consumer` is `Send` but not `Sync`: only one thread pops at a time, which
/// is what makes `pop` wait-free.
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// let (_tx, rx) = handoff::spsc::channel::<u8>(1);
/// shared(&rx); // a Consumer cannot be shared between threads
/// ```
///
/// ```
/// fn send<T: Send>(_: T) {}
/// let (_tx, rx) = handoff::spsc::channel::<u8>(1);
/// send(rx);
/// ```
pub struct Consumer<T> {
    pub(super) ring: Ring<T>,
    /// Position of the next item to read. `shared.head` lags it only inside
    /// a [`Drain`] (published when the drain ends) and is equal otherwise.
    head: usize,
    /// The cell position `head` lives in.
    at: Cursor,
    /// A position known to be published: `head <= cached_tail <= shared.tail`
    /// (or the stamp of `cached_tail - 1` was seen), so `head .. cached_tail`
    /// can be read without touching the producer's cache line.
    cached_tail: Cell<usize>,
    /// The parker `pop_blocking` and friends sleep on.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(super) own: OwnParker,
}

// SAFETY: the consumer owns the reading end; moving it to another thread
// moves `T` values out of the ring there, so `T: Send` is all it needs. The
// view of the cells it holds is kept alive by its `Arc`.
unsafe impl<T: Send> Send for Consumer<T> {}

impl<T> Consumer<T> {
    pub(super) fn new(ring: Ring<T>) -> Self {
        // ordering: Relaxed; the ring is new, not shared yet.
        let head = ring.shared.head.load(Relaxed);
        Self {
            at: ring.cells.first(),
            ring,
            head,
            cached_tail: Cell::new(head),
            own: OwnParker::default(),
        }
    }

    /// Pops the oldest item, or returns `None` if the ring is empty.
    /// Wait-free.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(2);
    /// assert_eq!(rx.pop(), None);
    /// tx.push("hello").unwrap();
    /// assert_eq!(rx.pop(), Some("hello"));
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if !self.head_ready() {
            return None;
        }
        let value = self.take();
        self.publish();
        Some(value)
    }

    /// Returns a reference to the oldest item without popping it, or `None`
    /// if the ring is empty.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(2);
    /// tx.push(7).unwrap();
    /// assert_eq!(rx.peek(), Some(&7));
    /// assert_eq!(rx.pop(), Some(7));
    /// assert_eq!(rx.peek(), None);
    /// ```
    #[inline]
    pub fn peek(&self) -> Option<&T> {
        if !self.head_ready() {
            return None;
        }
        let cell = self.ring.cells.cell(self.at);
        // SAFETY: position `head` is published (see `pop`), and the producer
        // cannot overwrite it until `head` moves past it, which needs
        // `&mut self` and so ends this borrow first.
        Some(cell.with(|p| unsafe { (*p).assume_init_ref() }))
    }

    /// Pops up to `dst.len()` items into `dst`, publishing once; returns how
    /// many. Wait-free.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(8);
    /// tx.push_slice(&[1, 2, 3]);
    /// let mut buf = [0; 2];
    /// assert_eq!(rx.pop_slice(&mut buf), 2);
    /// assert_eq!(buf, [1, 2]);
    /// assert_eq!(rx.pop_slice(&mut buf), 1);
    /// assert_eq!(buf[0], 3);
    /// ```
    #[inline]
    pub fn pop_slice(&mut self, dst: &mut [T]) -> usize
    where
        T: Copy,
    {
        let n = self.ready(dst.len()).min(dst.len());
        if n == 0 {
            return 0;
        }
        let mut out = dst.as_mut_ptr();
        self.ring.cells.for_each_run(self.at, n, |_, cells| {
            // SAFETY: `ready` saw positions `head .. head + n` published with
            // Acquire, and `T: Copy`, so reading leaves nothing to drop;
            // `for_each_run` hands out `n <= dst.len()` cells in all, so
            // `out` stays in `dst`.
            unsafe {
                groups::read_copies(cells, out);
                out = out.add(cells.len());
            }
        });
        self.head = self.head.wrapping_add(n);
        self.at = self.ring.cells.skip(self.at, n);
        self.publish();
        n
    }

    /// Returns an iterator that pops up to `max` items that are in the ring
    /// now, publishing the new head once, when it is dropped. Works for any
    /// `T`. Items the iterator did not yield stay in the ring.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(8);
    /// tx.push_iter((0..5).map(|i| i.to_string()));
    /// let first: Vec<String> = rx.drain(3).collect();
    /// assert_eq!(first, ["0", "1", "2"]);
    /// assert_eq!(rx.len(), 2);
    /// ```
    #[inline]
    pub fn drain(&mut self, max: usize) -> Drain<'_, T> {
        let left = self.ready(max).min(max);
        Drain {
            consumer: self,
            left,
        }
    }

    /// How many items the ring holds now. The producer may push
    /// concurrently, so the true number can only be higher by the time this
    /// returns.
    ///
    /// ```
    /// let (mut tx, rx) = handoff::spsc::channel(4);
    /// tx.push_slice(&[1, 2, 3]);
    /// assert_eq!(rx.len(), 3);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.refresh_len()
    }

    /// Whether the ring is empty now.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(4);
    /// assert!(rx.is_empty());
    /// tx.push(1).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        !self.head_ready()
    }

    /// Whether the ring is full now.
    ///
    /// ```
    /// let (mut tx, rx) = handoff::spsc::channel(1);
    /// tx.push(1).unwrap();
    /// assert!(rx.is_full());
    /// ```
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len() == self.ring.capacity
    }

    /// The most items the ring holds: exactly what [`channel`] was asked for.
    ///
    /// [`channel`]: crate::spsc::channel
    ///
    /// ```
    /// let (_tx, rx) = handoff::spsc::channel::<u8>(3);
    /// assert_eq!(rx.capacity(), 3);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Whether the [`Producer`](crate::spsc::Producer) has been dropped.
    ///
    /// Once this returns `true`, every item ever pushed is already in the
    /// ring: pop until `None` and nothing more will come.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(2);
    /// tx.push(1).unwrap();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// assert_eq!(rx.pop(), Some(1));
    /// assert_eq!(rx.pop(), None);
    /// ```
    #[inline]
    pub fn is_closed(&self) -> bool {
        // ordering: Acquire pairs with the producer's Release in its `Drop`,
        // which follows its final tail store, so a drain after this sees
        // every item.
        self.ring.shared.producer_gone.load(Acquire)
    }

    /// Whether position `head` is published; the fast path for one item.
    ///
    /// The consumer looks at a stamp only when it has caught up with
    /// everything it knew of, and then reads the stamp of the group `head`
    /// is in, which the push that writes position `head` stamps with its
    /// run's end. So the stamp alone answers: an empty ring is polled
    /// without touching the producer's tail cache line, and a ping-pong
    /// moves one cache line per message.
    #[inline(always)]
    fn head_ready(&self) -> bool {
        let head = self.head;
        if head != self.cached_tail.get() {
            return true;
        }
        // ordering: Acquire pairs with the producer's Release store of the
        // stamp, which follows its writes of the run's values.
        let end = self.ring.cells.stamp(self.at).load(Acquire);
        // A stamp of a run that ended at or before `head` gives a "run
        // length" of 0 or, wrapped, far more than the capacity.
        let run = end.wrapping_sub(head);
        if run.wrapping_sub(1) < self.ring.capacity {
            self.cached_tail.set(end);
            return true;
        }
        false
    }

    /// How many items are published, re-reading the producer's tail only if
    /// the cached view holds fewer than `want`.
    #[inline]
    fn ready(&self, want: usize) -> usize {
        let cached = self.cached_tail.get().wrapping_sub(self.head);
        if cached >= want {
            cached
        } else {
            self.refresh_len()
        }
    }

    /// Re-reads the producer's tail and returns how many items are published.
    #[inline]
    fn refresh_len(&self) -> usize {
        // ordering: Acquire pairs with the producer's Release store of tail,
        // which follows its writes of every value before it.
        let tail = self.ring.shared.tail.load(Acquire);
        let len = tail.wrapping_sub(self.head);
        // A stamp can show an item before the producer's tail store does;
        // then the tail is "behind" head and the cached view is newer.
        if len > self.ring.capacity {
            return self.cached_tail.get().wrapping_sub(self.head);
        }
        self.cached_tail.set(tail);
        len
    }

    /// Moves the item at `head` out and advances `head`, without publishing.
    /// The caller has seen position `head` published (`head_ready`, or the
    /// `ready` of a `Drain`).
    #[inline(always)]
    fn take(&mut self) -> T {
        let head = self.head;
        debug_assert!(
            self.cached_tail.get() != head,
            "take of an unpublished position"
        );
        let cell = self.ring.cells.cell(self.at);
        // SAFETY: position `head` was seen published (through a stamp or
        // the tail, both read with Acquire), and only this consumer reads
        // cells; advancing `head` below means it is read exactly once.
        let value = cell.with(|p| unsafe { p.read().assume_init() });
        self.head = head.wrapping_add(1);
        self.at = self.ring.cells.next(self.at);
        value
    }

    /// Publishes `head`, releasing the slots before it to the producer.
    #[inline(always)]
    fn publish(&self) {
        // ordering: Release orders our reads of the popped values before the
        // producer's overwrite of those slots (it reads head with Acquire).
        self.ring.shared.head.store(self.head, Release);
        self.ring.shared.tx_wake.notify();
    }
}

impl<T> Consumer<T> {
    /// Closes the ring for pushes: every later push fails with
    /// [`PushError::Closed`](crate::PushError::Closed) (handing the value
    /// back), and a producer waiting for room wakes to see it. What is in
    /// the ring stays there to be popped, and so does whatever a push that
    /// was already under way puts in: pop until
    /// [`is_closed`](Self::is_closed) says the producer is gone, and nothing
    /// is lost.
    ///
    /// ```
    /// use handoff::{spsc, PushError};
    ///
    /// let (mut tx, mut rx) = spsc::channel(4);
    /// tx.push(1).unwrap();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// assert_eq!(tx.push(2), Err(PushError::Closed(2)));
    /// assert_eq!(rx.pop(), Some(1)); // still drains
    /// drop(tx);
    /// assert_eq!(rx.pop_blocking(), None);
    /// ```
    pub fn close(&mut self) {
        self.close_for_pushes();
    }

    fn close_for_pushes(&self) {
        // ordering: Release orders the head store of our last pop before
        // the flag, for a producer that reads it with Acquire.
        self.ring.shared.closed.store(true, Release);
        // A producer asleep on a full ring wakes to see it closed.
        self.ring.shared.tx_wake.notify();
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // ordering: Relaxed; `Shared`'s drop reads it after the `Arc`'s
        // final decrement, which synchronises with this drop.
        self.ring
            .shared
            .head_cell
            .store(self.ring.cells.index(self.at), Relaxed);
        // A leaked `Drain` can leave `head` ahead of the published head.
        self.publish();
        self.close_for_pushes();
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("ring", &self.ring)
            .field("head", &self.head)
            .finish()
    }
}

/// Pops up to a fixed number of items; made by [`Consumer::drain`].
///
/// Each item is taken from the ring as the iterator yields it; the freed
/// slots are handed back to the producer once, when the `Drain` is dropped.
///
/// ```
/// let (mut tx, mut rx) = handoff::spsc::channel(4);
/// tx.push_slice(&[1, 2, 3]);
/// let mut drain = rx.drain(10);
/// assert_eq!(drain.len(), 3);
/// assert_eq!(drain.next(), Some(1));
/// drop(drain);
/// assert_eq!(rx.pop(), Some(2));
/// ```
#[must_use = "a Drain pops only as it is iterated"]
pub struct Drain<'a, T> {
    consumer: &'a mut Consumer<T>,
    /// Items still to yield; all are published (`head + left <= cached_tail`).
    left: usize,
}

impl<T> Iterator for Drain<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let c = &mut *self.consumer;
        debug_assert!(c.cached_tail.get().wrapping_sub(c.head) > self.left);
        // `drain` saw this position published. If this `Drain` is leaked, the
        // consumer's `head` has already moved past the items it yielded.
        Some(c.take())
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for Drain<'_, T> {}

impl<T> FusedIterator for Drain<'_, T> {}

impl<T> Drop for Drain<'_, T> {
    fn drop(&mut self) {
        self.consumer.publish();
    }
}

impl<T> fmt::Debug for Drain<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain").field("left", &self.left).finish()
    }
}
