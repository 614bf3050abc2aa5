//! A bounded single-producer single-consumer ring.
//!
//! [`channel`] returns a [`Producer`] and a [`Consumer`]; each is `Send` (for
//! `T: Send`) and moves to the thread that uses it. `push` and `pop` are
//! wait-free: each finishes in a bounded number of its own steps whatever the
//! other thread does.
//!
//! ```
//! let (mut tx, mut rx) = handoff::spsc::channel::<u32>(4);
//! let t = std::thread::spawn(move || {
//!     for i in 0..100 {
//!         while tx.push(i).is_err() {
//!             std::hint::spin_loop();
//!         }
//!     }
//! });
//! let mut expected = 0;
//! while expected < 100 {
//!     if let Some(v) = rx.pop() {
//!         assert_eq!(v, expected);
//!         expected += 1;
//!     }
//! }
//! t.join().unwrap();
//! ```
//!
//! # Design
//!
//! Positions are `usize` counters that only grow (wrapping at `usize::MAX`);
//! position `p` lives in slot `p & mask`, where the slot count is `capacity`
//! rounded up to a power of two. The ring never holds more than the
//! `capacity` that was asked for.
//!
//! Each slot carries a *stamp* next to its value: a push of the items at
//! positions `p .. end` (one item, or a batch) writes their values, then
//! stores `end` into the stamp of `p`'s slot with `Release`. A consumer that
//! has caught up with the producer learns from the slot itself that a run
//! starting at its head is ready, so a message crosses between cores in one
//! cache line instead of two (the value's and the shared tail index's), and a
//! batch costs one stamp. The producer
//! also publishes its tail index (for `len` and batch pops) and the consumer
//! its head index (so the producer knows which slots are free); each side
//! caches the other's index and re-reads it only when its cached view says
//! the ring is full (producer) or empty (consumer).
//!
//! # Memory ordering
//!
//! Everything the producer wrote before a `push` (or batch push) of an item
//! happens-before the `pop` (or batch pop) that returns that item. Everything
//! the consumer did with a slot's previous item happens-before the producer
//! reuses the slot. Once [`Consumer::is_closed`] returns `true`, every item
//! the producer pushed is in the ring: popping until `None` sees all of them.

#[cfg(feature = "std")]
mod blocking;
mod consumer;
#[cfg(feature = "std")]
mod poll;
mod producer;
#[cfg(all(test, not(loom)))]
mod tests;

pub use consumer::{Consumer, Drain};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use poll::Permit;
pub use producer::Producer;

use alloc::boxed::Box;
use core::fmt;
use core::ptr::NonNull;

use crossbeam_utils::CachePadded;

use crate::loom::{Arc, AtomicBool, AtomicUsize, Ordering};
use crate::slot::{self, Slot};
use crate::wake::WakeTarget;
use crate::CapacityError;

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
/// let (mut tx, mut rx) = handoff::spsc::channel(2);
/// tx.push('a').unwrap();
/// tx.push('b').unwrap();
/// assert!(tx.push('c').is_err());
/// assert_eq!(rx.pop(), Some('a'));
/// assert_eq!(tx.capacity(), 2);
/// ```
///
/// ```should_panic
/// let _ = handoff::spsc::channel::<u8>(0);
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
/// use handoff::{spsc, CapacityError};
///
/// assert!(spsc::try_channel::<u8>(16).is_ok());
/// assert_eq!(spsc::try_channel::<u8>(0).unwrap_err(), CapacityError::Zero);
/// assert_eq!(
///     spsc::try_channel::<[u8; 1 << 20]>(1 << 60).unwrap_err(),
///     CapacityError::TooLarge { requested: 1 << 60 }
/// );
/// ```
pub fn try_channel<T: Send>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    channel_from(capacity, 0)
}

/// A ring whose positions start at `start` instead of 0: the same ring,
/// seen after `start` pushes. Tests start near `usize::MAX` to cross the
/// wrap of positions that 32-bit targets reach in minutes.
pub(crate) fn channel_from<T: Send>(
    capacity: usize,
    start: usize,
) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    let shared = Arc::new(Shared::new(capacity, start)?);
    let producer = Producer::new(Ring::new(Arc::clone(&shared), capacity));
    let consumer = Consumer::new(Ring::new(shared, capacity));
    Ok((producer, consumer))
}

/// The state both halves point to.
struct Shared<T> {
    /// Position of the next item the consumer will read. Written only by the
    /// consumer (`Release`, after it has read the items before it); always
    /// `<= tail` once both halves are gone, and `tail - head <= capacity`.
    head: CachePadded<AtomicUsize>,
    /// Position one past the last item the producer published. Written only
    /// by the producer (`Release`, after the items before it are written).
    tail: CachePadded<AtomicUsize>,
    /// Set once by the producer's `Drop`, after its last tail store.
    producer_gone: AtomicBool,
    /// Set once the consumer refuses pushes: by its `close` or its `Drop`
    /// (after its final head store).
    closed: AtomicBool,
    /// The consumer's parker (its own, or one given to `register`): woken
    /// by pushes and by the producer's `Drop`.
    rx_wake: WakeTarget,
    /// The producer's own parker: woken by pops and by the consumer's
    /// `Drop`.
    tx_wake: WakeTarget,
    /// `capacity.next_power_of_two()` slots, so `p & mask` finds a slot.
    ///
    /// A slot's stamp is written only by the producer, with `Release`, after
    /// the values it covers: a push (single or batch) of the run `p .. end`
    /// stores `end` into the stamp of `p`'s slot (and, beforehand, `q + 1`
    /// into the stamp of every other slot `q` of the run, `Relaxed`, so that
    /// every slot's stamp is rewritten once a lap). Any other value a
    /// slot's stamp holds was stored in an earlier lap, at most one lap
    /// before `head`, so `stamp - head` (wrapping) is in `1 ..= capacity`
    /// exactly when a run starting at `head` is published. That holds
    /// across the wrap of positions at `usize::MAX` (32-bit targets get
    /// there), since the slot count is at most `isize::MAX / 2`. A slot's
    /// value is initialised exactly for the positions in `head .. tail`.
    slots: Box<[Slot<T>]>,
}

impl<T> Shared<T> {
    fn new(capacity: usize, start: usize) -> Result<Self, CapacityError> {
        let len = capacity.checked_next_power_of_two();
        let mask = len.map_or(0, |len| len - 1);
        // Each slot's stamp starts at its first position: "an empty run
        // there" (`stamp - head` is 0 at that position).
        let slots = slot::alloc(
            capacity,
            |_| len,
            |i| start.wrapping_add(i.wrapping_sub(start) & mask),
        )?;
        Ok(Self {
            head: CachePadded::new(AtomicUsize::new(start)),
            tail: CachePadded::new(AtomicUsize::new(start)),
            producer_gone: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            rx_wake: WakeTarget::new(),
            tx_wake: WakeTarget::new(),
            slots,
        })
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if !core::mem::needs_drop::<T>() {
            return;
        }
        // ordering: Relaxed suffices; `Arc`'s final decrement synchronises
        // with both halves' drops, which stored their final indices.
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed);
        let mask = self.slots.len() - 1;
        debug_assert!(
            tail.wrapping_sub(head) <= self.slots.len(),
            "head {head} passed tail {tail}"
        );
        let len = tail.wrapping_sub(head);
        let slots = (0..len).map(|k| &self.slots[head.wrapping_add(k) & mask]);
        // SAFETY: positions `head .. tail` hold initialised values that were
        // pushed and never popped, each yielded once, and no half is left to
        // touch them.
        unsafe { crate::slot::drop_values(slots) };
    }
}

/// What each half holds of the ring: the shared state and, copied out of it
/// so that the hot paths do not chase the `Arc`, the slot pointer, the mask
/// and the capacity.
struct Ring<T> {
    shared: Arc<Shared<T>>,
    /// Invariant: `shared.slots.as_ptr()`, valid for `mask + 1` slots for as
    /// long as `shared` lives.
    slots: NonNull<Slot<T>>,
    /// `shared.slots.len() - 1`; the slot count is a power of two.
    mask: usize,
    /// The most items the ring holds: `1 ..= mask + 1`.
    capacity: usize,
}

impl<T> Ring<T> {
    fn new(shared: Arc<Shared<T>>, capacity: usize) -> Self {
        let slots = NonNull::from(&shared.slots[..]).cast::<Slot<T>>();
        let mask = shared.slots.len() - 1;
        debug_assert!(shared.slots.len().is_power_of_two() && (1..=mask + 1).contains(&capacity));
        Self {
            shared,
            slots,
            mask,
            capacity,
        }
    }

    /// The slot that position `pos` lives in.
    #[inline(always)]
    fn slot(&self, pos: usize) -> &Slot<T> {
        // SAFETY: `pos & mask <= mask`, and `slots` is valid for `mask + 1`
        // slots while `self.shared` keeps them alive (field invariant).
        unsafe { &*self.slots.as_ptr().add(pos & self.mask) }
    }
}

impl<T> fmt::Debug for Ring<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.capacity)
            .field("head", &self.shared.head.load(Ordering::Relaxed))
            .field("tail", &self.shared.tail.load(Ordering::Relaxed))
            .finish()
    }
}
