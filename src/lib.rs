//! Lock-free queue and signalling primitives for servers that split work
//! between network threads and worker threads.
//!
//! # Modules
//!
//! - [`spsc`]: a bounded single-producer single-consumer ring; wait-free
//!   `push`/`pop`, batch operations, close detection.
//! - [`mpsc`]: a bounded multi-producer single-consumer ring; `Producer` is
//!   `Clone + Send + Sync`, the consumer needs no read-modify-write, and
//!   tells "empty" from "a push is under way".
//! - [`park`]: parking and waking. A [`Parker`](park::Parker) sleeps on any
//!   number of rings as a thread, an async task or an event loop's file
//!   descriptor; producers make no system call while it is awake. The
//!   rings' `push_blocking`, `pop_timeout`, `pop_async`, … are built on it.
//! - [`signal`]: per-request signal slots. `raise(ticket, action)` from any
//!   thread or a signal handler reaches the request it was meant for or is
//!   reported stale; the worker finds signalled requests in O(1) each.
//! - [`worker`]: the threading API built on them. `Worker::spawn`,
//!   `enqueue`, `signal`, `kill`; async request handlers; a pool of network
//!   threads × workers with self-clocking dispatch; replies with timing;
//!   an inline mode with no hand-off.
//! - [`write`](mod@write): per-connection write contexts. Any worker `submit`s a reply
//!   frame; whoever holds the context writes everything queued (one
//!   `writev` for many frames) and lets go; after `WouldBlock` the event
//!   loop's `on_writable` resumes at the exact byte. No writer thread.
//!
//! # Example
//!
//! ```
//! use std::thread;
//!
//! let (mut tx, mut rx) = handoff::spsc::channel::<u64>(1024);
//! let producer = thread::spawn(move || {
//!     for i in 0..10_000 {
//!         let mut item = i;
//!         // `push` hands the value back when the ring is full.
//!         while let Err(full) = tx.push(item) {
//!             item = full.into_inner();
//!             std::hint::spin_loop();
//!         }
//!     }
//! });
//! let mut sum = 0;
//! let mut received = 0;
//! while received < 10_000 {
//!     for v in rx.drain(256) {
//!         sum += v;
//!         received += 1;
//!     }
//! }
//! producer.join().unwrap();
//! assert_eq!(sum, (0..10_000).sum::<u64>());
//! ```
//!
//! # Guarantees
//!
//! This is the one list; the README sums it up and points here.
//!
//! - **Progress.** [`spsc`] `push`, `pop`, `peek` and the batch operations
//!   are wait-free: each completes in a bounded number of its own steps, no
//!   matter what the other thread does or whether it was preempted. [`mpsc`]
//!   pushes are lock-free among producers and its pops never wait, but a
//!   producer preempted between claiming a slot and publishing it holds up
//!   the consumer (reported as [`PopError::Pending`]); see
//!   [`mpsc`'s progress notes](mpsc#progress). None of the non-blocking
//!   operations allocates, takes a lock or makes a system call (a push or
//!   pop may make one wake-up call, only when the other side sleeps).
//! - **Ordering.** Everything a producer wrote before pushing an item is
//!   visible to the thread that pops that item (a happens-before edge per
//!   item). Items come out in the order they went in (for [`mpsc`], each
//!   producer's items in that producer's order).
//! - **Workers** ([`worker`]): every request `enqueue` accepts gets
//!   exactly one reply (done, cancelled, panicked, or handed back by
//!   `Kill::Now`), one it refuses is handed back; `Cancel` drops the
//!   request's future; handler panics are caught; a graceful kill answers
//!   everything queued and in flight. Raising a signal
//!   ([`worker::Signaller::signal`]) is async-signal-safe.
//! - **Write contexts** ([`write`](mod@write)): a frame is written whole, once, never
//!   interleaved with another; one thread's frames in its order; an
//!   accepted frame is written or, if the connection fails, kept for
//!   `take_unsent`; a refused one comes back (`Full` is back-pressure on
//!   pending bytes); no frame is left queued in a context nobody holds;
//!   `submit` never waits for another thread or for the socket.
//! - **Ownership.** Every item pushed is either popped exactly once or
//!   dropped exactly once when the last half of its ring is dropped. A
//!   refused push hands the value back ([`PushError::Full`], or
//!   [`PushError::Closed`] once the consumer is gone).
//! - **Async-signal safety.** `push` and `pop` on a ring whose item type's
//!   moves and drops are themselves async-signal-safe touch only atomics and
//!   the ring's own memory, plus at most one futex wake or eventfd write
//!   when the other side sleeps as a thread or an event loop, so they may be
//!   called from a signal handler (provided the handler is the only user of
//!   that half while it runs, and the other side does not wait as an async
//!   task, whose `Waker` runs executor code).
//! - **Waiting** ([`park`]): no lost wake-up in any waiting mode; a push
//!   or pop makes no system call unless the other side really sleeps, then
//!   one; dropping a half wakes every waiter on the other side; timed waits
//!   return once their time is up; async pops are cancel-safe. Waking a
//!   thread or an event loop (a futex wake or an eventfd write) is
//!   async-signal-safe, waking an async task is not.
//! - **Platforms.** 64-bit targets only (a compile error elsewhere): ring
//!   positions are `usize` counters that must never wrap around while a ring
//!   lives, which 64 bits guarantee for centuries of pushes.
//! - **Bad input** gets a clear error ([`CapacityError`]) or a documented
//!   panic, never undefined behaviour.
//!
//! # Verification
//!
//! Every primitive is model-checked with [loom] (build with
//! `RUSTFLAGS="--cfg loom"`: this crate's atomics then become loom's, so a
//! downstream crate's loom tests explore our internals too), run under Miri
//! and ThreadSanitizer, fuzzed against a sequential model, and property
//! tested.
//!
//! [loom]: https://docs.rs/loom
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs, missing_debug_implementations)]
#![warn(clippy::undocumented_unsafe_blocks, rust_2018_idioms)]

// The rings tell a fresh slot from a stale one by comparing positions that
// wrap at `usize::MAX`; with 64 bits no ring lives long enough to wrap (see
// `spsc::Slot::stamp`), with 32 bits one could in minutes.
#[cfg(not(target_pointer_width = "64"))]
compile_error!("handoff supports 64-bit targets only: its ring positions must not wrap");

mod error;
mod loom;
pub mod mpsc;
pub mod park;
pub mod signal;
mod slot;
pub mod spsc;
pub mod worker;
pub mod write;

pub use error::{CapacityError, PopError, PushError};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
