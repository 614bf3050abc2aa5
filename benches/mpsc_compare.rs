//! Interleaved comparison of `handoff::mpsc` with crossbeam's `ArrayQueue`,
//! concurrent-queue, crossbeam-channel, kanal, flume and std's
//! `sync_channel`, printed as a Markdown table.
//!
//! ```text
//! cargo bench --bench mpsc_compare                     # full run, ~2 minutes
//! ROUNDS=11 cargo bench --bench mpsc_compare           # fewer rounds
//! cargo bench --bench mpsc_compare -- mpsc2            # only matching cases
//! cargo bench --bench mpsc_compare -- --quick          # 1 round, tiny counts
//! QUICK=1 cargo bench --bench mpsc_compare             # same
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
//! for the full mode: `ROUNDS` (default 21), `MPSC2`, `MPSC1` (items per
//! measurement) and `ROUNDTRIP` (round trips per measurement). Any other
//! non-flag argument is a filter: only cases whose `scenario/implementation`
//! contains it run.

#[allow(dead_code)] // Each bench target uses only part of the shared code.
mod harness;
mod mpsc_common;

fn main() {
    use harness::compare::{Compare, Count};
    use mpsc_common::{Scenario, BATCH, CAPACITY, ROUNDTRIP_CAPACITY, SPINS_BEFORE_YIELD};

    Compare {
        bench: "mpsc_compare",
        default_rounds: 21,
        // Full mode: on a quiet 2-core machine each measurement takes about
        // 30 ms-1 s (kanal is the slow one) and a round about 5 s (under 2
        // minutes for 21 rounds).
        counts: vec![
            Count {
                scenario: Scenario::Mpsc2,
                var: "MPSC2",
                full: 3_000_000,
                quick: 20_000,
            },
            Count {
                scenario: Scenario::Mpsc1,
                var: "MPSC1",
                full: 3_000_000,
                quick: 20_000,
            },
            Count {
                scenario: Scenario::Roundtrip,
                var: "ROUNDTRIP",
                full: 500_000,
                quick: 1_000,
            },
        ],
        describe: |counts| {
            format!(
                "mpsc2 {} items (2 producers), mpsc1 {} items (1 producer), capacity \
                 {CAPACITY}; roundtrip {} round trips (capacity {ROUNDTRIP_CAPACITY}); batch \
                 pop up to {BATCH} per call; waits spin {SPINS_BEFORE_YIELD} times, then yield",
                counts.get(Scenario::Mpsc2),
                counts.get(Scenario::Mpsc1),
                counts.get(Scenario::Roundtrip),
            )
        },
        ratio_column: "ratio vs best peer",
        decimals: 1,
        summary: true,
        footnote: format!(
            "mpsc2: 2 producer threads, 1 consumer (3 threads on the machine's cores); mpsc1: \
             1 producer, 1 consumer; roundtrip: one item there and back over two queues. ratio \
             vs best peer: the median of the fastest peer (all but handoff) / this median, \
             i.e. speed relative to the best peer, higher is better (the best peer is 1.00). \
             paired ratio: the same ratio taken per round, then the median over rounds. The \
             batch-pop row pops up to {BATCH} items per call and is compared with the \
             one-at-a-time peers: the like-for-like row is `handoff`."
        ),
        disturbed: "waiting threads lose their core more often",
    }
    .run();
}
