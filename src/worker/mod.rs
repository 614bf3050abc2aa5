//! The threading API: workers fed by network threads through the crate's
//! rings, woken through its parkers, interrupted through its signal entries.
//!
//! # The pieces
//!
//! - A [`Pool`] is `N` network threads × `M` workers. [`Pool::spawn`]
//!   returns the pool (kill, join, statistics) and one [`Network`] per
//!   network thread. Each network thread has its own SPSC ring to every
//!   worker and one back from it, so every ring keeps a single producer.
//! - [`Network::enqueue`] picks a worker (see *Dispatch*), claims the
//!   request an entry in that worker's [`signal`] table and pushes it;
//!   it returns the request's [`Ticket`], or hands the request back
//!   ([`EnqueueError`]). [`enqueue_with`](Network::enqueue_with) also
//!   gives it a [`Priority`], a [`Group`] and a deadline ([`Enqueue`]).
//! - [`signal`](Network::signal) (also [`Signaller::signal`] from any
//!   thread, and from a POSIX signal handler) raises an
//!   [`Action`](crate::signal::Action) on a request: `Cancel` drops its
//!   future (or, before it started, the request: its handler never runs)
//!   and replies [`Outcome::Cancelled`]; the others reach it through its
//!   [`RequestContext`]. [`cancel_group`](Network::cancel_group) cancels
//!   every live request of a group.
//! - A worker runs each request's [`Handler`] future, many interleaved, and
//!   pushes a [`Reply`] to the network thread that sent it, with the time it
//!   spent on the request and its cumulative busy time (self clocking). The
//!   network thread takes replies with [`try_reply`](Network::try_reply),
//!   waits with [`reply_blocking`](Network::reply_blocking) or
//!   [`wait_ready`](Network::wait_ready), or sleeps in its own event loop on
//!   the network's file descriptor ([`PoolConfig::reply_fd`]).
//! - [`Pool::kill`] with [`Kill::Graceful`] stops new requests and lets
//!   everything queued and in flight finish and reply; [`Kill::Now`]
//!   cancels what is in flight and hands back what has not started
//!   ([`Outcome::Unstarted`]). Either way every request enqueued gets
//!   exactly one reply, and [`Pool::join`] returns each worker's
//!   [`WorkerStats`].
//! - [`Worker`] is the one-network, one-worker case in one handle.
//! - A pool of zero workers is the **inline mode**: each network thread
//!   runs the handler itself, in the executor's turn that its
//!   `try_reply` (and the `reply_*` and `wait_ready` calls) runs, with the
//!   same API and semantics and no hand-off between threads: the cheap
//!   path for a low request rate.
//!
//! # A worker's turn
//!
//! A worker takes every request its rings hold into its run queue, then
//! runs a turn: the signals first (a cancelled request is answered at
//! once), the timers that are due, the requests woken since; then it runs
//! its runnable requests by priority, then those already started before
//! new ones, then oldest first (FreeRADIUS v4's order), until none is left
//! or the turn has used its [`time_budget`](WorkerConfig::time_budget)
//! (1 ms), so that a long batch does not starve new requests and signals;
//! and last it calls the [`Flush`]es its requests asked for
//! ([`RequestContext::flush_at_end`]): a saturated worker writes each
//! connection once per batch, a lone reply at once.
//!
//! Time is the worker's own: [`RequestContext::sleep`] and the requests'
//! deadlines ([`Enqueue::deadline`], [`WorkerConfig::request_timeout`]:
//! `Timeout` at the deadline, `Cancel` [`cancel_grace`](WorkerConfig::cancel_grace)
//! later) go into one timer heap per worker, checked against the clock the
//! worker reads anyway; an idle worker sleeps until its earliest deadline
//! in its parker's timed wait. No timer thread, no system call per timer.
//!
//! # Back-pressure
//!
//! When every worker is full, `enqueue` says [`EnqueueError::Full`] and the
//! network thread should stop reading new requests
//! ([`has_capacity`](Network::has_capacity) is `false`). It sleeps in
//! [`wait_ready`](Network::wait_ready) (or on its reply descriptor) and is
//! woken when room returns: a worker took requests from its ring, or a
//! network thread took replies and so freed entries. The wake-up costs the
//! freers one load while nobody waits; [`NetworkStats`] counts the
//! refusals, the waits and the returns.
//!
//! # Dispatch
//!
//! Each network thread keeps, per worker, the requests it has outstanding
//! there and a moving average (α = 1/8) of the service time the worker's
//! replies report. `enqueue` draws two workers and sends to the one with
//! the smaller predicted backlog, (outstanding + 1) × average service time
//! (power of two choices), skips a full worker, and returns
//! [`EnqueueError::Full`] (back-pressure, never a spin) when every worker
//! is full. A worker is full when its signal table has no free entry (the
//! requests queued at it or in flight there, from all network threads,
//! reach [`WorkerConfig::max_requests`]) or its ring from this network thread is.
//!
//! # Guarantees
//!
//! - **Every request is answered once.** A request `enqueue` accepted gets
//!   exactly one [`Reply`]: [`Outcome::Done`], [`Cancelled`](Outcome::Cancelled),
//!   [`Panicked`](Outcome::Panicked) or [`Unstarted`](Outcome::Unstarted);
//!   one it refused is handed back in the error. Its ticket stays valid
//!   for signals until the network thread takes the reply.
//! - **No thread is needed to make progress on a full ring**: the reply
//!   ring of a link holds as many replies as the worker's table has entries,
//!   so a worker never waits for a network thread.
//! - **System calls**: none while both sides are busy; a network thread's
//!   push wakes a sleeping worker with one futex wake, a worker's reply
//!   wakes a sleeping network thread likewise.
//! - **Panics** in a handler or a future are caught ([`Outcome::Panicked`]);
//!   the worker goes on with the other requests. So are panics in a
//!   [`Flush`], in a waker a timer fires, and in a future's
//!   `Drop` (on `Cancel`, `Kill::Now`, completion, or when the pool is
//!   dropped with requests in flight), in a request's `Drop` (cancelled
//!   before it started) and in a reply's `Drop` (its network thread gone):
//!   each is contained where it happens, nothing is dropped twice, and no
//!   other request loses its reply. A panic payload whose own `Drop` panics
//!   is disposed of without that second panic escaping.
//! - **Progress**: `enqueue`, `signal`, `cancel_group` and `try_reply`
//!   are lock-free (in inline mode `try_reply` runs user code). A
//!   worker sleeps (it does not spin) while the only work it sees is a
//!   signal or a wake-up whose raiser was preempted mid-push. After a kill,
//!   a worker waits for any `enqueue` that was between its kill check and
//!   its push, so a network thread preempted there holds the kill up until
//!   it runs again.
//! - **Signals** are lock-free and async-signal-safe to raise (see
//!   [`SignalTable::raise`](crate::signal::SignalTable::raise)).
//!
//! ```
//! use handoff::signal::Action;
//! use handoff::worker::{self, Kill, Outcome, Pool, PoolConfig};
//!
//! // Two network threads, two workers; the handler doubles numbers.
//! let config = PoolConfig::new(2, 2);
//! let (pool, networks) = Pool::spawn(config, worker::from_sync_fn(|n: u64, _cx| n * 2))?;
//! let threads: Vec<_> = networks
//!     .into_iter()
//!     .map(|mut net| {
//!         std::thread::spawn(move || {
//!             for n in 0..100 {
//!                 net.enqueue(n).unwrap();
//!             }
//!             let mut sum = 0;
//!             while let Some(reply) = net.reply_blocking() {
//!                 sum += reply.outcome.done().unwrap();
//!             }
//!             sum
//!         })
//!     })
//!     .collect();
//! for t in threads {
//!     assert_eq!(t.join().unwrap(), 9900);
//! }
//! pool.kill(Kill::Graceful).unwrap();
//! let stats = pool.join();
//! assert_eq!(stats.iter().map(|s| s.completed).sum::<u64>(), 200);
//! # Ok::<(), handoff::worker::SpawnError>(())
//! ```

mod config;
mod context;
mod control;
mod error;
mod executor;
mod groups;
mod handler;
mod histogram;
mod network;
mod options;
mod pool;
mod pressure;
mod replies;
mod reply;
mod runqueue;
mod single;
#[cfg(all(test, not(loom)))]
mod tests;
mod thread;
mod timer;
mod wake;

pub use config::{PoolConfig, WorkerConfig};
pub use context::{Flush, RequestContext, Signalled, Sleep};
pub use control::{Killer, Signaller};
pub use error::{EnqueueError, KillError, SpawnError};
pub use handler::{from_fn, from_sync_fn, FnHandler, Handler, SyncFnHandler};
pub use histogram::Histogram;
pub use network::{Network, NetworkStats};
pub use options::{Enqueue, Group, Priority};
pub use pool::Pool;
pub use reply::{LinkStats, Outcome, Reply, WorkerStats};
pub use single::Worker;

use crate::signal;

/// Names one enqueued request: which executor runs it (a worker, or in
/// inline mode a network thread) and its [`signal::Key`] there. `Copy`;
/// a ticket whose request has been answered (or that comes from another
/// pool) is stale, and signalling it does nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ticket {
    executor: u32,
    key: signal::Key,
}

impl Ticket {
    /// The worker (or in inline mode the network thread) the request went
    /// to, as an index into [`Pool::stats`].
    pub fn worker(&self) -> usize {
        self.executor as usize
    }

    /// The request's key in that worker's signal table.
    pub fn signal_key(&self) -> signal::Key {
        self.key
    }
}

/// How [`Pool::kill`] stops the workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kill {
    /// Refuse new requests; finish everything queued and in flight, deliver
    /// every reply, then exit.
    Graceful,
    /// Refuse new requests; cancel what is in flight (its futures are
    /// dropped, [`Outcome::Cancelled`]), hand back what is queued
    /// ([`Outcome::Unstarted`]), then exit.
    Now,
}
