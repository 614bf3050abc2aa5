//! Interleaved comparison of `handoff::spsc` with rtrb, ringbuf, crossbeam's
//! `ArrayQueue` and a raw-atomic floor, printed as a Markdown table.
//!
//! ```text
//! cargo bench --bench spsc_compare                     # full run, ~1 minute
//! ROUNDS=11 cargo bench --bench spsc_compare           # fewer rounds
//! cargo bench --bench spsc_compare -- batch            # only matching cases
//! cargo bench --bench spsc_compare -- --quick          # 1 round, tiny counts
//! QUICK=1 cargo bench --bench spsc_compare             # same
//! cargo test --benches                                 # quick mode too
//! ```
//!
//! Each round measures every scenario for every implementation once, in a
//! fixed order (A B C D A B C D ...), so slow drifts of the machine (clock
//! frequency, other load) hit all implementations alike instead of whichever
//! happened to run during them. One untimed warm-up round comes first.
//!
//! The full mode runs only when cargo passes `--bench` (`cargo bench`); without
//! it (`cargo test --benches` passes no flag), with `--test`, with `--quick`
//! or with `QUICK=1` it runs one round with tiny counts. Environment overrides
//! for the full mode: `ROUNDS` (default 31), `PINGPONG`, `THROUGHPUT` and
//! `BATCH` (operations per measurement). Any other non-flag argument is a
//! filter: only cases whose `scenario/implementation` contains it run.

#[allow(dead_code)] // Each bench target uses only part of the shared code.
mod harness;
mod spsc_common;

fn main() {
    use harness::compare::{Compare, Count};
    use spsc_common::{Scenario, BATCH, CAPACITY, PINGPONG_CAPACITY};

    Compare {
        bench: "spsc_compare",
        default_rounds: 31,
        // Full mode: on a quiet 2-core machine each measurement takes about
        // 20-300 ms and a round about a second (~35 s for 31 rounds).
        counts: vec![
            Count {
                scenario: Scenario::Pingpong,
                var: "PINGPONG",
                full: 1_000_000,
                quick: 1_000,
            },
            Count {
                scenario: Scenario::Throughput,
                var: "THROUGHPUT",
                full: 10_000_000,
                quick: 20_000,
            },
            Count {
                scenario: Scenario::ThroughputYielding,
                var: "THROUGHPUT",
                full: 10_000_000,
                quick: 20_000,
            },
            Count {
                scenario: Scenario::Batch,
                var: "BATCH",
                full: 50_000_000,
                quick: 100_000,
            },
        ],
        describe: |counts| {
            format!(
                "pingpong {} round trips (capacity {PINGPONG_CAPACITY}), throughput {} items \
                 (capacity {CAPACITY}; spinning, and yielding after 64 spins), batch {} items \
                 (capacity {CAPACITY}, {BATCH} per call)",
                counts.get(Scenario::Pingpong),
                counts.get(Scenario::Throughput),
                counts.get(Scenario::Batch),
            )
        },
        ratio_column: "ratio",
        decimals: 2,
        summary: false,
        footnote: "ratio: pingpong = median / raw-atomic floor's median (lower is better, 1.00 \
                   is the floor); throughput, throughput-yield = rtrb's median / this median (items/s relative \
                   to rtrb, higher is better); batch = median of the better of rtrb and \
                   ringbuf slices / this median (higher is better). paired ratio: the same \
                   ratio taken per round, then the median over rounds."
            .into(),
        disturbed: "spinning threads lose their core",
    }
    .run();
}
