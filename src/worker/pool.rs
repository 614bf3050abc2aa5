//! The pool: spawning (in named steps), kill and join.

use core::fmt;
use core::marker::PhantomData;

use crossbeam_utils::CachePadded;

use super::config::PoolConfig;
use super::control::{Control, Flag, Killer, Signaller, RUNNING};
use super::error::{KillError, SpawnError};
use super::executor::Executor;
use super::handler::Handler;
use super::network::{Link, Network};
use super::pressure::Pressure;
use super::reply::{StatsCell, WorkerStats};
use super::thread::{Inbound, WorkerThread};
use super::Kill;
use crate::loom::{Arc, AtomicBool, AtomicU32, JoinHandle, ThreadBuilder};
use crate::park::Parker;
use crate::signal::{self, SignalTable};
use crate::spsc;

/// `N` network threads × `M` workers: see the [module docs](super).
/// `Send` and `Sync`: any thread may kill the pool or read its statistics.
pub struct Pool<Req, Rep> {
    control: Arc<Control>,
    pressure: Arc<Pressure>,
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
        check(&config)?;
        let inline = config.workers == 0;
        let parkers = Parkers::new(&config)?;
        let control = Arc::new(Control {
            state: AtomicU32::new(RUNNING),
            unparkers: parkers.all().map(Parker::unparker).collect(),
        });
        let pressure = Arc::new(Pressure::new(
            parkers.networks.iter().map(Parker::unparker).collect(),
        ));
        let executors = Executors::new(&config, make)?;
        let (links, inbound) = links(&config, &executors, &parkers)?;
        let mut pool = Pool {
            control: Arc::clone(&control),
            pressure,
            threads: Vec::with_capacity(config.workers),
            stats: executors.stats.clone(),
            signaller: Signaller {
                tables: executors.tables.clone().into(),
            },
            _types: PhantomData,
        };
        let Parkers { workers, networks } = parkers;
        let mut inline_execs = Vec::new();
        if inline {
            inline_execs = executors.execs;
        } else if let Err(e) = pool.start_threads(&config, executors, workers, inbound) {
            drop(links); // the workers see every network gone, and exit
            pool.join();
            return Err(e);
        }
        let networks = pool.networks(&config, links, networks, inline_execs);
        Ok((pool, networks))
    }

    /// Step 4: one thread per worker, each running its executor on its
    /// inbound rings. On a refused thread, kills the ones started (the
    /// caller joins them).
    fn start_threads<H: Handler<Req, Reply = Rep>>(
        &mut self,
        config: &PoolConfig,
        executors: Executors<Req, H>,
        parkers: Vec<Parker>,
        inbound: Vec<Inbound<Req, Rep>>,
    ) -> Result<(), SpawnError> {
        let worker = &config.worker;
        let threads = executors.execs.into_iter().zip(parkers).zip(inbound);
        for (w, ((exec, parker), inbound)) in threads.enumerate() {
            exec.register(&parker.unparker())
                .expect("a new table has no parker");
            let thread = WorkerThread {
                exec,
                inbound,
                table: executors.tables[w].clone(),
                control: Arc::clone(&self.control),
                pressure: Arc::clone(&self.pressure),
                parker,
                cpu: (!worker.pin_to.is_empty()).then(|| worker.pin_to[w % worker.pin_to.len()]),
            };
            let spawned = ThreadBuilder::new()
                .name(format!("{}-{w}", worker.name))
                .spawn(move || thread.run());
            match spawned {
                Ok(handle) => self.threads.push(handle),
                Err(e) => {
                    let _ = self.kill(Kill::Now);
                    return Err(SpawnError::Io(e));
                }
            }
        }
        Ok(())
    }

    /// Step 5: a [`Network`] per network thread, with its links and, in
    /// inline mode, its own executor.
    fn networks<H: Handler<Req, Reply = Rep>>(
        &self,
        config: &PoolConfig,
        links: Vec<Vec<Link<Req, Rep>>>,
        parkers: Vec<Parker>,
        inline_execs: Vec<Executor<Req, H>>,
    ) -> Vec<Network<Req, Rep>> {
        let mut inline_execs = inline_execs.into_iter();
        let tables = &self.signaller.tables;
        links
            .into_iter()
            .zip(parkers)
            .enumerate()
            .map(|(n, (links, parker))| {
                let exec = inline_execs.next().map(|exec| {
                    exec.register(&parker.unparker())
                        .expect("a new table has no parker");
                    (exec, tables[n].clone())
                });
                Network::new(
                    n as u32,
                    links,
                    exec,
                    parker,
                    Arc::clone(&self.control),
                    self.signaller.clone(),
                    Arc::clone(&self.pressure),
                    config.worker.max_requests,
                )
            })
            .collect()
    }
}

/// Step 1: the sizes make sense and the CPUs to pin to exist.
fn check(config: &PoolConfig) -> Result<(), SpawnError> {
    if config.networks == 0 {
        return Err(SpawnError::NoNetworks);
    }
    if u32::try_from(config.networks).is_err() || u32::try_from(config.workers).is_err() {
        return Err(SpawnError::TooMany);
    }
    check_cpus(&config.worker.pin_to)
}

/// Step 2: a parker per worker and per network thread (in inline mode the
/// network threads' parkers wait with the workers' spin policy: they run
/// the executors).
struct Parkers {
    workers: Vec<Parker>,
    networks: Vec<Parker>,
}

impl Parkers {
    fn new(config: &PoolConfig) -> Result<Self, SpawnError> {
        let policy = config.worker.spin_policy;
        let workers = (0..config.workers)
            .map(|_| Parker::new().with_policy(policy))
            .collect();
        let mut networks = Vec::with_capacity(config.networks);
        for _ in 0..config.networks {
            let parker = if config.reply_fd {
                Parker::with_fd()?
            } else {
                Parker::new()
            };
            networks.push(if config.workers == 0 {
                parker.with_policy(policy)
            } else {
                parker
            });
        }
        Ok(Self { workers, networks })
    }

    /// Everyone a kill must wake.
    fn all(&self) -> impl Iterator<Item = &Parker> {
        self.workers.iter().chain(&self.networks)
    }
}

/// Step 3: an executor per worker (per network thread in inline mode),
/// each with its signal table and statistics.
struct Executors<Req, H: Handler<Req>> {
    execs: Vec<Executor<Req, H>>,
    tables: Vec<SignalTable>,
    stats: Vec<std::sync::Arc<StatsCell>>,
}

impl<Req, H: Handler<Req>> Executors<Req, H> {
    fn new(config: &PoolConfig, make: &mut dyn FnMut() -> H) -> Result<Self, SpawnError> {
        let (count, links) = if config.workers == 0 {
            (config.networks, 1)
        } else {
            (config.workers, config.networks)
        };
        let mut executors = Self {
            execs: Vec::with_capacity(count),
            tables: Vec::with_capacity(count),
            stats: Vec::with_capacity(count),
        };
        for index in 0..count {
            let (table, signals) = signal::table(config.worker.max_requests)?;
            let cell = std::sync::Arc::new(StatsCell::new(links));
            let timing = config.worker.timing();
            let exec = Executor::new(
                index as u32,
                make(),
                signals,
                timing,
                std::sync::Arc::clone(&cell),
            )?;
            executors.execs.push(exec);
            executors.tables.push(table);
            executors.stats.push(cell);
        }
        Ok(executors)
    }
}

/// Step 3, continued: the rings between every network thread and every
/// worker, one each way: `links[n][w]` is network `n`'s end,
/// `inbound[w]` worker `w`'s ends (indexed by network thread).
#[allow(clippy::type_complexity)]
fn links<Req: Send, Rep: Send, H: Handler<Req>>(
    config: &PoolConfig,
    executors: &Executors<Req, H>,
    parkers: &Parkers,
) -> Result<(Vec<Vec<Link<Req, Rep>>>, Vec<Inbound<Req, Rep>>), SpawnError> {
    let mut links: Vec<Vec<Link<Req, Rep>>> = (0..config.networks).map(|_| Vec::new()).collect();
    let mut inbound: Vec<Inbound<Req, Rep>> =
        (0..config.workers).map(|_| Inbound::default()).collect();
    for (w, worker_in) in inbound.iter_mut().enumerate() {
        for (n, network_links) in links.iter_mut().enumerate() {
            let (req_tx, req_rx) = spsc::try_channel(config.worker.queue_capacity)?;
            let (rep_tx, rep_rx) = spsc::try_channel(config.worker.max_requests)?;
            let flag: Flag = Arc::new(CachePadded::new(AtomicBool::new(false)));
            req_rx
                .register(&parkers.workers[w].unparker())
                .expect("a new ring has no parker");
            rep_rx
                .register(&parkers.networks[n].unparker())
                .expect("a new ring has no parker");
            worker_in.requests.push(req_rx);
            worker_in.replies.push(rep_tx);
            worker_in.flags.push(Arc::clone(&flag));
            network_links.push(Link::new(
                req_tx,
                rep_rx,
                executors.tables[w].clone(),
                flag,
                std::sync::Arc::clone(&executors.stats[w]),
            ));
        }
    }
    Ok((links, inbound))
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
