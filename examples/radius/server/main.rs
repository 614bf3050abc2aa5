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
//!
//! [`Action::Cancel`]: handoff::signal::Action::Cancel
//! [`Action::Dup`]: handoff::signal::Action::Dup
//! [`Action::Timeout`]: handoff::signal::Action::Timeout

mod codec;
#[allow(dead_code)] // The server sums every thread's switches: no names.
#[path = "../../shared/context_switches.rs"]
mod context_switches;
mod counters;
mod handler;
mod network;
mod options;

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use handoff::worker::{self, Kill, Pool, PoolConfig, RequestContext};
use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
use signal_hook::iterator::Signals;

use counters::Counters;
use handler::{answer, Request, Shared};
use network::{bind, network};
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
        stop: AtomicBool::new(false),
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
    // The signals come to this thread through signal-hook's iterator:
    // its handler only records them, so nothing here runs in a handler.
    let mut signals = Signals::new([SIGUSR1, SIGINT, SIGTERM]).map_err(|e| e.to_string())?;
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
            let (shared, handle) = (Arc::clone(&shared), signals.handle());
            let limit = o.limit;
            thread::spawn(move || network(net, socket, &shared, limit, deadline, &handle))
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
