//! One worker thread and the one network thread that feeds it, in one
//! handle.

use core::fmt;
use std::time::Duration;

use super::config::{PoolConfig, WorkerConfig};
use super::control::{Killer, Signaller};
use super::error::{EnqueueError, KillError, SpawnError};
use super::handler::Handler;
use super::network::Network;
use super::options::{Enqueue, Group};
use super::pool::Pool;
use super::reply::{Reply, WorkerStats};
use super::{Kill, Ticket};
use crate::park::ParkStats;
use crate::signal::{Action, Raised};

/// A worker thread fed by the thread that owns this handle: the design's
/// `create` / `enqueue` / `signal` / `kill`. A [`Pool`] of one network
/// thread and one worker; use a pool for more of either. Dropping it kills
/// the worker [`Kill::Now`] and waits for its thread.
///
/// ```
/// use handoff::signal::Action;
/// use handoff::worker::{self, Kill, Outcome, Worker, WorkerConfig};
///
/// let handler = worker::from_fn(|n: u64, cx: worker::RequestContext| async move {
///     if n == 0 {
///         cx.signalled().await; // waits until told
///     }
///     n
/// });
/// let mut w = Worker::spawn(WorkerConfig::new().name("demo"), handler)?;
/// let slow = w.enqueue(0).unwrap();
/// let quick = w.enqueue(7).unwrap();
/// let reply = w.reply_blocking().unwrap();
/// assert_eq!((reply.ticket, reply.outcome.done()), (quick, Some(7)));
/// w.signal(slow, Action::Cancel);
/// assert!(matches!(w.reply_blocking().unwrap().outcome, Outcome::Cancelled));
/// w.kill(Kill::Graceful).unwrap();
/// let stats = w.join();
/// assert_eq!((stats.completed, stats.cancelled), (1, 1));
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
pub struct Worker<Req, Rep> {
    pool: Pool<Req, Rep>,
    network: Network<Req, Rep>,
}

impl<Req: Send + 'static, Rep: Send + 'static> Worker<Req, Rep> {
    /// Starts the worker thread.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] for a zero or absurd size in `config`, a CPU it
    /// cannot pin to, or a thread the system refused.
    pub fn spawn<H>(config: WorkerConfig, handler: H) -> Result<Self, SpawnError>
    where
        H: Handler<Req, Reply = Rep>,
    {
        let mut handler = Some(handler);
        let (pool, networks) = Pool::spawn_with(PoolConfig::new(1, 1).worker(config), &mut || {
            handler.take().expect("one worker, one handler")
        })?;
        let network = networks.into_iter().next().expect("one network thread");
        Ok(Self { pool, network })
    }
}

impl<Req, Rep> Worker<Req, Rep> {
    /// Enqueues a request; see [`Network::enqueue`].
    ///
    /// # Errors
    ///
    /// The request is handed back when the worker is full or killed.
    pub fn enqueue(&mut self, request: Req) -> Result<Ticket, EnqueueError<Req>> {
        self.network.enqueue(request)
    }

    /// Enqueues a request with a priority, a group and a deadline; see
    /// [`Network::enqueue_with`].
    ///
    /// # Errors
    ///
    /// The request is handed back when the worker is full or killed.
    pub fn enqueue_with(
        &mut self,
        request: Req,
        options: Enqueue,
    ) -> Result<Ticket, EnqueueError<Req>> {
        self.network.enqueue_with(request, options)
    }

    /// Cancels every live request of `group`; see
    /// [`Network::cancel_group`].
    pub fn cancel_group(&mut self, group: Group) -> usize {
        self.network.cancel_group(group)
    }

    /// Raises `action` on a request; see [`Signaller::signal`].
    pub fn signal(&self, ticket: Ticket, action: Action) -> Raised {
        self.network.signal(ticket, action)
    }

    /// A handle that signals this worker's requests from any thread.
    pub fn signaller(&self) -> Signaller {
        self.network.signaller()
    }

    /// Takes a reply if one is there.
    pub fn try_reply(&mut self) -> Option<Reply<Req, Rep>> {
        self.network.try_reply()
    }

    /// Waits for a reply; `None` at once if nothing is outstanding.
    pub fn reply_blocking(&mut self) -> Option<Reply<Req, Rep>> {
        self.network.reply_blocking()
    }

    /// Waits for a reply at most `timeout`.
    pub fn reply_timeout(&mut self, timeout: Duration) -> Option<Reply<Req, Rep>> {
        self.network.reply_timeout(timeout)
    }

    /// Requests whose replies were not taken yet.
    pub fn outstanding(&self) -> usize {
        self.network.outstanding()
    }

    /// Kills the worker; see [`Pool::kill`].
    ///
    /// # Errors
    ///
    /// [`KillError`] when killed that way (or `Now`) already.
    pub fn kill(&self, how: Kill) -> Result<(), KillError> {
        self.pool.kill(how)
    }

    /// A handle that kills the worker from any thread.
    pub fn killer(&self) -> Killer {
        self.pool.killer()
    }

    /// The worker's statistics so far.
    pub fn stats(&self) -> WorkerStats {
        self.pool.stats().swap_remove(0)
    }

    /// How often this (network) side slept waiting for replies.
    pub fn park_stats(&self) -> ParkStats {
        self.network.park_stats()
    }

    /// Kills the worker gracefully unless it was killed already, waits for
    /// its thread to exit, and returns its statistics: one element of what
    /// [`Pool::join`] returns. Replies not taken by then are dropped with
    /// the handle; to have them, [`kill`](Self::kill) first and take them
    /// ([`reply_blocking`](Self::reply_blocking) returns `None` once every
    /// request is answered), as with a pool's network threads.
    ///
    /// ```
    /// use handoff::worker::{self, Kill, Worker};
    ///
    /// let mut w = Worker::spawn(Default::default(), worker::from_sync_fn(|n: u8, _| n))?;
    /// w.enqueue(1).unwrap();
    /// w.kill(Kill::Graceful).unwrap();
    /// while let Some(reply) = w.reply_blocking() {
    ///     assert_eq!(reply.outcome.done(), Some(1));
    /// }
    /// assert_eq!(w.join().completed, 1);
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn join(mut self) -> WorkerStats {
        let _ = self.pool.kill(Kill::Graceful);
        self.pool.join_threads().swap_remove(0)
    }
}

impl<Req, Rep> Drop for Worker<Req, Rep> {
    /// Nobody can take replies any more: kills the worker [`Kill::Now`]
    /// (unless [`join`](Worker::join) ran) and waits for its thread, so no
    /// thread outlives the handle.
    fn drop(&mut self) {
        let _ = self.pool.kill(Kill::Now);
        self.pool.join_threads();
    }
}

impl<Req, Rep> fmt::Debug for Worker<Req, Rep> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("pool", &self.pool)
            .field("network", &self.network)
            .finish()
    }
}
