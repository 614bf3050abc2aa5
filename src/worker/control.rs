//! The kill protocol and the handles any thread may hold: [`Killer`] and
//! [`Signaller`].
//!
//! # The kill protocol
//!
//! Kill must not lose a request that an `enqueue` is pushing while the
//! worker decides that its rings are drained for good. Each link (network
//! thread → worker) has an `enqueuing` flag, written only by its network
//! thread:
//!
//! ```text
//! enqueue:  enqueuing = true;  light barrier;  if state != RUNNING: refuse
//!           start ticket; push; enqueuing = false (Release)
//! worker:   sees state != RUNNING (Acquire);  heavy barrier;
//!           wait until every link's enqueuing is false (Acquire);  drain
//! ```
//!
//! The barriers make it Dekker's pattern (the crate's store→load barrier
//! pair, see `crate::sys::barrier`): either the enqueue sees the kill and
//! refuses, or the worker sees the flag raised and waits for the push,
//! whose Release store of the flag makes the pushed request visible to the
//! drain. The light barrier is a compiler fence where `membarrier` is
//! available, so enqueue pays two plain stores for it.

use core::fmt;

use crossbeam_utils::CachePadded;

use super::error::KillError;
use super::{Kill, Ticket};
use crate::loom::{spin_loop, Arc, AtomicBool, AtomicU32, Ordering};
use crate::park::Unparker;
use crate::signal::{Action, Raised, SignalTable};
use crate::sys::barrier;

pub(crate) const RUNNING: u32 = 0;
pub(crate) const GRACEFUL: u32 = 1;
pub(crate) const NOW: u32 = 2;

/// What the pool's handles share: the kill state and everyone to wake when
/// it changes.
pub(crate) struct Control {
    /// `RUNNING`, `GRACEFUL` or `NOW`; only ever increases.
    pub(crate) state: AtomicU32,
    /// The workers' and the network threads' parkers.
    pub(super) unparkers: Vec<Unparker>,
}

impl Control {
    pub(super) fn kill(&self, how: Kill) -> Result<(), KillError> {
        let target = match how {
            Kill::Graceful => GRACEFUL,
            Kill::Now => NOW,
        };
        // ordering: SeqCst; rare, and the cheapest to reason about. The
        // workers read it with Acquire (see the module docs).
        let mut current = self.state.load(Ordering::SeqCst);
        loop {
            if current >= target {
                let already = if current == NOW {
                    Kill::Now
                } else {
                    Kill::Graceful
                };
                return Err(KillError { already });
            }
            match self
                .state
                .compare_exchange(current, target, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        for unparker in &self.unparkers {
            unparker.unpark();
        }
        Ok(())
    }

    pub(crate) fn state(&self) -> u32 {
        // ordering: Acquire pairs with the kill's compare-and-swap.
        self.state.load(Ordering::Acquire)
    }
}

/// Kills a pool from any thread: `Clone`, `Send` and `Sync`; see
/// [`Pool::kill`](super::Pool::kill).
///
/// ```
/// use handoff::worker::{self, Kill, Pool, PoolConfig};
///
/// let (pool, _nets) = Pool::spawn(PoolConfig::new(1, 1), worker::from_sync_fn(|(), _| ()))?;
/// let killer = pool.killer();
/// std::thread::spawn(move || killer.kill(Kill::Graceful).unwrap()).join().unwrap();
/// assert!(pool.kill(Kill::Graceful).is_err()); // killed already
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Clone)]
pub struct Killer {
    pub(super) control: Arc<Control>,
}

impl Killer {
    /// Kills the pool; see [`Pool::kill`](super::Pool::kill).
    ///
    /// # Errors
    ///
    /// [`KillError`] when killed that way (or `Now`) already.
    pub fn kill(&self, how: Kill) -> Result<(), KillError> {
        self.control.kill(how)
    }
}

impl fmt::Debug for Killer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Killer").finish_non_exhaustive()
    }
}

/// A link's "an enqueue is between its kill check and its push" flag.
pub(crate) type Flag = Arc<CachePadded<AtomicBool>>;

/// Raises actions on any request of a pool, from any thread: `Clone`,
/// `Send` and `Sync`. [`signal`](Self::signal) is lock-free,
/// allocation-free and async-signal-safe (see
/// [`SignalTable::raise`](crate::signal::SignalTable::raise)).
///
/// ```
/// use handoff::signal::{Action, Raised};
/// use handoff::worker::{self, Worker};
///
/// let handler = worker::from_fn(|(), cx: worker::RequestContext| async move {
///     cx.signalled().await; // waits for a signal
/// });
/// let mut w = Worker::spawn(Default::default(), handler)?;
/// let ticket = w.enqueue(()).unwrap();
/// let signaller = w.signaller();
/// std::thread::spawn(move || assert_eq!(signaller.signal(ticket, Action::Timeout), Raised::Delivered))
///     .join()
///     .unwrap();
/// assert!(w.reply_blocking().unwrap().outcome.is_done());
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Clone)]
pub struct Signaller {
    pub(super) tables: std::sync::Arc<[SignalTable]>,
}

impl Signaller {
    /// Raises `action` on the ticket's request: [`Raised::Delivered`],
    /// [`Raised::AlreadyPending`], or [`Raised::Stale`] if the request was
    /// answered already (its reply taken) or the ticket is another pool's.
    pub fn signal(&self, ticket: Ticket, action: Action) -> Raised {
        match self.tables.get(ticket.executor as usize) {
            Some(table) => table.raise(ticket.key, action),
            None => Raised::Stale,
        }
    }
}

#[cfg(all(test, not(loom)))]
impl Signaller {
    /// Worker `w`'s signal table, for tests that reach into it.
    pub(crate) fn table(&self, w: usize) -> &SignalTable {
        &self.tables[w]
    }
}

impl fmt::Debug for Signaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signaller")
            .field("workers", &self.tables.len())
            .finish()
    }
}

/// After a kill: waits until no enqueue that missed it is still pushing
/// (see the module docs), so that the rings can be drained for good.
pub(super) fn quiesce(flags: &[Flag]) {
    // A barrier that did not reach every thread (membarrier failed: see
    // `sys::barrier`) proves nothing: look again after a bounded sleep. It
    // reaches them again once the hand-over to fences is over (100 ms).
    while !barrier::heavy() {
        std::thread::sleep(barrier::DEGRADED_SLEEP);
    }
    for flag in flags {
        // ordering: Acquire pairs with the enqueue's Release store of
        // `false`: its push is visible to the drain that follows.
        while flag.load(Ordering::Acquire) {
            spin_loop();
            crate::loom::yield_now();
        }
    }
}
