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

// The benchmark dependencies are not built under loom or Miri. Each bench
// target uses only part of the shared code.
#[cfg(not(any(loom, miri)))]
#[allow(dead_code)]
mod common;
#[cfg(not(any(loom, miri)))]
#[allow(dead_code)]
mod harness;

#[cfg(not(any(loom, miri)))]
use std::time::Duration;

// One group per scenario, one benchmark per implementation (see
// `harness::criterion_groups`).
#[cfg(not(any(loom, miri)))]
criterion::criterion_group! {
    name = benches;
    // 12 benchmarks x (1 s warm-up + 3 s measurement + analysis): about a
    // minute in total.
    config = harness::criterion_config(20, Duration::from_secs(1), Duration::from_secs(3));
    targets = harness::criterion_groups::<common::Scenario>
}

#[cfg(not(any(loom, miri)))]
criterion::criterion_main!(benches);

#[cfg(any(loom, miri))]
fn main() {}
