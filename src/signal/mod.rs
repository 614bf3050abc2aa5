//! Per-request signal entries: tell a request that lives on another thread
//! "cancel", "a duplicate arrived", "timeout", … safely, even if it has just
//! finished and its entry went to another request.
//!
//! A [`table`] has a fixed number of entries. Starting a request
//! ([`SignalTable::claim`]) claims an entry and returns a [`Key`]: the
//! entry's index and its *generation*. Anyone holding the key (a network
//! thread, a timer, a POSIX signal handler) can [`raise`](SignalTable::raise)
//! an [`Action`] on it; the worker finds the signalled requests with
//! [`Signals::pop`] and ends a request with
//! [`retire`](SignalTable::retire), which bumps the entry's generation so that
//! every older key is [`Stale`](Raised::Stale) from then on.
//!
//! ```
//! use handoff::park::Parker;
//! use handoff::signal::{self, Action, Raised};
//!
//! let (table, mut signals) = signal::table(64)?;
//! let mut worker = Parker::new();
//! signals.register(&worker.unparker()).unwrap();
//!
//! let request = table.claim().expect("a free entry");
//! let network = table.clone();
//! std::thread::spawn(move || {
//!     // A retransmission of the same request came in.
//!     assert_eq!(network.raise(request, Action::Dup), Raised::Delivered);
//! });
//! let (who, what) = worker.wait(|| signals.pop());
//! assert_eq!(who, request);
//! assert!(what.contains(Action::Dup));
//! table.retire(request).unwrap();
//! assert_eq!(table.raise(request, Action::Cancel), Raised::Stale); // gone: a no-op
//! # Ok::<(), handoff::CapacityError>(())
//! ```
//!
//! # The entry word
//!
//! Each entry is one `AtomicU64`: the generation (54 bits), an "active" bit,
//! a "queued" bit and the pending actions (8 bits, one per [`Action`]).
//!
//! - **raise** is one compare-and-swap that checks the generation and the
//!   active bit and sets the action's bit, so it can only ever land on the
//!   request the key was given to. If the entry had no pending action
//!   yet, the same compare-and-swap sets "queued" and the raiser pushes the
//!   entry's index onto a queue of signalled entries ([`mpsc`](crate::mpsc),
//!   capacity = the table's size); "queued" admits each entry once, so that
//!   queue can never be full.
//! - **taking** ([`Signals::pop`]) pops an index and clears the entry's
//!   actions and "queued" with one `fetch_and`: O(1) per signalled request,
//!   nothing scanned.
//! - **retire** bumps the generation, clears "active" and any pending
//!   actions (handing them back) in one compare-and-swap.
//!
//! # Guarantees
//!
//! - A signal reaches the request it was raised for, or is reported
//!   `Stale`; never the next request in the entry.
//! - No action is lost: each `Delivered` action is returned once, by
//!   [`Signals::pop`], [`Signals::take`] or [`SignalTable::retire`].
//! - [`SignalTable::raise`] is lock-free, allocation-free, never panics and
//!   is async-signal-safe (atomics, and at most one futex wake or eventfd
//!   write when the worker sleeps as a thread or an event loop).
//! - A raiser preempted between claiming its place in the queue of
//!   signalled entries and writing it holds up the signals queued behind it
//!   (the queue is FIFO) until it runs again; [`Signals::pop`] returns
//!   `None` meanwhile, and a worker waiting on its parker sleeps through it
//!   (no spinning) and is woken by that raiser's push. Other raises never
//!   wait for it.
//! - Keys name their table by a 64-bit id that no other table of the
//!   process ever gets (it would take a table every nanosecond for 584
//!   years to run out, and then [`table`] panics rather than reuse one), so
//!   a dead table's key never aliases a live table's request.
//! - Keys of another table, or out of range, are `Stale` (or
//!   [`StaleKey`]), never undefined behaviour.

mod action;
mod key;
mod signals;
mod table;

pub use action::{Action, Actions, Iter, UserAction};
pub use key::{Key, Raised, StaleKey};
pub use signals::Signals;
pub use table::SignalTable;

use crate::loom::Arc;
use crate::CapacityError;
use table::Shared;

/// Makes a signal table of `entries` entries: the [`SignalTable`] that claims,
/// signals and retires requests (clone it for every thread that does), and
/// the [`Signals`] a worker takes the raised actions from.
///
/// # Errors
///
/// [`CapacityError::Zero`] for no entries, [`CapacityError::TooLarge`] beyond
/// `u32::MAX` entries or when the memory cannot be had.
///
/// # Panics
///
/// If the process has made 2^64 − 1 tables already (a table a nanosecond
/// for 584 years): table ids are never reused, so that a dead table's
/// key can never alias a live table's request.
///
/// ```
/// use handoff::signal::{self, Action, Raised};
///
/// let (table, mut signals) = signal::table(16)?;
/// let key = table.claim().expect("a free entry");
/// assert_eq!(table.raise(key, Action::Dup), Raised::Delivered);
/// let (t, actions) = signals.pop().unwrap();
/// assert_eq!(t, key);
/// assert!(actions.contains(Action::Dup));
/// # Ok::<(), handoff::CapacityError>(())
/// ```
pub fn table(entries: usize) -> Result<(SignalTable, Signals), CapacityError> {
    let (shared, taken) = Shared::new(entries)?;
    let shared = Arc::new(shared);
    let signals = Signals {
        shared: Arc::clone(&shared),
        taken,
    };
    Ok((SignalTable { shared }, signals))
}
