//! Criterion benchmarks: `handoff::spsc` next to rtrb, ringbuf, crossbeam's
//! `ArrayQueue` and (for `pingpong`) a raw-atomic floor.
//!
//! ```text
//! cargo bench --bench spsc                 # all groups, about a minute
//! cargo bench --bench spsc -- pingpong     # one group
//! cargo test --benches                     # run each benchmark once
//! ```
//!
//! Groups (`pingpong`, `throughput`, `batch`) are described in
//! `benches/common/mod.rs`; each reports time per operation (a round trip or
//! an item). For interleaved runs with medians and ratios in one table, see
//! `benches/spsc_compare.rs`.

// The benchmark dependencies are not built under loom or Miri.
#[cfg(not(any(loom, miri)))]
#[allow(dead_code)] // Each bench target uses only part of the shared code.
mod common;

#[cfg(not(any(loom, miri)))]
mod criterion_benches {
    use std::time::Duration;

    use criterion::{criterion_group, Criterion, Throughput};

    use crate::common::Scenario;

    fn scenario(c: &mut Criterion, scenario: Scenario) {
        let mut group = c.benchmark_group(scenario.name());
        // One element per iteration: criterion also prints operations/s.
        group.throughput(Throughput::Elements(1));
        for case in scenario.cases() {
            // `run` spawns the helper thread, performs `iters` operations,
            // asserts that every item arrived in order and returns the time.
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
        // 12 benchmarks x (1 s warm-up + 3 s measurement + analysis): about
        // a minute in total.
        Criterion::default()
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
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
