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
//! - [`signal`]: per-request signal entries. `raise(key, action)` from any
//!   thread or a signal handler reaches the request it was meant for or is
//!   reported stale; the worker finds signalled requests in O(1) each.
//! - [`worker`]: the threading API built on them. `Worker::spawn`,
//!   `enqueue`, `signal`, `kill`; async request handlers with the worker's
//!   own timers, priorities, deadlines and group cancel; a pool of network
//!   threads × workers with self-clocking dispatch and back-pressure;
//!   replies with timing; writes flushed once per batch; an inline mode
//!   with no hand-off.
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
//! - **Progress.** Each operation's guarantee, precisely (the tests in
//!   `tests/adversarial/` and the modules' unit tests check the ones that
//!   can be checked, with producers stalled on purpose mid-push):
//!
//!   | operation | progress |
//!   |---|---|
//!   | [`spsc`] `push`, `pop`, `peek`, `push_slice`, `pop_slice`, `push_iter`, `drain` | wait-free: a bounded number of its own steps, whatever the other side does |
//!   | [`mpsc`] `push` | lock-free, and never waits for another thread: it retries only when another producer's claim succeeded, and a ring full of items or of claims not yet published is [`PushError::Full`] at once |
//!   | [`mpsc`] `pop`, `try_pop`, `pop_slice`, `drain` | wait-free (they return at once), but a producer stalled between claiming a slot and publishing it holds up the items behind it: `try_pop` says [`PopError::Pending`] ([`mpsc`'s progress notes](mpsc#progress)) |
//!   | `park::Unparker::unpark`, and the wake-up inside a push or pop | wait-free: one atomic swap, and one system call only if the waiter sleeps |
//!   | `signal::SignalTable::raise` | lock-free: a compare-and-swap that fails only when another raise, take or retire changed the slot, then one push onto a queue that always has room for it |
//!   | `signal::SignalTable::start`, `retire`; `signal::Signals::pop`, `take` | lock-free; `pop` stops (returns `None`) at a raise stalled mid-push, never waits for it |
//!   | `worker::Network::enqueue`, `signal`, `try_reply` | lock-free (an inline pool's `enqueue` also runs the handler's first poll) |
//!   | `worker::Pool::kill` | lock-free; the workers then wait for any `enqueue` that was between its kill check and its push (a preempted network thread holds the kill up) |
//!   | `write::WriteContext::submit`, `feed`, `flush`, `on_writable` | never wait for another thread: a submitter stalled mid-queue leaves the frames behind its own to itself, and a full queue is `Full` at once; the holder writes what it can and returns on `WouldBlock` |
//!   | `*_blocking`, `*_timeout`, `*_async`, `Parker::wait` | wait, by design; timed ones return once their time is up |
//!
//!   None of the non-blocking operations allocates, takes a lock or makes a
//!   system call (a push or pop may make one wake-up call, only when the
//!   other side sleeps).
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
//! - **Async-signal safety.** These may be called from a signal handler
//!   (for a ring, provided the handler is the only user of that half while
//!   it runs, and the item type's moves and drops are themselves
//!   async-signal-safe): they touch only atomics and the crate's own
//!   memory, take no lock, allocate nothing, and make at most one futex
//!   wake or eventfd write:
//!   - [`spsc`] `push`, `pop`, `peek`, `push_slice`, `pop_slice`, `drain`,
//!     while the other side waits, if at all, as a thread or an event loop;
//!   - [`mpsc`] `push`, under the same condition for the consumer, and
//!     `pop`, `try_pop`, `pop_slice`, `drain` while no producer waits as an
//!     async task (`push_async`: waking tasks takes the wait list's lock);
//!   - `park::Unparker::unpark` on a parker that waits as a thread or an
//!     event loop;
//!   - `signal::SignalTable::raise` and `worker::Signaller::signal`, while
//!     the worker waits as a thread or an event loop (the worker's own
//!     threads always do).
//!
//!   Waking an async task runs its executor's `Waker`, which is not
//!   async-signal-safe. `tests/adversarial/signal_safety.rs` calls each of
//!   these from a real handler on a busy thread, with an allocator that
//!   fails the test if a handler allocates.
//! - **Panics in user code** (handlers, futures, `Drop`s, panic payloads'
//!   `Drop`s, wakers, frames' `AsRef`): nothing is dropped twice and no
//!   other request loses its reply. A request whose handler or future
//!   panics is answered [`worker::Outcome::Panicked`]; a panic in a
//!   future's, a request's or a reply's `Drop` that the worker runs is
//!   contained there, and a panic payload whose own `Drop` panics is
//!   disposed of without that panic escaping (dropped too, unless payloads
//!   keep panicking for eight rounds: then the last is leaked). A
//!   panicking `Waker` is contained in the wake-up that calls it: the
//!   operation completes and the other waiters are still woken. A ring dropped with items inside drops every one of them even
//!   if one's `Drop` panics (that panic then goes on, as a `Vec`'s would).
//! - **Waiting** ([`park`]): no lost wake-up in any waiting mode; a push
//!   or pop makes no system call unless the other side really sleeps, then
//!   one; dropping a half wakes every waiter on the other side; timed waits
//!   return once their time is up; async pops are cancel-safe. Waking a
//!   thread or an event loop (a futex wake or an eventfd write) is
//!   async-signal-safe, waking an async task is not.
//! - **`fork()`.** Nothing the crate sets up once per process waits on a
//!   lock: a child forked while another thread was choosing the wake
//!   protocol's barrier (the first ring or parker of the process) waits at
//!   most a second for that thread, then settles for fences. Rings and
//!   parkers the child inherits are usable only if no other thread of the
//!   parent was inside them at the fork, as with any shared memory.
//! - **Platforms.** 64- and 32-bit targets. Ring positions are `usize`
//!   counters that wrap around (after 2^32 pushes on a 32-bit target,
//!   minutes of traffic); every comparison of positions is wrap-safe, and
//!   every slot's stamp is rewritten once a lap, so a stale one never
//!   looks fresh (tested by starting rings just below the wrap). The one
//!   bound: a ring's slot count is at most `isize::MAX / 2`.
//! - **`no_std`.** Without the default `std` feature the crate is `no_std`
//!   (it needs `alloc`): [`spsc`] and [`mpsc`] keep every non-blocking
//!   operation and the batch APIs. Parking, signals, workers, write
//!   contexts and the blocking and async operations need `std`. CI builds
//!   it for `thumbv7em-none-eabihf`.
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
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod error;
#[cfg(feature = "futures")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures")))]
pub mod futures;
mod loom;
pub mod mpsc;
#[cfg(feature = "std")]
mod panic;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod park;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod signal;
mod slot;
pub mod spsc;
#[cfg(feature = "std")]
mod sys;
#[cfg(all(test, not(loom)))]
mod testing;
mod wake;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod worker;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod write;

pub use error::{CapacityError, Closed, PopError, PopTimeoutError, PushError, PushTimeoutError};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
