//! The harness of the `*_compare` benchmarks: interleaved rounds, printed as
//! a Markdown table.
//!
//! Each round measures every scenario for every implementation once, in a
//! fixed order (A B C D A B C D ...), so slow drifts of the machine (clock
//! frequency, other load) hit all implementations alike instead of whichever
//! happened to run during them. One untimed warm-up round comes first.
//!
//! Quick or full mode as every target ([`super::mode`]). Environment
//! overrides for the full mode: `ROUNDS`, and one variable per scenario for
//! its operation count ([`Count::var`]). Any non-flag argument is a filter:
//! only cases whose `scenario/implementation` contains it run.

use std::env;
use std::time::Instant;

use super::mode::{self, env_number};
use super::proc::CpuTimes;
use super::stats::{median, percentile};
use super::{Case, Scenario};

/// Operations per measurement of one scenario.
pub struct Count<S> {
    pub scenario: S,
    /// The environment variable that overrides `full` in full mode.
    pub var: &'static str,
    /// Full mode.
    pub full: u64,
    /// Quick mode (also used by `cargo test --benches`, in a debug build).
    pub quick: u64,
}

/// The operation counts in effect, per scenario.
pub struct Counts<S>(Vec<(S, u64)>);

impl<S: Scenario> Counts<S> {
    /// Operations per measurement of `scenario`.
    pub fn get(&self, scenario: S) -> u64 {
        self.0
            .iter()
            .find(|(s, _)| *s == scenario)
            .map(|&(_, count)| count)
            .expect("every scenario has a count")
    }
}

/// One `*_compare` benchmark: what differs between them. [`run`](Self::run)
/// does the rest.
pub struct Compare<S> {
    /// Target name, the first word of the messages on stderr.
    pub bench: &'static str,
    /// Rounds in full mode, unless `ROUNDS` says otherwise.
    pub default_rounds: usize,
    /// Operations per measurement, one entry per scenario (the environment
    /// variables are read in this order).
    pub counts: Vec<Count<S>>,
    /// Describes the operation counts (and what else is worth knowing) for
    /// the line on stderr that opens the run.
    pub describe: fn(&Counts<S>) -> String,
    /// Header of the ratio column.
    pub ratio_column: &'static str,
    /// Decimals of the ns/op columns.
    pub decimals: usize,
    /// Whether to list, after the table, each non-reference implementation's
    /// ratio to the best peer.
    pub summary: bool,
    /// Explains the table, after "N round(s), implementations interleaved
    /// within each round."
    pub footnote: String,
    /// Why other load disturbs the numbers, for the warning after the table.
    pub disturbed: &'static str,
}

/// Quick or full mode, and the filters, from the command line and `QUICK`.
struct Mode {
    quick: bool,
    filters: Vec<String>,
}

impl Mode {
    fn from_args() -> Mode {
        let filters = env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        Mode {
            quick: mode::quick(),
            filters,
        }
    }

    /// Whether the case with this `scenario/implementation` id runs.
    fn selects(&self, id: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| id.contains(f.as_str()))
    }
}

/// One (scenario, implementation) pair and its per-round results.
struct Row<S> {
    scenario: S,
    case: Case,
    /// Operations per measurement.
    count: u64,
    /// Nanoseconds per operation, one entry per round.
    ns: Vec<f64>,
}

impl<S> Row<S> {
    /// Nanoseconds per operation over `count` operations.
    fn measure(&self, count: u64) -> f64 {
        // `run` panics unless every item arrived as it should, so a time is
        // only ever returned for a correct run.
        let elapsed = (self.case.run)(count);
        elapsed.as_nanos() as f64 / count as f64
    }
}

impl<S: Scenario> Compare<S> {
    /// Runs the benchmark: parses the mode, measures the selected cases
    /// round after round and prints the table.
    pub fn run(&self) {
        let mode = Mode::from_args();
        let (rounds, counts) = self.rounds_and_counts(mode.quick);

        let mut rows: Vec<Row<S>> = S::ALL
            .iter()
            .flat_map(|&scenario| {
                let count = counts.get(scenario);
                scenario.cases().into_iter().map(move |case| Row {
                    scenario,
                    case,
                    count,
                    ns: Vec::with_capacity(rounds),
                })
            })
            .filter(|row| mode.selects(&format!("{}/{}", row.scenario.name(), row.case.name)))
            .collect();
        if rows.is_empty() {
            eprintln!("{}: no case matches {:?}", self.bench, mode.filters);
            return;
        }

        eprintln!(
            "{}: {} mode, {rounds} round(s); per measurement: {}; {} CPUs",
            self.bench,
            if mode.quick { "quick" } else { "full" },
            (self.describe)(&counts),
            std::thread::available_parallelism().map_or(0, |n| n.get()),
        );
        let started = Instant::now();
        let cpu_before = CpuTimes::now();
        if !mode.quick {
            // Untimed warm-up: page in the code, let the clock settle.
            for row in &rows {
                row.measure((row.count / 10).max(1));
            }
        }
        for round in 0..rounds {
            for row in &mut rows {
                let ns = row.measure(row.count);
                row.ns.push(ns);
            }
            if !mode.quick {
                super::progress(round, rounds, started);
            }
        }
        if !mode.quick {
            eprintln!();
        }

        self.print_table(&rows, rounds);
        super::proc::report_other_load(cpu_before, self.disturbed);
    }

    /// Rounds and operation counts: one round and the quick counts in quick
    /// mode, else the defaults unless the environment overrides them.
    fn rounds_and_counts(&self, quick: bool) -> (usize, Counts<S>) {
        if quick {
            let counts = self.counts.iter().map(|c| (c.scenario, c.quick));
            return (1, Counts(counts.collect()));
        }
        let rounds = env_number("ROUNDS").unwrap_or(self.default_rounds);
        assert!(rounds >= 1, "ROUNDS must be at least 1");
        let counts: Vec<(S, u64)> = self
            .counts
            .iter()
            .map(|c| (c.scenario, env_number(c.var).unwrap_or(c.full)))
            .collect();
        assert!(
            counts.iter().all(|&(_, count)| count >= 1),
            "operation counts must be at least 1"
        );
        (rounds, Counts(counts))
    }

    fn print_table(&self, rows: &[Row<S>], rounds: usize) {
        println!(
            "| scenario | implementation | median ns/op | p10 | p90 | {} | paired ratio |",
            self.ratio_column
        );
        println!("|---|---|--:|--:|--:|--:|--:|");
        let mut summary = Vec::new();
        for &scenario in S::ALL {
            let rows: Vec<&Row<S>> = rows.iter().filter(|r| r.scenario == scenario).collect();
            // The reference is the fastest (by median) of the scenario's
            // reference implementations that ran.
            let reference = rows
                .iter()
                .filter(|r| r.case.reference)
                .min_by(|a, b| median(&a.ns).total_cmp(&median(&b.ns)));
            for row in &rows {
                let mut sorted = row.ns.clone();
                sorted.sort_by(f64::total_cmp);
                let med = percentile(&sorted, 0.5);
                let (ratio, paired) = match reference {
                    Some(reference) => {
                        let ratio = scenario.ratio().of(med, median(&reference.ns));
                        let paired = scenario.ratio().paired(&row.ns, &reference.ns);
                        if self.summary && !row.case.reference {
                            summary.push(format!(
                                "{}: {} is {ratio:.2}x the best peer ({}, paired {paired:.2}x)",
                                scenario.name(),
                                row.case.name,
                                reference.case.name,
                            ));
                        }
                        (format!("{ratio:.2}"), format!("{paired:.2}"))
                    }
                    None => ("n/a".into(), "n/a".into()),
                };
                let decimals = self.decimals;
                println!(
                    "| {} (ns/{}) | {} | {med:.decimals$} | {:.decimals$} | {:.decimals$} | \
                     {ratio} | {paired} |",
                    scenario.name(),
                    scenario.unit(),
                    row.case.name,
                    percentile(&sorted, 0.1),
                    percentile(&sorted, 0.9),
                );
            }
        }
        println!();
        println!(
            "{rounds} round(s), implementations interleaved within each round. {}",
            self.footnote
        );
        if !summary.is_empty() {
            println!();
            for line in summary {
                println!("- {line}");
            }
        }
    }
}
