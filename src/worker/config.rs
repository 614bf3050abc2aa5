//! How workers and pools are configured.

use std::time::Duration;

use crate::park::SpinPolicy;

/// How each worker of a pool is made: its thread's name, its queues, its
/// signal table, how it waits, where it runs, and the time limits of its
/// requests. The design's `CONF_SECTION`.
///
/// ```
/// use std::time::Duration;
/// use handoff::park::SpinPolicy;
/// use handoff::worker::WorkerConfig;
///
/// let config = WorkerConfig::new()
///     .name("auth")
///     .max_requests(4096)
///     .queue_capacity(512)
///     .spin_policy(SpinPolicy::SLEEP_AT_ONCE)
///     .pin_to(vec![1])
///     .request_timeout(Duration::from_secs(30))
///     .cancel_grace(Duration::from_secs(1));
/// assert_eq!(config.max_requests, 4096);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// Thread names are this, a dash and the worker's index.
    pub name: String,
    /// How many requests a worker holds at once, queued or in flight, from
    /// all network threads together: the size of its signal table, and the
    /// capacity of each of its reply rings. Default 1024.
    pub max_requests: usize,
    /// The capacity of each network thread's ring to the worker. Default
    /// 256.
    pub queue_capacity: usize,
    /// How a worker with nothing to do waits before it sleeps.
    pub spin_policy: SpinPolicy,
    /// CPUs to pin the workers to: worker `i` runs on
    /// `pin_to[i % pin_to.len()]`. Empty (the default): not pinned.
    pub pin_to: Vec<usize>,
    /// Each request's time limit, from its enqueue, unless it was given a
    /// deadline of its own ([`Enqueue::deadline`](super::Enqueue::deadline)):
    /// at the deadline the request gets
    /// [`Action::Timeout`](crate::signal::Action::Timeout), and
    /// [`cancel_grace`](Self::cancel_grace) later, if it has not finished,
    /// it is cancelled. FreeRADIUS's `max_request_time`. Default none.
    pub request_timeout: Option<Duration>,
    /// From a request's `Timeout` to its cancellation. Default 1 s.
    pub cancel_grace: Duration,
    /// How long a worker runs requests before it looks at its rings and
    /// signals again, so that a long batch does not starve them (a request
    /// that is running is never interrupted). Default 1 ms, as FreeRADIUS
    /// v4's worker.
    pub time_budget: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkerConfig {
    /// The defaults: named `handoff-worker`, 1024 requests at most, rings
    /// of 256, the default spin policy, not pinned, no time limit (1 s of
    /// grace if one is set), a time budget of 1 ms.
    pub fn new() -> Self {
        Self {
            name: "handoff-worker".to_owned(),
            max_requests: 1024,
            queue_capacity: 256,
            spin_policy: SpinPolicy::default(),
            pin_to: Vec::new(),
            request_timeout: None,
            cancel_grace: Duration::from_secs(1),
            time_budget: Duration::from_millis(1),
        }
    }

    /// Sets [`name`](Self::name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets [`max_requests`](Self::max_requests).
    pub fn max_requests(mut self, max_requests: usize) -> Self {
        self.max_requests = max_requests;
        self
    }

    /// Sets [`queue_capacity`](Self::queue_capacity).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// Sets [`spin_policy`](Self::spin_policy).
    pub fn spin_policy(mut self, policy: SpinPolicy) -> Self {
        self.spin_policy = policy;
        self
    }

    /// Sets [`pin_to`](Self::pin_to).
    pub fn pin_to(mut self, cpus: Vec<usize>) -> Self {
        self.pin_to = cpus;
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    pub fn request_timeout(mut self, limit: Duration) -> Self {
        self.request_timeout = Some(limit);
        self
    }

    /// Sets [`cancel_grace`](Self::cancel_grace).
    pub fn cancel_grace(mut self, grace: Duration) -> Self {
        self.cancel_grace = grace;
        self
    }

    /// Sets [`time_budget`](Self::time_budget).
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.time_budget = budget;
        self
    }

    pub(crate) fn timing(&self) -> super::executor::Timing {
        super::executor::Timing {
            request_timeout: self.request_timeout,
            grace: self.cancel_grace,
            budget: self.time_budget,
        }
    }
}

/// The shape of a [`Pool`](super::Pool): how many network threads and
/// workers, and how they are made.
///
/// ```
/// use handoff::worker::{PoolConfig, WorkerConfig};
///
/// let threaded = PoolConfig::new(2, 4).worker(WorkerConfig::new().max_requests(256));
/// let inline = PoolConfig::new(2, 0); // handlers run on the network threads
/// assert_eq!((threaded.workers, inline.workers), (4, 0));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// Network threads: one [`Network`](super::Network) handle each. At
    /// least 1.
    pub networks: usize,
    /// Worker threads. 0 is the inline mode: each network thread runs the
    /// handler itself, with the worker settings (`max_requests`, `spin_policy`).
    pub workers: usize,
    /// How each worker is made.
    pub worker: WorkerConfig,
    /// Whether each network thread waits for replies on a file descriptor
    /// (an eventfd, for its own epoll loop; Linux only) rather than as a
    /// thread. Default `false`.
    pub reply_fd: bool,
}

impl PoolConfig {
    /// `networks` network threads and `workers` workers with the default
    /// [`WorkerConfig`].
    pub fn new(networks: usize, workers: usize) -> Self {
        Self {
            networks,
            workers,
            worker: WorkerConfig::new(),
            reply_fd: false,
        }
    }

    /// Sets [`worker`](Self::worker).
    pub fn worker(mut self, worker: WorkerConfig) -> Self {
        self.worker = worker;
        self
    }

    /// Sets [`reply_fd`](Self::reply_fd).
    pub fn reply_fd(mut self, on: bool) -> Self {
        self.reply_fd = on;
        self
    }
}
