//! How workers and pools are configured.

use crate::park::SpinPolicy;

/// How each worker of a pool is made: its thread's name, its queues, its
/// signal table, how it waits, and where it runs. The design's
/// `CONF_SECTION`.
///
/// ```
/// use handoff::park::SpinPolicy;
/// use handoff::worker::WorkerConfig;
///
/// let config = WorkerConfig::new()
///     .name("auth")
///     .max_requests(4096)
///     .queue_capacity(512)
///     .spin_policy(SpinPolicy::SLEEP_AT_ONCE)
///     .pin_to(vec![1]);
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
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkerConfig {
    /// The defaults: named `handoff-worker`, 1024 requests at most, rings of 256, the
    /// default spin policy, not pinned.
    pub fn new() -> Self {
        Self {
            name: "handoff-worker".to_owned(),
            max_requests: 1024,
            queue_capacity: 256,
            spin_policy: SpinPolicy::default(),
            pin_to: Vec::new(),
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
