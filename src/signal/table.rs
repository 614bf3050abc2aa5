//! The signal table: its entries, and claiming, raising and retiring them.

use core::fmt;

use super::{Action, Actions, Key, Raised, StaleKey};
use crate::loom::{spin_loop, Arc, AtomicU64, AtomicUsize, Ordering};
use crate::{mpsc, CapacityError, PushError};

/// Bits 0..8 of an entry's word: the pending actions.
pub(super) const ACTIONS: u64 = 0xff;
/// The entry's index is in (or about to be pushed into) the queue of
/// signalled entries.
pub(super) const QUEUED: u64 = 1 << 8;
/// A request holds the entry.
const ACTIVE: u64 = 1 << 9;
/// The generation lives above the flags.
const GEN_SHIFT: u32 = 10;
/// Generations count modulo 2^54: an entry would have to be retired 2^54
/// times for a key to come back to life.
const GEN_MASK: u64 = u64::MAX >> GEN_SHIFT;

/// The most entries a table can have.
const MAX_ENTRIES: usize = u32::MAX as usize;

fn generation(word: u64) -> u64 {
    word >> GEN_SHIFT
}

/// A number no other table of this process has, for its keys: 64 bits,
/// so a key of a dead table can never alias a live table's (a process
/// would have to make a table every nanosecond for 584 years; if it ever
/// did, this panics rather than wrap).
fn next_table_id() -> u64 {
    // A plain std atomic even under loom: it only tells tables apart.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    // ordering: Relaxed; uniqueness needs only the read-modify-write.
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(id != u64::MAX, "handoff: out of signal table ids");
    id
}

/// What the table's handles share.
pub(super) struct Shared {
    /// Tells this table's keys from other tables': unique in the
    /// process, never reused (see `next_table_id`).
    pub(super) id: u64,
    /// One word per entry: the generation (bits 10..64), `ACTIVE`, `QUEUED`
    /// and the pending actions (bits 0..8).
    ///
    /// Invariants: actions are pending only while `ACTIVE` (raise sets them
    /// only on a word whose generation and `ACTIVE` match the key, by
    /// compare-and-swap; retire clears them with `ACTIVE` and bumps the
    /// generation in the same compare-and-swap). `QUEUED` is set by the one
    /// raise that queues the entry and cleared by the taker that pops it, so
    /// the queue holds each entry at most once.
    pub(super) words: Box<[AtomicU64]>,
    /// A bit per entry, set while the entry is free; `claim` takes an entry by
    /// clearing its bit, `retire` frees it by setting it again.
    free: Box<[AtomicU64]>,
    /// The free-bitmap word where `claim` looks first.
    hint: AtomicUsize,
    /// Entries whose first pending action was raised: pushed by that raise,
    /// popped by [`Signals`].
    queue: mpsc::Producer<u32>,
}

impl Shared {
    /// A table of `entries` entries, all free, and the consumer of its
    /// queue of signalled entries (for its [`Signals`](super::Signals)).
    pub(super) fn new(entries: usize) -> Result<(Self, mpsc::Consumer<u32>), CapacityError> {
        if entries == 0 {
            return Err(CapacityError::Zero);
        }
        if entries > MAX_ENTRIES {
            return Err(CapacityError::TooLarge { requested: entries });
        }
        // The queue holds each entry at most once (the QUEUED bit), so a queue
        // of `entries` can never be full.
        let (queue, taken) = mpsc::try_channel(entries)?;
        let mut words = Vec::new();
        let mut free = Vec::new();
        let free_words = entries.div_ceil(64);
        if words.try_reserve_exact(entries).is_err() || free.try_reserve_exact(free_words).is_err()
        {
            return Err(CapacityError::TooLarge { requested: entries });
        }
        words.extend((0..entries).map(|_| AtomicU64::new(0)));
        free.extend((0..free_words).map(|w| {
            let in_word = (entries - w * 64).min(64);
            AtomicU64::new(if in_word == 64 {
                u64::MAX
            } else {
                (1 << in_word) - 1
            })
        }));
        let shared = Shared {
            id: next_table_id(),
            words: words.into_boxed_slice(),
            free: free.into_boxed_slice(),
            hint: AtomicUsize::new(0),
            queue,
        };
        Ok((shared, taken))
    }

    /// The entry a key names, if it is one of this table's.
    pub(super) fn word(&self, key: Key) -> Option<&AtomicU64> {
        if key.table != self.id {
            return None;
        }
        self.words.get(key.index as usize)
    }

    pub(super) fn key(&self, entry: usize, word: u64) -> Key {
        Key {
            table: self.id,
            index: entry as u32,
            generation: generation(word),
        }
    }
}

/// Whether `word` is the entry of the request `key` was given to.
pub(super) fn held_by(word: u64, key: Key) -> bool {
    word & ACTIVE != 0 && generation(word) == key.generation
}

/// The shared side of a signal table: claims entries for requests, raises actions on
/// them and retires them. `Clone + Send + Sync`; every method is lock-free
/// and allocation-free, and [`raise`](Self::raise) is async-signal-safe.
///
/// ```
/// use handoff::signal::{self, Action, Raised};
///
/// let (table, _signals) = signal::table(4)?;
/// let t = table.claim().unwrap();
/// let network = table.clone();
/// std::thread::spawn(move || assert_eq!(network.raise(t, Action::Cancel), Raised::Delivered))
///     .join()
///     .unwrap();
/// assert!(table.retire(t).unwrap().contains(Action::Cancel)); // never taken
/// assert_eq!(table.raise(t, Action::Cancel), Raised::Stale);
/// # Ok::<(), handoff::CapacityError>(())
/// ```
#[derive(Clone)]
pub struct SignalTable {
    pub(super) shared: Arc<Shared>,
}

impl SignalTable {
    /// Claims a free entry for a request and returns its key, or
    /// `None` if every entry is in use. Lock-free: it scans the free bitmap
    /// from where the last claim found an entry.
    ///
    /// ```
    /// let (table, _s) = handoff::signal::table(2)?;
    /// let a = table.claim().unwrap();
    /// let b = table.claim().unwrap();
    /// assert_ne!(a.index(), b.index());
    /// assert!(table.claim().is_none());
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn claim(&self) -> Option<Key> {
        let shared = &*self.shared;
        let words = shared.free.len();
        // ordering: Relaxed; only where to look first.
        // The hint is always below `words`: it is only ever set to a `w`.
        let first = shared.hint.load(Ordering::Relaxed);
        debug_assert!(first < words);
        for k in 0..words {
            // (first + k) % words, without a division.
            let w = if first + k < words {
                first + k
            } else {
                first + k - words
            };
            // ordering: Relaxed; a guess, checked by the fetch_and below.
            let mut seen = shared.free[w].load(Ordering::Relaxed);
            while seen != 0 {
                let bit = 1u64 << seen.trailing_zeros();
                // ordering: Acquire pairs with `retire`'s Release fetch_or:
                // the entry's previous request ended before we reuse it.
                let old = shared.free[w].fetch_and(!bit, Ordering::Acquire);
                if old & bit == 0 {
                    seen = old;
                    continue;
                }
                let entry = w * 64 + seen.trailing_zeros() as usize;
                // ordering: Relaxed; nobody holds a key of the new
                // generation yet, and the key reaches raisers through
                // whatever hands it over (which orders this before them).
                let word = shared.words[entry].fetch_or(ACTIVE, Ordering::Relaxed);
                debug_assert!(
                    word & (ACTIVE | ACTIONS) == 0,
                    "entry {entry} was free but active or with actions: {word:#x}"
                );
                // ordering: Relaxed; a hint.
                shared.hint.store(w, Ordering::Relaxed);
                return Some(shared.key(entry, word));
            }
        }
        None
    }

    /// Raises `action` on the key's request: [`Raised::Delivered`],
    /// [`Raised::AlreadyPending`] (coalesced) or [`Raised::Stale`] (the
    /// request is gone or the entry holds another request now; nothing
    /// happens to it).
    ///
    /// Lock-free, allocation-free, never panics, and async-signal-safe: a
    /// compare-and-swap on the entry's word; for the entry's first pending
    /// action also a push of its index onto the signalled queue, which wakes
    /// a registered parker with one futex wake or eventfd write if the worker
    /// sleeps (not async-signal-safe if the worker waits as an async task).
    /// Everything the raiser wrote before a `Delivered` raise is visible to
    /// the worker that takes the action.
    ///
    /// ```
    /// use handoff::signal::{self, Action, Raised};
    /// let (table, _s) = signal::table(1)?;
    /// let t = table.claim().unwrap();
    /// assert_eq!(table.raise(t, Action::Timeout), Raised::Delivered);
    /// assert_eq!(table.raise(t, Action::Timeout), Raised::AlreadyPending);
    /// table.retire(t).unwrap();
    /// let next = table.claim().unwrap(); // same entry, next generation
    /// assert_eq!(table.raise(t, Action::Cancel), Raised::Stale);
    /// assert!(table.pending(next).is_empty());
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn raise(&self, key: Key, action: Action) -> Raised {
        let Some(word) = self.shared.word(key) else {
            return Raised::Stale;
        };
        let bit = u64::from(action.bit());
        // ordering: Relaxed; the compare-and-swap below checks it.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            if !held_by(current, key) {
                return Raised::Stale;
            }
            if current & bit != 0 {
                return Raised::AlreadyPending;
            }
            let queue = current & QUEUED == 0;
            // ordering: Release publishes what the raiser wrote before
            // raising to the taker, whose read-modify-write is Acquire.
            // Acquire: a raise that finds QUEUED clear then sees the queue
            // entry the taker freed before clearing it (its Release), so its
            // push rarely meets a stale "full" (see `queue`; loom found that
            // case, which once lost the action). Relaxed on failure, which
            // only retries.
            match word.compare_exchange_weak(
                current,
                current | bit | QUEUED,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if queue {
                        self.queue(key.index);
                    }
                    return Raised::Delivered;
                }
                Err(now) => current = now,
            }
        }
    }

    /// Pushes an entry that just got its first pending action onto the
    /// signalled queue (which wakes the worker's parker if it sleeps).
    ///
    /// The queue always has room: QUEUED admits each entry once, and the
    /// queue holds as many entries as the table has entries. But a raiser may
    /// not yet *see* the queue slot the taker freed last (nothing orders the
    /// taker's pop of an older entry before this raise unless the raiser
    /// synchronised with it), and then the push reports `Full`. That view is
    /// stale, not the queue full, so we retry until the freed slot is
    /// visible: a few spins, and no lock (safe in a signal handler).
    fn queue(&self, entry: u32) {
        let mut entry = entry;
        loop {
            match self.shared.queue.push(entry) {
                Ok(()) | Err(PushError::Closed(_)) => return,
                Err(PushError::Full(back)) => {
                    entry = back;
                    spin_loop();
                }
            }
        }
    }

    /// Ends the key's request: frees its entry for the next request, whose
    /// generation is one higher (so this key is stale from now on).
    /// Returns the actions still pending, never taken.
    ///
    /// # Errors
    ///
    /// [`StaleKey`] if the request was already retired, or the key is
    /// another table's.
    ///
    /// ```
    /// use handoff::signal::{self, Action, StaleKey};
    /// let (table, _s) = signal::table(1)?;
    /// let t = table.claim().unwrap();
    /// let _ = table.raise(t, Action::Retry);
    /// assert_eq!(table.retire(t).unwrap().iter().collect::<Vec<_>>(), [Action::Retry]);
    /// assert_eq!(table.retire(t), Err(StaleKey));
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn retire(&self, key: Key) -> Result<Actions, StaleKey> {
        let word = self.shared.word(key).ok_or(StaleKey)?;
        // ordering: Relaxed; the compare-and-swap below checks it.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            if !held_by(current, key) {
                return Err(StaleKey);
            }
            let next = ((generation(current) + 1) & GEN_MASK) << GEN_SHIFT | (current & QUEUED);
            // ordering: Acquire takes the raisers' publications of the
            // actions handed back; Release orders the request's end before
            // the entry's next `claim` (through the free bit's Release).
            match word.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        let entry = key.index as usize;
        // ordering: Release pairs with `claim`'s Acquire fetch_and.
        let old = self.shared.free[entry / 64].fetch_or(1 << (entry % 64), Ordering::Release);
        debug_assert!(old & (1 << (entry % 64)) == 0, "entry {entry} freed twice");
        Ok(Actions::from_bits((current & ACTIONS) as u8))
    }

    /// The actions pending on the key's request now (empty if stale).
    ///
    /// ```
    /// use handoff::signal::{self, Action};
    /// let (table, _s) = signal::table(1)?;
    /// let t = table.claim().unwrap();
    /// let _ = table.raise(t, Action::Dup);
    /// assert!(table.pending(t).contains(Action::Dup));
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn pending(&self, key: Key) -> Actions {
        match self.shared.word(key) {
            Some(word) => {
                // ordering: Acquire, so a caller that acts on an action sees
                // what its raiser wrote before raising it.
                let current = word.load(Ordering::Acquire);
                if held_by(current, key) {
                    Actions::from_bits((current & ACTIONS) as u8)
                } else {
                    Actions::EMPTY
                }
            }
            None => Actions::EMPTY,
        }
    }

    /// Whether the key's request still holds its entry.
    ///
    /// ```
    /// let (table, _s) = handoff::signal::table(1)?;
    /// let t = table.claim().unwrap();
    /// assert!(table.is_current(t));
    /// table.retire(t).unwrap();
    /// assert!(!table.is_current(t));
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn is_current(&self, key: Key) -> bool {
        self.shared
            .word(key)
            // ordering: Relaxed; an answer that may be outdated at once.
            .is_some_and(|w| held_by(w.load(Ordering::Relaxed), key))
    }

    /// Whether a [`claim`](Self::claim) may find a free entry now: an
    /// answer that may be outdated at once, for a caller whose own barrier
    /// orders it (the worker pool's back-pressure loop re-checks with it
    /// after announcing that it sleeps).
    pub(crate) fn has_free(&self) -> bool {
        // ordering: Relaxed; the caller's barrier orders these loads.
        self.shared
            .free
            .iter()
            .any(|w| w.load(Ordering::Relaxed) != 0)
    }

    /// The number of entries.
    ///
    /// ```
    /// assert_eq!(handoff::signal::table(100)?.0.capacity(), 100);
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.words.len()
    }
}

#[cfg(all(test, not(loom)))]
impl SignalTable {
    /// Raises `action` as [`raise`](Self::raise) does, but stops its push
    /// onto the signalled queue right after the claim, as a raiser
    /// preempted there (or interrupted by a signal) would. Returns the
    /// stalled push, whose `publish(key.index)` finishes it; `None` if
    /// the raise did not have to queue the entry.
    pub(crate) fn raise_stalled(
        &self,
        key: Key,
        action: Action,
    ) -> Option<crate::mpsc::Stalled<u32>> {
        let word = self.shared.word(key)?;
        let bit = u64::from(action.bit());
        let old = word.fetch_or(bit | QUEUED, Ordering::AcqRel);
        assert!(held_by(old, key), "raise_stalled on a stale key");
        if old & QUEUED != 0 {
            return None;
        }
        Some(self.shared.queue.stall().expect("the queue has room"))
    }
}

impl fmt::Debug for SignalTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalTable")
            .field("id", &self.shared.id)
            .field("capacity", &self.capacity())
            .finish()
    }
}
