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

// Each bench target uses only part of the shared code.
#[allow(dead_code)]
mod harness;
#[allow(dead_code)]
mod mpsc_common;

use std::time::Duration;

// One group per scenario, one benchmark per implementation (see
// `harness::criterion_groups`).
criterion::criterion_group! {
    name = benches;
    // 23 benchmarks x (0.5 s warm-up + 2 s measurement + analysis): about
    // 1.5 minutes in total.
    config = harness::criterion_config(10, Duration::from_millis(500), Duration::from_secs(2));
    targets = harness::criterion_groups::<mpsc_common::Scenario>
}

criterion::criterion_main!(benches);
