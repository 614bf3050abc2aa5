//! A RADIUS authentication server (RFC 2865, PAP) on the crate: many UDP
//! readers on one port, RADIUS over TCP on the same port, a pool of
//! workers, per-request signals, per-connection write contexts.
//!
//! ```text
//! cargo run --release --example radius -- --users users.txt \
//!     [--clients clients.conf | --secret testing123] [--listen 127.0.0.1:1812] \
//!     [--networks 2] [--workers 2] [--delay-ms 0] [--limit-ms 1000] [--seconds 0] \
//!     [--stubborn] [--inflight 16384] [--inflight-bytes 16777216] [--cache 65536] \
//!     [--cache-bytes 16777216] [--cache-seconds 5] [--spin-us 0] [--worker-spin 6]
//! ```
//!
//! - `--networks N` network threads, each with its own UDP socket and TCP
//!   listener bound to the same address (`SO_REUSEPORT`, so the kernel
//!   spreads clients over them), feed a [`Pool`] of `--workers M` workers
//!   (0: the inline mode, each network thread runs the handler itself).
//! - **Clients**: `--clients FILE` in a subset of FreeRADIUS's
//!   `clients.conf` (see `clients.rs`): per client an address or prefix, a
//!   secret, the transports, `require_message_authenticator` (on unless
//!   `no`), and TCP limits. Without it, localhost with `--secret`. Packets
//!   from anyone else are dropped and counted.
//! - A worker checks the Message-Authenticator (RFC 3579: a wrong one, or
//!   a missing one the client must send, drops the packet silently), checks
//!   the PAP password against the users file in constant time, signs the
//!   Access-Accept or Access-Reject with a Message-Authenticator first and
//!   sends it itself: over UDP from its network thread's socket (the reply
//!   bytes come back to the network thread for the reply cache), over TCP
//!   through the connection's [`WriteContext`].
//! - **Status-Server** (RFC 5997) is answered by the network thread itself.
//! - **TCP** (RFC 6613; `tcp.rs`): framed by the length field; idle,
//!   over-age and malformed connections are closed and counted.
//! - **Duplicates**: a retransmission (same client address, identifier and
//!   request authenticator) of a request still in flight raises
//!   [`Action::Dup`] on it through its ticket instead of running it twice;
//!   one that arrives after the reply gets the cached reply again.
//! - **Bounded memory**: the in-flight table and the reply cache have
//!   limits by count and by bytes (`tables.rs`; the whole server's, split
//!   over the network threads): a request that finds the in-flight table
//!   full is refused, the oldest cached replies are evicted; both counted.
//! - **Back-pressure**: when every worker is full, a network thread keeps
//!   the datagram it could not enqueue and stops reading its socket (the
//!   kernel's buffer holds the rest) until
//!   [`Network::has_capacity`](handoff::worker::Network::has_capacity)
//!   says room is back; its sleep in `poll(2)` is woken for that. A TCP
//!   connection stops reading the same way. Nothing is dropped for want
//!   of a worker (`refused (full)` counts the refusals).
//! - **Time limit**: each request may take `--delay-ms` of artificial
//!   processing, a [`sleep`](handoff::worker::RequestContext::sleep) on
//!   the worker's own timer (the worker runs other requests meanwhile);
//!   a request still running after `--limit-ms` is sent
//!   [`Action::Timeout`] (the handler gives up without replying), and one
//!   still there after twice that is cancelled ([`Action::Cancel`]: its
//!   future is dropped; `--stubborn` makes the handler ignore `Timeout`,
//!   to show it). Both come from the workers' own timers
//!   ([`WorkerConfig::request_timeout`] and
//!   [`cancel_grace`](WorkerConfig::cancel_grace)): no timer thread, no
//!   scan by the network threads.
//! - **Counters**: printed on exit (after `--seconds`, or on SIGINT or
//!   SIGTERM) and on SIGUSR1, on one line (`counters.rs`), with the
//!   process's context switches per request.
//! - **Network threads** read in bursts from non-blocking sockets, spin a
//!   little when there is nothing (64 turns, or `--spin-us`), then sleep in
//!   `poll(2)` on the socket, the TCP epoll set and the network's reply
//!   descriptor ([`PoolConfig::reply_fd`]). `--worker-spin N` sets the
//!   workers' [`SpinPolicy`] (N doubling rounds of spin hints, no yields).
//!   Spinning longer trades context switches for CPU that, on a small
//!   machine, the clients would have used (BENCHMARKS.md has what it did).
//!
//! `.ci/radius-test` checks it against Debian's `radclient` (UDP and TCP),
//! the project's load generator (`radius_load`, in `../load/`) and hostile
//! input (`radius_hostile`, `../hostile.rs`); `.ci/radius-bench` compares
//! it with freeradius 3.2. The codec is fuzzed (`fuzz/fuzz_targets/radius_codec.rs`).
//!
//! [`Action::Cancel`]: handoff::signal::Action::Cancel
//! [`Action::Dup`]: handoff::signal::Action::Dup
//! [`Action::Timeout`]: handoff::signal::Action::Timeout
//! [`WriteContext`]: handoff::write::WriteContext
//! [`SpinPolicy`]: handoff::park::SpinPolicy

mod clients;
mod codec;
#[allow(dead_code)] // The server sums every thread's switches: no names.
#[path = "../../shared/context_switches.rs"]
mod context_switches;
mod counters;
mod handler;
mod network;
mod options;
mod tables;
mod tcp;
mod users;

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use handoff::park::SpinPolicy;
use handoff::worker::{self, Kill, Pool, PoolConfig, RequestContext, WorkerConfig};
use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
use signal_hook::iterator::Signals;

use counters::Counters;
use handler::{answer, Request, Shared};
use network::{bind, network, Config};
use options::options;

fn main() {
    if let Err(err) = run() {
        eprintln!("radius: {err}");
        std::process::exit(1);
    }
}

/// Runs the server until SIGINT, SIGTERM or `--seconds`.
fn run() -> Result<(), String> {
    let o = options().map_err(|e| e.to_string())?;
    let first = bind(o.listen).map_err(|e| format!("bind {}: {e}", o.listen))?;
    let addr = first.0.local_addr().map_err(|e| e.to_string())?;
    let mut sockets = vec![first];
    for _ in 1..o.networks.max(1) {
        sockets.push(bind(addr).map_err(|e| format!("bind {addr}: {e}"))?);
    }
    let shared = Arc::new(Shared {
        clients: o.clients,
        users: o.users,
        sockets: sockets
            .iter()
            .map(|(udp, _)| udp.try_clone())
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
        delay: o.delay,
        stubborn: o.stubborn,
        counters: Counters::default(),
        started: Instant::now(),
        stop: AtomicBool::new(false),
    });
    let handler = {
        let shared = Arc::clone(&shared);
        worker::from_fn(move |req: Request, cx: RequestContext| {
            answer(Arc::clone(&shared), req, cx)
        })
    };
    // The time limit, on the workers' own timers: `Timeout` at the limit,
    // `Cancel` at twice it.
    let mut workers = WorkerConfig::new()
        .request_timeout(o.limit)
        .cancel_grace(o.limit);
    if let Some(steps) = o.worker_spin {
        workers = workers.spin_policy(SpinPolicy::new(steps, 0));
    }
    let config = PoolConfig::new(sockets.len(), o.workers)
        .worker(workers)
        .reply_fd(true);
    let (pool, networks) = Pool::spawn(config, handler).map_err(|e| e.to_string())?;
    // The signals come to this thread through signal-hook's iterator:
    // its handler only records them, so nothing here runs in a handler.
    let mut signals = Signals::new([SIGUSR1, SIGINT, SIGTERM]).map_err(|e| e.to_string())?;
    eprintln!(
        "radius: listening on {addr} (UDP and TCP) with {} network threads × {} workers",
        sockets.len(),
        o.workers
    );

    let config = Config {
        limits: o.limits.split(sockets.len()),
        deadline: (o.seconds > 0).then(|| Instant::now() + Duration::from_secs(o.seconds)),
        spin: o.spin,
    };
    let threads: Vec<_> = networks
        .into_iter()
        .zip(sockets)
        .map(|(net, socket)| {
            let (shared, handle) = (Arc::clone(&shared), signals.handle());
            thread::spawn(move || network(net, socket, &shared, config, &handle))
        })
        .collect();

    // Until SIGINT or SIGTERM, or until a network thread, past the
    // deadline, closes the iterator.
    for signal in signals.forever() {
        if signal != SIGUSR1 {
            break;
        }
        shared.counters.print(&pool);
    }
    shared.stop.store(true, Relaxed);
    pool.kill(Kill::Now).map_err(|e| e.to_string())?;
    for t in threads {
        t.join()
            .map_err(|_| "a network thread panicked".to_owned())?;
    }
    shared.counters.print(&pool);
    pool.join();
    Ok(())
}
