//! A RADIUS authentication server (RFC 2865, PAP) on the crate: many UDP
//! readers on one port, a pool of workers, per-request signals.
//!
//! ```text
//! cargo run --release --example radius -- --users users.txt \
//!     [--listen 127.0.0.1:1812] [--secret testing123] [--networks 2] \
//!     [--workers 2] [--delay-ms 0] [--limit-ms 1000] [--seconds 0] [--stubborn]
//! ```
//!
//! - `--networks N` network threads, each with its own UDP socket bound to
//!   the same address (`SO_REUSEPORT`, so the kernel spreads clients over
//!   them), feed a [`Pool`] of `--workers M` workers.
//! - A worker parses the request, checks the PAP password against the users
//!   file, signs the Access-Accept or Access-Reject and sends it itself,
//!   from its network thread's socket; the reply bytes come back to the
//!   network thread for the duplicate cache.
//! - **Duplicates**: a retransmission (same client address, identifier and
//!   request authenticator) of a request still in flight raises
//!   [`Action::Dup`] on it through its ticket instead of running it twice;
//!   one that arrives after the reply gets the cached reply again.
//! - **Time limit**: each request may take `--delay-ms` of artificial
//!   processing (the handler yields meanwhile); a request still running
//!   after `--limit-ms` is sent [`Action::Timeout`] (the handler gives up
//!   without replying), and one still there after twice that is cancelled
//!   ([`Action::Cancel`]: its future is dropped; `--stubborn` makes the
//!   handler ignore `Timeout`, to show it).
//! - **Counters**: printed on exit (after `--seconds`, or on SIGINT or
//!   SIGTERM) and on SIGUSR1: requests, replies, duplicates, cached replies
//!   resent, timeouts, cancels, malformed, refused for back-pressure, the
//!   workers' sleeps, and the process's context switches per request.
//! - **Network threads** read in bursts from non-blocking sockets, spin a
//!   little when there is nothing, then sleep in `poll(2)` on the socket and
//!   the network's reply descriptor ([`PoolConfig::reply_fd`]).
//!
//! `.ci/radius-test` checks it against Debian's `radclient` and the
//! project's load generator (`radius_load`, in `../load.rs`);
//! `.ci/radius-bench` compares it with freeradius 3.2.
//!
//! Malformed datagrams are counted and dropped.

mod codec;
#[allow(dead_code)] // The server sums every thread's switches: no names.
#[path = "../../shared/context_switches.rs"]
mod context_switches;

fn main() {
    if let Err(err) = server::run() {
        eprintln!("radius: {err}");
        std::process::exit(1);
    }
}

mod server {
    use std::collections::HashMap;
    use std::future::Future;
    use std::net::{SocketAddr, UdpSocket};
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    use std::sync::Arc;
    use std::task::{Context, Poll};
    use std::thread;
    use std::time::{Duration, Instant};

    use handoff::signal::Action;
    use handoff::worker::{
        self, EnqueueError, Kill, Outcome, Pool, PoolConfig, RequestContext, Ticket,
    };
    use socket2::{Domain, Protocol, Socket, Type};

    use super::codec;

    /// What the options say.
    struct Options {
        listen: SocketAddr,
        secret: Vec<u8>,
        users: codec::Users,
        networks: usize,
        workers: usize,
        delay: Duration,
        limit: Duration,
        seconds: u64,
        stubborn: bool,
    }

    fn options() -> Result<Options, lexopt::Error> {
        use lexopt::prelude::*;

        let mut o = Options {
            listen: "127.0.0.1:1812".parse().unwrap(),
            secret: b"testing123".to_vec(),
            users: codec::Users::default(),
            networks: 2,
            workers: 2,
            delay: Duration::ZERO,
            limit: Duration::from_secs(1),
            seconds: 0,
            stubborn: false,
        };
        let mut users = None;
        let mut parser = lexopt::Parser::from_env();
        while let Some(arg) = parser.next()? {
            match arg {
                Long("stubborn") => o.stubborn = true,
                Long("listen") => o.listen = parser.value()?.parse()?,
                Long("secret") => o.secret = parser.value()?.string()?.into_bytes(),
                Long("users") => users = Some(parser.value()?.string()?),
                Long("networks") => o.networks = parser.value()?.parse()?,
                Long("workers") => o.workers = parser.value()?.parse()?,
                Long("delay-ms") => o.delay = Duration::from_millis(parser.value()?.parse()?),
                Long("limit-ms") => o.limit = Duration::from_millis(parser.value()?.parse()?),
                Long("seconds") => o.seconds = parser.value()?.parse()?,
                _ => return Err(arg.unexpected()),
            }
        }
        let path = users.ok_or("--users FILE is required")?;
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        o.users = codec::Users::parse(&text)?;
        Ok(o)
    }

    #[derive(Default)]
    struct Counters {
        requests: AtomicU64,
        replies: AtomicU64,
        accepts: AtomicU64,
        duplicates: AtomicU64,
        resent: AtomicU64,
        timeouts: AtomicU64,
        cancels: AtomicU64,
        malformed: AtomicU64,
        refused: AtomicU64,
    }

    impl Counters {
        fn print(&self, pool: &Pool<Request, Option<Vec<u8>>>) {
            let c = |a: &AtomicU64| a.load(Relaxed);
            let stats = pool.stats();
            let sleeps: u64 = stats.iter().map(|s| s.sleeps).sum();
            let requests = c(&self.requests);
            let switches = context_switches();
            eprintln!(
                "radius: requests {requests}, replies {} ({} accepts), duplicates in flight {}, \
                 cached replies resent {}, timeouts {}, cancels {}, malformed {}, refused (full) {}, \
                 worker sleeps {sleeps}, context switches {switches} ({:.3}/request)",
                c(&self.replies),
                c(&self.accepts),
                c(&self.duplicates),
                c(&self.resent),
                c(&self.timeouts),
                c(&self.cancels),
                c(&self.malformed),
                c(&self.refused),
                switches as f64 / requests.max(1) as f64,
            );
        }
    }

    /// Voluntary and involuntary context switches of all the process's
    /// threads so far (0 where `/proc` cannot tell).
    fn context_switches() -> u64 {
        let threads = super::context_switches::by_thread();
        threads.values().map(|t| t.voluntary + t.involuntary).sum()
    }

    /// A request as the network thread hands it to a worker.
    struct Request {
        datagram: Vec<u8>,
        peer: SocketAddr,
        network: usize,
    }

    /// Everything the handler needs, shared by every worker.
    struct Shared {
        secret: Vec<u8>,
        users: codec::Users,
        /// One per network thread: a worker replies from the socket the
        /// request came in on.
        sockets: Vec<UdpSocket>,
        delay: Duration,
        /// Ignore `Timeout` (so that only `Cancel` stops a slow request).
        stubborn: bool,
        counters: Counters,
    }

    /// Returns `Pending` once, waking itself: lets the worker run other
    /// requests.
    struct YieldNow(bool);

    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// The handler: returns the reply it sent, or `None` (malformed, or
    /// given up on `Timeout`).
    async fn answer(shared: Arc<Shared>, req: Request, cx: RequestContext) -> Option<Vec<u8>> {
        let started = Instant::now();
        while started.elapsed() < shared.delay {
            if !shared.stubborn && cx.take_actions().contains(Action::Timeout) {
                shared.counters.timeouts.fetch_add(1, Relaxed);
                return None;
            }
            YieldNow(false).await;
        }
        let parsed = match codec::parse(&req.datagram) {
            Ok(parsed) => parsed,
            Err(_) => {
                shared.counters.malformed.fetch_add(1, Relaxed);
                return None;
            }
        };
        let (Some(name), Ok(password)) = (
            parsed.attr(codec::USER_NAME),
            parsed.password(&shared.secret),
        ) else {
            shared.counters.malformed.fetch_add(1, Relaxed);
            return None;
        };
        let code = if shared.users.check(name, &password) {
            shared.counters.accepts.fetch_add(1, Relaxed);
            codec::ACCESS_ACCEPT
        } else {
            codec::ACCESS_REJECT
        };
        let mut out = Vec::with_capacity(20);
        codec::reply(code, &parsed, &shared.secret, &[], &mut out);
        // A send error (the client's port unreachable) loses only this
        // reply; the client retransmits.
        let _ = shared.sockets[req.network].send_to(&out, req.peer);
        shared.counters.replies.fetch_add(1, Relaxed);
        Some(out)
    }

    fn bind(addr: SocketAddr) -> std::io::Result<UdpSocket> {
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        socket.set_reuse_port(true)?;
        socket.set_recv_buffer_size(4 << 20)?;
        socket.bind(&addr.into())?;
        Ok(socket.into())
    }

    static STOP: AtomicBool = AtomicBool::new(false);
    static REPORT: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_signal(signal: libc::c_int) {
        if signal == libc::SIGUSR1 {
            REPORT.store(true, Relaxed);
        } else {
            STOP.store(true, Relaxed);
        }
    }

    fn install_signals() {
        for signal in [libc::SIGUSR1, libc::SIGINT, libc::SIGTERM] {
            // SAFETY: `on_signal` only stores to atomics, which is
            // async-signal-safe; `signal` is given a valid handler.
            unsafe {
                libc::signal(
                    signal,
                    on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
                );
            }
        }
    }

    /// Who a request is: a retransmission repeats all three.
    type Key = (SocketAddr, u8, [u8; 16]);

    /// A request being worked on.
    struct InFlight {
        key: Key,
        since: Instant,
        /// 0, then 1 once sent `Timeout`, 2 once sent `Cancel`.
        stage: u8,
    }

    type Net = handoff::worker::Network<Request, Option<Vec<u8>>>;

    /// One network thread: reads datagrams (non-blocking, in bursts),
    /// answers retransmissions from its tables, enqueues the rest, takes the
    /// workers' replies into the cache, raises `Timeout` and `Cancel` on
    /// requests over their limit, and sleeps in `poll(2)` on its socket and
    /// its reply descriptor when there is nothing to do.
    fn network(
        mut net: Net,
        socket: UdpSocket,
        shared: &Shared,
        limit: Duration,
        deadline: Option<Instant>,
    ) {
        use std::collections::VecDeque;
        use std::os::fd::{AsFd, AsRawFd};

        socket.set_nonblocking(true).unwrap();
        let c = &shared.counters;
        // In flight, by ticket and by key; answered, by key, expiring in
        // the order they were answered.
        let mut inflight: HashMap<Ticket, InFlight> = HashMap::new();
        let mut by_key: HashMap<Key, Ticket> = HashMap::new();
        let mut cache: HashMap<Key, (Vec<u8>, Instant)> = HashMap::new();
        let mut expiry: VecDeque<(Instant, Key)> = VecDeque::new();
        let mut buf = [0u8; 4096];
        let mut last_scan = Instant::now();
        let mut idle = 0u32;
        loop {
            if STOP.load(Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
                STOP.store(true, Relaxed);
                break;
            }
            let mut progressed = false;
            while let Some(reply) = net.try_reply() {
                progressed = true;
                let Some(done) = inflight.remove(&reply.ticket) else {
                    continue;
                };
                by_key.remove(&done.key);
                match reply.outcome {
                    Outcome::Done(Some(bytes)) => {
                        let now = Instant::now();
                        cache.insert(done.key, (bytes, now));
                        expiry.push_back((now, done.key));
                    }
                    Outcome::Cancelled => {
                        c.cancels.fetch_add(1, Relaxed);
                    }
                    _ => {}
                }
            }
            for _ in 0..64 {
                let (n, peer) = match socket.recv_from(&mut buf) {
                    Ok(got) => got,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        eprintln!("radius: recv: {e}");
                        break;
                    }
                };
                progressed = true;
                c.requests.fetch_add(1, Relaxed);
                if n < 20 {
                    c.malformed.fetch_add(1, Relaxed);
                    continue;
                }
                let key: Key = (peer, buf[1], buf[4..20].try_into().unwrap());
                if let Some(&ticket) = by_key.get(&key) {
                    c.duplicates.fetch_add(1, Relaxed);
                    let _ = net.signal(ticket, Action::Dup);
                    continue;
                }
                if let Some((reply, _)) = cache.get(&key) {
                    c.resent.fetch_add(1, Relaxed);
                    let _ = socket.send_to(reply, peer);
                    continue;
                }
                let request = Request {
                    datagram: buf[..n].to_vec(),
                    peer,
                    network: net.index(),
                };
                match net.enqueue(request) {
                    Ok(ticket) => {
                        by_key.insert(key, ticket);
                        inflight.insert(
                            ticket,
                            InFlight {
                                key,
                                since: Instant::now(),
                                stage: 0,
                            },
                        );
                    }
                    // Back-pressure: the client retransmits.
                    Err(EnqueueError::Full(_)) => {
                        c.refused.fetch_add(1, Relaxed);
                    }
                    Err(_) => return,
                }
            }
            let now = Instant::now();
            if now - last_scan >= Duration::from_millis(1) {
                last_scan = now;
                // Timeout at the limit, Cancel at twice it.
                for (ticket, f) in inflight.iter_mut() {
                    let age = now - f.since;
                    if age >= 2 * limit && f.stage < 2 {
                        f.stage = 2;
                        let _ = net.signal(*ticket, Action::Cancel);
                    } else if age >= limit && f.stage < 1 {
                        f.stage = 1;
                        let _ = net.signal(*ticket, Action::Timeout);
                    }
                }
                while let Some(&(at, key)) = expiry.front() {
                    if now - at < CACHE_FOR {
                        break;
                    }
                    expiry.pop_front();
                    if cache.get(&key).is_some_and(|(_, t)| *t == at) {
                        cache.remove(&key);
                    }
                }
            }
            if progressed {
                idle = 0;
                continue;
            }
            idle += 1;
            // Spin a little first: at high rates the next datagram comes
            // sooner than a sleep and a wake-up would take.
            if idle < SPINS {
                std::hint::spin_loop();
                continue;
            }
            // Nothing for a while: sleep until a datagram, a reply, or the
            // next 10 ms (for the time limits and the stop flag).
            if net.arm() {
                let mut fds = [
                    libc::pollfd {
                        fd: socket.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    },
                    libc::pollfd {
                        fd: net.as_fd().as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    },
                ];
                // SAFETY: `fds` is a valid array of two pollfds.
                unsafe { libc::poll(fds.as_mut_ptr(), 2, 10) };
                net.disarm();
            }
            idle = 0;
        }
        // Take the replies still owed, so that the pool can finish.
        while net.reply_blocking().is_some() {}
    }
    /// Empty polls of a network thread before it sleeps.
    const SPINS: u32 = 64;

    /// How long a reply stays cached for retransmissions.
    const CACHE_FOR: Duration = Duration::from_secs(5);

    pub fn run() -> Result<(), String> {
        let o = options().map_err(|e| e.to_string())?;
        let first = bind(o.listen).map_err(|e| format!("bind {}: {e}", o.listen))?;
        let addr = first.local_addr().map_err(|e| e.to_string())?;
        let mut sockets = vec![first];
        for _ in 1..o.networks.max(1) {
            sockets.push(bind(addr).map_err(|e| format!("bind {addr}: {e}"))?);
        }
        let shared = Arc::new(Shared {
            secret: o.secret.clone(),
            users: o.users,
            sockets: sockets
                .iter()
                .map(|s| s.try_clone())
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?,
            delay: o.delay,
            stubborn: o.stubborn,
            counters: Counters::default(),
        });
        let handler = {
            let shared = Arc::clone(&shared);
            worker::from_fn(move |req: Request, cx: RequestContext| {
                answer(Arc::clone(&shared), req, cx)
            })
        };
        let (pool, networks) = Pool::spawn(
            PoolConfig::new(sockets.len(), o.workers).reply_fd(true),
            handler,
        )
        .map_err(|e| e.to_string())?;
        install_signals();
        eprintln!(
            "radius: listening on {addr} with {} network threads × {} workers",
            sockets.len(),
            o.workers
        );

        let deadline = (o.seconds > 0).then(|| Instant::now() + Duration::from_secs(o.seconds));
        let threads: Vec<_> = networks
            .into_iter()
            .zip(sockets)
            .map(|(net, socket)| {
                let shared = Arc::clone(&shared);
                let limit = o.limit;
                thread::spawn(move || network(net, socket, &shared, limit, deadline))
            })
            .collect();

        while !STOP.load(Relaxed) {
            if REPORT.swap(false, Relaxed) {
                shared.counters.print(&pool);
            }
            thread::sleep(Duration::from_millis(20));
        }
        pool.kill(Kill::Now).map_err(|e| e.to_string())?;
        for t in threads {
            t.join()
                .map_err(|_| "a network thread panicked".to_owned())?;
        }
        shared.counters.print(&pool);
        pool.join();
        Ok(())
    }
}
