//! The report at the end of a run, and the exactly-once check.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use handoff::worker::{Histogram as Times, WorkerStats};
use handoff::write::WriteStats;

use crate::context_switches::{self, Switches};
use crate::histogram::Histogram;
use crate::network::NetworkReport;

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Context switches since `before` of the network threads and workers.
pub fn switches_since(before: &HashMap<u32, Switches>) -> (u64, u64) {
    let mut pipeline = (0, 0);
    for (tid, now) in context_switches::by_thread() {
        let then = before.get(&tid).cloned().unwrap_or_default();
        if now.name.starts_with("network-") || now.name.starts_with("worker-") {
            pipeline.0 += now.voluntary.saturating_sub(then.voluntary);
            pipeline.1 += now.involuntary.saturating_sub(then.involuntary);
        }
    }
    pipeline
}

/// What a run left: the network threads' and the executors' accounts,
/// the access log's, the times, and the context switches.
pub struct Run {
    pub inline: bool,
    pub reports: Vec<NetworkReport>,
    pub stats: Vec<WorkerStats>,
    pub log: WriteStats,
    pub log_refused: u64,
    /// Requests enqueued before the kill, over `elapsed`.
    pub enqueued_at_kill: u64,
    pub elapsed: Duration,
    /// From the kill until every thread was joined.
    pub drained: Duration,
    /// Voluntary and involuntary switches of the network threads and
    /// workers while they ran (`None` where `/proc` cannot tell).
    pub switches: Option<(u64, u64)>,
}

/// Prints the report, then checks that every request got exactly one
/// reply and that the executors' counts agree with the network
/// threads'.
pub fn report(run: &Run) -> ExitCode {
    let total = |f: fn(&NetworkReport) -> u64| -> u64 { run.reports.iter().map(f).sum() };
    let enqueued = total(|r| r.enqueued);
    let mut quick = Histogram::new();
    let mut yielding = Histogram::new();
    let mut signalled = Histogram::new();
    for r in &run.reports {
        quick.merge(r.quick.as_ref().unwrap());
        yielding.merge(r.yielding.as_ref().unwrap());
        signalled.merge(r.signalled.as_ref().unwrap());
    }
    println!(
        "\nthroughput: {} requests/s ({} requests in {:.2} s; graceful kill drained the rest in {:.1} ms)",
        group((run.enqueued_at_kill as f64 / run.elapsed.as_secs_f64()) as u64),
        group(enqueued),
        run.elapsed.as_secs_f64(),
        run.drained.as_secs_f64() * 1e3,
    );
    println!("latency, enqueue → reply taken (reply.enqueued_at.elapsed()):");
    println!("  quick:     {}", quick.summary());
    println!("  yielding:  {}", yielding.summary());
    println!("  signalled: {}", signalled.summary());

    let refused = total(|r| r.refused_full);
    if refused > 0 {
        println!(
            "back-pressure: enqueue said Full {} times (every worker's table or ring was full); \
             the network threads slept for room {} times, and room came back {} times",
            group(refused),
            group(total(|r| r.stats.full_waits)),
            group(total(|r| r.stats.room_returned)),
        );
    }

    let requests_total: u64 = run.stats.iter().map(|s| s.requests).sum();
    let label = if run.inline {
        "executor of network thread"
    } else {
        "worker"
    };
    println!("share of the requests (Pool::stats; per link: enqueued / refused / signals):");
    let mut service = Times::default();
    let mut wait = Times::default();
    for (k, s) in run.stats.iter().enumerate() {
        let links: Vec<String> = s
            .links
            .iter()
            .map(|l| {
                format!(
                    "{} / {} / {}",
                    group(l.enqueued),
                    group(l.refused),
                    group(l.signals)
                )
            })
            .collect();
        println!(
            "  {label} {k}: {:>11} requests ({:5.1} %), busy {:5.1} % of the run; links: {}",
            group(s.requests),
            s.requests as f64 * 100.0 / requests_total.max(1) as f64,
            s.busy.as_secs_f64() * 100.0 / (run.elapsed + run.drained).as_secs_f64(),
            links.join(", "),
        );
        service.merge(&s.service_time);
        wait.merge(&s.wait_time);
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "worker histograms: service p50 {:.1} µs p99 {:.1} µs; wait before the start p50 {:.1} µs p99 {:.1} µs",
        us(service.quantile(0.5)),
        us(service.quantile(0.99)),
        us(wait.quantile(0.5)),
        us(wait.quantile(0.99)),
    );
    println!(
        "access log: {} records in {} writes ({:.3} per record: one per batch){}",
        group(run.log.frames),
        group(run.log.writes),
        run.log.writes as f64 / run.log.frames.max(1) as f64,
        match run.log_refused {
            0 => String::new(),
            n => format!(", {} refused (full)", group(n)),
        },
    );

    let done = total(|r| r.computed + r.timed_out + r.duplicate);
    let cancelled = total(|r| r.cancelled);
    let panicked = total(|r| r.panicked);
    let unstarted = total(|r| r.unstarted);
    println!(
        "outcomes: done {} (computed {}, timed out {}, duplicate {}), cancelled {}, panicked {}, unstarted {}",
        group(done),
        group(total(|r| r.computed)),
        group(total(|r| r.timed_out)),
        group(total(|r| r.duplicate)),
        group(cancelled),
        group(panicked),
        group(unstarted),
    );
    let raised: [u64; 3] = std::array::from_fn(|k| run.reports.iter().map(|r| r.raised[k]).sum());
    println!(
        "signals: network threads raised {} (delivered {}, already pending {}, stale {}), \
         their group cancels reached {}; the workers' deadlines timed out {}",
        group(raised.iter().sum()),
        group(raised[0]),
        group(raised[1]),
        group(raised[2]),
        group(total(|r| r.group_cancelled)),
        group(run.stats.iter().map(|s| s.timeouts).sum()),
    );

    let worker_calls: u64 = run.stats.iter().map(|s| s.sleeps + s.wakes).sum();
    let network_calls = total(|r| r.syscalls);
    let per = |n: u64, of: u64| n as f64 / of.max(1) as f64;
    let mut line = format!(
        "system calls (the crate's counters): workers slept or were woken {} times, network threads {} \
         times: {:.4} per request",
        group(worker_calls),
        group(network_calls),
        per(worker_calls + network_calls, enqueued),
    );
    if let Some(switches) = run.switches.filter(|_| run.enqueued_at_kill > 0) {
        let _ = write!(
            line,
            "\ncontext switches (/proc), network and worker threads: {:.4} voluntary + {:.4} involuntary \
             per request",
            per(switches.0, run.enqueued_at_kill),
            per(switches.1, run.enqueued_at_kill),
        );
    }
    println!("{line}");

    // The exactly-once check.
    let mut errors: Vec<String> = run
        .reports
        .iter()
        .enumerate()
        .flat_map(|(k, r)| {
            r.errors
                .iter()
                .map(move |e| format!("network thread {k}: {e}"))
        })
        .collect();
    let replies = done + cancelled + panicked + unstarted;
    let mut check = |ok: bool, what: String| {
        if !ok {
            errors.push(what);
        }
    };
    check(
        replies == enqueued,
        format!("{enqueued} requests enqueued, {replies} replies taken"),
    );
    check(
        requests_total == enqueued,
        format!("the executors took {requests_total} requests, {enqueued} were enqueued"),
    );
    let stat = |f: fn(&WorkerStats) -> u64| -> u64 { run.stats.iter().map(f).sum() };
    check(
        stat(|s| s.replies()) == replies,
        format!(
            "the executors replied {} times, {replies} replies were taken",
            stat(|s| s.replies())
        ),
    );
    check(
        (
            stat(|s| s.completed),
            stat(|s| s.cancelled),
            stat(|s| s.panicked),
            stat(|s| s.unstarted),
        ) == (done, cancelled, panicked, unstarted),
        "the executors' outcome counts differ from the replies'".into(),
    );
    check(
        unstarted == 0,
        format!("{unstarted} requests unstarted after a graceful kill"),
    );
    if errors.is_empty() {
        println!(
            "shutdown: graceful kill and join; every one of the {} requests got exactly one reply ✓",
            group(enqueued)
        );
        ExitCode::SUCCESS
    } else {
        eprintln!("MISMATCH:");
        for e in &errors {
            eprintln!("  {e}");
        }
        ExitCode::FAILURE
    }
}
