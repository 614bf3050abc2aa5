//! A request's key in a signal table, and what raising on it and retiring
//! it report.

use core::fmt;

#[cfg(doc)]
use super::SignalTable;

/// A request's claim on an entry: its index and generation, and which table
/// it belongs to. `Copy`, `Send` and `Sync`; cheap to hand to any thread
/// (or to store where a signal handler can read it).
///
/// ```
/// let (table, _signals) = handoff::signal::table(8)?;
/// let t = table.claim().unwrap();
/// assert!(t.index() < 8);
/// assert_eq!(t.generation(), 0);
/// # Ok::<(), handoff::CapacityError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The table's id: unique in the process, never reused.
    pub(super) table: u64,
    pub(super) index: u32,
    pub(super) generation: u64,
}

impl Key {
    /// The entry's index in its table.
    ///
    /// ```
    /// let (table, _s) = handoff::signal::table(1)?;
    /// assert_eq!(table.claim().unwrap().index(), 0);
    /// # Ok::<(), handoff::CapacityError>(())
    /// ```
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// How many requests held the entry before this one (modulo 2^54).
    ///
    /// ```
    /// let (table, _s) = handoff::signal::table(1)?;
    /// let first = table.claim().unwrap();
    /// table.retire(first).unwrap();
    /// assert_eq!(table.claim().unwrap().generation(), 1);
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
    /// this is the entry's first pending action and the worker sleeps).
    Delivered,
    /// The action was already pending on the request: coalesced.
    AlreadyPending,
    /// The request is gone (retired, or its entry now belongs to another
    /// request), or the key is another table's: nothing happened.
    Stale,
}

/// The key's request is gone, or the key is another table's.
///
/// ```
/// use handoff::signal::{self, StaleKey};
/// let (table, _s) = signal::table(1)?;
/// let t = table.claim().unwrap();
/// table.retire(t).unwrap();
/// assert_eq!(table.retire(t), Err(StaleKey));
/// assert_eq!(StaleKey.to_string(), "stale key: its request is gone, or it is another table's");
/// # Ok::<(), handoff::CapacityError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaleKey;

impl fmt::Display for StaleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stale key: its request is gone, or it is another table's")
    }
}

impl std::error::Error for StaleKey {}
