//! The tables: replies per second, latency, how the workers fared, the
//! goals.

use crate::frame::FRAME;
use crate::harness::stats::{median, median_of, percentile};
use crate::harness::table::yes_no;
use crate::measure::Sample;
use crate::plan::{
    sndbuf_label, Plan, FAST, FAST_SAMPLE_EVERY, SLOW_PAUSE, SLOW_RCVBUF, SLOW_READ,
    SLOW_SAMPLE_EVERY, WORKERS,
};
use crate::server::{
    is_handoff, ALL_PEERS, DESIGNS, HANDOFF, HANDOFF_BATCHED, NAMES, PER_REPLY_PEERS, WORKER_POOL,
    WRITER_THREAD,
};

/// The median over rounds, NaN for a design that did not run.
fn med(samples: &[Sample], field: impl Fn(&Sample) -> f64) -> f64 {
    if samples.is_empty() {
        f64::NAN
    } else {
        median_of(samples, field)
    }
}

fn rps(s: &Sample) -> f64 {
    s.fast_frames as f64 / s.fast_secs
}

/// Median and p99 of the latencies of all rounds, in ns.
fn latency(samples: &[Sample], field: fn(&Sample) -> &Vec<u64>) -> (f64, f64) {
    let mut all: Vec<f64> = samples
        .iter()
        .flat_map(|s| field(s).iter().map(|&ns| ns as f64))
        .collect();
    if all.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    all.sort_by(f64::total_cmp);
    (percentile(&all, 0.5), percentile(&all, 0.99))
}

/// Each design's replies/s over the best of `peers` (the one with the
/// highest median): of the medians, and paired (per round, then the
/// median); and which peer that is.
fn versus_best_peer(samples: &[Vec<Sample>], peers: &[usize]) -> (Vec<(f64, f64)>, usize) {
    let best = peers
        .iter()
        .copied()
        .max_by(|&a, &b| med(&samples[a], rps).total_cmp(&med(&samples[b], rps)))
        .expect("at least one peer");
    let ratios = samples
        .iter()
        .map(|s| {
            let ratio = med(s, rps) / med(&samples[best], rps);
            let per_round: Vec<f64> = s
                .iter()
                .zip(&samples[best])
                .map(|(a, b)| rps(a) / rps(b))
                .collect();
            if per_round.is_empty() {
                return (f64::NAN, f64::NAN);
            }
            (ratio, median(&per_round))
        })
        .collect();
    (ratios, best)
}

/// `handoff`'s `writev` calls per frame, would-blocks and `on_writable`
/// calls per round, or dashes.
fn handoff_columns(samples: &[Sample]) -> (String, String, String) {
    if samples[0].writes.is_none() {
        return ("–".into(), "–".into(), "–".into());
    }
    let w = |s: &Sample| s.writes.unwrap_or_default();
    (
        format!(
            "{:.3}",
            med(samples, |s| w(s).writes as f64 / w(s).frames as f64)
        ),
        format!("{:.0}", med(samples, |s| w(s).would_blocks as f64)),
        format!("{:.0}", med(samples, |s| w(s).wakeups as f64)),
    )
}

/// Prints the tables of a run: `samples[scenario][design][round]`, the
/// scenarios being `fast_only` and `with_slow`.
pub fn print(
    samples: &[[Vec<Sample>; DESIGNS]; 3],
    fast_only: Plan,
    with_slow: Plan,
    paced: Plan,
    rounds: usize,
    sndbuf: usize,
) {
    let [fast_samples, slow_samples, paced_samples] = samples;
    let batch = fast_only.batch;

    println!(
        "\n### Fast clients only: {FAST} connections, {} replies of {FRAME} bytes from \
         {WORKERS} workers\n",
        fast_only.fast_frames
    );
    println!(
        "| implementation | replies/s | vs best peer | paired | latency median µs | p99 µs | \
         worker sleeps/round | longest call µs | \
         Full retries/round | writev/frame | would-blocks/round | on_writable/round |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (fast_vs, _) = versus_best_peer(fast_samples, &ALL_PEERS);
    for (design, s) in fast_samples.iter().enumerate() {
        let (lat50, lat99) = latency(s, |s| &s.fast_latencies);
        let (writev, would_blocks, wakeups) = handoff_columns(s);
        println!(
            "| {} | {:.2} M | {:.2}× | {:.2}× | {:.1} | {:.1} | {:.0} | {:.0} | {} | \
             {writev} | {would_blocks} | {wakeups} |",
            NAMES[design],
            med(s, rps) / 1e6,
            fast_vs[design].0,
            fast_vs[design].1,
            lat50 / 1e3,
            lat99 / 1e3,
            med(s, |s| s.sleeps as f64),
            med(s, |s| s.max_call_ns as f64) / 1e3,
            if is_handoff(design) {
                format!("{:.0}", med(s, |s| s.retries as f64))
            } else {
                "–".into()
            },
        );
    }

    println!(
        "\n### Fast clients + one slow client: the fast clients ({} replies, and {} to a \
         client reading {} KiB every {SLOW_PAUSE:?})\n",
        with_slow.fast_frames,
        with_slow.slow_frames,
        SLOW_READ >> 10
    );
    println!(
        "| implementation | fast replies/s | vs best peer | paired | latency median µs | \
         p99 µs | Full retries/round | writev/frame | would-blocks/round | on_writable/round |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (slow_vs, _) = versus_best_peer(slow_samples, &ALL_PEERS);
    for (design, s) in slow_samples.iter().enumerate() {
        if s.is_empty() {
            continue;
        }
        let (lat50, lat99) = latency(s, |s| &s.fast_latencies);
        let (writev, would_blocks, wakeups) = handoff_columns(s);
        println!(
            "| {} | {:.2} M | {:.2}× | {:.2}× | {:.1} | {:.1} | {} | {writev} | \
             {would_blocks} | {wakeups} |",
            NAMES[design],
            med(s, rps) / 1e6,
            slow_vs[design].0,
            slow_vs[design].1,
            lat50 / 1e3,
            lat99 / 1e3,
            if is_handoff(design) {
                format!("{:.0}", med(s, |s| s.retries as f64))
            } else {
                "–".into()
            },
        );
    }

    println!("\n### Fast clients + one slow client: the workers and the slow client\n");
    println!(
        "| implementation | worker sleeps/round | longest call to the slow client, ms \
         (median round / worst round) | time in calls to the slow client, ms/round | \
         longest call of any kind, ms | slow client: delivered/round | refused/round | \
         slow latency median ms | p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (design, s) in slow_samples.iter().enumerate() {
        if s.is_empty() {
            continue;
        }
        let (lat50, lat99) = latency(s, |s| &s.slow_latencies);
        let worst = s.iter().map(|s| s.max_slow_call_ns).max().unwrap_or(0);
        println!(
            "| {} | {:.0} | {:.3} / {:.3} | {:.1} | {:.3} | {:.0} | {:.0} | {:.1} | {:.1} |",
            NAMES[design],
            med(s, |s| s.sleeps as f64),
            med(s, |s| s.max_slow_call_ns as f64) / 1e6,
            worst as f64 / 1e6,
            med(s, |s| s.slow_calls_ns as f64) / 1e6,
            med(s, |s| s.max_call_ns as f64) / 1e6,
            med(s, |s| s.slow_delivered as f64),
            med(s, |s| s.slow_refused as f64),
            lat50 / 1e6,
            lat99 / 1e6,
        );
    }

    println!(
        "\n### Fixed moderate load: {} replies per second to the {FAST} fast clients, {} \
         replies\n",
        paced.rate, paced.fast_frames
    );
    println!("| implementation | latency median µs | p99 µs | vs writer thread (medians) | writev/frame |");
    println!("|---|---:|---:|---:|---:|");
    let (writer50, _) = latency(&paced_samples[WRITER_THREAD], |s| &s.fast_latencies);
    for (design, s) in paced_samples.iter().enumerate() {
        if s.is_empty() {
            continue;
        }
        let (lat50, lat99) = latency(s, |s| &s.fast_latencies);
        let (writev, _, _) = handoff_columns(s);
        println!(
            "| {} | {:.1} | {:.1} | {:.2}× | {writev} |",
            NAMES[design],
            lat50 / 1e3,
            lat99 / 1e3,
            lat50 / writer50,
        );
    }

    println!("\n### Goals\n");
    println!("| goal | measured | met |");
    println!("|---|---:|:-:|");
    let pool_rps = versus_best_peer(fast_samples, &[WRITER_THREAD]).0[WORKER_POOL].1;
    println!(
        "| fast clients only, {}: replies/s ≥ the writer thread's (paired) | {pool_rps:.2}× | {} |",
        NAMES[WORKER_POOL],
        yes_no(pool_rps >= 1.0)
    );
    for design in [WORKER_POOL, HANDOFF] {
        let (lat50, _) = latency(&paced_samples[design], |s| &s.fast_latencies);
        let ratio = lat50 / writer50;
        println!(
            "| fixed moderate load, {}: median latency ≤ 0.5× the writer thread's | \
             {ratio:.2}× | {} |",
            NAMES[design],
            yes_no(ratio <= 0.5)
        );
    }
    for (scenario, samples) in [
        ("fast clients only", fast_samples),
        ("with a slow client", slow_samples),
    ] {
        for (design, peers, against) in [
            (
                HANDOFF,
                &PER_REPLY_PEERS[..],
                "the better of the writer thread and the Mutex",
            ),
            (
                HANDOFF_BATCHED,
                &ALL_PEERS[..],
                "the best of the writer thread, the Mutex and the batched Mutex",
            ),
        ] {
            let (vs, best) = versus_best_peer(samples, peers);
            let paired = vs[design].1;
            println!(
                "| {scenario}, {}: fast clients' replies/s ≥ {against} (paired) | {paired:.2}× \
                 (vs {}) | {} |",
                NAMES[design],
                NAMES[best],
                yes_no(paired >= 1.0)
            );
        }
    }
    for design in [HANDOFF, HANDOFF_BATCHED] {
        let sleeps: u64 = slow_samples[design].iter().map(|s| s.sleeps).sum();
        let longest = med(&slow_samples[design], |s| s.max_slow_call_ns as f64);
        println!(
            "| with a slow client, {}: workers never slept in the kernel (all rounds) | \
             {sleeps} sleeps | {} |",
            NAMES[design],
            yes_no(sleeps == 0)
        );
        println!(
            "| with a slow client, {}: longest call to it shorter than its {SLOW_PAUSE:?} \
             pause (median round) | {:.3} ms | {} |",
            NAMES[design],
            longest / 1e6,
            yes_no(longest < SLOW_PAUSE.as_nanos() as f64)
        );
    }

    println!(
        "\n{rounds} round(s), implementations interleaved within each round (the order \
         rotating between rounds); medians over rounds, latency percentiles over the samples \
         of all rounds (every {FAST_SAMPLE_EVERY}th frame of a fast client, every \
         {SLOW_SAMPLE_EVERY}th of the slow client while it reads slowly). Replies/s: frames \
         to the fast clients over the time from the workers' start to the last one's \
         arrival; the workers produce as fast as the write side takes replies, so latency is \
         the time a reply waits in queues and socket buffers at saturation (in the batched \
         designs, from its production, so the wait for the end of its batch of {batch} \
         included). \"vs best peer\": over the peer (writer thread, Mutex or batched Mutex) \
         with the best median, of the medians and paired (per round, then the median). \
         \"worker sleeps\": voluntary context switches of the {WORKERS} worker \
         threads (blocked in the kernel: a full socket, a full channel, a contended mutex; \
         yields and preemptions are not counted). \"longest call\" and \"time in calls\": \
         one submit / send / lock + write_all, or in the batched designs one feed / append \
         or one connection's end-of-batch flush / lock + write_all, as the workers timed it \
         (for handoff, including its Full retries; a preemption inside a call counts too). \
         \"Full retries\": handoff submits (feeds) to a fast client refused and retried \
         after a yield; replies to the slow client are dropped when refused instead. \"writev/frame\" and \
         \"would-blocks\": handoff's WriteStats (write_vectored calls, all connections); \
         \"on_writable\": the event loop's calls, one per EPOLLOUT reported. The \
         slow client's SO_RCVBUF is {SLOW_RCVBUF} and the server sockets' SO_SNDBUF {}, so \
         a peer blocks once the slow client is a few hundred KiB behind.",
        sndbuf_label(sndbuf),
    );
}
