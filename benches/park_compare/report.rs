//! The tables: wake latency, saturation, bursts and push cost.

use std::time::Duration;

use crate::channels::Impl;
use crate::harness::stats::{median, median_of, percentile};
use crate::harness::table::cell;
use crate::measure::Sample;
use crate::BURST;

/// Prints the tables of a run: per channel (in `impls` order) and round,
/// the samples of the wake, saturated and bursts scenarios; per round the
/// push costs (no parker, parker registered, rtrb).
pub fn print(
    impls: &[Impl],
    wake: &[Vec<Sample>],
    sat: &[Vec<Sample>],
    bursts: &[Vec<Sample>],
    cost: &[Vec<f64>; 3],
    gap: Duration,
    rounds: usize,
) {
    // Wake latency.
    let medians: Vec<f64> = wake
        .iter()
        .map(|s| {
            let all: Vec<f64> = s.iter().flat_map(|s| s.latencies.iter().copied()).collect();
            median(&all)
        })
        .collect();
    // The first three rows are handoff's; the rest are the peers.
    let best_peer = medians[3..].iter().copied().fold(f64::INFINITY, f64::min);
    println!("\n### Wake latency of a parked consumer ({gap:?} between messages)\n");
    println!(
        "| implementation | median µs | p99 µs | vs best peer | consumer CPU | switches/msg |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (k, i) in impls.iter().enumerate() {
        let mut all: Vec<f64> = wake[k]
            .iter()
            .flat_map(|s| s.latencies.iter().copied())
            .collect();
        all.sort_by(f64::total_cmp);
        let cpu = median_of(&wake[k], |s| s.consumer_cpu);
        let csw = median_of(&wake[k], |s| s.switches);
        println!(
            "| {} | {:.1} | {:.1} | {:.2} | {:.1} % | {:.2} |",
            i.name,
            medians[k] / 1e3,
            percentile(&all, 0.99) / 1e3,
            medians[k] / best_peer,
            cpu * 100.0,
            csw
        );
    }

    // Saturation.
    println!("\n### Saturated: blocking send and receive as fast as they go\n");
    println!("| implementation | ns/msg | switches/msg | handoff syscalls/msg | wake-ups/msg |");
    println!("|---|---:|---:|---:|---:|");
    for (k, i) in impls.iter().enumerate() {
        let s = &sat[k];
        let ns = median_of(s, |s| s.ns_per_msg);
        let csw = median_of(s, |s| s.switches);
        let (sys, wakes) = (counted(s, |s| s.syscalls), counted(s, |s| s.wakes));
        println!(
            "| {} | {ns:.1} | {csw:.4} | {} | {} |",
            i.name,
            cell(sys, 4),
            cell(wakes, 4)
        );
    }

    // Bursts.
    println!("\n### Bursts of {BURST} every {gap:?}: per burst\n");
    println!("| implementation | switches/burst | handoff syscalls/burst | wake-ups/burst |");
    println!("|---|---:|---:|---:|");
    for (k, i) in impls.iter().enumerate() {
        let s = &bursts[k];
        let csw = median_of(s, |s| s.switches);
        let (sys, wakes) = (counted(s, |s| s.syscalls), counted(s, |s| s.wakes));
        println!(
            "| {} | {csw:.2} | {} | {} |",
            i.name,
            cell(sys, 2),
            cell(wakes, 2)
        );
    }

    // Push cost.
    let without = median(&cost[0]);
    let with = median(&cost[1]);
    let rtrb = median(&cost[2]);
    let paired: Vec<f64> = cost[1].iter().zip(&cost[0]).map(|(w, wo)| w / wo).collect();
    println!("\n### What being wakeable costs a push (spinning halves, saturated)\n");
    println!("| ring | ns/item | vs no parker |");
    println!("|---|---:|---:|");
    println!("| handoff spsc, no parker registered | {without:.2} | 1.00 |");
    println!(
        "| handoff spsc, parker registered (awake) | {with:.2} | {:.2} |",
        median(&paired)
    );
    println!(
        "| rtrb (no wake support) | {rtrb:.2} | {:.2} |",
        rtrb / without
    );
    println!(
        "\n{rounds} round(s), implementations interleaved within each round; medians over \
         rounds (latency percentiles over all messages). \"vs best peer\" divides by the best \
         median of crossbeam-channel, flume, kanal and std. \"switches\" are voluntary context \
         switches of both threads (a thread that sleeps in the kernel switches once); \
         \"handoff syscalls\" are sleeps and wake-ups counted by the parkers of both halves."
    );
}

/// The median over rounds of a number only `handoff` counts (`None` for
/// the peers).
fn counted(samples: &[Sample], field: fn(&Sample) -> Option<f64>) -> Option<f64> {
    field(&samples[0]).map(|_| median(&samples.iter().filter_map(field).collect::<Vec<_>>()))
}
