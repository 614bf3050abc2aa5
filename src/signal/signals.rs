//! The worker's side of a signal table: taking the raised actions.

use core::fmt;

use super::table::{held_by, Shared, ACTIONS, QUEUED};
use super::{Actions, Key, SignalTable};
use crate::loom::{Arc, Ordering};
use crate::mpsc;
use crate::park::{RegisterError, Unparker};

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
/// let t = table.claim().unwrap();
/// std::thread::spawn(move || { let _ = table.raise(t, Action::Cancel); });
/// let (who, what) = parker.wait(|| signals.pop()); // sleeps until the raise
/// assert_eq!((who, what.contains(Action::Cancel)), (t, true));
/// # Ok::<(), handoff::CapacityError>(())
/// ```
pub struct Signals {
    pub(super) shared: Arc<Shared>,
    pub(super) taken: mpsc::Consumer<u32>,
}

impl Signals {
    /// Takes the pending actions of the next signalled request, with its
    /// key; `None` when no request has pending actions. Each signalled
    /// entry costs one pop and one atomic read-modify-write.
    ///
    /// ```
    /// use handoff::signal::{self, Action};
    /// let (table, mut signals) = signal::table(4)?;
    /// let (a, b) = (table.claim().unwrap(), table.claim().unwrap());
    /// let _ = table.raise(b, Action::Dup);
    /// let _ = table.raise(a, Action::Cancel);
    /// let _ = table.raise(b, Action::Timeout);
    /// let (t, actions) = signals.pop().unwrap();
    /// assert_eq!((t, actions.len()), (b, 2));
    /// assert_eq!(signals.pop().unwrap().0, a);
    /// assert!(signals.pop().is_none());
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn pop(&mut self) -> Option<(Key, Actions)> {
        while let Some(entry) = self.taken.pop() {
            let entry = entry as usize;
            let word = &self.shared.words[entry];
            // ordering: Acquire pairs with the raisers' Release
            // compare-and-swap (also of raisers that did not queue the
            // entry); one read-modify-write takes the actions and lets the
            // next raise queue the entry again. Release hands that raise
            // (Acquire) the queue slot we just freed by popping.
            let old = word.fetch_and(!(QUEUED | ACTIONS), Ordering::AcqRel);
            debug_assert!(old & QUEUED != 0, "entry {entry} popped but not queued");
            let actions = Actions::from_bits((old & ACTIONS) as u8);
            // Actions taken directly (`take`) or dropped by `retire` leave
            // nothing here: skip the entry.
            if !actions.is_empty() {
                return Some((self.shared.key(entry, old), actions));
            }
        }
        None
    }

    /// Takes the actions pending on one request (empty if none, or if the
    /// key is stale), without waiting for its turn in [`pop`](Self::pop).
    ///
    /// ```
    /// use handoff::signal::{self, Action};
    /// let (table, mut signals) = signal::table(4)?;
    /// let t = table.claim().unwrap();
    /// let _ = table.raise(t, Action::Detach);
    /// assert!(signals.take(t).contains(Action::Detach));
    /// assert!(signals.take(t).is_empty());
    /// assert!(signals.pop().is_none()); // nothing left for the queue
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn take(&mut self, key: Key) -> Actions {
        let Some(word) = self.shared.word(key) else {
            return Actions::EMPTY;
        };
        // ordering: Relaxed; the compare-and-swap below checks it.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            if !held_by(current, key) || current & ACTIONS == 0 {
                return Actions::EMPTY;
            }
            // QUEUED stays: the entry's entry in the queue is popped (empty)
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
    /// worker's, shared with its inbound rings) when they queue an entry.
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

    /// Whether [`pop`](Self::pop) would find a signalled entry now: raises
    /// stalled between claiming their place in the queue and writing it do
    /// not count (they wake a registered parker once they write it).
    pub(crate) fn has_ready(&self) -> bool {
        self.taken.is_ready()
    }

    /// The table these signals come from.
    ///
    /// ```
    /// let (table, signals) = handoff::signal::table(4)?;
    /// let t = signals.table().claim().unwrap();
    /// assert!(table.is_current(t));
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn table(&self) -> SignalTable {
        SignalTable {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("table", &self.shared.id)
            .finish_non_exhaustive()
    }
}
