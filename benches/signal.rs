//! What raising a signal costs, against a bare `AtomicU64::fetch_or`, and
//! what taking the signals of k requests costs, interleaved over rounds,
//! printed as Markdown tables.
//!
//! ```text
//! cargo bench --bench signal              # full run, about 20 s
//! ROUNDS=5 cargo bench --bench signal     # fewer rounds
//! cargo bench --bench signal -- --quick   # 1 round, tiny counts
//! cargo test --benches                    # quick mode too
//! ```
//!
//! - **uncontended**: one thread raises an action and takes it back
//!   (`raise` + `Signals::take`), against `fetch_or` + `fetch_and` of one
//!   bit on an `AtomicU64` (the floor); also `raise` + `Signals::pop`, the
//!   path of a slot's first action (its index goes through the queue).
//! - **stale**: `raise` with a retired ticket, against one `fetch_or`.
//! - **contended**: two threads raise different actions on one request
//!   while a third takes them, against two threads `fetch_or`-ing
//!   different bits of one word while a third clears them.
//! - **take k**: raise on k requests of a table, then take them all with
//!   `pop`: nanoseconds per signalled request, for k from 1 to 4096 and
//!   tables of 64 and 4096 slots (constant per request: nothing scans).

#[allow(dead_code, unused_imports)] // This target uses only part of the harness.
mod harness;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use handoff::signal::{self, Action, Actions, Raised};

use harness::mode::{self, env_u64};
use harness::stats::median;

fn floor_pair(n: u64) -> f64 {
    let word = AtomicU64::new(0);
    let start = Instant::now();
    for _ in 0..n {
        black_box(word.fetch_or(1, Ordering::Release));
        black_box(word.fetch_and(!1, Ordering::Acquire));
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn floor_single(n: u64) -> f64 {
    let word = AtomicU64::new(0);
    let start = Instant::now();
    for i in 0..n {
        black_box(word.fetch_or(1 << (i & 7), Ordering::Release));
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn raise_take(n: u64) -> f64 {
    let (table, mut signals) = signal::table(64).unwrap();
    let t = table.claim().unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let r = table.raise(black_box(t), Action::Cancel);
        debug_assert_eq!(r, Raised::Delivered);
        let _ = black_box(r);
        black_box(signals.take(t));
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    assert_eq!(table.raise(t, Action::Cancel), Raised::Delivered);
    assert_eq!(signals.take(t), Actions::from(Action::Cancel));
    ns
}

fn raise_pop(n: u64) -> f64 {
    let (table, mut signals) = signal::table(64).unwrap();
    let t = table.claim().unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let _ = black_box(table.raise(black_box(t), Action::Cancel));
        black_box(signals.pop());
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    assert_eq!(table.raise(t, Action::Dup), Raised::Delivered);
    assert_eq!(signals.pop(), Some((t, Actions::from(Action::Dup))));
    ns
}

fn stale(n: u64) -> f64 {
    let (table, _signals) = signal::table(64).unwrap();
    let t = table.claim().unwrap();
    table.retire(t).unwrap();
    let _live = table.claim().unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let r = table.raise(black_box(t), Action::Cancel);
        debug_assert_eq!(r, Raised::Stale);
        let _ = black_box(r);
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    assert_eq!(table.raise(t, Action::Cancel), Raised::Stale);
    ns
}

/// Two raisers, one clearer: ns per raise attempt.
fn contended_raise(n: u64) -> f64 {
    let (table, mut signals) = signal::table(64).unwrap();
    let t = table.claim().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let raisers: Vec<_> = [Action::Cancel, Action::Dup]
        .into_iter()
        .map(|a| {
            let table = table.clone();
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let start = Instant::now();
                let mut delivered = 0u64;
                for _ in 0..n {
                    delivered += u64::from(table.raise(t, a) == Raised::Delivered);
                }
                stop.store(true, Ordering::Release);
                (start.elapsed().as_nanos() as f64 / n as f64, delivered)
            })
        })
        .collect();
    let mut taken = 0u64;
    while !stop.load(Ordering::Acquire) {
        taken += signals.take(t).len() as u64;
    }
    let results: Vec<_> = raisers.into_iter().map(|r| r.join().unwrap()).collect();
    taken += signals.take(t).len() as u64;
    taken += table.retire(t).unwrap().len() as u64;
    let delivered: u64 = results.iter().map(|r| r.1).sum();
    assert_eq!(taken, delivered, "every delivered action taken once");
    results.iter().map(|r| r.0).sum::<f64>() / 2.0
}

fn contended_floor(n: u64) -> f64 {
    let word = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let raisers: Vec<_> = [1u64, 2]
        .into_iter()
        .map(|bit| {
            let word = Arc::clone(&word);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let start = Instant::now();
                for _ in 0..n {
                    black_box(word.fetch_or(bit, Ordering::Release));
                }
                stop.store(true, Ordering::Release);
                start.elapsed().as_nanos() as f64 / n as f64
            })
        })
        .collect();
    while !stop.load(Ordering::Acquire) {
        black_box(word.fetch_and(0, Ordering::Acquire));
    }
    raisers.into_iter().map(|r| r.join().unwrap()).sum::<f64>() / 2.0
}

/// Raise on `k` requests of a table of `size`, then take them all with
/// `pop`: ns per request taken.
fn take_k(size: usize, k: usize, reps: u64) -> f64 {
    let (table, mut signals) = signal::table(size).unwrap();
    let tickets: Vec<_> = (0..size).map(|_| table.claim().unwrap()).collect();
    // Spread the k requests over the table.
    let chosen: Vec<_> = (0..k).map(|i| tickets[i * size / k]).collect();
    let mut total = 0.0;
    for _ in 0..reps {
        for &t in &chosen {
            let _ = table.raise(t, Action::Timeout);
        }
        let start = Instant::now();
        let mut n = 0;
        while let Some((_, a)) = signals.pop() {
            debug_assert!(a.contains(Action::Timeout));
            n += 1;
        }
        total += start.elapsed().as_nanos() as f64;
        assert_eq!(n, k);
    }
    total / (reps as f64 * k as f64)
}

fn main() {
    let quick = mode::quick();
    let rounds = if quick { 1 } else { env_u64("ROUNDS", 21) } as usize;
    let n = if quick {
        10_000
    } else {
        env_u64("RAISES", 5_000_000)
    };
    let reps = if quick { 2 } else { 200 };
    eprintln!("signal: {rounds} round(s) of {n} operations");

    type Case = (&'static str, fn(u64) -> f64);
    let single: [Case; 5] = [
        ("fetch_or + fetch_and (floor)", floor_pair),
        ("raise + take", raise_take),
        ("raise + pop (first action: through the queue)", raise_pop),
        ("fetch_or (floor)", floor_single),
        ("raise, stale ticket", stale),
    ];
    let contended: [Case; 2] = [
        ("fetch_or, two threads + a clearer (floor)", contended_floor),
        ("raise, two threads + a taker", contended_raise),
    ];
    let ks = [
        (64, 1),
        (64, 16),
        (64, 64),
        (4096, 1),
        (4096, 16),
        (4096, 256),
        (4096, 4096),
    ];
    let mut single_ns: Vec<Vec<f64>> = vec![Vec::new(); single.len()];
    let mut cont_ns: Vec<Vec<f64>> = vec![Vec::new(); contended.len()];
    let mut k_ns: Vec<Vec<f64>> = vec![Vec::new(); ks.len()];
    for round in 0..rounds {
        for (i, (_, f)) in single.iter().enumerate() {
            single_ns[i].push(f(n));
        }
        for (i, (_, f)) in contended.iter().enumerate() {
            cont_ns[i].push(f(n / 4));
        }
        for (i, &(size, k)) in ks.iter().enumerate() {
            k_ns[i].push(take_k(size, k, reps));
        }
        eprint!("\rround {}/{rounds}", round + 1);
    }
    eprintln!();

    let paired =
        |a: &[f64], b: &[f64]| median(&a.iter().zip(b).map(|(x, y)| x / y).collect::<Vec<_>>());
    println!("\n### Raising a signal (ns per operation)\n");
    println!("| operation | median ns | vs floor (paired) |");
    println!("|---|---:|---:|");
    for (i, (name, _)) in single.iter().enumerate() {
        let floor = if i < 3 { 0 } else { 3 };
        println!(
            "| {name} | {:.2} | {:.2} |",
            median(&single_ns[i]),
            paired(&single_ns[i], &single_ns[floor])
        );
    }
    for (i, (name, _)) in contended.iter().enumerate() {
        println!(
            "| {name} | {:.2} | {:.2} |",
            median(&cont_ns[i]),
            paired(&cont_ns[i], &cont_ns[0])
        );
    }
    println!("\n### Taking the signals of k requests with `pop` (ns per request)\n");
    println!("| table size | k | median ns per request |");
    println!("|---:|---:|---:|");
    for (i, &(size, k)) in ks.iter().enumerate() {
        println!("| {size} | {k} | {:.2} |", median(&k_ns[i]));
    }
    println!(
        "\n{rounds} round(s), cases interleaved within each round; medians over rounds, \
         ratios paired per round. The raise + take and raise + pop rows are compared with \
         fetch_or + fetch_and, the stale row with one fetch_or, the contended rows with \
         their own floor."
    );
}
