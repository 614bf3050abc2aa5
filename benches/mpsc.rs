//! Criterion benchmarks: `handoff::mpsc` next to crossbeam's `ArrayQueue`,
//! concurrent-queue, crossbeam-channel, kanal, flume and std's
//! `sync_channel`.
//!
//! ```text
//! cargo bench --bench mpsc                 # all groups, about 1.5 minutes
//! cargo bench --bench mpsc -- roundtrip    # one group
//! cargo test --benches                     # run each benchmark once
//! ```
//!
//! Groups (`mpsc2`, `mpsc1`, `roundtrip`) are described in
//! `benches/mpsc_common/mod.rs`; each reports time per operation (an item or
//! a round trip). For interleaved runs with medians and ratios in one table,
//! see `benches/mpsc_compare.rs`.

// The benchmark dependencies are not built under loom or Miri.
#[cfg(not(any(loom, miri)))]
#[allow(dead_code)] // Each bench target uses only part of the shared code.
mod mpsc_common;

#[cfg(not(any(loom, miri)))]
mod criterion_benches {
    use std::time::Duration;

    use criterion::{criterion_group, Criterion, Throughput};

    use crate::mpsc_common::Scenario;

    fn scenario(c: &mut Criterion, scenario: Scenario) {
        let mut group = c.benchmark_group(scenario.name());
        // One element per iteration: criterion also prints operations/s.
        group.throughput(Throughput::Elements(1));
        for case in scenario.cases() {
            // `run` spawns the helper threads, performs `iters` operations,
            // asserts that every item arrived exactly once and in its
            // producer's order, and returns the time.
            group.bench_function(case.name, |b| b.iter_custom(case.run));
        }
        group.finish();
    }

    fn all(c: &mut Criterion) {
        for s in Scenario::ALL {
            scenario(c, s);
        }
    }

    fn config() -> Criterion {
        // 23 benchmarks x (0.5 s warm-up + 2 s measurement + analysis): about
        // 1.5 minutes in total.
        Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
    }

    criterion_group! {
        name = benches;
        config = config();
        targets = all
    }
}

#[cfg(not(any(loom, miri)))]
criterion::criterion_main!(criterion_benches::benches);

#[cfg(any(loom, miri))]
fn main() {}
