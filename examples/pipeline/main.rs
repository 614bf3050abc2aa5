//! A server's request pipeline on `handoff::worker`, with its own load
//! generator: network threads enqueue requests on a pool of workers, with
//! priorities, groups and deadlines; the network threads and the workers'
//! own timers signal some of them, and every request comes back exactly
//! once.
//!
//! ```text
//! cargo run --release --example pipeline                      # 2 network threads × 2 workers, 5 s
//! cargo run --release --example pipeline -- --rate 50000      # 50 000 requests/s per network thread
//! cargo run --release --example pipeline -- --inline          # no workers: handlers run in enqueue
//! cargo run --release --example pipeline -- --networks 1 --workers 3 --seconds 2
//! ```
//!
//! Options: `--networks N` (2), `--workers M` (2), `--inline` (the same as
//! `--workers 0`), `--seconds S` (5), `--rate R` (requests per second per
//! network thread; 0, the default, sends as fast as the window allows) and
//! `--window W` (requests each network thread keeps outstanding at most;
//! 64).
//!
//! What it shows:
//!
//! - **The pipeline.** [`Pool::spawn`] starts the workers and hands back one
//!   [`Network`] per network thread. Each network thread runs an event loop:
//!   it enqueues requests (the pool picks the worker with the smaller
//!   predicted backlog of two, and says [`EnqueueError::Full`] instead of
//!   blocking), takes the replies that are there with
//!   [`try_reply`](handoff::worker::Network::try_reply), and when it can do neither, sleeps
//!   in [`reply_blocking`](handoff::worker::Network::reply_blocking) (or
//!   [`reply_timeout`](handoff::worker::Network::reply_timeout) until its next send time).
//! - **An async handler** ([`worker::from_fn`]). Most requests are quick: a
//!   busy loop calibrated to about 1.5 µs. One in twenty yields three times
//!   along the way (it wakes itself, as a future waiting on I/O would be
//!   woken), so a worker interleaves it with the others. One in a hundred
//!   is slow: it waits in [`RequestContext::signalled`] until somebody
//!   tells it something, and one in ten thousand panics.
//! - **Signals, groups and deadlines.** Of the slow requests, a fifth
//!   belong to a connection that closes at once: the network thread
//!   cancels their [`Group`] ([`Network::cancel_group`]; the request never
//!   starts, or its future is dropped), and a fifth are marked duplicates
//!   ([`Action::Dup`]: "a retransmission came in"). The rest have a
//!   deadline ([`Enqueue::deadline`]): two thirds wait for a signal and
//!   the worker's own timer raises [`Action::Timeout`] a millisecond after
//!   their enqueue; the others sleep ([`RequestContext::sleep`]) through a
//!   deadline at their enqueue and are cancelled a grace period
//!   ([`WorkerConfig::cancel_grace`], a millisecond) later. No timer
//!   thread.
//! - **Priorities.** The slow requests are urgent ([`Priority::High`]): a
//!   worker runs them before the quick ones when both are runnable.
//! - **Batched writes.** Every quick request writes an access-log record
//!   into its worker's [`WriteContext`] (on `io::sink()`), and asks the
//!   worker to flush it at the end of its batch
//!   ([`RequestContext::flush_at_end`]): one write per batch, not per
//!   record.
//! - **Back-pressure.** When every worker is full, a network thread stops
//!   enqueueing ([`Network::has_capacity`]) and sleeps in
//!   [`Network::wait_ready`] until room returns.
//! - **Replies** carry the request's ticket, its [`Outcome`] (`Done`,
//!   `Cancelled`, `Panicked`) and its timing; the latency below is
//!   `reply.enqueued_at.elapsed()` when the network thread takes it.
//! - **Shutdown.** When the time is up, [`Pool::kill`] with
//!   [`Kill::Graceful`]: `enqueue` refuses new requests, the workers finish
//!   everything queued and in flight, the network threads take the last
//!   replies, and [`Pool::join`] returns each worker's statistics (with
//!   per-link counts and service- and wait-time histograms). The demo
//!   then checks that every request got exactly one reply (by ticket, and
//!   by id for the `Done` ones) and that the workers' counts agree with the
//!   network threads', and exits non-zero if anything does not add up.
//!
//! - **Inline mode.** With `--inline` the same code runs on a pool of no
//!   workers: each network thread runs the handler itself, inside
//!   the executor's turns its `try_reply` runs, with the same API and
//!   guarantees and no hand-off between threads.
//!
//! Every second it prints the reply rate, the requests outstanding and the
//! cancellations so far; at the end, the throughput, latency percentiles of
//! the quick, the yielding and the signalled requests, each worker's share,
//! the outcomes, the signals and what became of them, the system calls per
//! request the crate counted (sleeps and wake-ups of the workers and the
//! network threads: none are needed while both sides are busy, so at full
//! speed there are almost none; at a low `--rate` each request costs a
//! worker's sleep and wake-up) and, on Linux, the context switches per
//! request of the network and worker threads, from `/proc`.
//!
//! [`Action::Dup`]: handoff::signal::Action::Dup
//! [`Action::Timeout`]: handoff::signal::Action::Timeout
//! [`Enqueue::deadline`]: handoff::worker::Enqueue::deadline
//! [`EnqueueError::Full`]: handoff::worker::EnqueueError::Full
//! [`Group`]: handoff::worker::Group
//! [`Network::cancel_group`]: handoff::worker::Network::cancel_group
//! [`Network::has_capacity`]: handoff::worker::Network::has_capacity
//! [`Network::wait_ready`]: handoff::worker::Network::wait_ready
//! [`Priority::High`]: handoff::worker::Priority::High
//! [`RequestContext::flush_at_end`]: handoff::worker::RequestContext::flush_at_end
//! [`RequestContext::sleep`]: handoff::worker::RequestContext::sleep
//! [`WorkerConfig::cancel_grace`]: handoff::worker::WorkerConfig::cancel_grace
//! [`WriteContext`]: handoff::write::WriteContext
//! [`Kill::Graceful`]: handoff::worker::Kill::Graceful
//! [`Network`]: handoff::worker::Network
//! [`Outcome`]: handoff::worker::Outcome
//! [`Pool::join`]: handoff::worker::Pool::join
//! [`Pool::kill`]: handoff::worker::Pool::kill
//! [`Pool::spawn`]: handoff::worker::Pool::spawn
//! [`RequestContext::signalled`]: handoff::worker::RequestContext::signalled
//! [`worker::from_fn`]: handoff::worker::from_fn

#[path = "../shared/context_switches.rs"]
mod context_switches;
mod histogram;
mod network;
mod options;
mod report;
mod requests;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use handoff::worker::{Kill, Pool, PoolConfig, WorkerConfig, WorkerStats};
use handoff::write::{WriteContext, WriteStats};

use histogram::Histogram;
use network::{NetworkReport, NetworkThread, Progress};
use options::{parse_options, USAGE};
use report::{group, report, switches_since, Run};
use requests::{calibrate, handler, AccessLog};

/// A slow request's deadline, after its enqueue; and the grace period from
/// its `Timeout` to its cancellation.
pub const TIMEOUT: Duration = Duration::from_millis(1);
/// The quick requests' work.
const QUICK_WORK: Duration = Duration::from_nanos(1_500);
/// The payload of the requests that panic on purpose.
pub const POISON: &str = "poisoned request";

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("pipeline: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // The poisoned requests panic on purpose: keep their messages quiet.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&POISON) {
            default_hook(info);
        }
    }));

    let rounds = calibrate(QUICK_WORK);
    let inline = options.workers == 0;
    let config = PoolConfig::new(options.networks, options.workers)
        .worker(WorkerConfig::new().name("worker").cancel_grace(TIMEOUT));
    let slots = config.worker.max_requests;
    let executors = if inline {
        options.networks
    } else {
        options.workers
    };
    let logs: Arc<[Arc<AccessLog>]> = (0..executors)
        .map(|_| {
            Arc::new(AccessLog {
                ctx: WriteContext::new(std::io::sink()),
                refused: AtomicU64::new(0),
            })
        })
        .collect();
    let (pool, networks) = match Pool::spawn(config, handler(rounds, Arc::clone(&logs))) {
        Ok(spawned) => spawned,
        Err(e) => {
            eprintln!("pipeline: cannot start the pool: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "handoff::worker pipeline: {} network thread(s) × {}, {} s, {}",
        options.networks,
        if inline {
            "no workers (inline: handlers run inside enqueue)".to_owned()
        } else {
            format!("{} worker(s)", options.workers)
        },
        options.seconds,
        if options.rate == 0 {
            format!(
                "as fast as possible (≤ {} outstanding per network thread)",
                options.window
            )
        } else {
            format!(
                "{} requests/s per network thread (≤ {} outstanding)",
                group(options.rate),
                options.window
            )
        },
    );
    println!(
        "requests: 94 % quick (~{} µs of work, an access-log record each), 5 % yield 3 times, \
         1 % urgent, waiting for a signal (group cancel or dup at once, or after {} ms a \
         deadline's timeout or cancel), 0.01 % panic\n",
        QUICK_WORK.as_secs_f64() * 1e6,
        TIMEOUT.as_millis()
    );

    // The threads: network threads wait at the start line.
    let options = Arc::new(options);
    let start = Arc::new(Barrier::new(options.networks + 1));
    let progress: Vec<Arc<Progress>> = (0..options.networks).map(|_| Arc::default()).collect();
    let mut network_threads = Vec::new();
    for (k, net) in networks.into_iter().enumerate() {
        let thread = NetworkThread {
            net,
            progress: Arc::clone(&progress[k]),
            in_flight: vec![vec![None; slots]; executors],
            report: NetworkReport::default(),
            quick: Histogram::new(),
            yielding: Histogram::new(),
            signalled: Histogram::new(),
        };
        let (options, start) = (Arc::clone(&options), Arc::clone(&start));
        let first_id = k as u64 * (1 << 48);
        network_threads.push(
            thread::Builder::new()
                .name(format!("network-{k}"))
                .spawn(move || thread.run(first_id, &options, &start))
                .expect("spawn a network thread"),
        );
    }

    // Run, with a progress line every second.
    let switches_before = context_switches::by_thread();
    start.wait();
    let started = Instant::now();
    let run_for = Duration::from_secs_f64(options.seconds);
    let sum = |f: fn(&Progress) -> &AtomicU64| -> u64 {
        // ordering: Relaxed; progress reports.
        progress.iter().map(|p| f(p).load(Ordering::Relaxed)).sum()
    };
    let (mut last_time, mut last_replied) = (started, 0);
    let mut tick = 1;
    loop {
        let until = (started + Duration::from_secs(tick)).min(started + run_for);
        thread::sleep(until.saturating_duration_since(Instant::now()));
        let now = Instant::now();
        let (enqueued, replied) = (sum(|p| &p.enqueued), sum(|p| &p.replied));
        println!(
            "[{:5.1} s] {:>11} replies/s   outstanding {:>6}   cancelled {:>9}",
            (now - started).as_secs_f64(),
            group(((replied - last_replied) as f64 / (now - last_time).as_secs_f64()) as u64),
            group(enqueued.saturating_sub(replied)),
            group(sum(|p| &p.cancelled)),
        );
        (last_time, last_replied) = (now, replied);
        if now >= started + run_for {
            break;
        }
        tick += 1;
    }

    // Stop: count the context switches while every thread is alive, then
    // kill gracefully and let everything in flight finish.
    let switches = (!switches_before.is_empty()).then(|| switches_since(&switches_before));
    let enqueued_at_kill = sum(|p| &p.enqueued);
    let elapsed = started.elapsed();
    let kill_started = Instant::now();
    pool.kill(Kill::Graceful).expect("the first kill");
    let reports: Vec<NetworkReport> = network_threads
        .into_iter()
        .map(|t| t.join().expect("a network thread panicked"))
        .collect();
    let stats: Vec<WorkerStats> = pool.join();
    let drained = kill_started.elapsed();

    report(&Run {
        inline,
        reports,
        stats,
        log: logs.iter().fold(WriteStats::default(), |mut sum, log| {
            let s = log.ctx.stats();
            sum.frames += s.frames;
            sum.writes += s.writes;
            sum
        }),
        log_refused: logs.iter().map(|l| l.refused.load(Ordering::Relaxed)).sum(),
        enqueued_at_kill,
        elapsed,
        drained,
        switches,
    })
}
