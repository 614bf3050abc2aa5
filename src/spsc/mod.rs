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
//! Positions are `usize` counters that only grow (wrapping at `usize::MAX`).
//! The ring's memory is a cycle of *groups*: each group is a stamp followed
//! by as many values as fit beside it in a 64-byte cache line (7 `u64`s, 14
//! `u32`s; one value when `T` is 56 bytes or more). Each half walks the
//! cycle with a cursor that moves in step with its position. The ring never
//! holds more than the `capacity` that was asked for.
//!
//! A push writes its item's value, then stores the position after it with
//! `Release` into the stamp of the item's group, right away, while its core
//! holds the line; a batch does the same for each group it writes, as it
//! goes. A consumer that has caught up with the producer reads the stamp
//! of the group its head is in: any value `end` with `end - head`
//! (wrapping) in `1 ..= capacity` says that every item up to `end` is
//! ready. So a message crosses between cores in the cache line that
//! carries it (not also in the line of a shared tail index), a batch costs
//! one stamp per line, and an empty ring is polled without touching the
//! producer's lines. The producer also publishes its tail index (for `len`
//! and batch pops) and the consumer its head index (so the producer knows
//! which cells are free); each side caches the other's index and re-reads
//! it only when its cached view says the ring is full (producer) or empty
//! (consumer).
//!
//! # Memory ordering
//!
//! Everything the producer wrote before a `push` (or batch push) of an item
//! happens-before the `pop` (or batch pop) that returns that item. Everything
//! the consumer did with a cell's previous item happens-before the producer
//! reuses the cell. Once [`Consumer::is_closed`] returns `true`, every item
//! the producer pushed is in the ring: popping until `None` sees all of them.

#[cfg(feature = "std")]
mod blocking;
mod consumer;
mod groups;
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

use core::fmt;

use crossbeam_utils::CachePadded;

use self::groups::{Cells, Groups};
use crate::loom::{Arc, AtomicBool, AtomicUsize, Ordering};
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
    /// The consumer's cell index (`Cells::index` of its cursor), stored by
    /// its `Drop` for ours: where position `head` lives.
    head_cell: AtomicUsize,
    /// The consumer's parker (its own, or one given to `register`): woken
    /// by pushes and by the producer's `Drop`.
    rx_wake: WakeTarget,
    /// The producer's own parker: woken by pops and by the consumer's
    /// `Drop`.
    tx_wake: WakeTarget,
    /// At least `capacity` cells, in groups, which both halves walk in the
    /// same order from cell 0 (at position `start`).
    ///
    /// A group's stamp is written only by the producer, with `Release`,
    /// after the values it covers: a push stores the position after its
    /// item into the stamp of the item's group, and a batch push stores,
    /// into the stamp of each group it writes, the position after the last
    /// value it wrote there. So every value a stamp ever holds is a
    /// position `end` with every item before it written: a consumer at
    /// `head` that reads a stamp `end` with `end - head` (wrapping) in
    /// `1 ..= capacity` may read up to `end`. Any other value is one that
    /// is at or before `head`: a group's stamp is rewritten each lap of the
    /// producer, so no stamp is old enough to look ready once positions
    /// wrap around `usize::MAX` (32-bit targets get there); the cell count
    /// is at most `isize::MAX / 4`. A cell's value is initialised exactly
    /// for the positions in `head .. tail`.
    groups: Groups<T>,
}

impl<T> Shared<T> {
    fn new(capacity: usize, start: usize) -> Result<Self, CapacityError> {
        // Every stamp starts at `start`: "an empty run there".
        let groups = Groups::new(capacity, start)?;
        Ok(Self {
            head: CachePadded::new(AtomicUsize::new(start)),
            tail: CachePadded::new(AtomicUsize::new(start)),
            producer_gone: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            head_cell: AtomicUsize::new(0),
            rx_wake: WakeTarget::new(),
            tx_wake: WakeTarget::new(),
            groups,
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
        let len = tail.wrapping_sub(head);
        let cells = self.groups.cells();
        let at = cells.cursor(self.head_cell.load(Ordering::Relaxed));
        debug_assert!(len <= cells.len(), "head {head} passed tail {tail}");
        let values = (0..len).scan(at, |at, _| {
            let cell = cells.cell(*at);
            *at = cells.next(*at);
            Some(cell)
        });
        // SAFETY: positions `head .. tail`, in the cells from `at` on, hold
        // initialised values that were pushed and never popped, each yielded
        // once, and no half is left to touch them.
        unsafe { crate::slot::drop_values(values) };
    }
}

/// What each half holds of the ring: the shared state and, copied out of it
/// so that the hot paths do not chase the `Arc`, a view of the cells and
/// the capacity.
struct Ring<T> {
    shared: Arc<Shared<T>>,
    /// `shared.groups.cells()`, valid while `shared` lives.
    cells: Cells<T>,
    /// The most items the ring holds: `1 ..=` the cell count.
    capacity: usize,
}

impl<T> Ring<T> {
    fn new(shared: Arc<Shared<T>>, capacity: usize) -> Self {
        let cells = shared.groups.cells();
        debug_assert!((1..=cells.len()).contains(&capacity));
        Self {
            shared,
            cells,
            capacity,
        }
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
