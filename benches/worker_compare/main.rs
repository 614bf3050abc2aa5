//! What the `handoff::worker` threading API costs against the usual way of
//! building the same pipeline, crossbeam-channel, interleaved in one run and
//! printed as Markdown tables.
//!
//! ```text
//! cargo bench --bench worker_compare              # full run, about 40 s
//! ROUNDS=5 cargo bench --bench worker_compare     # fewer rounds
//! cargo bench --bench worker_compare -- --quick   # 1 round, tiny counts
//! cargo test --release --bench worker_compare     # quick mode too
//! ```
//!
//! Other overrides (full mode): `SATURATED` (requests per saturation
//! measurement, split between the network threads; default 2 000 000),
//! `WINDOW` (requests a network thread keeps outstanding; default 256),
//! `LATENCY` (requests per latency measurement; default 1 000) and `GAP_US`
//! (microseconds between them; default 200).
//!
//! Both pipelines do the same work per request: the network thread stamps
//! it with `Instant::now()`, the worker runs the same handler
//! (`x.wrapping_mul(3)`), reading the clock once more per request while it
//! is busy (the end of one service is the start of the next) and sends back the
//! result with the time it waited, its service time and the worker's
//! cumulative busy time (what `handoff`'s [`Reply`](handoff::worker::Reply)
//! carries). The peer is the idiomatic crossbeam-channel design: one shared
//! bounded request channel of 256 (the capacity of a `handoff` request
//! ring) that every worker receives from, each request carrying the index
//! of its network thread's reply channel (bounded, one per network thread).
//!
//! Scenarios:
//!
//! - **saturation**, 1 network thread × 1 worker and 2 × 2: each network
//!   thread keeps up to `WINDOW` requests outstanding. It enqueues until
//!   the window is full or the pipeline refuses (`EnqueueError::Full`,
//!   `TrySendError::Full`), takes every reply that is there (`try_reply`,
//!   `try_recv`), and when it can do neither waits for a reply
//!   (`reply_blocking`, `recv`). Nanoseconds per request (wall time over
//!   all requests of all network threads), requests per second, CPU time
//!   of all the process's threads per request and the time they spent
//!   runnable but waiting for a CPU (`/proc/self/task/*/schedstat`: on a
//!   busy machine the pipeline gets what the other processes leave, and
//!   its throughput follows its CPU time per request), voluntary and
//!   involuntary context switches of all the process's threads per
//!   request (from `/proc/self/task/*/status`, counted while every thread
//!   is alive), and for `handoff` its own count of system calls: the
//!   workers' sleeps and wake-ups ([`Pool::stats`](handoff::worker::Pool))
//!   plus the network threads' ([`Network::park_stats`](handoff::worker::Network)).
//! - **low-rate latency**: one request every `GAP_US` (a `thread::sleep`,
//!   so the worker has gone to sleep each time), from enqueue to the reply
//!   in the network thread's hands: median and p99 over all requests of all
//!   rounds, for `handoff` threaded (1 × 1), `handoff` inline
//!   (`PoolConfig::new(1, 0)`: the handler runs inside `enqueue`) and
//!   crossbeam-channel (blocking `send` and `recv`).
//!
//! Every measurement first checks its replies: each network thread gets
//! exactly as many replies as it sent requests, all `Done`, and their sum
//! is the sum of the handler's results for the values it sent.
//!
//! The goals printed with the numbers: throughput at least 2× the
//! crossbeam-channel pipeline's at saturation, at most 0.01 system calls
//! per request at saturation, and inline latency at most half the threaded
//! one.

#[allow(dead_code, unused_imports)] // This target uses only part of the harness.
#[path = "../harness/mod.rs"]
mod harness;

mod crossbeam;
mod latency;
mod report;
mod saturation;

use std::thread;
use std::time::{Duration, Instant};

use handoff::park::ParkStats;
use handoff::worker::{self, Handler};

use harness::mode::{self, env_u64};
use harness::proc::CpuTimes;
use latency::{latency_crossbeam, latency_handoff, Latency};
use saturation::{saturation_crossbeam, saturation_handoff, Saturation};

/// The work of one request, the same in both pipelines.
#[inline]
pub fn work(x: u64) -> u64 {
    x.wrapping_mul(3)
}

/// The handler of both pipelines' work, for `handoff`.
pub fn handler() -> impl Handler<u64, Reply = u64> + Clone {
    worker::from_sync_fn(|x: u64, _| work(x))
}

/// What the values `base .. base + n` add up to after `work`.
pub fn expected_sum(base: u64, n: u64) -> u64 {
    (base..base + n).fold(0u64, |sum, x| sum.wrapping_add(work(x)))
}

/// `handoff`'s system calls: sleeps and wake-ups.
pub fn calls(s: ParkStats) -> u64 {
    s.sleeps + s.wakes
}

fn main() {
    let quick = mode::quick();
    let rounds = if quick { 1 } else { env_u64("ROUNDS", 11) } as usize;
    assert!(rounds >= 1, "ROUNDS must be at least 1");
    let gap = Duration::from_micros(env_u64("GAP_US", 200));
    let window = env_u64("WINDOW", 256) as usize;
    assert!(window >= 1, "WINDOW must be at least 1");
    let (n_sat, n_lat) = if quick {
        (20_000, 20)
    } else {
        (env_u64("SATURATED", 2_000_000), env_u64("LATENCY", 1_000))
    };
    assert!(n_sat >= 2 && n_lat >= 1, "request counts must be positive");
    eprintln!(
        "worker_compare: {} mode, {rounds} round(s); saturation: {n_sat} requests, window \
         {window}; latency: {n_lat} requests {gap:?} apart; {} CPUs",
        if quick { "quick" } else { "full" },
        thread::available_parallelism().map_or(0, |n| n.get()),
    );

    let started = Instant::now();
    let cpu_before = CpuTimes::now();
    if !quick {
        // Untimed warm-up: page in the code, let the clock settle.
        saturation_handoff(1, 1, n_sat / 10, window);
        saturation_crossbeam(1, 1, n_sat / 10, window);
    }
    let mut sat: [Vec<Saturation>; 4] = Default::default(); // handoff 1×1, crossbeam 1×1, handoff 2×2, crossbeam 2×2
    let mut lat: [Vec<Latency>; 3] = Default::default(); // threaded, inline, crossbeam
    for round in 0..rounds {
        // Alternate which goes first, so neither always runs right
        // after the other's shutdown.
        let handoff_first = round % 2 == 0;
        for (h, c, shape) in [(0, 1, 1), (2, 3, 2)] {
            if handoff_first {
                sat[h].push(saturation_handoff(shape, shape, n_sat, window));
                sat[c].push(saturation_crossbeam(shape, shape, n_sat, window));
            } else {
                sat[c].push(saturation_crossbeam(shape, shape, n_sat, window));
                sat[h].push(saturation_handoff(shape, shape, n_sat, window));
            }
        }
        let order: [usize; 3] = if handoff_first { [0, 1, 2] } else { [2, 1, 0] };
        for k in order {
            lat[k].push(match k {
                0 => latency_handoff(1, n_lat, gap),
                1 => latency_handoff(0, n_lat, gap),
                _ => latency_crossbeam(n_lat, gap),
            });
        }
        if !quick {
            harness::progress(round, rounds, started);
        }
    }
    if !quick {
        eprintln!();
    }

    report::print(&sat, &lat, window, gap, rounds);
    harness::proc::report_other_load(cpu_before, "the pipelines' threads want every core");
}
