//! The scenarios of the `mpsc` (criterion) and `mpsc_compare`
//! (interleaved, custom harness) benchmarks, and (in `queues.rs`) the MPSC
//! queues they compare; the harnesses themselves, shared with the SPSC
//! benchmarks, are in `benches/harness`.
//!
//! Every scenario is written once, generically over [`Queue`] (or
//! [`BatchPop`]), and instantiated for each implementation in
//! [`Scenario::cases`]. A scenario function takes an operation count (items
//! or round trips), spawns its helper threads, runs that many operations on
//! this thread, joins the helpers and only then returns the elapsed time. The
//! clock starts once every helper thread is running, so thread start-up is
//! not timed; the joins are, but they are amortised over the whole run.
//!
//! Every run is checked before its time is returned, and panics otherwise:
//! items carry their producer's id in the high bits ([`SEQ_BITS`]), the
//! consumer checks that each producer's items arrive in that producer's
//! order with none missing or repeated, and after the joins that nothing is
//! left in the queue.
//!
//! All implementations are driven through their non-blocking calls only
//! (`push`/`pop`, `try_send`/`try_recv`), with one wait policy for all:
//! [`Backoff`] spins with `spin_loop()` up to [`SPINS_BEFORE_YIELD`] times,
//! then yields the core. In `mpsc2` three threads share the machine's two
//! cores, so threads lose their core mid-operation: that is part of the test.

mod queues;

use std::time::Duration;

use crate::harness::{self, out_of_order, Case, Helper, Ratio, Scenario as _};
use queues::{
    BatchPop, ConcurrentQueueBounded, CrossbeamArrayQueue, CrossbeamChannel, Flume, Handoff, Kanal,
    Queue, StdSyncChannel,
};

/// Capacity of the queue in `mpsc2` and `mpsc1`.
pub const CAPACITY: usize = 4096;
/// Capacity of each of the two queues in `roundtrip` (at most one item is
/// ever in flight, so it only matters for memory footprint).
pub const ROUNDTRIP_CAPACITY: usize = 64;
/// Most items per `pop_slice` call in the batch-pop cases.
pub const BATCH: usize = 256;
/// An item is `producer << SEQ_BITS | sequence number`.
pub const SEQ_BITS: u32 = 48;

/// Failed attempts (each followed by one `spin_loop()`) before a waiting
/// thread starts yielding its core.
///
/// Kept short: with three threads on two cores the thread being waited for
/// has often lost its core, and only a yield gives it back.
pub const SPINS_BEFORE_YIELD: u32 = 128;

/// The one wait policy of every implementation and every waiting thread:
/// [`snooze`](Backoff::snooze) after each failed attempt, a fresh `Backoff`
/// for each operation.
type Backoff = harness::Backoff<SPINS_BEFORE_YIELD>;

#[inline]
fn push_wait<Q: Queue>(tx: &Q::Tx, value: u64) {
    Backoff::until(|| Q::try_push(tx, value));
}

#[inline]
fn pop_wait<Q: Queue>(rx: &mut Q::Rx) -> u64 {
    Backoff::until_some(|| Q::try_pop(rx))
}

/// Item number `seq` of producer `producer`.
#[inline]
fn item(producer: usize, seq: u64) -> u64 {
    debug_assert!(seq < 1 << SEQ_BITS);
    (producer as u64) << SEQ_BITS | seq
}

/// How many of `items` producer `producer` of `producers` pushes.
fn share(items: u64, producers: usize, producer: usize) -> u64 {
    let producers = producers as u64;
    items / producers + u64::from((producer as u64) < items % producers)
}

/// Checks the consumer's view: each producer's items in that producer's
/// order, none missing, none repeated.
struct Checker {
    scenario: &'static str,
    name: &'static str,
    /// The next sequence number expected from each producer.
    next: Vec<u64>,
}

impl Checker {
    fn new(scenario: &'static str, name: &'static str, producers: usize) -> Self {
        Checker {
            scenario,
            name,
            next: vec![0; producers],
        }
    }

    #[inline]
    fn check(&mut self, value: u64) {
        let producer = (value >> SEQ_BITS) as usize;
        let seq = value & ((1 << SEQ_BITS) - 1);
        match self.next.get_mut(producer) {
            Some(next) if *next == seq => *next += 1,
            _ => self.bad(value),
        }
    }

    #[cold]
    #[inline(never)]
    fn bad(&self, value: u64) -> ! {
        let producer = value >> SEQ_BITS;
        let seq = value & ((1 << SEQ_BITS) - 1);
        panic!(
            "{}/{}: received item {seq} of producer {producer}, expected next items {:?} \
             (by producer)",
            self.scenario, self.name, self.next
        );
    }

    /// Checks that producer `p` delivered exactly `share(items, .., p)`
    /// items, then that `rx` holds nothing more.
    fn finish<Q: Queue>(self, items: u64, rx: &mut Q::Rx) {
        let producers = self.next.len();
        let expected: Vec<u64> = (0..producers).map(|p| share(items, producers, p)).collect();
        assert_eq!(
            self.next, expected,
            "{}/{}: items received per producer",
            self.scenario, self.name
        );
        if let Some(extra) = Q::try_pop(rx) {
            panic!(
                "{}/{}: item {extra:#x} left in the queue after all {items} were received",
                self.scenario, self.name
            );
        }
    }
}

/// Runs each of `helpers` on a new thread and `main` on this one, timing
/// `main` from the moment all threads are running. The helpers are joined
/// (and a panic, if any, propagated) before the time is returned, with what
/// `main` returned.
fn run_timed<M>(helpers: Vec<Helper>, main: impl FnOnce() -> M) -> (Duration, M) {
    harness::run_timed::<SPINS_BEFORE_YIELD, M>(helpers, main)
}

/// Makes a queue and the work of `producers` threads that push their
/// [`share`] of `items` (tagged with their id and sequence number). Returns
/// that work, a spare producing half and the consuming half: holding the
/// spare until the final check keeps the channels from reporting
/// "disconnected" (which their `try_pop` treats as an error).
fn producers<Q: Queue>(producers: usize, items: u64) -> (Vec<Helper>, Q::Tx, Q::Rx) {
    let (tx, rx) = Q::channel(CAPACITY);
    let helpers = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            let count = share(items, producers, p);
            Box::new(move || {
                for seq in 0..count {
                    push_wait::<Q>(&tx, item(p, seq));
                }
            }) as Helper
        })
        .collect();
    (helpers, tx, rx)
}

/// `PRODUCERS` threads push `items` in all, one at a time (waiting while
/// full); this thread pops them one at a time (waiting while empty) and
/// checks each.
pub fn mpsc<Q: Queue, const PRODUCERS: usize>(items: u64) -> Duration {
    let scenario = Scenario::for_producers(PRODUCERS).name();
    let (helpers, _spare_tx, mut rx) = producers::<Q>(PRODUCERS, items);
    let (elapsed, checker) = run_timed(helpers, || {
        let mut checker = Checker::new(scenario, Q::NAME, PRODUCERS);
        for _ in 0..items {
            checker.check(pop_wait::<Q>(&mut rx));
        }
        checker
    });
    checker.finish::<Q>(items, &mut rx);
    elapsed
}

/// Like [`mpsc`], but this thread pops up to [`BATCH`] items per call.
pub fn mpsc_batch_pop<Q: BatchPop, const PRODUCERS: usize>(items: u64) -> Duration {
    let scenario = Scenario::for_producers(PRODUCERS).name();
    let (helpers, _spare_tx, mut rx) = producers::<Q>(PRODUCERS, items);
    let (elapsed, checker) = run_timed(helpers, || {
        let mut checker = Checker::new(scenario, Q::BATCH_NAME, PRODUCERS);
        let mut buf = [0u64; BATCH];
        let mut received = 0;
        let mut backoff = Backoff::new();
        while received < items {
            // Never ask for more than is due, so that an extra item would
            // stay in the queue for `finish` to find.
            let want = (items - received).min(BATCH as u64) as usize;
            let n = Q::pop_slice(&mut rx, &mut buf[..want]);
            if n == 0 {
                backoff.snooze();
                continue;
            }
            backoff = Backoff::new();
            for &value in &buf[..n] {
                checker.check(value);
            }
            received += n as u64;
        }
        checker
    });
    checker.finish::<Q>(items, &mut rx);
    elapsed
}

/// `round_trips` one-item round trips over two queues: this thread pushes `i`
/// to A→B, the helper pops it and pushes it to B→A, this thread pops it and
/// checks it.
pub fn roundtrip<Q: Queue>(round_trips: u64) -> Duration {
    let (a_tx, mut b_rx) = Q::channel(ROUNDTRIP_CAPACITY);
    let (b_tx, mut a_rx) = Q::channel(ROUNDTRIP_CAPACITY);
    // Held until the final check, as in `producers`.
    let _spare_b_tx = b_tx.clone();
    let helper = Box::new(move || {
        for _ in 0..round_trips {
            let value = pop_wait::<Q>(&mut b_rx);
            push_wait::<Q>(&b_tx, value);
        }
    }) as Helper;
    let (elapsed, ()) = run_timed(vec![helper], || {
        for i in 0..round_trips {
            push_wait::<Q>(&a_tx, i);
            let got = pop_wait::<Q>(&mut a_rx);
            if got != i {
                out_of_order("roundtrip", Q::NAME, got, i);
            }
        }
    });
    if let Some(extra) = Q::try_pop(&mut a_rx) {
        panic!("roundtrip/{}: item {extra} left in the queue", Q::NAME);
    }
    elapsed
}

/// The benchmark scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Two producer threads, one consumer (this thread), one item per call.
    Mpsc2,
    /// One producer thread, one consumer: no contention between producers.
    Mpsc1,
    /// One-item round trips between two threads over two queues.
    Roundtrip,
}

fn case<Q: Queue>(run: fn(u64) -> Duration) -> Case {
    Case {
        name: Q::NAME,
        // The ratio columns compare against the best of the peers (all but
        // `handoff`).
        reference: Q::NAME != Handoff::NAME,
        run,
    }
}

/// Every implementation of the scenario with `PRODUCERS` producers.
fn mpsc_cases<const PRODUCERS: usize>() -> Vec<Case> {
    vec![
        case::<Handoff>(mpsc::<Handoff, PRODUCERS>),
        Case {
            name: Handoff::BATCH_NAME,
            reference: false,
            run: mpsc_batch_pop::<Handoff, PRODUCERS>,
        },
        case::<CrossbeamArrayQueue>(mpsc::<CrossbeamArrayQueue, PRODUCERS>),
        case::<ConcurrentQueueBounded>(mpsc::<ConcurrentQueueBounded, PRODUCERS>),
        case::<CrossbeamChannel>(mpsc::<CrossbeamChannel, PRODUCERS>),
        case::<Kanal>(mpsc::<Kanal, PRODUCERS>),
        case::<Flume>(mpsc::<Flume, PRODUCERS>),
        case::<StdSyncChannel>(mpsc::<StdSyncChannel, PRODUCERS>),
    ]
}

impl Scenario {
    fn for_producers(producers: usize) -> Scenario {
        match producers {
            1 => Scenario::Mpsc1,
            2 => Scenario::Mpsc2,
            _ => unreachable!("no scenario has {producers} producers"),
        }
    }
}

impl harness::Scenario for Scenario {
    const ALL: &'static [Scenario] = &[Scenario::Mpsc2, Scenario::Mpsc1, Scenario::Roundtrip];

    fn name(self) -> &'static str {
        match self {
            Scenario::Mpsc2 => "mpsc2",
            Scenario::Mpsc1 => "mpsc1",
            Scenario::Roundtrip => "roundtrip",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Scenario::Mpsc2 | Scenario::Mpsc1 => "item",
            Scenario::Roundtrip => "round trip",
        }
    }

    /// `handoff` first, then the peers.
    fn cases(self) -> Vec<Case> {
        match self {
            Scenario::Mpsc2 => mpsc_cases::<2>(),
            Scenario::Mpsc1 => mpsc_cases::<1>(),
            Scenario::Roundtrip => vec![
                case::<Handoff>(roundtrip::<Handoff>),
                case::<CrossbeamArrayQueue>(roundtrip::<CrossbeamArrayQueue>),
                case::<ConcurrentQueueBounded>(roundtrip::<ConcurrentQueueBounded>),
                case::<CrossbeamChannel>(roundtrip::<CrossbeamChannel>),
                case::<Kanal>(roundtrip::<Kanal>),
                case::<Flume>(roundtrip::<Flume>),
                case::<StdSyncChannel>(roundtrip::<StdSyncChannel>),
            ],
        }
    }

    /// Speeds relative to the best peer (higher is better).
    fn ratio(self) -> Ratio {
        Ratio::Speed
    }
}
