//! Per-request signal slots: tell a request that lives on another thread
//! "cancel", "a duplicate arrived", "timeout", … safely, even if it has just
//! finished and its slot went to another request.
//!
//! A [`table`] has a fixed number of slots. Starting a request
//! ([`SignalTable::start`]) claims a slot and returns a [`Ticket`]: the
//! slot's index and its *generation*. Anyone holding the ticket (a network
//! thread, a timer, a POSIX signal handler) can [`raise`](SignalTable::raise)
//! an [`Action`] on it; the worker finds the signalled requests with
//! [`Signals::pop`] and ends a request with
//! [`retire`](SignalTable::retire), which bumps the slot's generation so that
//! every older ticket is [`Stale`](Raised::Stale) from then on.
//!
//! ```
//! use handoff::park::Parker;
//! use handoff::signal::{self, Action, Raised};
//!
//! let (table, mut signals) = signal::table(64)?;
//! let mut worker = Parker::new();
//! signals.register(&worker.unparker()).unwrap();
//!
//! let request = table.start().expect("a free slot");
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
//! # The slot word
//!
//! Each slot is one `AtomicU64`: the generation (54 bits), an "active" bit,
//! a "queued" bit and the pending actions (8 bits, one per [`Action`]).
//!
//! - **raise** is one compare-and-swap that checks the generation and the
//!   active bit and sets the action's bit, so it can only ever land on the
//!   request the ticket was given to. If the slot had no pending action
//!   yet, the same compare-and-swap sets "queued" and the raiser pushes the
//!   slot's index onto a queue of signalled slots ([`mpsc`](crate::mpsc),
//!   capacity = the table's size); "queued" admits each slot once, so that
//!   queue can never be full.
//! - **taking** ([`Signals::pop`]) pops an index and clears the slot's
//!   actions and "queued" with one `fetch_and`: O(1) per signalled request,
//!   nothing scanned.
//! - **retire** bumps the generation, clears "active" and any pending
//!   actions (handing them back) in one compare-and-swap.
//!
//! # Guarantees
//!
//! - A signal reaches the request it was raised for, or is reported
//!   `Stale`; never the next request in the slot.
//! - No action is lost: each `Delivered` action is returned once, by
//!   [`Signals::pop`], [`Signals::take`] or [`SignalTable::retire`].
//! - [`SignalTable::raise`] is lock-free, allocation-free, never panics and
//!   is async-signal-safe (atomics, and at most one futex wake or eventfd
//!   write when the worker sleeps as a thread or an event loop).
//! - A raiser preempted between claiming its place in the queue of
//!   signalled slots and writing it holds up the signals queued behind it
//!   (the queue is FIFO) until it runs again; [`Signals::pop`] returns
//!   `None` meanwhile, and a worker waiting on its parker sleeps through it
//!   (no spinning) and is woken by that raiser's push. Other raises never
//!   wait for it.
//! - Tickets name their table by a 64-bit id that no other table of the
//!   process ever gets (it would take a table every nanosecond for 584
//!   years to run out, and then [`table`] panics rather than reuse one), so
//!   a dead table's ticket never aliases a live table's request.
//! - Tickets of another table, or out of range, are `Stale` (or
//!   [`StaleTicket`]), never undefined behaviour.

mod action;
mod table;

pub use action::{Action, Actions, Iter, UserAction};
pub use table::{table, Raised, SignalTable, Signals, StaleTicket, Ticket};
