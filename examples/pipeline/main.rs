//! A server's request pipeline on `handoff::worker`, with its own load
//! generator: network threads enqueue requests on a pool of workers, a
//! timer thread and the network threads signal some of them, and every
//! request comes back exactly once.
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
//!   [`try_reply`](Network::try_reply), and when it can do neither, sleeps
//!   in [`reply_blocking`](Network::reply_blocking) (or
//!   [`reply_timeout`](Network::reply_timeout) until its next send time).
//! - **An async handler** ([`worker::from_fn`]). Most requests are quick: a
//!   busy loop calibrated to about 1.5 µs. One in twenty yields three times
//!   along the way (it wakes itself, as a future waiting on I/O would be
//!   woken), so a worker interleaves it with the others. One in a hundred
//!   is slow: it waits in [`RequestContext::signalled`] until somebody
//!   tells it something, and one in ten thousand panics.
//! - **Signals.** Of the slow requests, the network thread cancels a fifth
//!   at once ([`Action::Cancel`]: "the client went away"; the request's
//!   future is dropped, or it never starts) and marks a fifth as duplicates
//!   ([`Action::Dup`]: "a retransmission came in"); the rest go to a timer
//!   thread, which a millisecond later raises [`Action::Timeout`] on two
//!   thirds of them and cancels the others, from its own thread, through a
//!   [`Signaller`].
//! - **Replies** carry the request's ticket, its [`Outcome`] (`Done`,
//!   `Cancelled`, `Panicked`) and its timing; the latency below is
//!   `reply.enqueued_at.elapsed()` when the network thread takes it.
//! - **Shutdown.** When the time is up, [`Pool::kill`] with
//!   [`Kill::Graceful`]: `enqueue` refuses new requests, the workers finish
//!   everything queued and in flight, the network threads take the last
//!   replies, and [`Pool::join`] returns each worker's statistics. The demo
//!   then checks that every request got exactly one reply (by ticket, and
//!   by id for the `Done` ones) and that the workers' counts agree with the
//!   network threads', and exits non-zero if anything does not add up.
//!
//! - **Inline mode.** With `--inline` the same code runs on a pool of no
//!   workers: each network thread runs the handler itself, inside
//!   `enqueue` (and its signals and wake-ups inside `try_reply`), with the
//!   same API and guarantees and no hand-off between threads.
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

#[path = "../shared/context_switches.rs"]
mod context_switches;

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use context_switches::Switches;
use handoff::signal::{Action, Raised};
use handoff::spsc;
use handoff::worker::{
    self, EnqueueError, Kill, Network, Outcome, Pool, PoolConfig, Reply, RequestContext, Signaller,
    Ticket, WorkerConfig, WorkerStats,
};

/// How long the timer thread waits before it signals a slow request.
const TIMEOUT: Duration = Duration::from_millis(1);
/// The quick requests' work.
const QUICK_WORK: Duration = Duration::from_nanos(1_500);
/// The payload of the requests that panic on purpose.
const POISON: &str = "poisoned request";

// -------------------------------------------------------------------------
// Options.

struct Options {
    networks: usize,
    workers: usize,
    seconds: f64,
    /// Requests per second per network thread; 0: as fast as possible.
    rate: u64,
    window: usize,
}

const USAGE: &str =
    "usage: pipeline [--networks N] [--workers M | --inline] [--seconds S] [--rate R] [--window W]";

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        networks: 2,
        workers: 2,
        seconds: 5.0,
        rate: 0,
        window: 64,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--networks" => options.networks = parse(&value("--networks")?, "--networks")?,
            "--workers" => options.workers = parse(&value("--workers")?, "--workers")?,
            "--seconds" => options.seconds = parse(&value("--seconds")?, "--seconds")?,
            "--rate" => options.rate = parse(&value("--rate")?, "--rate")?,
            "--window" => options.window = parse(&value("--window")?, "--window")?,
            "--inline" => options.workers = 0,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if options.networks == 0 {
        return Err("--networks must be at least 1".into());
    }
    if options.window == 0 {
        return Err("--window must be at least 1".into());
    }
    if !(options.seconds > 0.0 && options.seconds <= 3600.0) {
        return Err("--seconds must be more than 0 (and at most 3600)".into());
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(value: &str, name: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{name}: {value:?} is not a valid number"))
}

// -------------------------------------------------------------------------
// Requests and the handler.

/// What a request asks for; the load generator draws it from the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// About 1.5 µs of work.
    Quick,
    /// The same work in four pieces, yielding in between.
    Yielding,
    /// Waits until it is signalled; `Fate` says by whom and how.
    Slow(Fate),
    /// Panics.
    Poison,
}

/// Who signals a slow request, and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// The network thread cancels it right after enqueueing it.
    CancelNow,
    /// The network thread marks it a duplicate right after enqueueing it.
    DupNow,
    /// The timer thread cancels it after `TIMEOUT`.
    CancelLater,
    /// The timer thread raises `Timeout` on it after `TIMEOUT`.
    TimeoutLater,
}

#[derive(Clone, Copy, Debug)]
struct Request {
    id: u64,
    kind: Kind,
}

/// What the handler answers.
#[derive(Debug)]
struct Response {
    id: u64,
    answer: Answer,
}

#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// The result of the work.
    Computed(u64),
    /// A slow request told `Timeout`.
    TimedOut,
    /// A slow request told `Dup`.
    Duplicate,
}

/// splitmix64: spreads request ids into the load generator's dice.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The mix of requests: per 100 000, 10 panic, 1 000 are slow (200 cancelled
/// and 200 marked duplicate at once by the network thread, 200 cancelled
/// and 400 timed out later by the timer thread), 5 000 yield and the rest
/// are quick.
fn kind_of(id: u64) -> Kind {
    match mix(id) % 100_000 {
        0..10 => Kind::Poison,
        10..210 => Kind::Slow(Fate::CancelNow),
        210..410 => Kind::Slow(Fate::DupNow),
        410..610 => Kind::Slow(Fate::CancelLater),
        610..1_010 => Kind::Slow(Fate::TimeoutLater),
        1_010..6_010 => Kind::Yielding,
        _ => Kind::Quick,
    }
}

/// `rounds` rounds of arithmetic that the compiler cannot skip.
fn busy_work(seed: u64, rounds: u32) -> u64 {
    let mut x = seed | 1;
    for i in 0..rounds {
        x = (x ^ (x >> 29))
            .wrapping_mul(0xBF58_476D_1CE4_E5B9)
            .wrapping_add(u64::from(i));
    }
    black_box(x)
}

/// Rounds of `busy_work` that take `target` on this machine (and build).
fn calibrate(target: Duration) -> u32 {
    let probe = 100_000;
    let best = (0..5)
        .map(|k| {
            let start = Instant::now();
            busy_work(k, probe);
            start.elapsed()
        })
        .min()
        .unwrap();
    let rounds = target.as_secs_f64() / best.as_secs_f64().max(1e-9) * f64::from(probe);
    rounds.clamp(1.0, 1e7) as u32
}

/// What a poisoned request does.
fn poisoned() -> Response {
    std::panic::panic_any(POISON)
}

/// A future that is pending once and wakes itself: what an async handler
/// awaiting I/O looks like to the worker, without the I/O.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A request's future, boxed so that every kind is the same type.
type Handling = Pin<Box<dyn Future<Output = Response> + Send>>;

/// The handler: an async closure, cloned for each worker.
fn handler(
    rounds: u32,
) -> worker::FnHandler<impl FnMut(Request, RequestContext) -> Handling + Clone + Send + 'static> {
    worker::from_fn(move |request: Request, cx: RequestContext| {
        let id = request.id;
        let future: Handling = match request.kind {
            Kind::Quick => Box::pin(async move {
                Response {
                    id,
                    answer: Answer::Computed(busy_work(id, rounds)),
                }
            }),
            Kind::Yielding => Box::pin(async move {
                let mut x = id;
                for _ in 0..3 {
                    x = busy_work(x, rounds / 4);
                    YieldNow(false).await;
                }
                Response {
                    id,
                    answer: Answer::Computed(busy_work(x, rounds / 4)),
                }
            }),
            Kind::Slow(_) => Box::pin(async move {
                // Waits until the network or the timer thread says
                // something; a cancel drops this future instead.
                let actions = cx.signalled().await;
                let answer = if actions.contains(Action::Dup) {
                    Answer::Duplicate
                } else {
                    Answer::TimedOut
                };
                Response { id, answer }
            }),
            Kind::Poison => Box::pin(async move { poisoned() }),
        };
        future
    })
}

// -------------------------------------------------------------------------
// Latency histogram.

/// A log-linear histogram of nanoseconds: 32 buckets per power of two, so a
/// percentile is within about 3 % of the truth.
#[derive(Clone)]
struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;

impl Histogram {
    fn new() -> Self {
        Self {
            counts: vec![0; ((64 - SUB_BITS as u64 + 1) * SUB) as usize],
            total: 0,
            max: 0,
        }
    }

    fn index(ns: u64) -> usize {
        if ns < SUB {
            return ns as usize;
        }
        let exp = 63 - ns.leading_zeros(); // >= SUB_BITS
        let sub = (ns >> (exp - SUB_BITS)) & (SUB - 1);
        (u64::from(exp - SUB_BITS + 1) * SUB + sub) as usize
    }

    /// The smallest value of bucket `index`, and the bucket's width.
    fn bucket(index: usize) -> (u64, u64) {
        let index = index as u64;
        if index < SUB {
            return (index, 1);
        }
        let shift = index / SUB - 1;
        ((SUB + index % SUB) << shift, 1 << shift)
    }

    fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.total += 1;
        self.max = self.max.max(ns);
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The value below which a share `p` of the samples lies (the middle of
    /// its bucket).
    fn percentile(&self, p: f64) -> u64 {
        let rank = ((p * self.total as f64).ceil() as u64).clamp(1, self.total.max(1));
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, width) = Self::bucket(index);
                return (low + width / 2).min(self.max);
            }
        }
        self.max
    }

    fn summary(&self) -> String {
        if self.total == 0 {
            return "no samples".into();
        }
        format!(
            "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  ({} replies)",
            fmt_ns(self.percentile(0.5)),
            fmt_ns(self.percentile(0.9)),
            fmt_ns(self.percentile(0.99)),
            fmt_ns(self.percentile(0.999)),
            fmt_ns(self.max),
            group(self.total),
        )
    }
}

fn fmt_ns(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.2} ms", ns as f64 / 1e6)
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// -------------------------------------------------------------------------
// The network threads.

/// A network thread's counters for the progress line: written only by that
/// thread (plain stores), read by the main thread.
#[derive(Default)]
#[repr(align(128))]
struct Progress {
    enqueued: AtomicU64,
    replied: AtomicU64,
    cancelled: AtomicU64,
}

/// A slow request handed to the timer thread.
struct Timed {
    due: Instant,
    ticket: Ticket,
    action: Action,
}

/// What a network thread saw.
#[derive(Default)]
struct NetworkReport {
    enqueued: u64,
    refused_full: u64,
    computed: u64,
    timed_out: u64,
    duplicate: u64,
    cancelled: u64,
    panicked: u64,
    unstarted: u64,
    /// Signals this thread raised: delivered, already pending, stale.
    raised: [u64; 3],
    /// Timer ring full: the network thread raised the timer's action itself.
    timer_full: u64,
    quick: Option<Histogram>,
    yielding: Option<Histogram>,
    signalled: Option<Histogram>,
    /// Sleeps and wake-ups of this thread's parker.
    syscalls: u64,
    /// What did not add up.
    errors: Vec<String>,
}

impl NetworkReport {
    fn error(&mut self, message: String) {
        if self.errors.len() < 10 {
            self.errors.push(message);
        }
    }
}

fn raised_index(raised: Raised) -> usize {
    match raised {
        Raised::Delivered => 0,
        Raised::AlreadyPending => 1,
        Raised::Stale => 2,
    }
}

/// One network thread: the load generator's event loop.
struct NetworkThread {
    net: Network<Request, Response>,
    timer: spsc::Producer<Timed>,
    progress: Arc<Progress>,
    /// The requests in flight, by executor and slot of their tickets: the
    /// exactly-once check.
    in_flight: Vec<Vec<Option<(Ticket, Request)>>>,
    report: NetworkReport,
    quick: Histogram,
    yielding: Histogram,
    signalled: Histogram,
}

impl NetworkThread {
    fn run(mut self, first_id: u64, options: &Options, start: &Barrier) -> NetworkReport {
        let interval =
            (options.rate > 0).then(|| Duration::from_secs_f64(1.0 / options.rate as f64));
        let mut next_id = first_id;
        start.wait();
        let mut next_due = Instant::now();
        let mut killed = false;
        loop {
            // Enqueue what is due while the window and the pool have room.
            let mut blocked = false;
            while !killed {
                if self.net.outstanding() >= options.window {
                    blocked = true;
                    break;
                }
                if let Some(interval) = interval {
                    let now = Instant::now();
                    if next_due > now {
                        break;
                    }
                    if now - next_due > 100 * interval.max(Duration::from_micros(100)) {
                        next_due = now; // fell far behind (descheduled): do not burst
                    }
                }
                let request = Request {
                    id: next_id,
                    kind: kind_of(next_id),
                };
                match self.net.enqueue(request) {
                    Ok(ticket) => {
                        next_id += 1;
                        if let Some(interval) = interval {
                            next_due += interval;
                        }
                        self.sent(ticket, request);
                    }
                    Err(EnqueueError::Full(_)) => {
                        self.report.refused_full += 1;
                        blocked = true;
                        break;
                    }
                    Err(EnqueueError::Killed(_)) => killed = true,
                    Err(e @ EnqueueError::Closed(_)) => {
                        self.report.error(format!("enqueue: {e}"));
                        killed = true;
                    }
                }
            }

            // Take the replies that are there.
            let mut got = false;
            while let Some(reply) = self.net.try_reply() {
                got = true;
                self.received(reply);
            }
            self.publish();
            if killed && self.net.outstanding() == 0 {
                break;
            }
            if got {
                continue;
            }

            // Nothing to do: wait for a reply, or for the next send time.
            if killed || blocked || interval.is_none() {
                match self.net.reply_blocking() {
                    Some(reply) => self.received(reply),
                    None if killed => break,
                    None => thread::yield_now(), // full with nothing of ours outstanding
                }
            } else {
                let wait = next_due.saturating_duration_since(Instant::now());
                if self.net.outstanding() > 0 {
                    if let Some(reply) = self.net.reply_timeout(wait) {
                        self.received(reply);
                    }
                } else {
                    thread::sleep(wait);
                }
            }
        }
        self.publish();
        for (executor, slots) in self.in_flight.iter().enumerate() {
            for (slot, entry) in slots.iter().enumerate() {
                if let Some((_, request)) = entry {
                    self.report.error(format!(
                        "request {} (executor {executor}, slot {slot}) never got a reply",
                        request.id
                    ));
                }
            }
        }
        let stats = self.net.park_stats();
        self.report.syscalls = stats.sleeps + stats.wakes;
        self.report.quick = Some(self.quick);
        self.report.yielding = Some(self.yielding);
        self.report.signalled = Some(self.signalled);
        self.report
    }

    /// Books an enqueued request and raises the signals it is meant to get.
    fn sent(&mut self, ticket: Ticket, request: Request) {
        self.report.enqueued += 1;
        let entry = &mut self.in_flight[ticket.worker()][ticket.signal_ticket().slot()];
        if let Some((_, old)) = entry.replace((ticket, request)) {
            self.report.error(format!(
                "request {} got the slot of request {}, which had no reply yet",
                request.id, old.id
            ));
        }
        let Kind::Slow(fate) = request.kind else {
            return;
        };
        let later = match fate {
            Fate::CancelNow => Err(Action::Cancel),
            Fate::DupNow => Err(Action::Dup),
            Fate::CancelLater => Ok(Action::Cancel),
            Fate::TimeoutLater => Ok(Action::Timeout),
        };
        match later {
            Err(now) => {
                let raised = self.net.signal(ticket, now);
                self.report.raised[raised_index(raised)] += 1;
            }
            Ok(action) => {
                let timed = Timed {
                    due: Instant::now() + TIMEOUT,
                    ticket,
                    action,
                };
                if let Err(e) = self.timer.push(timed) {
                    // The timer is behind: raise it now rather than never.
                    self.report.timer_full += 1;
                    let raised = self.net.signal(e.into_inner().ticket, action);
                    self.report.raised[raised_index(raised)] += 1;
                }
            }
        }
    }

    /// Checks a reply against the request it answers, and books it.
    fn received(&mut self, reply: Reply<Request, Response>) {
        let latency = reply.enqueued_at.elapsed().as_nanos() as u64;
        let ticket = reply.ticket;
        let entry = self
            .in_flight
            .get_mut(ticket.worker())
            .and_then(|slots| slots.get_mut(ticket.signal_ticket().slot()));
        let request = match entry.and_then(Option::take) {
            Some((sent, request)) if sent == ticket => request,
            other => {
                self.report.error(format!(
                    "a reply for {ticket:?}, which had none owed ({other:?} there)"
                ));
                return;
            }
        };
        match reply.outcome {
            Outcome::Done(response) => {
                if response.id != request.id {
                    self.report.error(format!(
                        "request {} answered with request {}'s response",
                        request.id, response.id
                    ));
                }
                let expected = match request.kind {
                    Kind::Quick | Kind::Yielding => None,
                    Kind::Slow(Fate::DupNow) => Some(Answer::Duplicate),
                    Kind::Slow(Fate::TimeoutLater) => Some(Answer::TimedOut),
                    Kind::Slow(_) | Kind::Poison => {
                        self.report.error(format!(
                            "request {} ({:?}) was not to finish",
                            request.id, request.kind
                        ));
                        None
                    }
                };
                match response.answer {
                    Answer::Computed(_) => self.report.computed += 1,
                    Answer::TimedOut => self.report.timed_out += 1,
                    Answer::Duplicate => self.report.duplicate += 1,
                }
                if expected.is_some_and(|e| e != response.answer) {
                    self.report.error(format!(
                        "request {} ({:?}) answered {:?}",
                        request.id, request.kind, response.answer
                    ));
                }
            }
            Outcome::Cancelled => self.report.cancelled += 1,
            Outcome::Panicked(message) => {
                self.report.panicked += 1;
                if message != POISON {
                    self.report
                        .error(format!("request {} panicked: {message}", request.id));
                }
            }
            Outcome::Unstarted(_) => self.report.unstarted += 1,
        }
        match request.kind {
            Kind::Quick => self.quick.record(latency),
            Kind::Yielding => self.yielding.record(latency),
            Kind::Slow(_) => self.signalled.record(latency),
            Kind::Poison => {}
        }
    }

    fn publish(&self) {
        let replied = self.report.enqueued - self.net.outstanding() as u64;
        // ordering: Relaxed; progress reports, nothing depends on them.
        self.progress
            .enqueued
            .store(self.report.enqueued, Ordering::Relaxed);
        self.progress.replied.store(replied, Ordering::Relaxed);
        self.progress
            .cancelled
            .store(self.report.cancelled, Ordering::Relaxed);
    }
}

// -------------------------------------------------------------------------
// The timer thread.

/// What the timer thread raised: per action (cancel, timeout), delivered,
/// already pending, stale.
#[derive(Default)]
struct TimerReport {
    cancels: [u64; 3],
    timeouts: [u64; 3],
    /// Most signals raised late, past their due time.
    worst_late: Duration,
}

/// Raises each timed action when it is due; exits when every network
/// thread is gone and nothing is left to raise. Each ring is in due order
/// (one delay for all), so a queue per ring is enough.
fn timer(mut rings: Vec<spsc::Consumer<Timed>>, signaller: Signaller) -> TimerReport {
    let mut report = TimerReport::default();
    let mut queues: Vec<VecDeque<Timed>> = rings.iter().map(|_| VecDeque::new()).collect();
    loop {
        let mut open = false;
        for (ring, queue) in rings.iter_mut().zip(&mut queues) {
            while let Some(timed) = ring.pop() {
                queue.push_back(timed);
            }
            open |= !(ring.is_closed() && ring.is_empty());
        }
        let now = Instant::now();
        for queue in &mut queues {
            while queue.front().is_some_and(|t| t.due <= now) {
                let timed = queue.pop_front().unwrap();
                report.worst_late = report.worst_late.max(now - timed.due);
                let raised = raised_index(signaller.signal(timed.ticket, timed.action));
                match timed.action {
                    Action::Cancel => report.cancels[raised] += 1,
                    _ => report.timeouts[raised] += 1,
                }
            }
        }
        if !open && queues.iter().all(VecDeque::is_empty) {
            return report;
        }
        // Anything pushed while we sleep is due at least TIMEOUT later.
        let next = queues.iter().filter_map(|q| q.front().map(|t| t.due)).min();
        let wait = next.map_or(TIMEOUT, |due| due.saturating_duration_since(now));
        thread::sleep(wait.clamp(Duration::from_micros(50), TIMEOUT));
    }
}

// -------------------------------------------------------------------------
// Context switches from /proc.

/// Context switches since `before`, summed by thread role: (pipeline
/// threads, i.e. network threads and workers; the timer thread).
fn switches_since(before: &HashMap<u32, Switches>) -> ((u64, u64), (u64, u64)) {
    let mut pipeline = (0, 0);
    let mut timer = (0, 0);
    for (tid, now) in context_switches::by_thread() {
        let then = before.get(&tid).cloned().unwrap_or_default();
        let delta = (
            now.voluntary.saturating_sub(then.voluntary),
            now.involuntary.saturating_sub(then.involuntary),
        );
        let name = now.name;
        let sum = if name.starts_with("network-") || name.starts_with("worker-") {
            &mut pipeline
        } else if name == "timer" {
            &mut timer
        } else {
            continue; // the main thread, printing
        };
        sum.0 += delta.0;
        sum.1 += delta.1;
    }
    (pipeline, timer)
}

// -------------------------------------------------------------------------
// Main.

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
        .worker(WorkerConfig::new().name("worker"));
    let slots = config.worker.slots;
    let (pool, networks) = match Pool::spawn(config, handler(rounds)) {
        Ok(spawned) => spawned,
        Err(e) => {
            eprintln!("pipeline: cannot start the pool: {e}");
            return ExitCode::FAILURE;
        }
    };
    let executors = if inline {
        options.networks
    } else {
        options.workers
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
        "requests: 94 % quick (~{} µs of work), 5 % yield 3 times, 1 % wait for a signal \
         (cancel or dup at once, cancel or timeout after {} ms), 0.01 % panic\n",
        QUICK_WORK.as_secs_f64() * 1e6,
        TIMEOUT.as_millis()
    );

    // The threads: network threads wait at the start line.
    let options = Arc::new(options);
    let start = Arc::new(Barrier::new(options.networks + 1));
    let progress: Vec<Arc<Progress>> = (0..options.networks).map(|_| Arc::default()).collect();
    let mut timer_rings = Vec::new();
    let mut network_threads = Vec::new();
    for (k, net) in networks.into_iter().enumerate() {
        let (timer_tx, timer_rx) = spsc::channel(4096);
        timer_rings.push(timer_rx);
        let thread = NetworkThread {
            net,
            timer: timer_tx,
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
    let signaller = pool.signaller();
    let timer_thread = thread::Builder::new()
        .name("timer".into())
        .spawn(move || timer(timer_rings, signaller))
        .expect("spawn the timer thread");

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
    let (pipeline_switches, timer_switches) = switches_since(&switches_before);
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
    let timer_report = timer_thread.join().expect("the timer thread panicked");

    // The report.
    let total = |f: fn(&NetworkReport) -> u64| -> u64 { reports.iter().map(f).sum() };
    let enqueued = total(|r| r.enqueued);
    let mut quick = Histogram::new();
    let mut yielding = Histogram::new();
    let mut signalled = Histogram::new();
    for r in &reports {
        quick.merge(r.quick.as_ref().unwrap());
        yielding.merge(r.yielding.as_ref().unwrap());
        signalled.merge(r.signalled.as_ref().unwrap());
    }
    println!(
        "\nthroughput: {} requests/s ({} requests in {:.2} s; graceful kill drained the rest in {:.1} ms)",
        group((enqueued_at_kill as f64 / elapsed.as_secs_f64()) as u64),
        group(enqueued),
        elapsed.as_secs_f64(),
        drained.as_secs_f64() * 1e3,
    );
    println!("latency, enqueue → reply taken (reply.enqueued_at.elapsed()):");
    println!("  quick:     {}", quick.summary());
    println!("  yielding:  {}", yielding.summary());
    println!("  signalled: {}", signalled.summary());

    let refused = total(|r| r.refused_full);
    if refused > 0 {
        println!(
            "back-pressure: enqueue said Full {} times (every worker's table or ring was full)",
            group(refused)
        );
    }

    let requests_total: u64 = stats.iter().map(|s| s.requests).sum();
    let label = if inline {
        "executor of network thread"
    } else {
        "worker"
    };
    println!("share of the requests (Pool::stats):");
    for (k, s) in stats.iter().enumerate() {
        println!(
            "  {label} {k}: {:>11} requests ({:5.1} %), busy {:5.1} % of the run",
            group(s.requests),
            s.requests as f64 * 100.0 / requests_total.max(1) as f64,
            s.busy.as_secs_f64() * 100.0 / (elapsed + drained).as_secs_f64(),
        );
    }

    let done = total(|r| r.computed + r.timed_out + r.duplicate);
    let cancelled = total(|r| r.cancelled);
    let panicked = total(|r| r.panicked);
    let unstarted = total(|r| r.unstarted);
    println!(
        "outcomes: done {} (computed {}, timed out {}, duplicate {}), cancelled {}, panicked {}, unstarted {}",
        group(done),
        group(total(|r| r.computed)),
        group(total(|r| r.timed_out)),
        group(total(|r| r.duplicate)),
        group(cancelled),
        group(panicked),
        group(unstarted),
    );
    let raised: [u64; 3] = std::array::from_fn(|k| reports.iter().map(|r| r.raised[k]).sum());
    let [tc, tt] = [timer_report.cancels, timer_report.timeouts];
    println!(
        "signals: network threads raised {} (delivered {}, already pending {}, stale {}); \
         the timer thread {} cancels and {} timeouts (stale {}), at most {:.2} ms late{}",
        group(raised.iter().sum()),
        group(raised[0]),
        group(raised[1]),
        group(raised[2]),
        group(tc.iter().sum()),
        group(tt.iter().sum()),
        group(tc[2] + tt[2]),
        timer_report.worst_late.as_secs_f64() * 1e3,
        match total(|r| r.timer_full) {
            0 => String::new(),
            n => format!(
                " ({} raised by the network threads: the timer ring was full)",
                group(n)
            ),
        },
    );

    let worker_calls: u64 = stats.iter().map(|s| s.sleeps + s.wakes).sum();
    let network_calls = total(|r| r.syscalls);
    let per = |n: u64, of: u64| n as f64 / of.max(1) as f64;
    let mut line = format!(
        "system calls (the crate's counters): workers slept or were woken {} times, network threads {} \
         times: {:.4} per request",
        group(worker_calls),
        group(network_calls),
        per(worker_calls + network_calls, enqueued),
    );
    if enqueued_at_kill > 0 && !switches_before.is_empty() {
        let _ = write!(
            line,
            "\ncontext switches (/proc), network and worker threads: {:.4} voluntary + {:.4} involuntary \
             per request; the timer thread's sleeps: {} voluntary",
            per(pipeline_switches.0, enqueued_at_kill),
            per(pipeline_switches.1, enqueued_at_kill),
            group(timer_switches.0),
        );
    }
    println!("{line}");

    // The exactly-once check.
    let mut errors: Vec<String> = reports
        .iter()
        .enumerate()
        .flat_map(|(k, r)| {
            r.errors
                .iter()
                .map(move |e| format!("network thread {k}: {e}"))
        })
        .collect();
    let replies = done + cancelled + panicked + unstarted;
    let mut check = |ok: bool, what: String| {
        if !ok {
            errors.push(what);
        }
    };
    check(
        replies == enqueued,
        format!("{enqueued} requests enqueued, {replies} replies taken"),
    );
    check(
        requests_total == enqueued,
        format!("the executors took {requests_total} requests, {enqueued} were enqueued"),
    );
    let stat = |f: fn(&WorkerStats) -> u64| -> u64 { stats.iter().map(f).sum() };
    check(
        stat(|s| s.replies()) == replies,
        format!(
            "the executors replied {} times, {replies} replies were taken",
            stat(|s| s.replies())
        ),
    );
    check(
        (
            stat(|s| s.completed),
            stat(|s| s.cancelled),
            stat(|s| s.panicked),
            stat(|s| s.unstarted),
        ) == (done, cancelled, panicked, unstarted),
        "the executors' outcome counts differ from the replies'".into(),
    );
    check(
        unstarted == 0,
        format!("{unstarted} requests unstarted after a graceful kill"),
    );
    if errors.is_empty() {
        println!(
            "shutdown: graceful kill and join; every one of the {} requests got exactly one reply ✓",
            group(enqueued)
        );
        ExitCode::SUCCESS
    } else {
        eprintln!("MISMATCH:");
        for e in &errors {
            eprintln!("  {e}");
        }
        ExitCode::FAILURE
    }
}
