//! The signal table: slots, tickets, raising, retiring and taking.

use core::fmt;

use super::{Action, Actions};
use crate::loom::{spin_loop, Arc, AtomicU64, AtomicUsize, Ordering};
use crate::park::{RegisterError, Unparker};
use crate::{mpsc, CapacityError, PushError};

/// Bits 0..8 of a slot's word: the pending actions.
const ACTIONS: u64 = 0xff;
/// The slot's index is in (or about to be pushed into) the queue of
/// signalled slots.
const QUEUED: u64 = 1 << 8;
/// A request holds the slot.
const ACTIVE: u64 = 1 << 9;
/// The generation lives above the flags.
const GEN_SHIFT: u32 = 10;
/// Generations count modulo 2^54: a slot would have to be retired 2^54
/// times for a ticket to come back to life.
const GEN_MASK: u64 = u64::MAX >> GEN_SHIFT;

/// The most slots a table can have.
const MAX_SLOTS: usize = u32::MAX as usize;

fn generation(word: u64) -> u64 {
    word >> GEN_SHIFT
}

/// Makes a signal table of `slots` slots: the [`SignalTable`] that starts,
/// signals and retires requests (clone it for every thread that does), and
/// the [`Signals`] a worker takes the raised actions from.
///
/// # Errors
///
/// [`CapacityError::Zero`] for no slots, [`CapacityError::TooLarge`] beyond
/// `u32::MAX` slots or when the memory cannot be had.
///
/// # Panics
///
/// If the process has made 2^64 − 1 tables already (a table a nanosecond
/// for 584 years): table ids are never reused, so that a dead table's
/// ticket can never alias a live table's request.
///
/// ```
/// use handoff::signal::{self, Action, Raised};
///
/// let (table, mut signals) = signal::table(16)?;
/// let ticket = table.start().expect("a free slot");
/// assert_eq!(table.raise(ticket, Action::Dup), Raised::Delivered);
/// let (t, actions) = signals.pop().unwrap();
/// assert_eq!(t, ticket);
/// assert!(actions.contains(Action::Dup));
/// # Ok::<(), handoff::CapacityError>(())
/// ```
pub fn table(slots: usize) -> Result<(SignalTable, Signals), CapacityError> {
    if slots == 0 {
        return Err(CapacityError::Zero);
    }
    if slots > MAX_SLOTS {
        return Err(CapacityError::TooLarge { requested: slots });
    }
    // The queue holds each slot at most once (the QUEUED bit), so a queue
    // of `slots` can never be full.
    let (queue, taken) = mpsc::try_channel(slots)?;
    let mut words = Vec::new();
    let mut free = Vec::new();
    let free_words = slots.div_ceil(64);
    if words.try_reserve_exact(slots).is_err() || free.try_reserve_exact(free_words).is_err() {
        return Err(CapacityError::TooLarge { requested: slots });
    }
    words.extend((0..slots).map(|_| AtomicU64::new(0)));
    free.extend((0..free_words).map(|w| {
        let in_word = (slots - w * 64).min(64);
        AtomicU64::new(if in_word == 64 {
            u64::MAX
        } else {
            (1 << in_word) - 1
        })
    }));
    let shared = Arc::new(Shared {
        id: next_table_id(),
        words: words.into_boxed_slice(),
        free: free.into_boxed_slice(),
        hint: AtomicUsize::new(0),
        queue,
    });
    let signals = Signals {
        shared: Arc::clone(&shared),
        taken,
    };
    Ok((SignalTable { shared }, signals))
}

/// A number no other table of this process has, for its tickets: 64 bits,
/// so a ticket of a dead table can never alias a live table's (a process
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
struct Shared {
    /// Tells this table's tickets from other tables': unique in the
    /// process, never reused (see `next_table_id`).
    id: u64,
    /// One word per slot: the generation (bits 10..64), `ACTIVE`, `QUEUED`
    /// and the pending actions (bits 0..8).
    ///
    /// Invariants: actions are pending only while `ACTIVE` (raise sets them
    /// only on a word whose generation and `ACTIVE` match the ticket, by
    /// compare-and-swap; retire clears them with `ACTIVE` and bumps the
    /// generation in the same compare-and-swap). `QUEUED` is set by the one
    /// raise that queues the slot and cleared by the taker that pops it, so
    /// the queue holds each slot at most once.
    words: Box<[AtomicU64]>,
    /// A bit per slot, set while the slot is free; `start` claims a slot by
    /// clearing its bit, `retire` frees it by setting it again.
    free: Box<[AtomicU64]>,
    /// The free-bitmap word where `start` looks first.
    hint: AtomicUsize,
    /// Slots whose first pending action was raised: pushed by that raise,
    /// popped by [`Signals`].
    queue: mpsc::Producer<u32>,
}

impl Shared {
    /// The slot a ticket names, if it is one of this table's.
    fn word(&self, ticket: Ticket) -> Option<&AtomicU64> {
        if ticket.table != self.id {
            return None;
        }
        self.words.get(ticket.slot as usize)
    }

    fn ticket(&self, slot: usize, word: u64) -> Ticket {
        Ticket {
            table: self.id,
            slot: slot as u32,
            generation: generation(word),
        }
    }
}

/// Whether `word` is the slot of the request `ticket` was given to.
fn held_by(word: u64, ticket: Ticket) -> bool {
    word & ACTIVE != 0 && generation(word) == ticket.generation
}

/// The shared side of a signal table: starts requests, raises actions on
/// them and retires them. `Clone + Send + Sync`; every method is lock-free
/// and allocation-free, and [`raise`](Self::raise) is async-signal-safe.
///
/// ```
/// use handoff::signal::{self, Action, Raised};
///
/// let (table, _signals) = signal::table(4)?;
/// let t = table.start().unwrap();
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
    shared: Arc<Shared>,
}

/// A request's claim on a slot: its index and generation, and which table
/// it belongs to. `Copy`, `Send` and `Sync`; cheap to hand to any thread
/// (or to store where a signal handler can read it).
///
/// ```
/// let (table, _signals) = handoff::signal::table(8)?;
/// let t = table.start().unwrap();
/// assert!(t.slot() < 8);
/// assert_eq!(t.generation(), 0);
/// # Ok::<(), handoff::CapacityError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ticket {
    /// The table's id: unique in the process, never reused.
    table: u64,
    slot: u32,
    generation: u64,
}

impl Ticket {
    /// The slot's index in its table.
    ///
    /// ```
    /// let (table, _s) = handoff::signal::table(1)?;
    /// assert_eq!(table.start().unwrap().slot(), 0);
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn slot(&self) -> usize {
        self.slot as usize
    }

    /// How many requests held the slot before this one (modulo 2^54).
    ///
    /// ```
    /// let (table, _s) = handoff::signal::table(1)?;
    /// let first = table.start().unwrap();
    /// table.retire(first).unwrap();
    /// assert_eq!(table.start().unwrap().generation(), 1);
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// What [`SignalTable::raise`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "a Stale signal reached nobody"]
pub enum Raised {
    /// The action is now pending on the request (the worker is woken if
    /// this is the slot's first pending action and the worker sleeps).
    Delivered,
    /// The action was already pending on the request: coalesced.
    AlreadyPending,
    /// The request is gone (retired, or its slot now belongs to another
    /// request), or the ticket is another table's: nothing happened.
    Stale,
}

/// The ticket's request is gone, or the ticket is another table's.
///
/// ```
/// use handoff::signal::{self, StaleTicket};
/// let (table, _s) = signal::table(1)?;
/// let t = table.start().unwrap();
/// table.retire(t).unwrap();
/// assert_eq!(table.retire(t), Err(StaleTicket));
/// assert_eq!(StaleTicket.to_string(), "stale ticket: its request is gone, or it is another table's");
/// # Ok::<(), handoff::CapacityError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaleTicket;

impl fmt::Display for StaleTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stale ticket: its request is gone, or it is another table's")
    }
}

impl std::error::Error for StaleTicket {}

impl SignalTable {
    /// Starts a request: claims a free slot and returns its ticket, or
    /// `None` if every slot is in use. Lock-free: it scans the free bitmap
    /// from where the last start found a slot.
    ///
    /// ```
    /// let (table, _s) = handoff::signal::table(2)?;
    /// let a = table.start().unwrap();
    /// let b = table.start().unwrap();
    /// assert_ne!(a.slot(), b.slot());
    /// assert!(table.start().is_none());
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn start(&self) -> Option<Ticket> {
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
                // the slot's previous request ended before we reuse it.
                let old = shared.free[w].fetch_and(!bit, Ordering::Acquire);
                if old & bit == 0 {
                    seen = old;
                    continue;
                }
                let slot = w * 64 + seen.trailing_zeros() as usize;
                // ordering: Relaxed; nobody holds a ticket of the new
                // generation yet, and the ticket reaches raisers through
                // whatever hands it over (which orders this before them).
                let word = shared.words[slot].fetch_or(ACTIVE, Ordering::Relaxed);
                debug_assert!(
                    word & (ACTIVE | ACTIONS) == 0,
                    "slot {slot} was free but active or with actions: {word:#x}"
                );
                // ordering: Relaxed; a hint.
                shared.hint.store(w, Ordering::Relaxed);
                return Some(shared.ticket(slot, word));
            }
        }
        None
    }

    /// Raises `action` on the ticket's request: [`Raised::Delivered`],
    /// [`Raised::AlreadyPending`] (coalesced) or [`Raised::Stale`] (the
    /// request is gone or the slot holds another request now; nothing
    /// happens to it).
    ///
    /// Lock-free, allocation-free, never panics, and async-signal-safe: a
    /// compare-and-swap on the slot's word; for the slot's first pending
    /// action also a push of its index onto the signalled queue, which wakes
    /// a registered parker with one futex wake or eventfd write if the worker
    /// sleeps (not async-signal-safe if the worker waits as an async task).
    /// Everything the raiser wrote before a `Delivered` raise is visible to
    /// the worker that takes the action.
    ///
    /// ```
    /// use handoff::signal::{self, Action, Raised};
    /// let (table, _s) = signal::table(1)?;
    /// let t = table.start().unwrap();
    /// assert_eq!(table.raise(t, Action::Timeout), Raised::Delivered);
    /// assert_eq!(table.raise(t, Action::Timeout), Raised::AlreadyPending);
    /// table.retire(t).unwrap();
    /// let next = table.start().unwrap(); // same slot, next generation
    /// assert_eq!(table.raise(t, Action::Cancel), Raised::Stale);
    /// assert!(table.pending(next).is_empty());
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn raise(&self, ticket: Ticket, action: Action) -> Raised {
        let Some(word) = self.shared.word(ticket) else {
            return Raised::Stale;
        };
        let bit = u64::from(action.bit());
        // ordering: Relaxed; the compare-and-swap below checks it.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            if !held_by(current, ticket) {
                return Raised::Stale;
            }
            if current & bit != 0 {
                return Raised::AlreadyPending;
            }
            let queue = current & QUEUED == 0;
            // ordering: Release publishes what the raiser wrote before
            // raising to the taker, whose read-modify-write is Acquire.
            // Acquire: a raise that finds QUEUED clear then sees the queue
            // slot the taker freed before clearing it (its Release), so its
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
                        self.queue(ticket.slot);
                    }
                    return Raised::Delivered;
                }
                Err(now) => current = now,
            }
        }
    }

    /// Pushes a slot that just got its first pending action onto the
    /// signalled queue (which wakes the worker's parker if it sleeps).
    ///
    /// The queue always has room: QUEUED admits each slot once, and the
    /// queue holds as many entries as the table has slots. But a raiser may
    /// not yet *see* the queue slot the taker freed last (nothing orders the
    /// taker's pop of an older entry before this raise unless the raiser
    /// synchronised with it), and then the push reports `Full`. That view is
    /// stale, not the queue full, so we retry until the freed slot is
    /// visible: a few spins, and no lock (safe in a signal handler).
    fn queue(&self, slot: u32) {
        let mut slot = slot;
        loop {
            match self.shared.queue.push(slot) {
                Ok(()) | Err(PushError::Closed(_)) => return,
                Err(PushError::Full(back)) => {
                    slot = back;
                    spin_loop();
                }
            }
        }
    }

    /// Ends the ticket's request: frees its slot for the next request, whose
    /// generation is one higher (so this ticket is stale from now on).
    /// Returns the actions still pending, never taken.
    ///
    /// # Errors
    ///
    /// [`StaleTicket`] if the request was already retired, or the ticket is
    /// another table's.
    ///
    /// ```
    /// use handoff::signal::{self, Action, StaleTicket};
    /// let (table, _s) = signal::table(1)?;
    /// let t = table.start().unwrap();
    /// let _ = table.raise(t, Action::Retry);
    /// assert_eq!(table.retire(t).unwrap().iter().collect::<Vec<_>>(), [Action::Retry]);
    /// assert_eq!(table.retire(t), Err(StaleTicket));
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn retire(&self, ticket: Ticket) -> Result<Actions, StaleTicket> {
        let word = self.shared.word(ticket).ok_or(StaleTicket)?;
        // ordering: Relaxed; the compare-and-swap below checks it.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            if !held_by(current, ticket) {
                return Err(StaleTicket);
            }
            let next = ((generation(current) + 1) & GEN_MASK) << GEN_SHIFT | (current & QUEUED);
            // ordering: Acquire takes the raisers' publications of the
            // actions handed back; Release orders the request's end before
            // the slot's next `start` (through the free bit's Release).
            match word.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        let slot = ticket.slot as usize;
        // ordering: Release pairs with `start`'s Acquire fetch_and.
        let old = self.shared.free[slot / 64].fetch_or(1 << (slot % 64), Ordering::Release);
        debug_assert!(old & (1 << (slot % 64)) == 0, "slot {slot} freed twice");
        Ok(Actions::from_bits((current & ACTIONS) as u8))
    }

    /// The actions pending on the ticket's request now (empty if stale).
    ///
    /// ```
    /// use handoff::signal::{self, Action};
    /// let (table, _s) = signal::table(1)?;
    /// let t = table.start().unwrap();
    /// let _ = table.raise(t, Action::Dup);
    /// assert!(table.pending(t).contains(Action::Dup));
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn pending(&self, ticket: Ticket) -> Actions {
        match self.shared.word(ticket) {
            Some(word) => {
                // ordering: Acquire, so a caller that acts on an action sees
                // what its raiser wrote before raising it.
                let current = word.load(Ordering::Acquire);
                if held_by(current, ticket) {
                    Actions::from_bits((current & ACTIONS) as u8)
                } else {
                    Actions::EMPTY
                }
            }
            None => Actions::EMPTY,
        }
    }

    /// Whether the ticket's request still holds its slot.
    ///
    /// ```
    /// let (table, _s) = handoff::signal::table(1)?;
    /// let t = table.start().unwrap();
    /// assert!(table.is_current(t));
    /// table.retire(t).unwrap();
    /// assert!(!table.is_current(t));
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn is_current(&self, ticket: Ticket) -> bool {
        self.shared
            .word(ticket)
            // ordering: Relaxed; an answer that may be outdated at once.
            .is_some_and(|w| held_by(w.load(Ordering::Relaxed), ticket))
    }

    /// The number of slots.
    ///
    /// ```
    /// assert_eq!(handoff::signal::table(100)?.0.capacity(), 100);
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.words.len()
    }
}

/// The worker's side of a signal table: finds the requests that have
/// pending actions, in O(1) each, and takes their actions.
///
/// `Send`, not `Sync`: one worker takes. Register a parker to sleep until
/// a raise:
///
/// ```
/// use handoff::park::Parker;
/// use handoff::signal::{self, Action};
///
/// let (table, mut signals) = signal::table(8)?;
/// let mut parker = Parker::new();
/// signals.register(&parker.unparker()).unwrap();
/// let t = table.start().unwrap();
/// std::thread::spawn(move || { let _ = table.raise(t, Action::Cancel); });
/// let (who, what) = parker.wait(|| signals.pop()); // sleeps until the raise
/// assert_eq!((who, what.contains(Action::Cancel)), (t, true));
/// # Ok::<(), handoff::CapacityError>(())
/// ```
pub struct Signals {
    shared: Arc<Shared>,
    taken: mpsc::Consumer<u32>,
}

impl Signals {
    /// Takes the pending actions of the next signalled request, with its
    /// ticket; `None` when no request has pending actions. Each signalled
    /// slot costs one pop and one atomic read-modify-write.
    ///
    /// ```
    /// use handoff::signal::{self, Action};
    /// let (table, mut signals) = signal::table(4)?;
    /// let (a, b) = (table.start().unwrap(), table.start().unwrap());
    /// let _ = table.raise(b, Action::Dup);
    /// let _ = table.raise(a, Action::Cancel);
    /// let _ = table.raise(b, Action::Timeout);
    /// let (t, actions) = signals.pop().unwrap();
    /// assert_eq!((t, actions.len()), (b, 2));
    /// assert_eq!(signals.pop().unwrap().0, a);
    /// assert!(signals.pop().is_none());
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn pop(&mut self) -> Option<(Ticket, Actions)> {
        while let Some(slot) = self.taken.pop() {
            let slot = slot as usize;
            let word = &self.shared.words[slot];
            // ordering: Acquire pairs with the raisers' Release
            // compare-and-swap (also of raisers that did not queue the
            // slot); one read-modify-write takes the actions and lets the
            // next raise queue the slot again. Release hands that raise
            // (Acquire) the queue slot we just freed by popping.
            let old = word.fetch_and(!(QUEUED | ACTIONS), Ordering::AcqRel);
            debug_assert!(old & QUEUED != 0, "slot {slot} popped but not queued");
            let actions = Actions::from_bits((old & ACTIONS) as u8);
            // Actions taken directly (`take`) or dropped by `retire` leave
            // nothing here: skip the slot.
            if !actions.is_empty() {
                return Some((self.shared.ticket(slot, old), actions));
            }
        }
        None
    }

    /// Takes the actions pending on one request (empty if none, or if the
    /// ticket is stale), without waiting for its turn in [`pop`](Self::pop).
    ///
    /// ```
    /// use handoff::signal::{self, Action};
    /// let (table, mut signals) = signal::table(4)?;
    /// let t = table.start().unwrap();
    /// let _ = table.raise(t, Action::Detach);
    /// assert!(signals.take(t).contains(Action::Detach));
    /// assert!(signals.take(t).is_empty());
    /// assert!(signals.pop().is_none()); // nothing left for the queue
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn take(&mut self, ticket: Ticket) -> Actions {
        let Some(word) = self.shared.word(ticket) else {
            return Actions::EMPTY;
        };
        // ordering: Relaxed; the compare-and-swap below checks it.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            if !held_by(current, ticket) || current & ACTIONS == 0 {
                return Actions::EMPTY;
            }
            // QUEUED stays: the slot's entry in the queue is popped (empty)
            // later, and until then no raise may queue it again.
            // ordering: Acquire pairs with the raisers' Release.
            match word.compare_exchange_weak(
                current,
                current & !ACTIONS,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Actions::from_bits((current & ACTIONS) as u8),
                Err(now) => current = now,
            }
        }
    }

    /// Makes raises wake `unparker`'s [`Parker`](crate::park::Parker) (the
    /// worker's, shared with its inbound rings) when they queue a slot.
    ///
    /// ```
    /// use handoff::{park::Parker, signal};
    /// let (_table, signals) = signal::table(4)?;
    /// assert!(signals.register(&Parker::new().unparker()).is_ok());
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn register(&self, unparker: &Unparker) -> Result<(), RegisterError> {
        self.taken.register(unparker)
    }

    /// Whether a signalled slot waits in the queue (its actions may have
    /// been taken by [`take`](Self::take) since), counting raises that have
    /// claimed their place in it and not written it yet.
    pub(crate) fn has_pending(&self) -> bool {
        !self.taken.is_empty()
    }

    /// Whether [`pop`](Self::pop) would find a signalled slot now: raises
    /// stalled between claiming their place in the queue and writing it do
    /// not count (they wake a registered parker once they write it).
    pub(crate) fn has_ready(&self) -> bool {
        self.taken.is_ready()
    }

    /// The table these signals come from.
    ///
    /// ```
    /// let (table, signals) = handoff::signal::table(4)?;
    /// let t = signals.table().start().unwrap();
    /// assert!(table.is_current(t));
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn table(&self) -> SignalTable {
        SignalTable {
            shared: Arc::clone(&self.shared),
        }
    }
}

#[cfg(all(test, not(loom)))]
impl SignalTable {
    /// Raises `action` as [`raise`](Self::raise) does, but stops its push
    /// onto the signalled queue right after the claim, as a raiser
    /// preempted there (or interrupted by a signal) would. Returns the
    /// stalled push, whose `publish(ticket.slot)` finishes it; `None` if
    /// the raise did not have to queue the slot.
    pub(crate) fn raise_stalled(
        &self,
        ticket: Ticket,
        action: Action,
    ) -> Option<crate::mpsc::Stalled<u32>> {
        let word = self.shared.word(ticket)?;
        let bit = u64::from(action.bit());
        let old = word.fetch_or(bit | QUEUED, Ordering::AcqRel);
        assert!(held_by(old, ticket), "raise_stalled on a stale ticket");
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

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("table", &self.shared.id)
            .finish_non_exhaustive()
    }
}
