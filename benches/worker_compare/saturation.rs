//! Saturation: network threads keep a window of requests outstanding and
//! take the replies as fast as the pipeline gives them.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use handoff::worker::{EnqueueError, Network, Pool, PoolConfig, WorkerStats};

use crate::crossbeam::{crossbeam_network, crossbeam_pipeline};
use crate::harness::proc::{counters_by_thread, counters_since, ThreadCounters};
use crate::{calls, expected_sum, handler};

/// One saturation measurement.
pub struct Saturation {
    pub ns_per_request: f64,
    pub voluntary: f64,
    pub involuntary: f64,
    /// CPU time of all threads, ns per request.
    pub cpu_ns: f64,
    /// Time threads were runnable but waited for a CPU, ns per request.
    pub wait_ns: f64,
    /// `handoff`'s sleeps and wake-ups per request.
    pub syscalls: Option<f64>,
}

impl Saturation {
    /// `requests` took `wall` and the scheduler's `counters` (and
    /// `syscalls` of `handoff`'s): the numbers per request.
    fn new(wall: Duration, counters: ThreadCounters, requests: u64, syscalls: Option<u64>) -> Self {
        let n = requests as f64;
        Saturation {
            ns_per_request: wall.as_nanos() as f64 / n,
            voluntary: counters.voluntary as f64 / n,
            involuntary: counters.involuntary as f64 / n,
            cpu_ns: counters.cpu_ns as f64 / n,
            wait_ns: counters.wait_ns as f64 / n,
            syscalls: syscalls.map(|calls| calls as f64 / n),
        }
    }
}

/// Checks that network thread `k` of `who` got `per` replies, adding up to
/// what its requests should.
fn check_network(who: &str, k: usize, per: u64, count: u64, sum: u64) {
    assert_eq!(
        count, per,
        "{who}: network {k} got {count} replies of {per}"
    );
    let base = k as u64 * per;
    assert_eq!(
        sum,
        expected_sum(base, per),
        "{who}: network {k}: wrong replies"
    );
}

/// Runs each body on its own thread, all released together; every
/// thread stays alive (and so do the handles a body returns, which keep
/// the workers running) until the scheduler's counters are read.
/// Returns the wall time from the first start to the last end, what the
/// bodies returned, and the counters of the whole process in between.
fn run_networks<T: Send + 'static>(
    bodies: Vec<Box<dyn FnOnce() -> T + Send>>,
) -> (Duration, Vec<T>, ThreadCounters) {
    let parties = bodies.len() + 1;
    let start = Arc::new(Barrier::new(parties));
    let end = Arc::new(Barrier::new(parties));
    let release = Arc::new(Barrier::new(parties));
    let threads: Vec<_> = bodies
        .into_iter()
        .enumerate()
        .map(|(k, body)| {
            let (start, end, release) = (start.clone(), end.clone(), release.clone());
            thread::Builder::new()
                .name(format!("network-{k}"))
                .spawn(move || {
                    start.wait();
                    let t0 = Instant::now();
                    let out = body();
                    let t1 = Instant::now();
                    end.wait();
                    release.wait();
                    (t0, t1, out)
                })
                .expect("spawn a network thread")
        })
        .collect();
    let before = counters_by_thread();
    start.wait();
    end.wait();
    let counters = counters_since(&before);
    release.wait();
    let results: Vec<(Instant, Instant, T)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let first = results.iter().map(|r| r.0).min().unwrap();
    let last = results.iter().map(|r| r.1).max().unwrap();
    (
        last - first,
        results.into_iter().map(|r| r.2).collect(),
        counters,
    )
}

/// A `handoff` network thread's windowed loop: sends `base .. base + n`,
/// returns the replies' count and sum.
fn handoff_network(net: &mut Network<u64, u64>, base: u64, n: u64, window: usize) -> (u64, u64) {
    let end = base + n;
    let mut next = base;
    let (mut received, mut sum) = (0u64, 0u64);
    while received < n {
        let mut blocked = next == end;
        while next < end {
            if net.outstanding() >= window {
                blocked = true;
                break;
            }
            match net.enqueue(next) {
                Ok(_) => next += 1,
                Err(EnqueueError::Full(_)) => {
                    blocked = true;
                    break;
                }
                Err(e) => panic!("handoff: enqueue failed: {e}"),
            }
        }
        let mut got = false;
        while let Some(reply) = net.try_reply() {
            got = true;
            received += 1;
            sum = sum.wrapping_add(reply.outcome.done().expect("handoff: a reply not Done"));
        }
        if !got && blocked {
            match net.reply_blocking() {
                Some(reply) => {
                    received += 1;
                    sum =
                        sum.wrapping_add(reply.outcome.done().expect("handoff: a reply not Done"));
                }
                // Full with nothing of ours outstanding: the other
                // network threads fill the workers (not with the
                // default sizes, but a small `WINDOW` is allowed).
                None => thread::yield_now(),
            }
        }
    }
    assert_eq!(net.outstanding(), 0, "handoff: replies left over");
    (received, sum)
}

/// One saturation measurement of `handoff::worker`, `networks` ×
/// `workers`, `total` requests.
pub fn saturation_handoff(
    networks: usize,
    workers: usize,
    total: u64,
    window: usize,
) -> Saturation {
    let (pool, nets) = Pool::spawn(PoolConfig::new(networks, workers), handler()).unwrap();
    let per = total / networks as u64;
    let bodies = nets
        .into_iter()
        .enumerate()
        .map(|(k, mut net)| {
            Box::new(move || {
                let base = k as u64 * per;
                let (count, sum) = handoff_network(&mut net, base, per, window);
                (count, sum, calls(net.park_stats()), net)
            }) as Box<dyn FnOnce() -> _ + Send>
        })
        .collect();
    let (wall, results, counters) = run_networks(bodies);
    let mut network_calls = 0;
    let mut keep = Vec::new();
    for (k, (count, sum, calls, net)) in results.into_iter().enumerate() {
        check_network("handoff", k, per, count, sum);
        network_calls += calls;
        keep.push(net);
    }
    drop(keep); // the workers exit once every network is gone
    let stats: Vec<WorkerStats> = pool.join();
    let done = per * networks as u64;
    assert_eq!(stats.iter().map(|s| s.completed).sum::<u64>(), done);
    let worker_calls: u64 = stats.iter().map(|s| s.sleeps + s.wakes).sum();
    Saturation::new(wall, counters, done, Some(worker_calls + network_calls))
}

/// The same measurement on the crossbeam pipeline.
pub fn saturation_crossbeam(
    networks: usize,
    workers: usize,
    total: u64,
    window: usize,
) -> Saturation {
    let (request_tx, reply_rxs, threads) = crossbeam_pipeline(networks, workers, window);
    let per = total / networks as u64;
    let bodies = reply_rxs
        .into_iter()
        .enumerate()
        .map(|(k, rx)| {
            let tx = request_tx.clone();
            Box::new(move || {
                let base = k as u64 * per;
                let (count, sum) = crossbeam_network(&tx, &rx, k, base, per, window);
                (count, sum, tx, rx)
            }) as Box<dyn FnOnce() -> _ + Send>
        })
        .collect();
    drop(request_tx);
    let (wall, results, counters) = run_networks(bodies);
    let mut keep = Vec::new();
    for (k, (count, sum, tx, rx)) in results.into_iter().enumerate() {
        check_network("crossbeam", k, per, count, sum);
        keep.push((tx, rx));
    }
    drop(keep); // the workers exit once every request sender is gone
    for t in threads {
        t.join().unwrap();
    }
    Saturation::new(wall, counters, per * networks as u64, None)
}
