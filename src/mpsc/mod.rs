//! A bounded multi-producer single-consumer ring.
//!
//! [`channel`] returns a [`Producer`], which is `Clone + Send + Sync` and
//! pushes through `&self`, and one [`Consumer`]. This is the ring that
//! carries control messages and replies into one thread.
//!
//! ```
//! use std::thread;
//!
//! let (tx, mut rx) = handoff::mpsc::channel::<(usize, u32)>(64);
//! let producers: Vec<_> = (0..3)
//!     .map(|p| {
//!         let tx = tx.clone();
//!         thread::spawn(move || {
//!             for i in 0..100 {
//!                 let mut item = (p, i);
//!                 while let Err(e) = tx.push(item) {
//!                     item = e.into_inner();
//!                     thread::yield_now();
//!                 }
//!             }
//!         })
//!     })
//!     .collect();
//! drop(tx);
//! let mut next = [0; 3];
//! loop {
//!     match rx.try_pop() {
//!         // Each producer's items arrive in that producer's order.
//!         Ok((p, i)) => {
//!             assert_eq!(i, next[p]);
//!             next[p] += 1;
//!         }
//!         Err(handoff::PopError::Closed) => break,
//!         Err(_) => thread::yield_now(),
//!     }
//! }
//! assert_eq!(next, [100; 3]);
//! for p in producers {
//!     p.join().unwrap();
//! }
//! ```
//!
//! # Design
//!
//! The ring has exactly `capacity` slots, each with a *stamp* (Dmitry
//! Vyukov's bounded queue, as in crossbeam's `ArrayQueue`). A position is a
//! lap number and a slot index packed in one `usize` (`lap * one_lap +
//! index`, `one_lap` being `capacity + 1` rounded up to a power of two). A slot
//! whose stamp equals position `p` is free for `p`; one whose stamp is
//! `p + 1` holds the item for `p`.
//!
//! A producer reads the shared tail, checks the stamp of its slot and claims
//! the position with a compare-and-swap on the tail; then it writes the value
//! and stores `p + 1` into the stamp. The single consumer needs no atomic
//! read-modify-write at all: it reads the stamp at its head, reads the value,
//! and frees the slot for the next lap by storing `p + one_lap`.
//!
//! # Progress
//!
//! - [`Producer::push`] is lock-free and never waits for another thread. Its
//!   compare-and-swap fails only because another producer's claim
//!   succeeded. If the slot at the tail has not been freed for this lap, the
//!   ring holds `capacity` positions, as items or as claims not yet
//!   published, and the push returns [`PushError::Full`] at once. It does
//!   not wait for a stalled claimer: that claimer may be the very thread a
//!   signal handler interrupted to push.
//! - [`Consumer::pop`] (and `try_pop`, `pop_slice`, `drain`) never waits: it
//!   returns at once.
//!
//! But a push is two steps, *claim* then *publish*, and the ring is FIFO.
//! If a producer is preempted (or interrupted by a signal handler) between
//! the two, the consumer cannot take the claimed item nor any item claimed
//! after it until that producer runs again: [`Consumer::try_pop`] reports
//! [`PopError::Pending`] (never a false "empty"), [`Consumer::pop`] returns
//! `None`, and other producers go on pushing until the ring fills, then get
//! [`PushError::Full`]. So the consumer's progress depends on every claiming
//! producer being scheduled: array-based MPSC rings are not lock-free for
//! the consumer, and this one does not pretend otherwise. A consumer that
//! waits (`pop_blocking`, a [`Parker`](crate::park::Parker)) sleeps through
//! such a stall instead of spinning on it, and the stalled producer's
//! publication wakes it.
//!
//! # Memory ordering
//!
//! Everything a producer wrote before pushing an item happens-before the pop
//! that returns it. Items from one producer are popped in the order that
//! producer pushed them. Once [`Consumer::is_closed`] is `true` (every
//! producer gone), every pushed item is in the ring.

#[cfg(feature = "std")]
mod blocking;
mod consumer;
#[cfg(feature = "std")]
mod poll;
mod producer;

pub use consumer::{Consumer, Drain};
#[cfg(all(test, not(loom)))]
pub(crate) use producer::Stalled;
pub use producer::{Producer, WeakProducer};

use alloc::boxed::Box;
use core::fmt;
use core::ptr::NonNull;

use crossbeam_utils::CachePadded;

use crate::loom::{Arc, AtomicBool, AtomicUsize, Ordering};
use crate::slot::{self, Slot};
use crate::wake::{WaitList, WakeTarget};
use crate::CapacityError;

#[cfg(doc)]
use crate::{PopError, PushError};

/// Creates a ring that holds up to `capacity` items.
///
/// The ring allocates once, here, and never again.
///
/// # Panics
///
/// If `capacity` is 0, or so large that the ring's memory overflows or cannot
/// be allocated. Use [`try_channel`] to get a [`CapacityError`] instead.
///
/// ```
/// let (tx, mut rx) = handoff::mpsc::channel(2);
/// let tx2 = tx.clone();
/// tx.push('a').unwrap();
/// tx2.push('b').unwrap();
/// assert!(tx.push('c').is_err());
/// assert_eq!(rx.pop(), Some('a'));
/// assert_eq!(rx.capacity(), 2);
/// ```
///
/// ```should_panic
/// let _ = handoff::mpsc::channel::<u8>(0);
/// ```
#[track_caller]
#[must_use = "a ring does nothing until its halves are used"]
pub fn channel<T: Send>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    match try_channel(capacity) {
        Ok(halves) => halves,
        Err(e) => panic!("{e}"),
    }
}

/// Creates a ring that holds up to `capacity` items, or says why it cannot.
///
/// ```
/// use handoff::{mpsc, CapacityError};
///
/// assert!(mpsc::try_channel::<u8>(16).is_ok());
/// assert_eq!(mpsc::try_channel::<u8>(0).unwrap_err(), CapacityError::Zero);
/// assert!(mpsc::try_channel::<u8>(usize::MAX).is_err());
/// ```
pub fn try_channel<T: Send>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    channel_from(capacity, 0)
}

/// A ring whose positions start at lap `start_lap` instead of 0: the same
/// ring, seen after that many laps. Tests start near `usize::MAX` to cross
/// the wrap of positions that 32-bit targets reach in minutes.
pub(crate) fn channel_from<T: Send>(
    capacity: usize,
    start_lap: usize,
) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    let shared = Arc::new(Shared::new(capacity, start_lap)?);
    let producer = Producer::new(Arc::clone(&shared));
    let consumer = Consumer::new(shared);
    Ok((producer, consumer))
}

/// The state every handle points to.
struct Shared<T> {
    /// The next position a producer will claim. Advanced only by a successful
    /// compare-and-swap from a producer that found the slot free.
    tail: CachePadded<AtomicUsize>,
    /// The consumer's head, published for `len` (and for `Drop`). Written
    /// only by the consumer.
    head: CachePadded<AtomicUsize>,
    /// Live `Producer` handles. `0` means closed: no push will ever start.
    producers: AtomicUsize,
    /// Set once the consumer refuses pushes: by its `close` or its `Drop`.
    closed: AtomicBool,
    /// The consumer's parker (its own, or one given to `register`): woken
    /// by pushes and by the last producer's `Drop`.
    rx_wake: WakeTarget,
    /// Producers waiting for a free slot: woken by pops and by the
    /// consumer's `Drop`.
    space: WaitList,
    /// Exactly `capacity` slots; slot `i` starts free for position `i`.
    ///
    /// A slot's stamp is `p` while the slot is free for position `p`; `p + 1`
    /// once the value for `p` is written (stored by the producer, `Release`,
    /// after the value); `p + one_lap` once the consumer has read it (stored
    /// `Release`, after the read). The value is initialised exactly while the
    /// stamp says "holds `p`".
    slots: Box<[Slot<T>]>,
    /// `(capacity + 1).next_power_of_two()`: the position step of one lap.
    one_lap: usize,
}

impl<T> Shared<T> {
    fn new(capacity: usize, start_lap: usize) -> Result<Self, CapacityError> {
        // One more than the capacity, so that "holds `p`" (`p + 1`) and "free
        // for the next lap" (`p + one_lap`) differ even for capacity 1.
        let one_lap = capacity
            .checked_add(1)
            .and_then(usize::checked_next_power_of_two)
            .ok_or(CapacityError::TooLarge {
                requested: capacity,
            })?;
        let start = start_lap.wrapping_mul(one_lap);
        let slots = slot::alloc(capacity, Some, |i| start.wrapping_add(i))?;
        Ok(Self {
            tail: CachePadded::new(AtomicUsize::new(start)),
            head: CachePadded::new(AtomicUsize::new(start)),
            producers: AtomicUsize::new(1),
            closed: AtomicBool::new(false),
            rx_wake: WakeTarget::new(),
            space: WaitList::new(),
            slots,
            one_lap,
        })
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if !core::mem::needs_drop::<T>() {
            return;
        }
        // ordering: Relaxed suffices; `Arc`'s final decrement synchronises
        // with every handle's drop, and every push finished before its
        // producer's drop.
        let tail = self.tail.load(Ordering::Relaxed);
        let ring = Ring::of(self);
        let head = self.head.load(Ordering::Relaxed);
        let slots = core::iter::successors(Some(head), |&pos| Some(ring.next(pos)))
            .take_while(|&pos| pos != tail)
            .map(|pos| {
                let slot = ring.slot(pos);
                debug_assert_eq!(slot.stamp.load(Ordering::Relaxed), pos.wrapping_add(1));
                &slot.value
            });
        // SAFETY: positions `head .. tail` were claimed and, their producers
        // being gone, written; the consumer never read them. Each is yielded
        // once.
        unsafe { crate::slot::drop_values(slots) };
    }
}

/// The geometry of the ring, copied into each handle so that the hot paths
/// do not chase the `Arc`.
struct Ring<T> {
    /// Invariant: points to the `capacity` slots of a `Shared` that whoever
    /// holds this `Ring` keeps alive (a handle, through its `Arc`).
    slots: NonNull<Slot<T>>,
    /// The number of slots: exactly the capacity asked for.
    capacity: usize,
    /// `(capacity + 1).next_power_of_two()`.
    one_lap: usize,
}

impl<T> Ring<T> {
    fn of(shared: &Shared<T>) -> Self {
        Self {
            slots: NonNull::from(&shared.slots[..]).cast(),
            capacity: shared.slots.len(),
            one_lap: shared.one_lap,
        }
    }

    /// The slot of position `pos`.
    #[inline(always)]
    fn slot(&self, pos: usize) -> &Slot<T> {
        let index = pos & (self.one_lap - 1);
        debug_assert!(index < self.capacity, "position {pos:#x} has no slot");
        // SAFETY: every position the ring hands out has `index < capacity`
        // (see `next`), and `slots` is valid for `capacity` slots while the
        // handle that owns this `Ring` lives (field invariant).
        unsafe { &*self.slots.as_ptr().add(index) }
    }

    /// How many positions come before `pos`: the number of pushes that
    /// claimed a position below it.
    #[cfg(feature = "std")]
    fn count(&self, pos: usize) -> u64 {
        let lap = pos / self.one_lap;
        let index = pos & (self.one_lap - 1);
        (lap as u64) * (self.capacity as u64) + index as u64
    }

    /// The position after `pos`: the next index, or index 0 of the next lap.
    #[inline(always)]
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.one_lap - 1);
        if index + 1 < self.capacity {
            pos.wrapping_add(1)
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// How many positions lie in `head .. tail`.
    #[inline]
    fn distance(&self, head: usize, tail: usize) -> usize {
        let hix = head & (self.one_lap - 1);
        let tix = tail & (self.one_lap - 1);
        if hix < tix {
            tix - hix
        } else if hix > tix {
            self.capacity - hix + tix
        } else if head == tail {
            0
        } else {
            self.capacity
        }
    }
}

impl<T> fmt::Debug for Ring<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.capacity)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
