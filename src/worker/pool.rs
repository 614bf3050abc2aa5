//! The pool: spawning, the worker threads' loop, kill and join.
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
use core::marker::PhantomData;

use crossbeam_utils::CachePadded;

use super::config::PoolConfig;
use super::error::{KillError, SpawnError};
use super::executor::{Envelope, Executor};
use super::handler::Handler;
use super::network::{Link, Network};
use super::reply::{Reply, StatsCell, WorkerStats};
use super::{Kill, Ticket};
use crate::loom::{spin_loop, Arc, AtomicBool, AtomicU32, JoinHandle, Ordering, ThreadBuilder};
use crate::panic::contain;
use crate::park::{Parker, Unparker};
use crate::signal::{self, Action, Raised, SignalTable};
use crate::sys::barrier;
use crate::{spsc, PushError};

pub(crate) const RUNNING: u32 = 0;
pub(crate) const GRACEFUL: u32 = 1;
pub(crate) const NOW: u32 = 2;

/// Requests a worker takes from one ring before it looks at the others and
/// at its signals.
const BATCH: usize = 64;

/// What the pool's handles share: the kill state and everyone to wake when
/// it changes.
pub(crate) struct Control {
    /// `RUNNING`, `GRACEFUL` or `NOW`; only ever increases.
    pub(crate) state: AtomicU32,
    /// The workers' and the network threads' parkers.
    unparkers: Vec<Unparker>,
}

impl Control {
    fn kill(&self, how: Kill) -> Result<(), KillError> {
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
/// [`Pool::kill`].
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
    control: Arc<Control>,
}

impl Killer {
    /// Kills the pool; see [`Pool::kill`].
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
    tables: std::sync::Arc<[SignalTable]>,
}

impl Signaller {
    /// Raises `action` on the ticket's request: [`Raised::Delivered`],
    /// [`Raised::AlreadyPending`], or [`Raised::Stale`] if the request was
    /// answered already (its reply taken) or the ticket is another pool's.
    pub fn signal(&self, ticket: Ticket, action: Action) -> Raised {
        match self.tables.get(ticket.executor as usize) {
            Some(table) => table.raise(ticket.inner, action),
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

/// `N` network threads × `M` workers: see the [module docs](super).
/// `Send` and `Sync`: any thread may kill the pool or read its statistics.
pub struct Pool<Req, Rep> {
    control: Arc<Control>,
    threads: Vec<JoinHandle<()>>,
    stats: Vec<std::sync::Arc<StatsCell>>,
    signaller: Signaller,
    _types: PhantomData<fn(Req) -> Rep>,
}

impl<Req: Send + 'static, Rep: Send + 'static> Pool<Req, Rep> {
    /// Starts `config.workers` worker threads (none in inline mode), each
    /// with its own clone of `handler`, and returns the pool with one
    /// [`Network`] per network thread.
    ///
    /// # Errors
    ///
    /// [`SpawnError`]: no network thread, a zero or absurd size, a CPU to
    /// pin to that is not available, or the system refused a thread or an
    /// eventfd. Nothing is left running then.
    ///
    /// ```
    /// use handoff::worker::{self, Pool, PoolConfig};
    ///
    /// let (pool, mut networks) = Pool::spawn(PoolConfig::new(1, 2), worker::from_sync_fn(|n: i32, _| -n))?;
    /// let net = &mut networks[0];
    /// net.enqueue(5).unwrap();
    /// assert_eq!(net.reply_blocking().unwrap().outcome.done(), Some(-5));
    /// drop(networks);
    /// assert_eq!(pool.join().len(), 2); // workers exit once every network is gone
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn spawn<H>(
        config: PoolConfig,
        handler: H,
    ) -> Result<(Self, Vec<Network<Req, Rep>>), SpawnError>
    where
        H: Handler<Req, Reply = Rep> + Clone,
    {
        Self::spawn_with(config, &mut || handler.clone())
    }

    pub(crate) fn spawn_with<H>(
        config: PoolConfig,
        make: &mut dyn FnMut() -> H,
    ) -> Result<(Self, Vec<Network<Req, Rep>>), SpawnError>
    where
        H: Handler<Req, Reply = Rep>,
    {
        let PoolConfig {
            networks,
            workers,
            worker,
            reply_fd,
        } = config;
        if networks == 0 {
            return Err(SpawnError::NoNetworks);
        }
        if u32::try_from(networks).is_err() || u32::try_from(workers).is_err() {
            return Err(SpawnError::TooMany);
        }
        check_cpus(&worker.pin_to)?;
        let inline = workers == 0;
        let executors = if inline { networks } else { workers };

        let worker_parkers: Vec<Parker> = (0..workers)
            .map(|_| Parker::new().with_policy(worker.spin_policy))
            .collect();
        let mut network_parkers = Vec::with_capacity(networks);
        for _ in 0..networks {
            let parker = if reply_fd {
                Parker::with_fd()?
            } else {
                Parker::new()
            };
            network_parkers.push(if inline {
                parker.with_policy(worker.spin_policy)
            } else {
                parker
            });
        }
        let control = Arc::new(Control {
            state: AtomicU32::new(RUNNING),
            unparkers: worker_parkers
                .iter()
                .chain(&network_parkers)
                .map(Parker::unparker)
                .collect(),
        });

        let mut tables = Vec::with_capacity(executors);
        let mut stats = Vec::with_capacity(executors);
        let mut execs = Vec::with_capacity(executors);
        for index in 0..executors {
            let (table, signals) = signal::table(worker.slots)?;
            let cell = std::sync::Arc::new(StatsCell::default());
            execs.push(Executor::new(
                index as u32,
                make(),
                signals,
                std::sync::Arc::clone(&cell),
            )?);
            tables.push(table);
            stats.push(cell);
        }
        let signaller = Signaller {
            tables: tables.clone().into(),
        };

        // links[n][w]: network n's ends; inbound[w][n]: worker w's.
        let mut links: Vec<Vec<Link<Req, Rep>>> = (0..networks).map(|_| Vec::new()).collect();
        let mut inbound: Vec<Inbound<Req, Rep>> =
            (0..workers).map(|_| Inbound::default()).collect();
        for (w, worker_in) in inbound.iter_mut().enumerate() {
            for (n, network_links) in links.iter_mut().enumerate() {
                let (req_tx, req_rx) = spsc::try_channel(worker.queue_capacity)?;
                let (rep_tx, rep_rx) = spsc::try_channel(worker.slots)?;
                let flag: Flag = Arc::new(CachePadded::new(AtomicBool::new(false)));
                req_rx
                    .register(&worker_parkers[w].unparker())
                    .expect("a new ring has no parker");
                rep_rx
                    .register(&network_parkers[n].unparker())
                    .expect("a new ring has no parker");
                worker_in.requests.push(req_rx);
                worker_in.replies.push(rep_tx);
                worker_in.flags.push(Arc::clone(&flag));
                network_links.push(Link::new(req_tx, rep_rx, tables[w].clone(), flag));
            }
        }

        let mut pool = Pool {
            control: Arc::clone(&control),
            threads: Vec::with_capacity(workers),
            stats,
            signaller: signaller.clone(),
            _types: PhantomData,
        };
        let mut inline_execs = Vec::new();
        if inline {
            inline_execs = execs.into_iter().map(Some).collect();
        } else {
            for (((w, exec), parker), worker_in) in execs
                .into_iter()
                .enumerate()
                .zip(worker_parkers)
                .zip(inbound)
            {
                exec.register(&parker.unparker())
                    .expect("a new table has no parker");
                let thread = WorkerThread {
                    exec,
                    inbound: worker_in,
                    table: tables[w].clone(),
                    control: Arc::clone(&control),
                    parker,
                    cpu: (!worker.pin_to.is_empty())
                        .then(|| worker.pin_to[w % worker.pin_to.len()]),
                };
                let spawned = ThreadBuilder::new()
                    .name(format!("{}-{w}", worker.name))
                    .spawn(move || thread.run());
                match spawned {
                    Ok(handle) => pool.threads.push(handle),
                    Err(e) => {
                        let _ = pool.kill(Kill::Now);
                        drop(links);
                        pool.join();
                        return Err(SpawnError::Io(e));
                    }
                }
            }
        }

        let mut handles = Vec::with_capacity(networks);
        for (n, (network_links, parker)) in links.into_iter().zip(network_parkers).enumerate() {
            let exec = inline_execs.get_mut(n).and_then(Option::take).map(|exec| {
                exec.register(&parker.unparker())
                    .expect("a new table has no parker");
                (exec, tables[n].clone())
            });
            handles.push(Network::new(
                n as u32,
                network_links,
                exec,
                parker,
                Arc::clone(&control),
                signaller.clone(),
                worker.slots,
            ));
        }
        Ok((pool, handles))
    }
}

impl<Req, Rep> Pool<Req, Rep> {
    /// Kills the pool: every network thread's `enqueue` refuses new
    /// requests from now on ([`EnqueueError::Killed`](super::EnqueueError::Killed)),
    /// and the workers stop as [`Kill`] says. Returns at once; [`join`](Self::join)
    /// waits for the workers.
    ///
    /// # Errors
    ///
    /// [`KillError`] if the pool was killed this way already, or `Now`.
    /// A graceful kill may be turned into [`Kill::Now`].
    ///
    /// ```
    /// use handoff::worker::{self, Kill, Outcome, Worker};
    ///
    /// let mut w = Worker::spawn(Default::default(), worker::from_fn(|(), _| std::future::pending::<()>()))?;
    /// w.enqueue(()).unwrap(); // would never finish by itself
    /// w.kill(Kill::Now).unwrap();
    /// // Cancelled if it had started, handed back if not:
    /// let outcome = w.reply_blocking().unwrap().outcome;
    /// assert!(matches!(outcome, Outcome::Cancelled | Outcome::Unstarted(())));
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn kill(&self, how: Kill) -> Result<(), KillError> {
        self.control.kill(how)
    }

    /// Waits for every worker thread to exit and returns their statistics
    /// (in inline mode, the network threads' executors' so far).
    ///
    /// Workers exit once killed and done, or when every network thread's
    /// [`Network`] has been dropped and their work is done; without either,
    /// `join` waits.
    ///
    /// # Panics
    ///
    /// If a worker thread panicked outside a handler (a bug in this crate;
    /// handler panics are caught and replied as
    /// [`Outcome::Panicked`](super::Outcome::Panicked)).
    pub fn join(mut self) -> Vec<WorkerStats> {
        self.join_threads()
    }

    /// [`join`](Self::join) for owners that cannot give the pool away.
    pub(crate) fn join_threads(&mut self) -> Vec<WorkerStats> {
        for thread in self.threads.drain(..) {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
        self.stats.iter().map(|s| s.snapshot()).collect()
    }

    /// Every worker's statistics so far, read while they run.
    pub fn stats(&self) -> Vec<WorkerStats> {
        self.stats.iter().map(|s| s.snapshot()).collect()
    }

    /// A handle that signals this pool's requests from any thread.
    pub fn signaller(&self) -> Signaller {
        self.signaller.clone()
    }

    /// A handle that kills this pool from any thread.
    pub fn killer(&self) -> Killer {
        Killer {
            control: Arc::clone(&self.control),
        }
    }

    /// Worker threads (0 in inline mode).
    pub fn workers(&self) -> usize {
        self.threads.len()
    }
}

impl<Req, Rep> fmt::Debug for Pool<Req, Rep> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.threads.len())
            .field("killed", &(self.control.state() != RUNNING))
            .finish_non_exhaustive()
    }
}

/// Checks that every CPU to pin to is one this process may run on.
fn check_cpus(cpus: &[usize]) -> Result<(), SpawnError> {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    if let Some(&cpu) = cpus.iter().find(|&&cpu| {
        cpu >= rustix::thread::CpuSet::MAX_CPU
            || !rustix::thread::sched_getaffinity(None).is_ok_and(|set| set.is_set(cpu))
    }) {
        return Err(SpawnError::Cpu { cpu });
    }
    #[cfg(not(all(target_os = "linux", not(loom), not(miri))))]
    if let Some(&cpu) = cpus.first() {
        // No pinning here (or not under a model checker).
        return Err(SpawnError::Cpu { cpu });
    }
    Ok(())
}

/// Pins the calling thread; `check_cpus` vetted the CPU, so a failure (the
/// process's CPU set shrank since) only leaves the thread unpinned.
fn pin_current_thread(cpu: usize) {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        let mut set = rustix::thread::CpuSet::new();
        set.set(cpu);
        let _ = rustix::thread::sched_setaffinity(None, &set);
    }
    #[cfg(not(all(target_os = "linux", not(loom), not(miri))))]
    let _ = cpu;
}

/// A worker's ends of its links, indexed by network thread.
struct Inbound<Req, Rep> {
    requests: Vec<spsc::Consumer<Envelope<Req>>>,
    replies: Vec<spsc::Producer<Reply<Req, Rep>>>,
    flags: Vec<Flag>,
}

impl<Req, Rep> Default for Inbound<Req, Rep> {
    fn default() -> Self {
        Self {
            requests: Vec::new(),
            replies: Vec::new(),
            flags: Vec::new(),
        }
    }
}

/// Everything a worker thread owns.
struct WorkerThread<Req, H: Handler<Req>> {
    exec: Executor<Req, H>,
    inbound: Inbound<Req, H::Reply>,
    /// The worker's table, to retire the tickets of replies nobody takes.
    table: SignalTable,
    control: Arc<Control>,
    parker: Parker,
    cpu: Option<usize>,
}

impl<Req, H: Handler<Req>> WorkerThread<Req, H> {
    fn run(self) {
        let Self {
            mut exec,
            inbound:
                Inbound {
                    mut requests,
                    mut replies,
                    flags,
                },
            table,
            control,
            mut parker,
            cpu,
        } = self;
        if let Some(cpu) = cpu {
            pin_current_thread(cpu);
        }
        let mut sink =
            |origin: u32, reply: Reply<Req, H::Reply>| deliver(&mut replies, &table, origin, reply);
        let mut mode = RUNNING;
        loop {
            let state = control.state();
            if state != mode {
                mode = state;
                quiesce(&flags);
            }
            if mode == NOW {
                for (origin, ring) in requests.iter_mut().enumerate() {
                    while let Some(envelope) = ring.pop() {
                        exec.hand_back(envelope, origin as u32, &mut sink);
                    }
                }
                exec.cancel_all(&mut sink);
                break;
            }
            let mut busy = exec.run_signals(&mut sink);
            for (origin, ring) in requests.iter_mut().enumerate() {
                for _ in 0..BATCH {
                    // A kill stops the batch: under `Kill::Now` the rest
                    // must be handed back, not run.
                    if control.state() != mode {
                        break;
                    }
                    let Some(envelope) = ring.pop() else {
                        break;
                    };
                    busy = true;
                    exec.start(envelope, origin as u32, &mut sink);
                }
            }
            busy |= exec.run_woken(&mut sink);
            if busy {
                continue;
            }
            let drained = exec.in_flight() == 0 && requests.iter().all(spsc::Consumer::is_empty);
            if drained && (mode == GRACEFUL || all_gone(&requests)) {
                break;
            }
            // Work that `wait` sees may not be poppable yet (a raise that
            // claimed its place in the signal queue but has not written it):
            // a spin hint before looking again (a yield under loom).
            spin_loop();
            exec.pause();
            parker.wait(|| {
                let work = control.state() != mode
                    || exec.has_work()
                    || requests.iter().any(|ring| !ring.is_empty())
                    || (exec.in_flight() == 0 && all_gone(&requests));
                work.then_some(())
            });
            exec.stats().record_parking(parker.stats());
        }
        exec.stats().record_parking(parker.stats());
        // The handler, any request or reply still in a ring: user values
        // whose `Drop` may panic. Every reply is delivered by now; contain
        // it, so `Pool::join` sees a worker that exited normally.
        contain(move || drop((exec, requests, replies)));
    }
}

/// Whether every network thread is gone and its ring drained: nothing can
/// come any more.
fn all_gone<T>(requests: &[spsc::Consumer<T>]) -> bool {
    requests
        .iter()
        .all(|ring| ring.is_closed() && ring.is_empty())
}

/// After a kill: waits until no enqueue that missed it is still pushing
/// (see the module docs), so that the rings can be drained for good.
fn quiesce(flags: &[Flag]) {
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

/// Pushes a reply to its network thread. The ring has room: it holds as
/// many replies as the table has slots, and every reply in it still holds
/// its slot (the network thread retires it when it takes the reply). If
/// the network thread is gone, nobody will retire the ticket: we do.
fn deliver<Req, Rep>(
    replies: &mut [spsc::Producer<Reply<Req, Rep>>],
    table: &SignalTable,
    origin: u32,
    reply: Reply<Req, Rep>,
) {
    let ring = &mut replies[origin as usize];
    let mut reply = reply;
    loop {
        match ring.push(reply) {
            Ok(()) => return,
            Err(PushError::Closed(reply)) => {
                let _ = table.retire(reply.ticket.inner);
                // Nobody takes it: dropped here, and a panicking `Drop` of
                // the reply must not take the worker (and the replies it
                // still owes others) down.
                contain(|| drop(reply));
                return;
            }
            Err(PushError::Full(back)) => {
                debug_assert!(false, "a reply ring was full: more replies than slots");
                reply = back;
                spin_loop();
            }
        }
    }
}
