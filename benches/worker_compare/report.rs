//! The tables: saturation, low-rate latency, the goals and the footnote.

use std::time::{Duration, Instant};

use crate::harness::stats::{median, median_of as med, percentile};
use crate::harness::table::{cell, yes_no};
use crate::latency::Latency;
use crate::saturation::Saturation;

/// What one `Instant::now()` costs here, in nanoseconds: both pipelines
/// read the clock twice per request at saturation, which on a virtual machine
/// can be a large part of the pipeline's cost.
fn clock_read_ns() -> f64 {
    let n = 1_000_000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(Instant::now());
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

/// Median over rounds of `field(reference[i]) / field(samples[i])`: a
/// ratio taken per round, which cancels slow drifts of the machine.
fn paired(samples: &[Saturation], reference: &[Saturation], field: fn(&Saturation) -> f64) -> f64 {
    let per_round: Vec<f64> = samples
        .iter()
        .zip(reference)
        .map(|(s, r)| field(r) / field(s))
        .collect();
    median(&per_round)
}

/// What a saturation table says about `handoff` against crossbeam.
struct Verdict {
    /// Crossbeam's time per request over handoff's (paired).
    speedup: f64,
    /// Crossbeam's CPU time per request over handoff's (paired).
    cpu_saving: f64,
    /// handoff's system calls per request (median).
    syscalls: f64,
}

/// A saturation table (one shape).
fn print_saturation(title: &str, handoff: &[Saturation], crossbeam: &[Saturation]) -> Verdict {
    println!("\n### {title}\n");
    println!(
        "| implementation | ns/request | requests/s | speed vs crossbeam (paired) | \
         CPU ns/request | CPU vs crossbeam (paired) | waiting for a CPU, ns/request | \
         handoff syscalls/request | voluntary switches/request | involuntary switches/request |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let verdict = Verdict {
        speedup: paired(handoff, crossbeam, |s| s.ns_per_request),
        cpu_saving: paired(handoff, crossbeam, |s| s.cpu_ns),
        syscalls: med(handoff, |s| s.syscalls.unwrap_or(f64::NAN)),
    };
    for (name, samples, speed, cpu) in [
        (
            "handoff::worker",
            handoff,
            verdict.speedup,
            verdict.cpu_saving,
        ),
        ("crossbeam-channel", crossbeam, 1.0, 1.0),
    ] {
        let ns = med(samples, |s| s.ns_per_request);
        let sys = samples[0]
            .syscalls
            .map(|_| med(samples, |s| s.syscalls.unwrap_or(f64::NAN)));
        println!(
            "| {name} | {ns:.1} | {:.2} M | {speed:.2}× | {:.1} | {cpu:.2}× | {:.1} | {} | {:.4} | {:.4} |",
            1e3 / ns,
            med(samples, |s| s.cpu_ns),
            med(samples, |s| s.wait_ns),
            cell(sys, 4),
            med(samples, |s| s.voluntary),
            med(samples, |s| s.involuntary),
        );
    }
    verdict
}

/// Prints the tables of a run: `sat` holds handoff 1 × 1, crossbeam
/// 1 × 1, handoff 2 × 2 and crossbeam 2 × 2, `lat` handoff threaded,
/// inline and crossbeam, one sample per round each.
pub fn print(
    sat: &[Vec<Saturation>; 4],
    lat: &[Vec<Latency>; 3],
    window: usize,
    gap: Duration,
    rounds: usize,
) {
    let one = print_saturation(
        &format!("Saturation: 1 network thread × 1 worker, window {window}"),
        &sat[0],
        &sat[1],
    );
    let two = print_saturation(
        &format!("Saturation: 2 network threads × 2 workers, window {window} each"),
        &sat[2],
        &sat[3],
    );

    println!("\n### Low-rate latency: one request every {gap:?}, enqueue → reply\n");
    println!(
        "| implementation | median µs | p99 µs | vs handoff threaded | vs crossbeam | \
         handoff syscalls/request |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let all: Vec<Vec<f64>> = lat
        .iter()
        .map(|samples| {
            let mut all: Vec<f64> = samples.iter().flat_map(|s| s.ns.iter().copied()).collect();
            all.sort_by(f64::total_cmp);
            all
        })
        .collect();
    let medians: Vec<f64> = all.iter().map(|a| percentile(a, 0.5)).collect();
    let names = [
        "handoff::worker threaded (1 × 1)",
        "handoff::worker inline (1 × 0)",
        "crossbeam-channel (1 × 1)",
    ];
    for k in 0..3 {
        let sys = lat[k][0]
            .syscalls
            .map(|_| med(&lat[k], |s| s.syscalls.unwrap_or(f64::NAN)));
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            names[k],
            medians[k] / 1e3,
            percentile(&all[k], 0.99) / 1e3,
            medians[k] / medians[0],
            medians[k] / medians[2],
            cell(sys, 2),
        );
    }
    let inline_ratio = medians[1] / medians[0];
    let clock = clock_read_ns();

    println!("\n### Goals\n");
    println!("| goal | measured | met |");
    println!("|---|---:|:-:|");
    for (shape, v) in [("1 × 1", &one), ("2 × 2", &two)] {
        println!(
            "| throughput ≥ 2× crossbeam-channel at saturation, {shape} | {:.2}× | {} |",
            v.speedup,
            yes_no(v.speedup >= 2.0)
        );
    }
    for (shape, v) in [("1 × 1", &one), ("2 × 2", &two)] {
        println!(
            "| ≤ 0.01 system calls per request at saturation, {shape} | {:.4} | {} |",
            v.syscalls,
            yes_no(v.syscalls <= 0.01)
        );
    }
    println!(
        "| inline latency ≤ 0.5× threaded (medians) | {inline_ratio:.3}× | {} |",
        yes_no(inline_ratio <= 0.5)
    );
    for (shape, v) in [("1 × 1", &one), ("2 × 2", &two)] {
        println!(
            "| (no goal) CPU time per request, crossbeam-channel's over handoff's, {shape} | \
             {:.2}× | – |",
            v.cpu_saving
        );
    }

    println!(
        "\n{rounds} round(s), implementations interleaved within each round (the order \
         alternating between rounds); medians over rounds, latency percentiles over all \
         requests of all rounds. \"speed vs crossbeam\" is crossbeam's time over handoff's, \
         taken per round; \"CPU vs crossbeam\" likewise with the CPU time of all the \
         process's threads, and \"waiting for a CPU\" is the time they were runnable but \
         not running (both from /proc/self/task/*/schedstat): when other processes take \
         cores, the pipeline's threads share what is left and its throughput follows its \
         CPU time per request. \"handoff syscalls\" are the sleeps and wake-ups counted by the \
         workers' and the network threads' parkers (a handful per measurement come from \
         starting and stopping the pool); \"switches\" are the context switches of all \
         the process's threads while the network threads ran (a thread that sleeps in the \
         kernel switches voluntarily once; a yield or a preemption is involuntary). \
         Instant::now() costs {clock:.1} ns on this machine: both pipelines read the clock \
         twice per request at saturation (the enqueue stamp, and the end of the service, \
         which is the next request's start while the worker is busy), \
         {:.0} ns of clock reads per request, in a pipeline (1 × 1, both threads busy) that \
         passes a request every {:.0} ns.",
        2.0 * clock,
        med(&sat[0], |s| s.ns_per_request),
    );
}
