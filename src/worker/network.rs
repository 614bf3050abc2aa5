//! A network thread's end of a pool: enqueue (with the dispatcher),
//! signal, and take replies.

use core::fmt;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::control::{Control, Flag, Signaller, RUNNING};
use super::error::EnqueueError;
use super::executor::{Envelope, Executor, Inline};
use super::handler::Handler;
use super::reply::Reply;
use super::Ticket;
use crate::loom::{Arc, Ordering};
use crate::park::{ParkStats, Parker};
use crate::signal::{Action, Raised, SignalTable};
use crate::sys::barrier;
use crate::{spsc, PushError};

/// Weight of a new sample in the moving average of service times: 1/8.
const EWMA_SHIFT: u32 = 3;

/// A network thread's link to one worker.
pub(crate) struct Link<Req, Rep> {
    requests: spsc::Producer<Envelope<Req>>,
    replies: spsc::Consumer<Reply<Req, Rep>>,
    table: SignalTable,
    /// Raised while an enqueue is between its kill check and its push (see
    /// the pool's kill protocol). Written only by this network thread.
    enqueuing: Flag,
    /// Requests sent here whose replies this thread has not taken.
    outstanding: usize,
    /// Moving average of the worker's service time, in nanoseconds.
    service_ns: u64,
}

impl<Req, Rep> Link<Req, Rep> {
    pub(crate) fn new(
        requests: spsc::Producer<Envelope<Req>>,
        replies: spsc::Consumer<Reply<Req, Rep>>,
        table: SignalTable,
        enqueuing: Flag,
    ) -> Self {
        Self {
            requests,
            replies,
            table,
            enqueuing,
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
    fn expecting(&self) -> bool {
        self.outstanding > 0 && !(self.replies.is_closed() && self.replies.is_empty())
    }
}

/// The inline mode: this thread's own executor and table.
struct Local<Req, Rep> {
    exec: Box<dyn Inline<Req, Rep>>,
    table: SignalTable,
    /// Replies not yet taken; room for every entry is reserved up front.
    replies: VecDeque<Reply<Req, Rep>>,
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
    index: u32,
    links: Box<[Link<Req, Rep>]>,
    local: Option<Local<Req, Rep>>,
    parker: Parker,
    control: Arc<Control>,
    signaller: Signaller,
    /// xorshift state for the dispatcher's two choices.
    rng: u64,
    /// The link `try_reply` looks at first.
    cursor: usize,
    outstanding: usize,
}

impl<Req: Send + 'static, Rep: Send + 'static> Network<Req, Rep> {
    pub(crate) fn new<H: Handler<Req, Reply = Rep>>(
        index: u32,
        links: Vec<Link<Req, Rep>>,
        inline: Option<(Executor<Req, H>, SignalTable)>,
        parker: Parker,
        control: Arc<Control>,
        signaller: Signaller,
        entries: usize,
    ) -> Self {
        let local = inline.map(|(exec, table)| Local {
            exec: Box::new(exec) as Box<dyn Inline<Req, Rep>>,
            table,
            replies: VecDeque::with_capacity(entries),
        });
        Self {
            index,
            links: links.into_boxed_slice(),
            local,
            parker,
            control,
            signaller,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (u64::from(index) + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
            cursor: 0,
            outstanding: 0,
        }
    }
}

impl<Req, Rep> Network<Req, Rep> {
    /// Enqueues a request on the worker the dispatcher picks (power of two
    /// choices on predicted backlog; see the [module docs](super)), or in
    /// inline mode runs it here: calls the handler and polls its future
    /// once, so a synchronous handler's reply is ready for
    /// [`try_reply`](Self::try_reply) when this returns.
    ///
    /// # Errors
    ///
    /// The request is handed back: [`EnqueueError::Full`] when every worker
    /// is full, [`EnqueueError::Killed`] after [`Pool::kill`](super::Pool::kill).
    pub fn enqueue(&mut self, request: Req) -> Result<Ticket, EnqueueError<Req>> {
        if self.local.is_some() {
            self.enqueue_inline(request)
        } else {
            self.enqueue_dispatched(request)
        }
    }

    /// Inline mode: an entry in this thread's own table, then the handler runs
    /// here, its reply (if it has one at once) queued for `try_reply`.
    fn enqueue_inline(&mut self, request: Req) -> Result<Ticket, EnqueueError<Req>> {
        let local = self.local.as_mut().expect("inline mode");
        if self.control.state() != RUNNING {
            return Err(EnqueueError::Killed(request));
        }
        let Some(key) = local.table.claim() else {
            return Err(EnqueueError::Full(request));
        };
        let replies = &mut local.replies;
        local.exec.admit(
            Envelope {
                key,
                request,
                enqueued: Instant::now(),
            },
            &mut |_, reply| replies.push_back(reply),
        );
        self.outstanding += 1;
        Ok(Ticket {
            executor: self.index,
            key,
        })
    }

    /// Threaded mode: the dispatcher's two choices, then every other worker;
    /// a full one is skipped.
    fn enqueue_dispatched(&mut self, request: Req) -> Result<Ticket, EnqueueError<Req>> {
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
            request = match self.enqueue_to(w, request) {
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
    fn enqueue_to(&mut self, w: usize, request: Req) -> Result<Ticket, EnqueueError<Req>> {
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
            let envelope = Envelope {
                key,
                request,
                enqueued: Instant::now(),
            };
            match link.requests.push(envelope) {
                Ok(()) => {
                    link.outstanding += 1;
                    self.outstanding += 1;
                    Ok(Ticket {
                        executor: w as u32,
                        key,
                    })
                }
                Err(e) => {
                    let _ = link.table.retire(key);
                    match e {
                        PushError::Full(env) => Err(EnqueueError::Full(env.request)),
                        PushError::Closed(env) => Err(EnqueueError::Closed(env.request)),
                    }
                }
            }
        } else {
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

    /// Raises `action` on a request of this pool (see
    /// [`Signaller::signal`]).
    pub fn signal(&self, ticket: Ticket, action: Action) -> Raised {
        self.signaller.signal(ticket, action)
    }

    /// A handle that signals this pool's requests from any thread.
    pub fn signaller(&self) -> Signaller {
        self.signaller.clone()
    }

    /// Takes a reply if one is there. In inline mode it first handles the
    /// signals and wakes of this thread's requests (and a
    /// [`Kill::Now`](super::Kill::Now)).
    pub fn try_reply(&mut self) -> Option<Reply<Req, Rep>> {
        if let Some(local) = &mut self.local {
            if local.replies.is_empty() {
                let replies = &mut local.replies;
                local.exec.run(self.control.state(), &mut |_, reply| {
                    replies.push_back(reply)
                });
            }
            let reply = local.replies.pop_front()?;
            let _ = local.table.retire(reply.ticket.key);
            self.outstanding -= 1;
            return Some(reply);
        }
        let workers = self.links.len();
        for k in 0..workers {
            let w = (self.cursor + k) % workers;
            let link = &mut self.links[w];
            let Some(reply) = link.replies.pop() else {
                continue;
            };
            // Stay on this link while it has replies: they come in batches.
            self.cursor = w;
            link.outstanding -= 1;
            self.outstanding -= 1;
            let service = reply.service.as_nanos().min(u128::from(u64::MAX)) as u64;
            // EWMA with α = 1/8, in integers.
            link.service_ns =
                link.service_ns - (link.service_ns >> EWMA_SHIFT) + (service >> EWMA_SHIFT);
            let retired = link.table.retire(reply.ticket.key);
            debug_assert!(retired.is_ok(), "a reply's ticket was retired already");
            return Some(reply);
        }
        None
    }

    /// Waits for a reply. Returns `None` at once when none can come: no
    /// request is outstanding (or the workers that owe replies are gone).
    pub fn reply_blocking(&mut self) -> Option<Reply<Req, Rep>> {
        self.reply_until(None)
    }

    /// Like [`reply_blocking`](Self::reply_blocking), but gives up after
    /// `timeout`.
    pub fn reply_timeout(&mut self, timeout: Duration) -> Option<Reply<Req, Rep>> {
        let deadline = Instant::now().checked_add(timeout);
        match deadline {
            Some(deadline) => self.reply_until(Some(deadline)),
            None => self.reply_blocking(), // a timeout beyond the clock's range
        }
    }

    fn reply_until(&mut self, deadline: Option<Instant>) -> Option<Reply<Req, Rep>> {
        loop {
            if let Some(reply) = self.try_reply() {
                return Some(reply);
            }
            if !self.expecting() {
                return None;
            }
            let Self {
                parker,
                links,
                local,
                control,
                ..
            } = self;
            let mode = control.state();
            let mut ready = || has_reply(links, local.as_ref(), control, mode).then_some(());
            match deadline {
                None => parker.wait(ready),
                Some(deadline) => {
                    if parker.wait_deadline(deadline, &mut ready).is_none() {
                        return self.try_reply();
                    }
                }
            }
        }
    }

    /// Whether replies may still come.
    fn expecting(&self) -> bool {
        match &self.local {
            Some(_) => self.outstanding > 0,
            None => self.links.iter().any(Link::expecting),
        }
    }

    /// For an event loop ([`PoolConfig::reply_fd`](super::PoolConfig::reply_fd)):
    /// announces that the thread is about to sleep in `epoll` until the
    /// network's descriptor ([`AsFd`](std::os::fd::AsFd)) is readable, and
    /// checks once more. `true`: sleep (a reply, or a wake in inline mode,
    /// makes the descriptor readable); `false`: replies are there, take
    /// them and call again later. Call [`disarm`](Self::disarm) on waking.
    ///
    /// # Panics
    ///
    /// If the pool was not spawned with `reply_fd`.
    pub fn arm(&mut self) -> bool {
        assert!(
            self.parker.has_fd(),
            "Network::arm needs a pool spawned with PoolConfig::reply_fd"
        );
        let Self {
            parker,
            links,
            local,
            control,
            ..
        } = self;
        let mode = control.state();
        parker.arm(|| has_reply(links, local.as_ref(), control, mode))
    }

    /// Ends an [`arm`](Self::arm)ed sleep.
    pub fn disarm(&mut self) {
        self.parker.disarm();
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
}

/// Whether a reply is there (or, in inline mode, work that may make one),
/// or a reply can no longer come (so a waiter must look again).
fn has_reply<Req, Rep>(
    links: &[Link<Req, Rep>],
    local: Option<&Local<Req, Rep>>,
    control: &Control,
    mode: u32,
) -> bool {
    match local {
        Some(local) => {
            !local.replies.is_empty()
                || local.exec.has_work()
                || (control.state() != mode && local.exec.in_flight() > 0)
        }
        None => links.iter().any(|link| {
            !link.replies.is_empty() || (link.outstanding > 0 && link.replies.is_closed())
        }),
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
            .finish_non_exhaustive()
    }
}
