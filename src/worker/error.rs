//! The worker API's errors.

use core::fmt;
use std::io;

use super::Kill;
use crate::CapacityError;

/// A request [`enqueue`](super::Network::enqueue) refused; the request is
/// handed back, so nothing is lost.
///
/// ```
/// use handoff::worker::{self, EnqueueError, Kill, Worker, WorkerConfig};
///
/// let mut w = Worker::spawn(WorkerConfig::new(), worker::from_sync_fn(|n: u8, _| n))?;
/// w.kill(Kill::Graceful).unwrap();
/// let err = w.enqueue(7).unwrap_err();
/// assert_eq!(err.to_string(), "the pool was killed: it takes no new requests");
/// assert!(matches!(err, EnqueueError::Killed(7)));
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EnqueueError<R> {
    /// Every worker is full (back-pressure): try again after taking
    /// replies.
    Full(R),
    /// The pool was killed.
    Killed(R),
    /// The worker is gone without being killed: its thread died (a bug; a
    /// panicking handler does not do this).
    Closed(R),
}

impl<R> EnqueueError<R> {
    /// Returns the request that was not enqueued.
    pub fn into_inner(self) -> R {
        match self {
            Self::Full(r) | Self::Killed(r) | Self::Closed(r) => r,
        }
    }

    /// Whether the pool was only full: the same request may go in later.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }
}

impl<R> fmt::Debug for EnqueueError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "Full(..)",
            Self::Killed(_) => "Killed(..)",
            Self::Closed(_) => "Closed(..)",
        })
    }
}

impl<R> fmt::Display for EnqueueError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "every worker is full",
            Self::Killed(_) => "the pool was killed: it takes no new requests",
            Self::Closed(_) => "the worker's thread is gone",
        })
    }
}

impl<R> std::error::Error for EnqueueError<R> {}

/// [`Pool::kill`](super::Pool::kill) was called on a pool already killed
/// that way (or already killed [`Now`](Kill::Now)). Turning a graceful kill
/// into [`Kill::Now`] is allowed.
///
/// ```
/// use handoff::worker::{self, Kill, KillError, Pool, PoolConfig};
///
/// let (pool, _networks) = Pool::spawn(PoolConfig::new(1, 1), worker::from_sync_fn(|(), _| ()))?;
/// pool.kill(Kill::Graceful).unwrap();
/// assert_eq!(pool.kill(Kill::Graceful), Err(KillError { already: Kill::Graceful }));
/// pool.kill(Kill::Now).unwrap(); // escalation
/// assert_eq!(
///     pool.kill(Kill::Graceful).unwrap_err().to_string(),
///     "the pool was already killed (Now)"
/// );
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KillError {
    /// How the pool had been killed.
    pub already: Kill,
}

impl fmt::Display for KillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the pool was already killed ({:?})", self.already)
    }
}

impl std::error::Error for KillError {}

/// Why [`Pool::spawn`](super::Pool::spawn) made no pool. Nothing was left
/// running: threads already started were stopped and joined.
///
/// ```
/// use handoff::worker::{self, Pool, PoolConfig, SpawnError, WorkerConfig};
/// use handoff::CapacityError;
///
/// let handler = worker::from_sync_fn(|(), _| ());
/// let err = Pool::spawn(PoolConfig::new(0, 1), handler.clone()).unwrap_err();
/// assert!(matches!(err, SpawnError::NoNetworks));
/// let config = PoolConfig::new(1, 1).worker(WorkerConfig::new().max_requests(0));
/// let err = Pool::spawn(config, handler).unwrap_err();
/// assert!(matches!(err, SpawnError::Capacity(CapacityError::Zero)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SpawnError {
    /// A pool needs at least one network thread.
    NoNetworks,
    /// More workers, or network threads, than a ticket can name (`u32`).
    TooMany,
    /// `entries` or `queue_capacity` is 0 or too large for memory.
    Capacity(CapacityError),
    /// A CPU in [`WorkerConfig::pin_to`](super::WorkerConfig::pin_to) is not
    /// one this process may run on.
    Cpu {
        /// The CPU asked for.
        cpu: usize,
    },
    /// The operating system refused a thread or an eventfd.
    Io(io::Error),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoNetworks => f.write_str("a pool needs at least one network thread"),
            Self::TooMany => f.write_str("too many workers or network threads (at most u32::MAX)"),
            Self::Capacity(e) => write!(f, "bad worker queue size: {e}"),
            Self::Cpu { cpu } => write!(
                f,
                "cannot pin a worker to CPU {cpu}: not allowed or not there"
            ),
            Self::Io(e) => write!(f, "cannot start a worker: {e}"),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Capacity(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CapacityError> for SpawnError {
    fn from(e: CapacityError) -> Self {
        Self::Capacity(e)
    }
}

impl From<io::Error> for SpawnError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}
