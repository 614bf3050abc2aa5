//! What waking costs: `handoff`'s parking layer against crossbeam-channel,
//! flume, kanal and `std::sync::mpsc`, interleaved in one run, printed as
//! Markdown tables.
//!
//! ```text
//! cargo bench --bench park_compare              # full run, about a minute
//! ROUNDS=5 cargo bench --bench park_compare     # fewer rounds
//! cargo bench --bench park_compare -- --quick   # 1 round, tiny counts
//! cargo test --benches                          # quick mode too
//! SPIN=0,0 cargo bench --bench park_compare     # handoff spsc: SpinPolicy::new(0, 0)
//! ```
//!
//! Other overrides: `GAP_US` (default 200), `WAKE`, `SATURATED`, `BURSTS`,
//! `PUSHES` (messages, bursts or items per measurement).
//!
//! Scenarios (every implementation a bounded channel of 1024, blocking send
//! and blocking receive, one producer thread and one consumer thread):
//!
//! - **wake**: the producer sends one message every `GAP_US` (200 µs, a
//!   `thread::sleep`), so the consumer has gone to sleep each time; the
//!   message carries its send time, and the latency is receive time minus
//!   send time. Median and p99 over all messages of all rounds, and the
//!   consumer thread's CPU use (thread CPU time / wall time, median over
//!   rounds).
//! - **saturated**: the producer sends as fast as it can; nanoseconds per
//!   message, and voluntary context switches of both threads per message
//!   (from `/proc/thread-self/status`: a thread that blocks in the kernel
//!   switches once), plus for `handoff` its own count of system calls
//!   (sleeps and wake-ups, both halves) per message.
//! - **bursts**: bursts of 16 messages every `GAP_US`; context switches
//!   and, for `handoff`, wake-ups per burst.
//!
//! `handoff spsc` runs the default, adaptive spin policy; `fixed spin
//! (6, 4)` spins and yields before every sleep (the default before it
//! adapted), `SLEEP_AT_ONCE` never: the two sides of the trade-off it
//! makes.
//! - **push cost**: `handoff::spsc` at saturation with spinning (not
//!   blocking) halves, with and without a parker registered on the
//!   consumer side, and rtrb for scale: what being wakeable costs a push.

#[allow(dead_code, unused_imports)] // This target uses only part of the harness.
#[path = "../harness/mod.rs"]
mod harness;

mod channels;
mod measure;
mod push_cost;
mod report;

use std::time::Duration;

use channels::impls;
use harness::mode::{self, env_u64};
use measure::Sample;
use push_cost::{push_cost_handoff, push_cost_rtrb};

/// Every channel's capacity.
pub const CAPACITY: usize = 1024;
/// Messages per burst.
pub const BURST: u64 = 16;

fn main() {
    let quick = mode::quick();
    let rounds = if quick { 1 } else { env_u64("ROUNDS", 11) } as usize;
    let gap = Duration::from_micros(env_u64("GAP_US", 200));
    let (n_wake, n_sat, n_burst, n_cost) = if quick {
        (20, 20_000, 20 * BURST, 20_000)
    } else {
        (
            env_u64("WAKE", 500),
            env_u64("SATURATED", 1_000_000),
            env_u64("BURSTS", 300) * BURST,
            env_u64("PUSHES", 5_000_000),
        )
    };
    eprintln!(
        "park_compare: {rounds} round(s); wake: {n_wake} messages {gap:?} apart; \
         saturated: {n_sat} messages; bursts: {} of {BURST}; push cost: {n_cost} items; \
         fence-free pushes: {}",
        n_burst / BURST,
        handoff::park::fence_free_push()
    );
    let impls = impls();
    let mut wake: Vec<Vec<Sample>> = impls.iter().map(|_| Vec::new()).collect();
    let mut sat: Vec<Vec<Sample>> = impls.iter().map(|_| Vec::new()).collect();
    let mut bursts: Vec<Vec<Sample>> = impls.iter().map(|_| Vec::new()).collect();
    let mut cost: [Vec<f64>; 3] = Default::default();
    // One untimed warm-up round of the cheap scenarios.
    for i in &impls {
        (i.run)(n_sat.min(20_000), 1, Duration::ZERO);
    }
    for round in 0..rounds {
        for (k, i) in impls.iter().enumerate() {
            wake[k].push((i.run)(n_wake, 1, gap));
            sat[k].push((i.run)(n_sat, 1, Duration::ZERO));
            bursts[k].push((i.run)(n_burst, BURST, gap));
        }
        // Alternate which goes first, so neither always runs right
        // after the blocking scenarios.
        if round % 2 == 0 {
            cost[0].push(push_cost_handoff(n_cost, false));
            cost[1].push(push_cost_handoff(n_cost, true));
        } else {
            cost[1].push(push_cost_handoff(n_cost, true));
            cost[0].push(push_cost_handoff(n_cost, false));
        }
        cost[2].push(push_cost_rtrb(n_cost));
        eprint!("\rround {}/{rounds}", round + 1);
    }
    eprintln!();

    report::print(&impls, &wake, &sat, &bursts, &cost, gap, rounds);
}
