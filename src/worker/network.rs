//! A network thread's end of a pool: enqueue (with the dispatcher),
//! signal, group cancel, and its state; taking replies and waiting are in
//! `super::replies`.

use core::fmt;
use std::collections::VecDeque;
use std::time::Instant;

use super::control::{Control, Flag, Signaller, RUNNING};
use super::error::EnqueueError;
use super::executor::{Envelope, Executor, Inline};
use super::groups::Groups;
use super::handler::Handler;
use super::options::{Enqueue, Group};
use super::pressure::Pressure;
use super::reply::{bump, Reply, StatsCell};
use super::Ticket;
use crate::loom::{Arc, Ordering};
use crate::park::{ParkStats, Parker};
use crate::signal::{Action, Raised, SignalTable};
use crate::sys::barrier;
use crate::{spsc, PushError};

/// A network thread's link to one worker.
pub(crate) struct Link<Req, Rep> {
    pub(super) requests: spsc::Producer<Envelope<Req>>,
    pub(super) replies: spsc::Consumer<Reply<Req, Rep>>,
    pub(super) table: SignalTable,
    /// Raised while an enqueue is between its kill check and its push (see
    /// the pool's kill protocol). Written only by this network thread.
    enqueuing: Flag,
    /// The worker's counters, of which this link's `enqueued` and
    /// `refused` are this thread's to write.
    stats: std::sync::Arc<StatsCell>,
    /// Requests sent here whose replies this thread has not taken.
    pub(super) outstanding: usize,
    /// Moving average of the worker's service time, in nanoseconds.
    pub(super) service_ns: u64,
}

impl<Req, Rep> Link<Req, Rep> {
    pub(crate) fn new(
        requests: spsc::Producer<Envelope<Req>>,
        replies: spsc::Consumer<Reply<Req, Rep>>,
        table: SignalTable,
        enqueuing: Flag,
        stats: std::sync::Arc<StatsCell>,
    ) -> Self {
        Self {
            requests,
            replies,
            table,
            enqueuing,
            stats,
            outstanding: 0,
            service_ns: 0,
        }
    }

    /// The predicted backlog: (outstanding + 1) × average service time.
    fn backlog(&self) -> u128 {
        (self.outstanding as u128 + 1) * u128::from(self.service_ns.max(1))
    }

    /// Whether replies may still come: some are outstanding and the worker
    /// has not exited with its ring drained.
    pub(super) fn expecting(&self) -> bool {
        self.outstanding > 0 && !(self.replies.is_closed() && self.replies.is_empty())
    }
}

/// The inline mode: this thread's own executor and table.
pub(super) struct Local<Req, Rep> {
    pub(super) exec: Box<dyn Inline<Req, Rep>>,
    pub(super) table: SignalTable,
    /// Replies not yet taken; room for every entry is reserved up front.
    pub(super) replies: VecDeque<Reply<Req, Rep>>,
    stats: std::sync::Arc<StatsCell>,
}

/// What a network thread has done; see [`Network::stats`].
///
/// ```
/// use handoff::worker::{self, Pool, PoolConfig};
///
/// let (_pool, mut nets) = Pool::spawn(PoolConfig::new(1, 1), worker::from_sync_fn(|(), _| ()))?;
/// nets[0].enqueue(()).unwrap();
/// assert_eq!(nets[0].stats().enqueued, 1);
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetworkStats {
    /// Requests enqueued.
    pub enqueued: u64,
    /// Enqueues refused [`EnqueueError::Full`]: every worker was full.
    pub refused: u64,
    /// Times the thread slept while full, waiting for room
    /// ([`wait_ready`](Network::wait_ready), or [`arm`](Network::arm)ed).
    pub full_waits: u64,
    /// Times room came back while it was full, freed by a worker or by
    /// another network thread taking replies (it was woken for it if it
    /// slept).
    pub room_returned: u64,
}

/// One network thread's end of a [`Pool`](super::Pool): `Send`, not
/// `Clone`. It enqueues requests (choosing the worker), signals them, and
/// takes their replies.
///
/// ```
/// use handoff::worker::{self, Pool, PoolConfig};
///
/// let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 1), worker::from_sync_fn(|s: &'static str, _| s.len()))?;
/// let net = &mut nets[0];
/// let ticket = net.enqueue("four").unwrap();
/// assert_eq!(net.outstanding(), 1);
/// let reply = net.reply_blocking().unwrap();
/// assert_eq!((reply.ticket, reply.outcome.done()), (ticket, Some(4)));
/// assert!(net.reply_blocking().is_none()); // nothing outstanding: no wait
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
pub struct Network<Req, Rep> {
    pub(super) index: u32,
    pub(super) links: Box<[Link<Req, Rep>]>,
    pub(super) local: Option<Local<Req, Rep>>,
    pub(super) parker: Parker,
    pub(super) control: Arc<Control>,
    signaller: Signaller,
    pub(super) pressure: Arc<Pressure>,
    /// Made on the first grouped request.
    pub(super) groups: Option<Box<Groups>>,
    /// The signal table's size, for `groups`.
    entries: usize,
    /// xorshift state for the dispatcher's two choices.
    rng: u64,
    /// The link `try_reply` looks at first.
    pub(super) cursor: usize,
    pub(super) outstanding: usize,
    /// The last enqueue was refused `Full`, and no room has come back
    /// since that this thread knows of.
    pub(super) full: bool,
    pub(super) stats: NetworkStats,
}

impl<Req: Send + 'static, Rep: Send + 'static> Network<Req, Rep> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new<H: Handler<Req, Reply = Rep>>(
        index: u32,
        links: Vec<Link<Req, Rep>>,
        inline: Option<(Executor<Req, H>, SignalTable)>,
        parker: Parker,
        control: Arc<Control>,
        signaller: Signaller,
        pressure: Arc<Pressure>,
        entries: usize,
    ) -> Self {
        let local = inline.map(|(exec, table)| {
            let stats = exec.stats_cell();
            Local {
                exec: Box::new(exec) as Box<dyn Inline<Req, Rep>>,
                table,
                replies: VecDeque::with_capacity(entries),
                stats,
            }
        });
        Self {
            index,
            links: links.into_boxed_slice(),
            local,
            parker,
            control,
            signaller,
            pressure,
            groups: None,
            entries,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (u64::from(index) + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
            cursor: 0,
            outstanding: 0,
            full: false,
            stats: NetworkStats::default(),
        }
    }
}

impl<Req, Rep> Network<Req, Rep> {
    /// Enqueues a request with the default options: `enqueue_with(request,
    /// Enqueue::new())`.
    ///
    /// # Errors
    ///
    /// As [`enqueue_with`](Self::enqueue_with).
    #[inline]
    pub fn enqueue(&mut self, request: Req) -> Result<Ticket, EnqueueError<Req>> {
        self.enqueue_with(request, Enqueue::new())
    }

    /// Enqueues a request on the worker the dispatcher picks (power of two
    /// choices on predicted backlog; see the [module docs](super)), with
    /// its [`Priority`](super::Priority), [`Group`] and deadline.
    ///
    /// The worker takes it from its ring at its next turn and runs it when
    /// it is the most urgent of its runnable requests (priority, then those
    /// already started, then oldest first). In inline mode it waits here
    /// until this thread's next [`try_reply`](Self::try_reply) (or
    /// `reply_*`, [`wait_ready`](Self::wait_ready)), which runs the
    /// executor's turn: a synchronous handler's reply is ready at that
    /// first call. Either way a request cancelled before its turn is
    /// answered [`Outcome::Cancelled`](super::Outcome::Cancelled) without
    /// its handler ever being called.
    ///
    /// # Errors
    ///
    /// The request is handed back: [`EnqueueError::Full`] when every worker
    /// is full (see [`has_capacity`](Self::has_capacity) and
    /// [`wait_ready`](Self::wait_ready) for the back-pressure loop),
    /// [`EnqueueError::Killed`] after [`Pool::kill`](super::Pool::kill).
    ///
    /// ```
    /// use handoff::worker::{self, Enqueue, Pool, PoolConfig, Priority};
    ///
    /// let (_pool, mut nets) = Pool::spawn(PoolConfig::new(1, 0), worker::from_sync_fn(|n: u8, _| n))?;
    /// let net = &mut nets[0];
    /// net.enqueue(1).unwrap();
    /// net.enqueue_with(2, Enqueue::new().priority(Priority::High)).unwrap();
    /// // Inline: both wait for the executor's turn, which runs the urgent one first.
    /// assert_eq!(net.try_reply().unwrap().outcome.done(), Some(2));
    /// assert_eq!(net.try_reply().unwrap().outcome.done(), Some(1));
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn enqueue_with(
        &mut self,
        request: Req,
        options: Enqueue,
    ) -> Result<Ticket, EnqueueError<Req>> {
        let result = if self.local.is_some() {
            self.enqueue_inline(request, options)
        } else {
            self.enqueue_dispatched(request, options)
        };
        match &result {
            Ok(ticket) => {
                self.full = false;
                self.outstanding += 1;
                self.stats.enqueued += 1;
                if let Some(group) = options.group {
                    self.join(group, *ticket);
                }
            }
            Err(EnqueueError::Full(_)) => {
                self.stats.refused += 1;
                if !self.full {
                    self.full = true;
                    // Room returned before this refusal does not count.
                    self.pressure.clear(self.index as usize);
                }
            }
            Err(_) => {}
        }
        result
    }

    fn envelope(key: crate::signal::Key, request: Req, options: Enqueue) -> Envelope<Req> {
        Envelope {
            key,
            request,
            enqueued: options.received.unwrap_or_else(Instant::now),
            priority: options.priority,
            deadline: options.deadline,
        }
    }

    /// Inline mode: an entry in this thread's own table, then the request
    /// waits in the executor's run queue for this thread's next turn.
    fn enqueue_inline(
        &mut self,
        request: Req,
        options: Enqueue,
    ) -> Result<Ticket, EnqueueError<Req>> {
        let local = self.local.as_mut().expect("inline mode");
        if self.control.state() != RUNNING {
            return Err(EnqueueError::Killed(request));
        }
        let Some(key) = local.table.claim() else {
            bump(local.stats.links[0].refused(), 1);
            return Err(EnqueueError::Full(request));
        };
        bump(local.stats.links[0].enqueued(), 1);
        let replies = &mut local.replies;
        local
            .exec
            .accept(Self::envelope(key, request, options), &mut |_, reply| {
                replies.push_back(reply)
            });
        Ok(Ticket {
            executor: self.index,
            key,
        })
    }

    /// Threaded mode: the dispatcher's two choices, then every other worker;
    /// a full one is skipped.
    fn enqueue_dispatched(
        &mut self,
        request: Req,
        options: Enqueue,
    ) -> Result<Ticket, EnqueueError<Req>> {
        let workers = self.links.len();
        let (first, second) = if workers == 1 {
            (0, 0)
        } else {
            let a = self.random(workers);
            let b = (a + 1 + self.random(workers - 1)) % workers;
            if self.links[a].backlog() <= self.links[b].backlog() {
                (a, b)
            } else {
                (b, a)
            }
        };
        // The better choice, the other one, then every other worker: a
        // full worker is skipped.
        let mut request = request;
        let mut full = false;
        let order = [first, second].into_iter().chain(0..workers);
        for (k, w) in order.enumerate() {
            if (k == 1 && second == first) || (k >= 2 && (w == first || w == second)) {
                continue;
            }
            request = match self.enqueue_to(w, request, options) {
                Err(EnqueueError::Full(r)) => {
                    full = true;
                    r
                }
                Err(EnqueueError::Closed(r)) => r,
                done => return done,
            };
        }
        Err(if full {
            EnqueueError::Full(request)
        } else {
            EnqueueError::Closed(request)
        })
    }

    /// Enqueues on worker `w`: the kill check, an entry, the push.
    fn enqueue_to(
        &mut self,
        w: usize,
        request: Req,
        options: Enqueue,
    ) -> Result<Ticket, EnqueueError<Req>> {
        let n = self.index as usize;
        let link = &mut self.links[w];
        // ordering: Relaxed; the barrier pair orders it before the kill
        // check (see the pool's kill protocol).
        link.enqueuing.store(true, Ordering::Relaxed);
        barrier::light();
        // ordering: Relaxed; the barrier pair makes it see a kill whose
        // worker may have missed our flag.
        let result = if self.control.state.load(Ordering::Relaxed) != RUNNING {
            Err(EnqueueError::Killed(request))
        } else if let Some(key) = link.table.claim() {
            match link.requests.push(Self::envelope(key, request, options)) {
                Ok(()) => {
                    link.outstanding += 1;
                    bump(link.stats.links[n].enqueued(), 1);
                    Ok(Ticket {
                        executor: w as u32,
                        key,
                    })
                }
                Err(e) => {
                    let _ = link.table.retire(key);
                    match e {
                        PushError::Full(env) => {
                            bump(link.stats.links[n].refused(), 1);
                            Err(EnqueueError::Full(env.request))
                        }
                        PushError::Closed(env) => Err(EnqueueError::Closed(env.request)),
                    }
                }
            }
        } else {
            bump(link.stats.links[n].refused(), 1);
            Err(EnqueueError::Full(request))
        };
        // ordering: Release; a killed worker reads the flag with Acquire
        // before it drains our ring, so it sees the push.
        link.enqueuing.store(false, Ordering::Release);
        result
    }

    fn random(&mut self, below: usize) -> usize {
        // xorshift64*: the choice only has to be cheap and spread out.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((u128::from(r >> 32) * below as u128) >> 32) as usize
    }

    /// Where a ticket's request is in `groups`: its worker, or 0 in inline
    /// mode (one executor).
    fn slot(&self, ticket: Ticket) -> usize {
        if self.local.is_some() {
            0
        } else {
            ticket.executor as usize
        }
    }

    fn join(&mut self, group: Group, ticket: Ticket) {
        let slot = self.slot(ticket);
        let executors = self.links.len().max(1);
        let entries = self.entries;
        self.groups
            .get_or_insert_with(|| Box::new(Groups::new(executors, entries)))
            .join(group, slot, ticket.key);
    }

    /// Raises [`Action::Cancel`] on every request this thread enqueued with
    /// `group` and has not yet taken the reply of: a connection closed, a
    /// listener went away. Takes time proportional to the group's size;
    /// returns how many requests it reached (each is answered once, as
    /// `Cancelled` unless it finished first).
    ///
    /// ```
    /// use handoff::worker::{self, Enqueue, Group, Outcome, Pool, PoolConfig};
    ///
    /// let handler = worker::from_fn(|(), _cx| std::future::pending::<()>());
    /// let (_pool, mut nets) = Pool::spawn(PoolConfig::new(1, 1), handler)?;
    /// let net = &mut nets[0];
    /// for conn in [1, 1, 2] {
    ///     net.enqueue_with((), Enqueue::new().group(Group(conn))).unwrap();
    /// }
    /// assert_eq!(net.cancel_group(Group(1)), 2);
    /// for _ in 0..2 {
    ///     assert!(matches!(net.reply_blocking().unwrap().outcome, Outcome::Cancelled));
    /// }
    /// assert_eq!(net.outstanding(), 1); // group 2's request still runs
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn cancel_group(&mut self, group: Group) -> usize {
        let Some(groups) = &self.groups else {
            return 0;
        };
        let inline = self.local.is_some();
        let index = self.index;
        let signaller = &self.signaller;
        let mut reached = 0;
        groups.each(group, |slot, key| {
            let executor = if inline { index } else { slot as u32 };
            let raised = signaller.signal(Ticket { executor, key }, Action::Cancel);
            reached += usize::from(raised != Raised::Stale);
        });
        reached
    }

    /// Raises `action` on a request of this pool (see
    /// [`Signaller::signal`]).
    pub fn signal(&self, ticket: Ticket, action: Action) -> Raised {
        self.signaller.signal(ticket, action)
    }

    /// A handle that signals this pool's requests from any thread.
    pub fn signaller(&self) -> Signaller {
        self.signaller.clone()
    }

    /// Whether the pool has room for this thread's next request, as far as
    /// it knows: `false` after an enqueue was refused
    /// [`EnqueueError::Full`], until a reply is taken here or room comes
    /// back (a worker took requests, or another network thread took
    /// replies: that wakes [`wait_ready`](Self::wait_ready) and the reply
    /// descriptor). A server stops reading new requests while it is
    /// `false`, instead of reading and dropping them.
    ///
    /// ```
    /// use handoff::worker::{self, Pool, PoolConfig, WorkerConfig};
    ///
    /// let config = PoolConfig::new(1, 1).worker(WorkerConfig::new().max_requests(1));
    /// let (_pool, mut nets) = Pool::spawn(config, worker::from_sync_fn(|n: u8, _| n))?;
    /// let net = &mut nets[0];
    /// net.enqueue(1).unwrap();
    /// if net.enqueue(2).is_err() {
    ///     assert!(!net.has_capacity());
    ///     net.wait_ready(None); // the reply to 1
    ///     net.try_reply().unwrap();
    /// }
    /// assert!(net.has_capacity());
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn has_capacity(&self) -> bool {
        !self.full || self.pressure.has_room(self.index as usize)
    }

    /// Requests enqueued here whose replies were not taken yet.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// This network thread's index in the pool.
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// How often this thread slept waiting for replies and was woken: each
    /// is one system call.
    pub fn park_stats(&self) -> ParkStats {
        self.parker.stats()
    }

    /// What this thread has enqueued, and how often the pool was full.
    pub fn stats(&self) -> NetworkStats {
        self.stats
    }

    /// In inline mode, when this thread's executor next has a timer due
    /// (a request's [`sleep`](super::RequestContext::sleep) or deadline):
    /// an event loop sleeping on the reply descriptor passes it to `epoll`
    /// as its timeout, and calls [`try_reply`](Self::try_reply) then.
    /// `None` in threaded mode (the workers keep their own timers) and
    /// when no timer is set.
    pub fn next_timer(&self) -> Option<Instant> {
        self.local.as_ref().and_then(|l| l.exec.next_timer())
    }
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
impl<Req, Rep> std::os::fd::AsFd for Network<Req, Rep> {
    /// The eventfd this thread's replies make readable.
    ///
    /// # Panics
    ///
    /// If the pool was not spawned with
    /// [`reply_fd`](super::PoolConfig::reply_fd).
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self.parker.fd() {
            Some(fd) => fd,
            None => {
                panic!("this Network has no descriptor: spawn the pool with PoolConfig::reply_fd")
            }
        }
    }
}

impl<Req, Rep> fmt::Debug for Network<Req, Rep> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("index", &self.index)
            .field("workers", &self.links.len())
            .field("inline", &self.local.is_some())
            .field("outstanding", &self.outstanding)
            .field("full", &self.full)
            .finish_non_exhaustive()
    }
}
