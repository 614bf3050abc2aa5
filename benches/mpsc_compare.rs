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

// The benchmark dependencies are not built under loom or Miri.
#[cfg(not(any(loom, miri)))]
mod mpsc_common;

#[cfg(not(any(loom, miri)))]
fn main() {
    compare::main();
}

#[cfg(any(loom, miri))]
fn main() {}

#[cfg(not(any(loom, miri)))]
mod compare {
    use std::env;
    use std::io::Write as _;
    use std::time::Instant;

    use crate::mpsc_common::{
        Case, Scenario, BATCH, CAPACITY, ROUNDTRIP_CAPACITY, SPINS_BEFORE_YIELD,
    };

    const DEFAULT_ROUNDS: usize = 21;

    /// Operations per measurement, per scenario.
    #[derive(Clone, Copy)]
    struct Counts {
        mpsc2: u64,
        mpsc1: u64,
        roundtrip: u64,
    }

    impl Counts {
        /// Full mode: on a quiet 2-core machine each measurement takes about
        /// 30 ms-1 s (kanal is the slow one) and a round about 5 s (under 2
        /// minutes for 21 rounds).
        const FULL: Counts = Counts {
            mpsc2: 3_000_000,
            mpsc1: 3_000_000,
            roundtrip: 500_000,
        };
        /// Quick mode (also used by `cargo test --benches`, in a debug build).
        const QUICK: Counts = Counts {
            mpsc2: 20_000,
            mpsc1: 20_000,
            roundtrip: 1_000,
        };

        fn get(self, scenario: Scenario) -> u64 {
            match scenario {
                Scenario::Mpsc2 => self.mpsc2,
                Scenario::Mpsc1 => self.mpsc1,
                Scenario::Roundtrip => self.roundtrip,
            }
        }

        fn scaled_down(self, by: u64) -> Counts {
            Counts {
                mpsc2: (self.mpsc2 / by).max(1),
                mpsc1: (self.mpsc1 / by).max(1),
                roundtrip: (self.roundtrip / by).max(1),
            }
        }
    }

    fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
        let value = env::var(name).ok()?;
        match value.trim().parse() {
            Ok(n) => Some(n),
            Err(_) => panic!("{name}={value:?} is not a valid number"),
        }
    }

    /// One (scenario, implementation) pair and its per-round results.
    struct Row {
        scenario: Scenario,
        case: Case,
        /// Nanoseconds per operation, one entry per round.
        ns: Vec<f64>,
    }

    /// Linear-interpolated percentile of sorted `values`, `p` in `0..=1`.
    fn percentile(sorted: &[f64], p: f64) -> f64 {
        let pos = p * (sorted.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
    }

    fn median(values: &[f64]) -> f64 {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        percentile(&sorted, 0.5)
    }

    fn measure(row: &Row, count: u64) -> f64 {
        // `run` panics unless every item arrived exactly once and in its
        // producer's order, so a time is only ever returned for a correct
        // run.
        let elapsed = (row.case.run)(count);
        elapsed.as_nanos() as f64 / count as f64
    }

    pub fn main() {
        let args: Vec<String> = env::args().skip(1).collect();
        let has = |flag: &str| args.iter().any(|a| a == flag);
        let quick = env::var("QUICK").is_ok_and(|v| v != "0" && !v.is_empty())
            || has("--quick")
            || has("--test")
            || !has("--bench");
        let filters: Vec<&str> = args
            .iter()
            .filter(|a| !a.starts_with('-'))
            .map(String::as_str)
            .collect();

        let (rounds, counts) = if quick {
            (1, Counts::QUICK)
        } else {
            let rounds = env_number("ROUNDS").unwrap_or(DEFAULT_ROUNDS);
            assert!(rounds >= 1, "ROUNDS must be at least 1");
            let full = Counts::FULL;
            let counts = Counts {
                mpsc2: env_number("MPSC2").unwrap_or(full.mpsc2),
                mpsc1: env_number("MPSC1").unwrap_or(full.mpsc1),
                roundtrip: env_number("ROUNDTRIP").unwrap_or(full.roundtrip),
            };
            assert!(
                counts.mpsc2 >= 1 && counts.mpsc1 >= 1 && counts.roundtrip >= 1,
                "operation counts must be at least 1"
            );
            (rounds, counts)
        };

        let mut rows: Vec<Row> = Scenario::ALL
            .into_iter()
            .flat_map(|scenario| {
                scenario.cases().into_iter().map(move |case| Row {
                    scenario,
                    case,
                    ns: Vec::with_capacity(rounds),
                })
            })
            .filter(|row| {
                let id = format!("{}/{}", row.scenario.name(), row.case.name);
                filters.is_empty() || filters.iter().any(|f| id.contains(f))
            })
            .collect();
        if rows.is_empty() {
            eprintln!("mpsc_compare: no case matches {filters:?}");
            return;
        }

        eprintln!(
            "mpsc_compare: {} mode, {rounds} round(s); per measurement: mpsc2 {} items \
             (2 producers), mpsc1 {} items (1 producer), capacity {CAPACITY}; roundtrip {} \
             round trips (capacity {ROUNDTRIP_CAPACITY}); batch pop up to {BATCH} per call; \
             waits spin {SPINS_BEFORE_YIELD} times, then yield; {} CPUs",
            if quick { "quick" } else { "full" },
            counts.mpsc2,
            counts.mpsc1,
            counts.roundtrip,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
        );
        let started = Instant::now();
        let cpu_before = CpuTimes::now();
        if !quick {
            // Untimed warm-up: page in the code, let the clock settle.
            let warm = counts.scaled_down(10);
            for row in &rows {
                measure(row, warm.get(row.scenario));
            }
        }
        for round in 0..rounds {
            for row in &mut rows {
                let ns = measure(row, counts.get(row.scenario));
                row.ns.push(ns);
            }
            if !quick {
                eprint!(
                    "\rround {}/{rounds} ({:.0} s)",
                    round + 1,
                    started.elapsed().as_secs_f64()
                );
                let _ = std::io::stderr().flush();
            }
        }
        if !quick {
            eprintln!();
        }

        print_table(&rows, rounds);
        if let (Some(before), Some(after)) = (cpu_before, CpuTimes::now()) {
            let other = after.other_share_since(&before);
            println!(
                "Other processes used {:.0}% of the machine's CPU time during the run{}",
                other * 100.0,
                if other > 0.05 {
                    ": the numbers are disturbed (waiting threads lose their core more \
                     often), rerun on a quiet machine."
                } else {
                    "."
                }
            );
        }
    }

    fn print_table(rows: &[Row], rounds: usize) {
        println!(
            "| scenario | implementation | median ns/op | p10 | p90 | ratio vs best peer | \
             paired ratio |"
        );
        println!("|---|---|--:|--:|--:|--:|--:|");
        let mut summary = Vec::new();
        for scenario in Scenario::ALL {
            let rows: Vec<&Row> = rows.iter().filter(|r| r.scenario == scenario).collect();
            // The reference is the fastest (by median) of the peers that ran.
            let reference = rows
                .iter()
                .filter(|r| r.case.peer)
                .min_by(|a, b| median(&a.ns).total_cmp(&median(&b.ns)));
            for row in &rows {
                let mut sorted = row.ns.clone();
                sorted.sort_by(f64::total_cmp);
                let med = percentile(&sorted, 0.5);
                let (ratio, paired) = match reference {
                    Some(reference) => {
                        let ref_med = median(&reference.ns);
                        // Per-round ratios: each round measured the two close
                        // together, so their median cancels slow drifts.
                        let per_round: Vec<f64> = row
                            .ns
                            .iter()
                            .zip(&reference.ns)
                            .map(|(&ns, &r)| r / ns)
                            .collect();
                        if !row.case.peer {
                            summary.push(format!(
                                "{}: {} is {:.2}x the best peer ({}, paired {:.2}x)",
                                scenario.name(),
                                row.case.name,
                                ref_med / med,
                                reference.case.name,
                                median(&per_round),
                            ));
                        }
                        (
                            format!("{:.2}", ref_med / med),
                            format!("{:.2}", median(&per_round)),
                        )
                    }
                    None => ("n/a".into(), "n/a".into()),
                };
                println!(
                    "| {} (ns/{}) | {} | {:.1} | {:.1} | {:.1} | {ratio} | {paired} |",
                    scenario.name(),
                    scenario.unit(),
                    row.case.name,
                    med,
                    percentile(&sorted, 0.1),
                    percentile(&sorted, 0.9),
                );
            }
        }
        println!();
        println!(
            "{rounds} round(s), implementations interleaved within each round. mpsc2: 2 \
             producer threads, 1 consumer (3 threads on the machine's cores); mpsc1: 1 \
             producer, 1 consumer; roundtrip: one item there and back over two queues. \
             ratio vs best peer: the median of the fastest peer (all but handoff) / this \
             median, i.e. speed relative to the best peer, higher is better (the best \
             peer is 1.00). paired ratio: the same ratio taken per round, then the median \
             over rounds. The batch-pop row pops up to {BATCH} items per call and is \
             compared with the one-at-a-time peers: the like-for-like row is `handoff`."
        );
        if !summary.is_empty() {
            println!();
            for line in summary {
                println!("- {line}");
            }
        }
    }

    /// CPU time counters from `/proc` (Linux), to tell whether other processes
    /// competed for the cores during the run.
    struct CpuTimes {
        /// Whole machine, all CPUs: busy and total clock ticks.
        busy: u64,
        total: u64,
        /// This process: user + system clock ticks.
        own: u64,
    }

    impl CpuTimes {
        fn now() -> Option<CpuTimes> {
            let stat = std::fs::read_to_string("/proc/stat").ok()?;
            // cpu user nice system idle iowait irq softirq steal ...
            let ticks: Vec<u64> = stat
                .lines()
                .next()?
                .strip_prefix("cpu ")?
                .split_whitespace()
                .take(8)
                .map(|t| t.parse().ok())
                .collect::<Option<_>>()?;
            let total: u64 = ticks.iter().sum();
            let busy = total - ticks.get(3)? - ticks.get(4)?;
            let own_stat = std::fs::read_to_string("/proc/self/stat").ok()?;
            // Fields after the parenthesised command name start at `state`;
            // utime and stime are the 12th and 13th of them.
            let mut fields = own_stat.rsplit_once(')')?.1.split_whitespace().skip(11);
            let utime: u64 = fields.next()?.parse().ok()?;
            let stime: u64 = fields.next()?.parse().ok()?;
            Some(CpuTimes {
                busy,
                total,
                own: utime + stime,
            })
        }

        /// Share of all CPUs' time since `before` that other processes
        /// (or the hypervisor, as steal time) took.
        fn other_share_since(&self, before: &CpuTimes) -> f64 {
            let total = self.total.saturating_sub(before.total).max(1) as f64;
            let busy = self.busy.saturating_sub(before.busy);
            let own = self.own.saturating_sub(before.own);
            busy.saturating_sub(own) as f64 / total
        }
    }
}
