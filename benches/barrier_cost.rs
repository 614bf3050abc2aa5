//! What a sleep costs when many threads go idle at once, with the
//! asymmetric barrier (`membarrier(PRIVATE_EXPEDITED)` on Linux) and with
//! fences, and what it costs a thread of the process that never touches a
//! ring (a runtime's busy thread).
//!
//! ```text
//! cargo bench --bench barrier_cost          # full run, about a minute
//! ROUNDS=5 cargo bench --bench barrier_cost # fewer rounds
//! cargo test --benches                      # one tiny round (CI)
//! ```
//!
//! Each of `T` threads (1, 2, 8, 32: up to sixteen per core on this
//! 2-core machine) runs a loop of waits on its own [`Parker`] with
//! [`SpinPolicy::SLEEP_AT_ONCE`] whose condition turns true at the re-check
//! after the sleep announcement: each wait is one announcement and one
//! barrier, no futex sleep, so the loop measures what the barrier adds to
//! every sleep. A bystander thread meanwhile counts loop turns; its rate,
//! against its rate alone, is what the barrier's interruptions cost a
//! thread that never sleeps. The barrier is a process-wide choice, so each
//! measurement runs in a child process of its own (this binary, told by
//! `BARRIER_COST_CHILD`), the two barriers interleaved over the rounds;
//! medians are printed.

use std::hint::black_box;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier as StartLine};
use std::thread;
use std::time::{Duration, Instant};

use handoff::park::{self, Barrier, Parker, SpinPolicy};

const THREADS: [usize; 4] = [1, 2, 8, 32];
const CHILD: &str = "BARRIER_COST_CHILD";

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--quick");
    let rounds = if full {
        std::env::var("ROUNDS").map_or(9, |r| r.parse().expect("ROUNDS: a number"))
    } else {
        1
    };
    let window_ms = if full { 200 } else { 20 };
    let exe = std::env::current_exe().expect("this binary's path");
    // [barrier][threads] -> samples of (ns per sleep, bystander rate).
    let mut samples = vec![vec![Vec::new(); THREADS.len()]; 2];
    for _ in 0..rounds {
        for (i, &threads) in THREADS.iter().enumerate() {
            for (b, name) in ["asymmetric", "fences"].iter().enumerate() {
                let out = Command::new(&exe)
                    .env(CHILD, format!("{name}:{threads}:{window_ms}"))
                    .output()
                    .expect("the child runs");
                assert!(out.status.success(), "child failed: {out:?}");
                let text = String::from_utf8(out.stdout).unwrap();
                let mut fields = text.split_whitespace();
                let chosen = fields.next().unwrap().to_owned();
                let ns: f64 = fields.next().unwrap().parse().unwrap();
                let rate: f64 = fields.next().unwrap().parse().unwrap();
                if b == 0 && chosen != "asymmetric" {
                    println!("the asymmetric barrier is unavailable here ({chosen}); its rows use fences");
                }
                samples[b][i].push((ns, rate));
            }
        }
    }
    println!(
        "barrier_cost: {rounds} rounds of {window_ms} ms windows; ns per sleep announcement \
         (median), and a bystander thread's loop rate against its rate alone"
    );
    println!();
    println!("| threads going idle | membarrier ns/sleep | fences ns/sleep | membarrier ÷ fences | bystander, membarrier | bystander, fences |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for (i, threads) in THREADS.iter().enumerate() {
        let ns = |b: usize| median(samples[b][i].iter().map(|s| s.0).collect());
        let rate = |b: usize| median(samples[b][i].iter().map(|s| s.1).collect());
        println!(
            "| {threads} | {:.0} | {:.0} | {:.1} | {:.2} | {:.2} |",
            ns(0),
            ns(1),
            ns(0) / ns(1),
            rate(0),
            rate(1)
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// One measurement: `barrier:threads:window_ms`. Prints the barrier in
/// use, the nanoseconds per sleep announcement and the bystander's rate
/// relative to its rate alone.
fn child(spec: &str) {
    let mut parts = spec.split(':');
    let barrier = parts.next().unwrap();
    let threads: usize = parts.next().unwrap().parse().unwrap();
    let window = Duration::from_millis(parts.next().unwrap().parse().unwrap());
    let choice = if barrier == "fences" {
        Barrier::Fences
    } else {
        Barrier::Asymmetric
    };
    // Unsupported leaves fences in place; the parent reports it.
    let _ = park::set_barrier(choice);
    let alone = bystander_rate(window, None);
    let stop = Arc::new(AtomicBool::new(false));
    let sleeps = Arc::new(AtomicU64::new(0));
    let start = Arc::new(StartLine::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, sleeps, start) = (stop.clone(), sleeps.clone(), start.clone());
            thread::spawn(move || {
                let mut parker = Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE);
                let mut n = 0u64;
                start.wait();
                while !stop.load(Relaxed) {
                    // False at the first check, true at the re-check after
                    // the announcement and its barrier: no futex sleep.
                    let mut checks = 0;
                    parker.wait(|| {
                        checks += 1;
                        (checks == 2).then_some(())
                    });
                    n += 1;
                }
                sleeps.fetch_add(n, Relaxed);
            })
        })
        .collect();
    start.wait();
    let begun = Instant::now();
    let busy = bystander_rate(window, Some(&stop));
    let elapsed = begun.elapsed();
    for w in workers {
        w.join().unwrap();
    }
    let total = sleeps.load(Relaxed).max(1);
    // Each thread's sleeps take its share of the elapsed time: ns per
    // sleep per thread.
    let ns = elapsed.as_nanos() as f64 * threads as f64 / total as f64;
    let used = if park::barrier() == Barrier::Asymmetric {
        "asymmetric"
    } else {
        "fences"
    };
    println!("{used} {ns:.1} {:.3}", busy / alone);
}

/// Loop turns per millisecond of a thread that only counts, for `window`;
/// sets `stop` at the end.
fn bystander_rate(window: Duration, stop: Option<&AtomicBool>) -> f64 {
    let begun = Instant::now();
    let mut turns = 0u64;
    while begun.elapsed() < window {
        for _ in 0..1000 {
            turns = black_box(turns + 1);
        }
    }
    if let Some(stop) = stop {
        stop.store(true, Relaxed);
    }
    turns as f64 / begun.elapsed().as_secs_f64() / 1000.0
}
