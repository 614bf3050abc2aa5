//! The writing half: any number of clones, each pushing through `&self`.

use core::fmt;
use core::mem::MaybeUninit;

use super::{Ring, Shared};
use crate::loom::Ordering::{Acquire, Relaxed, Release};
use crate::loom::{Arc, Backoff};
use crate::wake::PolicyCell;
use crate::PushError;

/// The writing half of an [`mpsc`](crate::mpsc) ring: `Clone + Send + Sync`.
///
/// Clone it for each producing thread, or share one by reference; the ring
/// is closed for the consumer when the last clone is dropped.
///
/// ```
/// fn all<T: Clone + Send + Sync>(_: &T) {}
/// let (tx, _rx) = handoff::mpsc::channel::<String>(8);
/// all(&tx);
/// ```
pub struct Producer<T> {
    pub(super) shared: Arc<Shared<T>>,
    ring: Ring<T>,
    /// How this handle's blocking pushes spin before sleeping.
    pub(super) policy: PolicyCell,
    /// The item the `Sink` impl holds while the ring is full. Touched only
    /// through `Pin<&mut Self>`, never through `&self`, so `Sync` stays
    /// sound.
    #[cfg(feature = "futures")]
    pub(crate) sink_item: Option<T>,
}

// SAFETY: a producer moves `T` values into the ring from whatever thread it
// is on, so `T: Send` is needed and enough; its raw slot pointer is kept
// alive by its `Arc`.
unsafe impl<T: Send> Send for Producer<T> {}

// The `Sink` impl moves its held item in and out freely; nothing is ever
// pinned inside a producer.
impl<T> Unpin for Producer<T> {}

// SAFETY: every `&self` method is safe to call concurrently: slots are
// claimed by compare-and-swap on the tail, so no two producers write the
// same slot, and a slot is written only after the consumer freed it.
unsafe impl<T: Send> Sync for Producer<T> {}

impl<T> Producer<T> {
    pub(super) fn new(shared: Arc<Shared<T>>) -> Self {
        let ring = Ring::of(&shared);
        Self {
            shared,
            ring,
            policy: PolicyCell::default(),
            #[cfg(feature = "futures")]
            sink_item: None,
        }
    }

    /// Pushes `value`, or hands it back in [`PushError::Full`] if the ring is
    /// full or [`PushError::Closed`] if the consumer is gone.
    ///
    /// Lock-free, and never waits for another thread: it retries only when
    /// another producer's claim succeeded, and a ring that is full, also
    /// full of claims not yet published, is `Full` at once.
    ///
    /// ```
    /// use handoff::{mpsc, PushError};
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// assert_eq!(tx.push(1), Ok(()));
    /// assert_eq!(tx.push(2), Err(PushError::Full(2)));
    /// assert_eq!(rx.pop(), Some(1));
    /// drop(rx);
    /// assert_eq!(tx.push(3), Err(PushError::Closed(3)));
    /// ```
    #[inline]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        self.push_unnotified(value)?;
        self.shared.rx_wake.notify();
        Ok(())
    }

    /// [`push`](Self::push) without waking the consumer: for a consumer
    /// that never parks (the write context's holder pops only while it
    /// holds the context), which saves the wake-up check.
    #[inline]
    pub(crate) fn push_unnotified(&self, value: T) -> Result<(), PushError<T>> {
        // ordering: Relaxed; no memory is read on the strength of the flag,
        // and an item pushed while the consumer drops is dropped with the
        // ring.
        if self.shared.closed.load(Relaxed) {
            return Err(PushError::Closed(value));
        }
        let ring = &self.ring;
        let backoff = Backoff::new();
        // ordering: Relaxed; the tail is only a guess of which position to
        // claim, checked against the slot's stamp and made exclusive by the
        // compare-and-swap below.
        let mut tail = self.shared.tail.load(Relaxed);
        loop {
            let slot = ring.slot(tail);
            // ordering: Acquire pairs with the consumer's Release store that
            // freed the slot, so its read of the old value happens before our
            // write below.
            let stamp = slot.stamp.load(Acquire);
            if stamp == tail {
                // ordering: Relaxed; the claim needs only the atomicity of the
                // read-modify-write. The value write below stays after the
                // Acquire stamp load above, which is what orders it.
                match self.shared.tail.compare_exchange_weak(
                    tail,
                    ring.next(tail),
                    Relaxed,
                    Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the stamp said the slot is free for `tail`,
                        // and our compare-and-swap made `tail` ours alone.
                        slot.value
                            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
                        // ordering: Release publishes the value to the
                        // consumer, which reads the stamp with Acquire.
                        slot.stamp.store(tail.wrapping_add(1), Release);
                        return Ok(());
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if behind(stamp, tail) {
                // The slot has not been freed for `tail`: it still holds the
                // item of the previous lap (stamp `tail - one_lap + 1`), or
                // that lap's producer claimed it and has not published yet
                // (stamp `tail - one_lap`). Either way `capacity` positions
                // are taken: the ring is full. Returning here, rather than
                // waiting for a stalled claimer, is what bounds a push: a
                // signal handler that interrupted that very claimer must not
                // spin on it.
                return Err(PushError::Full(value));
            } else {
                // The stamp is ahead of `tail`: another producer claimed
                // `tail` since we read it (and so made progress); look again.
                backoff.spin();
                // ordering: Relaxed, as above.
                tail = self.shared.tail.load(Relaxed);
            }
        }
    }

    /// How many items the ring holds now, counting pushes under way.
    ///
    /// ```
    /// let (tx, _rx) = handoff::mpsc::channel(4);
    /// tx.push(1).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        loop {
            // ordering: a snapshot; Acquire on the head keeps it from being
            // older than the tail read before it.
            let tail = self.shared.tail.load(Acquire);
            let head = self.shared.head.load(Acquire);
            if self.shared.tail.load(Acquire) == tail {
                return self.ring.distance(head, tail);
            }
        }
    }

    /// Whether the ring is empty now.
    ///
    /// ```
    /// let (tx, _rx) = handoff::mpsc::channel::<u8>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most items the ring holds: exactly what [`channel`] was asked for.
    ///
    /// [`channel`]: crate::mpsc::channel
    ///
    /// ```
    /// let (tx, _rx) = handoff::mpsc::channel::<u8>(100);
    /// assert_eq!(tx.capacity(), 100);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Whether the [`Consumer`](crate::mpsc::Consumer) is gone or
    /// [`close`](crate::mpsc::Consumer::close)d the ring, so that every push
    /// fails with [`PushError::Closed`].
    ///
    /// ```
    /// let (tx, rx) = handoff::mpsc::channel::<u8>(4);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        // ordering: Acquire pairs with the consumer's Release in its `close`
        // or `Drop`.
        self.shared.closed.load(Acquire)
    }
}

impl<T> Clone for Producer<T> {
    fn clone(&self) -> Self {
        // ordering: Relaxed, as for `Arc::clone`: a new handle can only come
        // from a live one, so the count is not 0 and nothing waits on it.
        self.shared.producers.fetch_add(1, Relaxed);
        let mut clone = Self::new(Arc::clone(&self.shared));
        clone.policy = self.policy.clone();
        clone
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        // ordering: Release orders this producer's pushes before the count
        // reaching 0, which the consumer reads with Acquire and then drains.
        if self.shared.producers.fetch_sub(1, Release) == 1 {
            // The last one: a consumer asleep on an empty ring wakes to see
            // it closed.
            self.shared.rx_wake.notify();
        }
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("ring", &self.ring)
            .finish()
    }
}

/// Whether a slot's `stamp` is from a lap before position `pos`'s: the
/// slot has not yet been freed for `pos`. Stamps and positions of one slot
/// differ by less than two laps, so the wrapping difference read as signed
/// tells behind from ahead whatever the width of `usize`.
#[inline(always)]
fn behind(stamp: usize, pos: usize) -> bool {
    (pos.wrapping_sub(stamp) as isize) > 0
}

/// A claimed position whose value is not written yet: what a producer
/// preempted (or interrupted by a signal handler) between its claim and its
/// publication leaves behind. Tests make one on purpose.
#[cfg(all(test, not(loom)))]
pub(crate) struct Stalled<T> {
    /// A clone of the producer that claimed: the claim can move to another
    /// thread and outlive the handle it was made from.
    producer: Producer<T>,
    pos: usize,
}

#[cfg(all(test, not(loom)))]
impl<T> Producer<T> {
    /// Claims the next position as a push does, without writing it; `None`
    /// if the ring is full. Publish it with [`Stalled::publish`].
    pub(crate) fn stall(&self) -> Option<Stalled<T>> {
        let ring = &self.ring;
        loop {
            let tail = self.shared.tail.load(Relaxed);
            let stamp = ring.slot(tail).stamp.load(Acquire);
            if stamp != tail {
                if behind(stamp, tail) {
                    return None;
                }
                continue;
            }
            let next = ring.next(tail);
            if (self.shared.tail)
                .compare_exchange(tail, next, Relaxed, Relaxed)
                .is_ok()
            {
                return Some(Stalled {
                    producer: self.clone(),
                    pos: tail,
                });
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
impl<T> Stalled<T> {
    /// Writes and publishes the claimed position, then wakes the consumer,
    /// as the stalled push would have.
    pub(crate) fn publish(self, value: T) {
        let slot = self.producer.ring.slot(self.pos);
        // SAFETY: `stall` claimed `pos` with the stamp saying the slot is free
        // for it.
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        slot.stamp.store(self.pos.wrapping_add(1), Release);
        self.producer.shared.rx_wake.notify();
    }
}

/// A producer that does not keep the ring open: made by
/// [`Producer::downgrade`], it can [`upgrade`](Self::upgrade) to a
/// [`Producer`] while at least one producer lives (as `Weak` does for
/// `Arc`, and tokio's and flume's weak senders). The consumer's
/// [`is_closed`](crate::mpsc::Consumer::is_closed) ignores weak handles.
///
/// ```
/// let (tx, mut rx) = handoff::mpsc::channel::<u8>(2);
/// let weak = tx.downgrade();
/// weak.upgrade().expect("a producer lives").push(1).unwrap();
/// drop(tx);
/// assert!(weak.upgrade().is_none()); // the last producer is gone
/// assert_eq!(rx.pop(), Some(1));
/// assert!(rx.is_closed());
/// ```
pub struct WeakProducer<T> {
    shared: Arc<Shared<T>>,
}

// SAFETY: a weak producer touches only the ring's producer count (an
// atomic) and its `Arc`; what it upgrades to is a `Producer`, `Send` and
// `Sync` for `T: Send`.
unsafe impl<T: Send> Send for WeakProducer<T> {}

// SAFETY: as above; every method takes `&self` and is safe to call
// concurrently.
unsafe impl<T: Send> Sync for WeakProducer<T> {}

impl<T> Producer<T> {
    /// A [`WeakProducer`] of this ring, which does not keep it open.
    ///
    /// ```
    /// let (tx, rx) = handoff::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// assert!(weak.upgrade().is_none());
    /// ```
    #[must_use = "a weak producer that is never upgraded does nothing"]
    pub fn downgrade(&self) -> WeakProducer<T> {
        WeakProducer {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> WeakProducer<T> {
    /// A [`Producer`] again, if any producer still lives (the ring is not
    /// closed for the consumer); `None` once the last one is gone, for good.
    ///
    /// ```
    /// let (tx, _rx) = handoff::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// ```
    pub fn upgrade(&self) -> Option<Producer<T>> {
        // ordering: Relaxed; like `Arc`'s upgrade, it needs only the
        // atomicity of the read-modify-write: a count that reached 0 never
        // grows again, so the consumer's Acquire reading 0 stays right.
        let mut live = self.shared.producers.load(Relaxed);
        loop {
            if live == 0 {
                return None;
            }
            // ordering: Relaxed, as above.
            match self
                .shared
                .producers
                .compare_exchange_weak(live, live + 1, Relaxed, Relaxed)
            {
                Ok(_) => return Some(Producer::new(Arc::clone(&self.shared))),
                Err(now) => live = now,
            }
        }
    }
}

impl<T> Clone for WeakProducer<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for WeakProducer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakProducer").finish_non_exhaustive()
    }
}
