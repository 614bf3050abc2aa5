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
//! `benches/spsc_common/`; each reports time per operation (a round trip or
//! an item). For interleaved runs with medians and ratios in one table, see
//! `benches/spsc_compare.rs`.

// Each bench target uses only part of the shared code.
#[allow(dead_code)]
mod harness;
#[allow(dead_code)]
mod spsc_common;

use std::time::Duration;

// One group per scenario, one benchmark per implementation (see
// `harness::criterion_groups`).
criterion::criterion_group! {
    name = benches;
    // 12 benchmarks x (1 s warm-up + 3 s measurement + analysis): about a
    // minute in total.
    config = harness::criterion_config(20, Duration::from_secs(1), Duration::from_secs(3));
    targets = harness::criterion_groups::<spsc_common::Scenario>
}

criterion::criterion_main!(benches);
