//! The reading half and its draining iterator.

use core::fmt;
use core::iter::FusedIterator;

use super::{Ring, Shared};
use crate::loom::Arc;
use crate::loom::Ordering::{Acquire, Relaxed, Release};
use crate::slot::Slot;
use crate::wake::OwnParker;
use crate::PopError;

/// The reading half of an [`mpsc`](crate::mpsc) ring.
///
/// `Consumer` is `Send` but not `Sync`: one thread pops, with no atomic
/// read-modify-write.
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// let (_tx, rx) = handoff::mpsc::channel::<u8>(1);
/// shared(&rx); // a Consumer cannot be shared between threads
/// ```
pub struct Consumer<T> {
    pub(super) shared: Arc<Shared<T>>,
    ring: Ring<T>,
    /// Position of the next item to read. `shared.head` lags it only inside
    /// a [`Drain`] and equals it otherwise.
    head: usize,
    /// The parker `pop_blocking` and friends sleep on.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(super) own: OwnParker,
}

// SAFETY: the consumer moves `T` values out of the ring on whatever thread it
// is on, so `T: Send` is needed and enough; its raw slot pointer is kept
// alive by its `Arc`. It is not `Sync`: `pop` needs `&mut self`.
unsafe impl<T: Send> Send for Consumer<T> {}

impl<T> Consumer<T> {
    pub(super) fn new(shared: Arc<Shared<T>>) -> Self {
        let ring = Ring::of(&shared);
        // ordering: Relaxed; the ring is new, not shared yet.
        let head = shared.head.load(Relaxed);
        Self {
            shared,
            ring,
            head,
            own: OwnParker::default(),
        }
    }

    /// Pops the oldest item, or returns `None` if there is none to take now:
    /// the ring is empty, or the next item is still being written
    /// ([`try_pop`](Self::try_pop) tells which). Never waits.
    ///
    /// ```
    /// let (tx, mut rx) = handoff::mpsc::channel(2);
    /// assert_eq!(rx.pop(), None);
    /// tx.push(5).unwrap();
    /// assert_eq!(rx.pop(), Some(5));
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        let value = self.take()?;
        self.publish();
        Some(value)
    }

    /// Pops the oldest item, or says why there is none:
    /// [`PopError::Empty`], [`PopError::Pending`] (a producer has claimed the
    /// next slot and not finished writing it: an item is coming, so a caller
    /// about to sleep should not) or [`PopError::Closed`] (empty, and every
    /// producer is gone). Never waits.
    ///
    /// ```
    /// use handoff::{mpsc, PopError};
    ///
    /// let (tx, mut rx) = mpsc::channel(2);
    /// tx.push(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// assert_eq!(rx.try_pop(), Err(PopError::Closed));
    /// ```
    #[inline]
    pub fn try_pop(&mut self) -> Result<T, PopError> {
        if let Some(value) = self.pop() {
            return Ok(value);
        }
        // ordering: Acquire pairs with each producer's Release decrement in
        // its `Drop`: at 0, every push has finished and is visible.
        if self.shared.producers.load(Acquire) == 0 {
            return self.pop().ok_or(PopError::Closed);
        }
        // ordering: Relaxed; the tail is compared, not used to read memory.
        if self.shared.tail.load(Relaxed) != self.head {
            Err(PopError::Pending)
        } else {
            Err(PopError::Empty)
        }
    }

    /// Pops up to `dst.len()` items into `dst`; returns how many. Stops early
    /// at an item still being written.
    ///
    /// ```
    /// let (tx, mut rx) = handoff::mpsc::channel(8);
    /// for i in 0..3 {
    ///     tx.push(i).unwrap();
    /// }
    /// let mut buf = [0; 8];
    /// assert_eq!(rx.pop_slice(&mut buf), 3);
    /// assert_eq!(&buf[..3], &[0, 1, 2]);
    /// ```
    pub fn pop_slice(&mut self, dst: &mut [T]) -> usize
    where
        T: Copy,
    {
        let mut n = 0;
        for out in dst.iter_mut() {
            match self.take() {
                Some(value) => *out = value,
                None => break,
            }
            n += 1;
        }
        if n > 0 {
            self.publish();
        }
        n
    }

    /// Returns an iterator that pops up to `max` items, for any `T`, and
    /// publishes the consumer's position once, when dropped. It ends early at
    /// an empty slot or one still being written.
    ///
    /// ```
    /// let (tx, mut rx) = handoff::mpsc::channel(8);
    /// for i in 0..5 {
    ///     tx.push(i.to_string()).unwrap();
    /// }
    /// let got: Vec<String> = rx.drain(3).collect();
    /// assert_eq!(got, ["0", "1", "2"]);
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn drain(&mut self, max: usize) -> Drain<'_, T> {
        Drain {
            consumer: self,
            left: max,
        }
    }

    /// How many items the ring holds now, counting pushes under way.
    ///
    /// ```
    /// let (tx, rx) = handoff::mpsc::channel(4);
    /// tx.push(1).unwrap();
    /// tx.push(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        // ordering: Relaxed; a snapshot, used for no memory access.
        let tail = self.shared.tail.load(Relaxed);
        self.ring.distance(self.head, tail)
    }

    /// Whether the ring is empty now (no item, no push under way).
    ///
    /// ```
    /// let (tx, rx) = handoff::mpsc::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most items the ring holds: exactly what [`channel`] was asked for.
    ///
    /// [`channel`]: crate::mpsc::channel
    ///
    /// ```
    /// let (_tx, rx) = handoff::mpsc::channel::<u8>(5);
    /// assert_eq!(rx.capacity(), 5);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Whether every [`Producer`](crate::mpsc::Producer) is gone. Once it
    /// is, every pushed item is already in the ring: pop until
    /// [`PopError::Closed`].
    ///
    /// ```
    /// let (tx, rx) = handoff::mpsc::channel::<u8>(4);
    /// let tx2 = tx.clone();
    /// drop(tx);
    /// assert!(!rx.is_closed());
    /// drop(tx2);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        // ordering: Acquire pairs with the producers' Release decrements.
        self.shared.producers.load(Acquire) == 0
    }

    /// Whether [`pop`](Self::pop) would return an item now: the next item is
    /// written, not merely claimed. A waiter that waits for this (rather
    /// than for [`is_empty`](Self::is_empty) to turn false) sleeps through
    /// a producer stalled between claiming and publishing, and is woken by
    /// that producer's notify once it publishes.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn is_ready(&self) -> bool {
        let head = self.head;
        // ordering: Relaxed; a hint: `pop` reads the stamp again with
        // Acquire before it reads the value.
        self.ring.slot(head).stamp.load(Relaxed) == head.wrapping_add(1)
    }

    /// Takes the item at `head` if it is written, advancing `head` but not
    /// publishing it.
    #[inline(always)]
    fn take(&mut self) -> Option<T> {
        let head = self.head;
        let slot = self.written()?;
        // SAFETY: the stamp says the value for `head` is written, and only
        // this consumer reads slots; the stamp store below hands the slot
        // back before anyone can read it again.
        let value = slot.value.with(|p| unsafe { p.read().assume_init() });
        // ordering: Release orders our read of the value before a producer's
        // next write of this slot (it reads the stamp with Acquire).
        slot.stamp
            .store(head.wrapping_add(self.ring.one_lap), Release);
        self.head = self.ring.next(head);
        Some(value)
    }

    /// The slot at `head`, if its item is written (and so visible).
    #[inline(always)]
    fn written(&self) -> Option<&Slot<T>> {
        let head = self.head;
        let slot = self.ring.slot(head);
        // ordering: Acquire pairs with the producer's Release store of the
        // stamp, which follows its write of the value.
        if slot.stamp.load(Acquire) != head.wrapping_add(1) {
            return None;
        }
        Some(slot)
    }

    /// Publishes `head` for `len` and for the ring's `Drop`.
    #[inline(always)]
    fn publish(&self) {
        // ordering: Relaxed; producers never read the head to access slots
        // (the stamps order that), and `Drop` is ordered by `Arc`.
        self.shared.head.store(self.head, Relaxed);
        // The slots were freed by their stamp stores (in `take`); a producer
        // asleep on a full ring wakes for them.
        self.shared.space.notify();
    }
}

impl<T> Consumer<T> {
    /// Closes the ring for pushes: every later push fails with
    /// [`PushError::Closed`](crate::PushError::Closed) (handing the value
    /// back), and producers waiting for room wake to see it. What is in the
    /// ring stays there to be popped, and so does whatever a push that was
    /// already under way puts in: pop until [`is_closed`](Self::is_closed)
    /// says every producer is gone (they typically drop once their pushes
    /// fail), and nothing is lost.
    ///
    /// ```
    /// use handoff::{mpsc, PushError};
    ///
    /// let (tx, mut rx) = mpsc::channel(4);
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
        // ordering: Release pairs with `Producer::is_closed`'s Acquire.
        self.shared.closed.store(true, Release);
        // Producers asleep on a full ring wake to see it closed.
        self.shared.space.notify();
    }

    /// The oldest item, without popping it, if it is written (`None` if the
    /// ring is empty or the next item is still being written).
    ///
    /// ```
    /// let (tx, mut rx) = handoff::mpsc::channel(2);
    /// assert_eq!(rx.peek(), None);
    /// tx.push("a").unwrap();
    /// assert_eq!(rx.peek(), Some(&"a"));
    /// assert_eq!(rx.pop(), Some("a"));
    /// ```
    pub fn peek(&self) -> Option<&T> {
        let slot = self.written()?;
        // SAFETY: the stamp says the value for `head` is written; only this
        // consumer reads or takes it, and it cannot take it while the
        // returned reference borrows `self`.
        Some(slot.value.with(|p| unsafe { (*p).assume_init_ref() }))
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
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
/// ```
/// let (tx, mut rx) = handoff::mpsc::channel(4);
/// tx.push(1).unwrap();
/// let mut drain = rx.drain(10);
/// assert_eq!(drain.next(), Some(1));
/// assert_eq!(drain.next(), None);
/// ```
#[must_use = "a Drain pops only as it is iterated"]
pub struct Drain<'a, T> {
    consumer: &'a mut Consumer<T>,
    /// Items still allowed.
    left: usize,
}

impl<T> Iterator for Drain<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        let value = self.consumer.take();
        // Ending at an empty slot ends the iteration for good (fused), even
        // if an item arrives later.
        self.left = if value.is_some() { self.left - 1 } else { 0 };
        value
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

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
