//! What comes back from a worker: replies, outcomes and statistics.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use super::histogram::{Histogram, HistogramCell};
use std::time::{Duration, Instant};

use super::Ticket;

/// How a request ended.
#[derive(Clone, PartialEq, Eq)]
pub enum Outcome<Req, Rep> {
    /// The handler's reply.
    Done(Rep),
    /// [`Action::Cancel`](crate::signal::Action::Cancel) dropped the
    /// request (its future, or the request itself if it had not started),
    /// or [`Kill::Now`](super::Kill::Now) cancelled it in flight.
    Cancelled,
    /// The handler or its future panicked, with this message; the worker
    /// went on with the other requests.
    Panicked(String),
    /// [`Kill::Now`](super::Kill::Now) came before the request started: it
    /// is handed back unprocessed.
    Unstarted(Req),
}

impl<Req, Rep> Outcome<Req, Rep> {
    /// The reply, if the handler finished.
    ///
    /// ```
    /// use handoff::worker::Outcome;
    /// assert_eq!(Outcome::<(), _>::Done(3).done(), Some(3));
    /// assert_eq!(Outcome::<(), u8>::Cancelled.done(), None);
    /// ```
    pub fn done(self) -> Option<Rep> {
        match self {
            Self::Done(rep) => Some(rep),
            _ => None,
        }
    }

    /// Whether the handler finished.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done(_))
    }
}

impl<Req, Rep> fmt::Debug for Outcome<Req, Rep> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Done(_) => f.write_str("Done(..)"),
            Self::Cancelled => f.write_str("Cancelled"),
            Self::Panicked(msg) => f.debug_tuple("Panicked").field(msg).finish(),
            Self::Unstarted(_) => f.write_str("Unstarted(..)"),
        }
    }
}

/// A worker's answer to one request, with its timing: what the dispatcher
/// learns the workers' speed from (self clocking).
///
/// ```
/// use handoff::worker::{self, Worker};
///
/// let mut w = Worker::spawn(Default::default(), worker::from_sync_fn(|n: u8, _| n))?;
/// let ticket = w.enqueue(1).unwrap();
/// let reply = w.reply_blocking().unwrap();
/// assert_eq!(reply.ticket, ticket);
/// assert!(reply.busy >= reply.service);
/// assert!(reply.enqueued_at.elapsed() >= reply.waited + reply.service);
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Reply<Req, Rep> {
    /// The request's ticket, as `enqueue` returned it.
    pub ticket: Ticket,
    /// How it ended.
    pub outcome: Outcome<Req, Rep>,
    /// When it was enqueued: `enqueued_at.elapsed()` is its latency so far.
    pub enqueued_at: Instant,
    /// From enqueue to the worker starting it.
    pub waited: Duration,
    /// The worker's time spent on it: the sum of its polls.
    pub service: Duration,
    /// The worker's cumulative busy time when it replied.
    pub busy: Duration,
}

/// What one worker (or, in inline mode, one network thread's executor) has
/// done; see [`Pool::stats`](super::Pool::stats) and
/// [`Pool::join`](super::Pool::join).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerStats {
    /// Requests taken from the rings.
    pub requests: u64,
    /// Replied [`Outcome::Done`].
    pub completed: u64,
    /// Replied [`Outcome::Cancelled`].
    pub cancelled: u64,
    /// Replied [`Outcome::Panicked`].
    pub panicked: u64,
    /// Replied [`Outcome::Unstarted`].
    pub unstarted: u64,
    /// Requests whose deadline passed while they ran or waited
    /// ([`Action::Timeout`](crate::signal::Action::Timeout) delivered).
    pub timeouts: u64,
    /// Time spent polling requests.
    pub busy: Duration,
    /// Times the worker went to sleep (each one system call). Read while
    /// the worker runs, it is brought up to date each time the worker wakes
    /// (a sleep in progress is not counted yet). Always 0 in inline mode:
    /// there the network thread waits, see
    /// [`Network::park_stats`](super::Network::park_stats).
    pub sleeps: u64,
    /// Wake-ups issued to the worker (each one system call); brought up to
    /// date like `sleeps`.
    pub wakes: u64,
    /// Per network thread (in inline mode, the one that owns the
    /// executor): what came over its link.
    pub links: Vec<LinkStats>,
    /// How long requests took to serve: the sum of their polls (replies
    /// `Done`, `Panicked`, and `Cancelled` after they started).
    pub service_time: Histogram,
    /// How long requests waited between enqueue and their start (or their
    /// cancellation before it).
    pub wait_time: Histogram,
}

impl WorkerStats {
    /// Replies of every kind.
    ///
    /// ```
    /// let stats = handoff::worker::WorkerStats::default();
    /// assert_eq!(stats.replies(), 0);
    /// ```
    pub fn replies(&self) -> u64 {
        self.completed + self.cancelled + self.panicked + self.unstarted
    }
}

/// What went over one link, network thread → worker; see
/// [`WorkerStats::links`].
///
/// ```
/// use handoff::worker::{self, Pool, PoolConfig};
///
/// let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 1), worker::from_sync_fn(|(), _| ()))?;
/// nets[0].enqueue(()).unwrap();
/// nets[0].reply_blocking().unwrap();
/// drop(nets);
/// let link = pool.join()[0].links[0];
/// assert_eq!((link.enqueued, link.replied, link.refused), (1, 1, 0));
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkStats {
    /// Requests the network thread enqueued on this worker.
    pub enqueued: u64,
    /// Requests this worker refused it: its table or the ring was full.
    pub refused: u64,
    /// Replies the worker sent back on the link.
    pub replied: u64,
    /// Signals the worker took for the link's requests (raised by any
    /// thread; coalesced raises count once).
    pub signals: u64,
}

/// One link's counters: the network thread's and the worker's on lines of
/// their own, each written by one thread only.
#[derive(Debug, Default)]
pub(crate) struct LinkCell {
    pub(crate) network: CachePadded<[AtomicU64; 2]>,
    pub(crate) worker: CachePadded<[AtomicU64; 2]>,
}

impl LinkCell {
    pub(crate) fn enqueued(&self) -> &AtomicU64 {
        &self.network[0]
    }

    pub(crate) fn refused(&self) -> &AtomicU64 {
        &self.network[1]
    }

    pub(crate) fn replied(&self) -> &AtomicU64 {
        &self.worker[0]
    }

    pub(crate) fn signals(&self) -> &AtomicU64 {
        &self.worker[1]
    }
}

/// A worker's counters, readable while it runs. Each is written by one
/// thread only (a load and a store each, no read-modify-write): the worker,
/// or for a link's `enqueued` and `refused` its network thread.
///
/// Plain std atomics even under loom: they are reports, not part of any
/// protocol, and loom need not explore them.
#[derive(Debug, Default)]
pub(crate) struct StatsCell {
    pub(crate) requests: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    pub(crate) panicked: AtomicU64,
    pub(crate) unstarted: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) busy_ns: AtomicU64,
    pub(crate) sleeps: AtomicU64,
    pub(crate) wakes: AtomicU64,
    pub(crate) links: Box<[LinkCell]>,
    pub(crate) service: HistogramCell,
    pub(crate) wait: HistogramCell,
}

/// Adds to a counter that only the calling thread writes.
#[inline]
pub(crate) fn bump(counter: &AtomicU64, by: u64) {
    // ordering: Relaxed; one writer, and readers want a recent value, not
    // an ordering with anything else.
    counter.store(counter.load(Ordering::Relaxed) + by, Ordering::Relaxed);
}

impl StatsCell {
    /// The counters of a worker fed by `links` network threads.
    pub(crate) fn new(links: usize) -> Self {
        Self {
            links: (0..links).map(|_| LinkCell::default()).collect(),
            ..Self::default()
        }
    }

    /// Copies the worker parker's counters (which other threads' wakes
    /// also write) into the report.
    pub(crate) fn record_parking(&self, parked: crate::park::ParkStats) {
        // ordering: Relaxed; see `bump`.
        self.sleeps.store(parked.sleeps, Ordering::Relaxed);
        self.wakes.store(parked.wakes, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> WorkerStats {
        // ordering: Relaxed; see `bump`.
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WorkerStats {
            requests: get(&self.requests),
            completed: get(&self.completed),
            cancelled: get(&self.cancelled),
            panicked: get(&self.panicked),
            unstarted: get(&self.unstarted),
            timeouts: get(&self.timeouts),
            busy: Duration::from_nanos(get(&self.busy_ns)),
            sleeps: get(&self.sleeps),
            wakes: get(&self.wakes),
            links: self
                .links
                .iter()
                .map(|l| LinkStats {
                    enqueued: get(l.enqueued()),
                    refused: get(l.refused()),
                    replied: get(l.replied()),
                    signals: get(l.signals()),
                })
                .collect(),
            service_time: self.service.snapshot(),
            wait_time: self.wait.snapshot(),
        }
    }
}
