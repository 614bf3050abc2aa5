//! The benchmark harness shared by the bench targets: `spsc` and `mpsc`
//! (criterion), `spsc_compare` and `mpsc_compare` (interleaved rounds of
//! scenarios), and the `*_compare` targets with their own scenarios
//! (`park_compare`, `signal`, `worker_compare`, `write_compare`).
//!
//! The queues, their adapters and the scenarios live in each ring's own
//! module (`benches/spsc_common` for SPSC, `benches/mpsc_common` for MPSC); what
//! is the same for all is here:
//!
//! - [`Scenario`] and [`Case`]: how a ring's module describes its scenarios
//!   and implementations to the harnesses;
//! - [`Backoff`] and [`run_timed`] (in `wait.rs`): the spin-then-yield wait
//!   and the timed start and join of the helper threads, used by the
//!   scenarios themselves;
//! - [`criterion_groups`] and [`criterion_config`]: the criterion targets;
//! - [`compare`]: the interleaved-rounds targets (mode and filters, the round
//!   loop, statistics, the Markdown table, the CPU-load check);
//! - [`mode`]: quick or full mode, and the environment overrides;
//! - [`proc`]: everything read from `/proc` (other processes' CPU load,
//!   threads' context switches, CPU and run-queue time);
//! - [`stats`]: medians, percentiles and ratios; [`table`]: table cells.
//!
//! Each bench target includes this module with `mod harness;` and uses only
//! part of it.

pub mod compare;
pub mod mode;
pub mod proc;
pub mod stats;
pub mod table;
mod wait;

use std::io::Write;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

pub use stats::Ratio;
pub use wait::{run_timed, Backoff, Helper};

/// One benchmark scenario of a ring's module (an enum of them implements
/// this).
pub trait Scenario: Copy + PartialEq + 'static {
    /// All scenarios, in report order.
    const ALL: &'static [Self];

    /// Short name: the criterion group name, and the first part of the
    /// `scenario/implementation` id that filters match.
    fn name(self) -> &'static str;

    /// What one operation is (`"item"`, `"round trip"`).
    fn unit(self) -> &'static str;

    /// Every implementation of this scenario, in a fixed order.
    fn cases(self) -> Vec<Case>;

    /// How the ratio columns compare an implementation with the reference.
    fn ratio(self) -> Ratio;
}

/// One implementation's entry in a scenario.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// Implementation name.
    pub name: &'static str,
    /// Whether this is one of the implementations the ratio columns compare
    /// against: the fastest (by median) of a scenario's reference cases that
    /// ran is the reference.
    pub reference: bool,
    /// Runs the given number of operations, checks the result (panicking if
    /// it is wrong), returns the elapsed time.
    pub run: fn(u64) -> Duration,
}

/// Panics with the report of a scenario whose item `got` should have been
/// `expected`.
#[cold]
#[inline(never)]
pub fn out_of_order(scenario: &str, name: &str, got: u64, expected: u64) -> ! {
    panic!("{scenario}/{name}: received {got}, expected {expected}");
}

/// Criterion benchmarks of every scenario: one group per scenario, named
/// after it, with one benchmark per implementation.
pub fn criterion_groups<S: Scenario>(c: &mut Criterion) {
    for &scenario in S::ALL {
        let mut group = c.benchmark_group(scenario.name());
        // One element per iteration: criterion also prints operations/s.
        group.throughput(Throughput::Elements(1));
        for case in scenario.cases() {
            // `run` spawns the helper thread(s), performs `iters` operations,
            // checks that every item arrived as it should (panicking
            // otherwise) and returns the time.
            group.bench_function(case.name, |b| b.iter_custom(case.run));
        }
        group.finish();
    }
}

/// The criterion configuration: `sample_size` samples, taken in `warm_up` +
/// `measurement` per benchmark (plus criterion's analysis).
pub fn criterion_config(sample_size: usize, warm_up: Duration, measurement: Duration) -> Criterion {
    Criterion::default()
        .sample_size(sample_size)
        .warm_up_time(warm_up)
        .measurement_time(measurement)
}

/// The progress line of a full run: which round is done, and the time so
/// far (overwritten in place on stderr).
pub fn progress(round: usize, rounds: usize, started: Instant) {
    eprint!(
        "\rround {}/{rounds} ({:.0} s)",
        round + 1,
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stderr().flush();
}
