//! The scenarios of the `spsc` (criterion) and `spsc_compare`
//! (interleaved, custom harness) benchmarks, and (in `rings.rs`) the SPSC
//! rings they compare; the harnesses themselves, shared with the MPSC
//! benchmarks, are in `benches/harness`.
//!
//! Every scenario is written once, generically over [`Ring`] (or
//! [`BatchRing`]), and instantiated for each implementation in
//! [`Scenario::cases`]. A scenario function takes an operation count (round
//! trips or items), spawns one helper thread, runs that many operations,
//! checks that every item arrived in order (panicking otherwise), joins the
//! helper and only then returns the elapsed time. The clock starts once the
//! helper thread is running, so thread start-up is not timed; the join is,
//! but it is amortised over the whole run. Waiting threads spin with
//! `spin_loop()` and start yielding only after [`SPINS_BEFORE_YIELD`] spins
//! (which happens only when the other thread has lost its core), except in
//! `throughput-yield`, the regime of a consumer that backs off as
//! crossbeam's `Backoff` does: it yields after [`SPINS_THEN_YIELD`].

mod rings;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::harness::{self, out_of_order, Case, Helper, Ratio};
use rings::{BatchRing, CrossbeamArrayQueue, Handoff, Ring, Ringbuf, Rtrb};

/// Capacity of each of the two rings in `pingpong` (at most one item is ever
/// in flight, so it only matters for memory footprint).
pub const PINGPONG_CAPACITY: usize = 64;
/// Capacity of the ring in `throughput` and `batch`.
pub const CAPACITY: usize = 4096;
/// Items per `push_slice`/`pop_slice` call in `batch`.
pub const BATCH: usize = 256;

/// Name of the raw-atomic floor in `pingpong`.
pub const RAW_ATOMIC: &str = "raw AtomicU64 (floor)";

/// `spin_loop()` calls before a waiting thread starts yielding its core.
///
/// A wait normally ends within a few hundred nanoseconds, long before this.
/// It runs out only when the other thread has been descheduled (this machine
/// has other work on its cores); yielding then hands the core back instead of
/// spinning through the rest of a scheduler time slice, which would add
/// milliseconds of pure noise to the measurement.
const SPINS_BEFORE_YIELD: u32 = 1 << 12;

/// The wait policy of every waiting thread: [`snooze`](Backoff::snooze) after
/// each failed attempt, a fresh `Backoff` for each operation.
type Backoff = harness::Backoff<SPINS_BEFORE_YIELD>;

#[inline]
fn push_spin<R: Ring>(tx: &mut R::Tx, value: u64) {
    Backoff::until(|| R::try_push(tx, value));
}

#[inline]
fn pop_spin<R: Ring>(rx: &mut R::Rx) -> u64 {
    Backoff::until_some(|| R::try_pop(rx))
}

/// Runs `helper` on a new thread and `main` on this one, timing `main` from
/// the moment both threads are running. `helper` is joined (and its panic, if
/// any, propagated) before the time is returned.
fn run_timed(helper: impl FnOnce() + Send + 'static, main: impl FnOnce()) -> Duration {
    let helpers: Vec<Helper> = vec![Box::new(helper)];
    harness::run_timed::<SPINS_BEFORE_YIELD, ()>(helpers, main).0
}

/// `round_trips` one-item round trips over two rings: this thread pushes `i`
/// to A→B, the helper pops it and pushes it to B→A, this thread pops it.
pub fn pingpong<R: Ring>(round_trips: u64) -> Duration {
    let (mut a_tx, mut b_rx) = R::channel(PINGPONG_CAPACITY);
    let (mut b_tx, mut a_rx) = R::channel(PINGPONG_CAPACITY);
    run_timed(
        move || {
            for _ in 0..round_trips {
                let value = pop_spin::<R>(&mut b_rx);
                push_spin::<R>(&mut b_tx, value);
            }
        },
        || {
            for i in 0..round_trips {
                push_spin::<R>(&mut a_tx, i);
                let got = pop_spin::<R>(&mut a_rx);
                if got != i {
                    out_of_order("pingpong", R::NAME, got, i);
                }
            }
        },
    )
}

/// The physical floor for a one-item round trip: one cache-padded
/// `AtomicU64`; this thread stores odd values and waits for the next even
/// one, the helper waits for each odd value and stores the next even one.
pub fn pingpong_atomic(round_trips: u64) -> Duration {
    let cell = Arc::new(CachePadded::new(AtomicU64::new(0)));
    let helper_cell = Arc::clone(&cell);
    run_timed(
        move || {
            for i in 0..round_trips {
                let odd = 2 * i + 1;
                Backoff::until(|| helper_cell.load(Ordering::Acquire) == odd);
                helper_cell.store(odd + 1, Ordering::Release);
            }
        },
        || {
            for i in 0..round_trips {
                cell.store(2 * i + 1, Ordering::Release);
                Backoff::until(|| cell.load(Ordering::Acquire) == 2 * i + 2);
            }
            let last = cell.load(Ordering::Acquire);
            if last != 2 * round_trips {
                out_of_order("pingpong", RAW_ATOMIC, last, 2 * round_trips);
            }
        },
    )
}

/// `spin_loop()` calls before a waiting thread yields in the `yielding`
/// regime: crossbeam's `Backoff` (and peerbench's) give up spinning after
/// a few dozen tries, so a consumer that finds the ring empty leaves its
/// core to the producer instead of polling the producer's line.
const SPINS_THEN_YIELD: u32 = 64;

/// The helper pushes `0..items` one at a time (spinning while full); this
/// thread pops them one at a time (spinning while empty) and checks each.
/// The tight-spin regime: a waiting thread spins [`SPINS_BEFORE_YIELD`]
/// times before it yields, so it polls the other side's line.
pub fn throughput<R: Ring>(items: u64) -> Duration {
    throughput_with::<R, SPINS_BEFORE_YIELD>(items, "throughput")
}

/// [`throughput`] in the yielding regime: a waiting thread yields after
/// [`SPINS_THEN_YIELD`] failed tries, as a consumer with crossbeam's
/// `Backoff` does (the regime of peerbench's `spsc` workload).
pub fn throughput_yielding<R: Ring>(items: u64) -> Duration {
    throughput_with::<R, SPINS_THEN_YIELD>(items, "throughput-yield")
}

fn throughput_with<R: Ring, const SPINS: u32>(items: u64, scenario: &'static str) -> Duration {
    let (mut tx, mut rx) = R::channel(CAPACITY);
    run_timed(
        move || {
            for i in 0..items {
                harness::Backoff::<SPINS>::until(|| R::try_push(&mut tx, i));
            }
        },
        || {
            for expected in 0..items {
                let got = harness::Backoff::<SPINS>::until_some(|| R::try_pop(&mut rx));
                if got != expected {
                    out_of_order(scenario, R::NAME, got, expected);
                }
            }
        },
    )
}

/// Like [`throughput`], but moving [`BATCH`] items per call (fewer when the
/// ring is nearly full or nearly empty).
pub fn batch<R: BatchRing>(items: u64) -> Duration {
    let (mut tx, mut rx) = R::channel(CAPACITY);
    run_timed(
        move || {
            let mut buf = [0u64; BATCH];
            let mut next = 0u64;
            while next < items {
                let n = (items - next).min(BATCH as u64) as usize;
                for (slot, value) in buf[..n].iter_mut().zip(next..) {
                    *slot = value;
                }
                let mut done = 0;
                let mut backoff = Backoff::new();
                while done < n {
                    let pushed = R::push_slice(&mut tx, &buf[done..n]);
                    if pushed == 0 {
                        backoff.snooze();
                    } else {
                        backoff = Backoff::new();
                    }
                    done += pushed;
                }
                next += n as u64;
            }
        },
        || {
            let mut buf = [0u64; BATCH];
            let mut expected = 0u64;
            let mut backoff = Backoff::new();
            while expected < items {
                let n = R::pop_slice(&mut rx, &mut buf);
                if n == 0 {
                    backoff.snooze();
                    continue;
                }
                backoff = Backoff::new();
                for &got in &buf[..n] {
                    if got != expected {
                        out_of_order("batch", R::BATCH_NAME, got, expected);
                    }
                    expected += 1;
                }
            }
        },
    )
}

/// The benchmark scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// One-item round trips between two threads.
    Pingpong,
    /// One producer, one consumer, one item per call, waiting threads
    /// spinning (the tight-spin regime).
    Throughput,
    /// The same, waiting threads yielding after a few dozen spins (the
    /// backing-off regime).
    ThroughputYielding,
    /// One producer, one consumer, [`BATCH`] items per call.
    Batch,
}

fn case<R: Ring>(run: fn(u64) -> Duration) -> Case {
    Case {
        name: R::NAME,
        reference: false,
        run,
    }
}

fn batch_case<R: BatchRing>() -> Case {
    Case {
        name: R::BATCH_NAME,
        reference: false,
        run: batch::<R>,
    }
}

impl Scenario {
    /// Names of the implementations the ratio columns compare against: the
    /// best (lowest median) of them is the reference.
    fn references(self) -> &'static [&'static str] {
        match self {
            Scenario::Pingpong => &[RAW_ATOMIC],
            Scenario::Throughput | Scenario::ThroughputYielding => &[Rtrb::NAME],
            Scenario::Batch => &[Rtrb::BATCH_NAME, Ringbuf::BATCH_NAME],
        }
    }
}

impl harness::Scenario for Scenario {
    const ALL: &'static [Scenario] = &[
        Scenario::Pingpong,
        Scenario::Throughput,
        Scenario::ThroughputYielding,
        Scenario::Batch,
    ];

    fn name(self) -> &'static str {
        match self {
            Scenario::Pingpong => "pingpong",
            Scenario::Throughput => "throughput",
            Scenario::ThroughputYielding => "throughput-yield",
            Scenario::Batch => "batch",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Scenario::Pingpong => "round trip",
            Scenario::Throughput | Scenario::ThroughputYielding | Scenario::Batch => "item",
        }
    }

    fn cases(self) -> Vec<Case> {
        let mut cases = match self {
            Scenario::Pingpong => vec![
                case::<Handoff>(pingpong::<Handoff>),
                case::<Rtrb>(pingpong::<Rtrb>),
                case::<Ringbuf>(pingpong::<Ringbuf>),
                case::<CrossbeamArrayQueue>(pingpong::<CrossbeamArrayQueue>),
                Case {
                    name: RAW_ATOMIC,
                    reference: false,
                    run: pingpong_atomic,
                },
            ],
            Scenario::Throughput => vec![
                case::<Handoff>(throughput::<Handoff>),
                case::<Rtrb>(throughput::<Rtrb>),
                case::<Ringbuf>(throughput::<Ringbuf>),
                case::<CrossbeamArrayQueue>(throughput::<CrossbeamArrayQueue>),
            ],
            Scenario::ThroughputYielding => vec![
                case::<Handoff>(throughput_yielding::<Handoff>),
                case::<Rtrb>(throughput_yielding::<Rtrb>),
                case::<Ringbuf>(throughput_yielding::<Ringbuf>),
                case::<CrossbeamArrayQueue>(throughput_yielding::<CrossbeamArrayQueue>),
            ],
            Scenario::Batch => vec![
                batch_case::<Handoff>(),
                batch_case::<Rtrb>(),
                batch_case::<Ringbuf>(),
            ],
        };
        // The ratio columns compare against the best of `references()`.
        for case in &mut cases {
            case.reference = self.references().contains(&case.name);
        }
        cases
    }

    /// Pingpong compares times with the raw-atomic floor (lower is better);
    /// the others compare speeds (higher is better).
    fn ratio(self) -> Ratio {
        match self {
            Scenario::Pingpong => Ratio::Time,
            Scenario::Throughput | Scenario::ThroughputYielding | Scenario::Batch => Ratio::Speed,
        }
    }
}
