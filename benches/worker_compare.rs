//! What the `handoff::worker` threading API costs against the usual way of
//! building the same pipeline, crossbeam-channel, interleaved in one run and
//! printed as Markdown tables.
//!
//! ```text
//! cargo bench --bench worker_compare              # full run, about 40 s
//! ROUNDS=5 cargo bench --bench worker_compare     # fewer rounds
//! cargo bench --bench worker_compare -- --quick   # 1 round, tiny counts
//! cargo test --release --bench worker_compare     # quick mode too
//! ```
//!
//! Other overrides (full mode): `SATURATED` (requests per saturation
//! measurement, split between the network threads; default 2 000 000),
//! `WINDOW` (requests a network thread keeps outstanding; default 256),
//! `LATENCY` (requests per latency measurement; default 1 000) and `GAP_US`
//! (microseconds between them; default 200).
//!
//! Both pipelines do the same work per request: the network thread stamps
//! it with `Instant::now()`, the worker runs the same handler
//! (`x.wrapping_mul(3)`), reading the clock once more per request while it
//! is busy (the end of one service is the start of the next) and sends back the
//! result with the time it waited, its service time and the worker's
//! cumulative busy time (what `handoff`'s [`Reply`](handoff::worker::Reply)
//! carries). The peer is the idiomatic crossbeam-channel design: one shared
//! bounded request channel of 256 (the capacity of a `handoff` request
//! ring) that every worker receives from, each request carrying the index
//! of its network thread's reply channel (bounded, one per network thread).
//!
//! Scenarios:
//!
//! - **saturation**, 1 network thread × 1 worker and 2 × 2: each network
//!   thread keeps up to `WINDOW` requests outstanding. It enqueues until
//!   the window is full or the pipeline refuses (`EnqueueError::Full`,
//!   `TrySendError::Full`), takes every reply that is there (`try_reply`,
//!   `try_recv`), and when it can do neither waits for a reply
//!   (`reply_blocking`, `recv`). Nanoseconds per request (wall time over
//!   all requests of all network threads), requests per second, CPU time
//!   of all the process's threads per request and the time they spent
//!   runnable but waiting for a CPU (`/proc/self/task/*/schedstat`: on a
//!   busy machine the pipeline gets what the other processes leave, and
//!   its throughput follows its CPU time per request), voluntary and
//!   involuntary context switches of all the process's threads per
//!   request (from `/proc/self/task/*/status`, counted while every thread
//!   is alive), and for `handoff` its own count of system calls: the
//!   workers' sleeps and wake-ups ([`Pool::stats`](handoff::worker::Pool))
//!   plus the network threads' ([`Network::park_stats`](handoff::worker::Network)).
//! - **low-rate latency**: one request every `GAP_US` (a `thread::sleep`,
//!   so the worker has gone to sleep each time), from enqueue to the reply
//!   in the network thread's hands: median and p99 over all requests of all
//!   rounds, for `handoff` threaded (1 × 1), `handoff` inline
//!   (`PoolConfig::new(1, 0)`: the handler runs inside `enqueue`) and
//!   crossbeam-channel (blocking `send` and `recv`).
//!
//! Every measurement first checks its replies: each network thread gets
//! exactly as many replies as it sent requests, all `Done`, and their sum
//! is the sum of the handler's results for the values it sent.
//!
//! The goals printed with the numbers: throughput at least 2× the
//! crossbeam-channel pipeline's at saturation, at most 0.01 system calls
//! per request at saturation, and inline latency at most half the threaded
//! one.

#[allow(dead_code, unused_imports)] // This target uses only part of the harness.
mod harness;

fn main() {
    bench::main();
}

mod bench {
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::{Duration, Instant};

    use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
    use handoff::park::ParkStats;
    use handoff::worker::{self, EnqueueError, Handler, Network, Pool, PoolConfig, WorkerStats};

    use super::harness::mode::{self, env_u64};
    use super::harness::proc::{counters_by_thread, counters_since, CpuTimes, ThreadCounters};
    use super::harness::stats::{median, median_of as med, percentile};
    use super::harness::table::{cell, yes_no};

    /// The capacity of the crossbeam request channel: that of a `handoff`
    /// request ring (`WorkerConfig::queue_capacity`'s default).
    const REQUEST_CAPACITY: usize = 256;

    /// The work of one request, the same in both pipelines.
    #[inline]
    fn work(x: u64) -> u64 {
        x.wrapping_mul(3)
    }

    fn handler() -> impl Handler<u64, Reply = u64> + Clone {
        worker::from_sync_fn(|x: u64, _| work(x))
    }

    /// What the values `base .. base + n` add up to after `work`.
    fn expected_sum(base: u64, n: u64) -> u64 {
        (base..base + n).fold(0u64, |sum, x| sum.wrapping_add(work(x)))
    }

    // ---------------------------------------------------------------------
    // Running network threads with a common start and a common end.

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

    // ---------------------------------------------------------------------
    // Saturation.

    /// One saturation measurement.
    struct Saturation {
        ns_per_request: f64,
        voluntary: f64,
        involuntary: f64,
        /// CPU time of all threads, ns per request.
        cpu_ns: f64,
        /// Time threads were runnable but waited for a CPU, ns per request.
        wait_ns: f64,
        /// `handoff`'s sleeps and wake-ups per request.
        syscalls: Option<f64>,
    }

    fn calls(s: ParkStats) -> u64 {
        s.sleeps + s.wakes
    }

    /// A `handoff` network thread's windowed loop: sends `base .. base + n`,
    /// returns the replies' count and sum.
    fn handoff_network(
        net: &mut Network<u64, u64>,
        base: u64,
        n: u64,
        window: usize,
    ) -> (u64, u64) {
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
                        sum = sum
                            .wrapping_add(reply.outcome.done().expect("handoff: a reply not Done"));
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

    fn saturation_handoff(
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
            let base = k as u64 * per;
            assert_eq!(
                count, per,
                "handoff: network {k} got {count} replies of {per}"
            );
            assert_eq!(
                sum,
                expected_sum(base, per),
                "handoff: network {k}: wrong replies"
            );
            network_calls += calls;
            keep.push(net);
        }
        drop(keep); // the workers exit once every network is gone
        let stats: Vec<WorkerStats> = pool.join();
        let done = per * networks as u64;
        assert_eq!(stats.iter().map(|s| s.completed).sum::<u64>(), done);
        let worker_calls: u64 = stats.iter().map(|s| s.sleeps + s.wakes).sum();
        let n = done as f64;
        Saturation {
            ns_per_request: wall.as_nanos() as f64 / n,
            voluntary: counters.voluntary as f64 / n,
            involuntary: counters.involuntary as f64 / n,
            cpu_ns: counters.cpu_ns as f64 / n,
            wait_ns: counters.wait_ns as f64 / n,
            syscalls: Some((worker_calls + network_calls) as f64 / n),
        }
    }

    /// A request of the crossbeam pipeline: the value, its enqueue stamp,
    /// and which network thread's reply channel to answer on.
    struct CbRequest {
        value: u64,
        enqueued: Instant,
        origin: usize,
    }

    /// A reply of the crossbeam pipeline, with the timing `handoff`'s
    /// replies carry.
    struct CbReply {
        value: u64,
        #[allow(dead_code)] // Carried (equal work), not read.
        enqueued: Instant,
        #[allow(dead_code)]
        waited: Duration,
        #[allow(dead_code)]
        service: Duration,
        #[allow(dead_code)]
        busy: Duration,
    }

    /// The crossbeam worker: receives until every request sender is gone.
    /// It reads the clock the way `handoff`'s worker does: once per
    /// request while it works without a break (the end of one request's
    /// service is the start of the next), again after it waited.
    fn crossbeam_worker(requests: Receiver<CbRequest>, replies: Vec<Sender<CbReply>>) {
        let mut busy = Duration::ZERO;
        let mut clock: Option<Instant> = None;
        loop {
            let request = match requests.try_recv() {
                Ok(request) => request,
                Err(_) => {
                    clock = None;
                    match requests.recv() {
                        Ok(request) => request,
                        Err(_) => return,
                    }
                }
            };
            let started = clock.unwrap_or_else(Instant::now);
            let value = work(request.value);
            let end = Instant::now();
            clock = Some(end);
            let service = end.saturating_duration_since(started);
            busy += service;
            let reply = CbReply {
                value,
                enqueued: request.enqueued,
                waited: started.saturating_duration_since(request.enqueued),
                service,
                busy,
            };
            replies[request.origin]
                .send(reply)
                .expect("crossbeam: a network thread left early");
        }
    }

    /// Spawns `workers` crossbeam workers for `networks` network threads:
    /// returns the request sender and one reply receiver per network
    /// thread, and the workers' handles.
    #[allow(clippy::type_complexity)]
    fn crossbeam_pipeline(
        networks: usize,
        workers: usize,
        reply_capacity: usize,
    ) -> (
        Sender<CbRequest>,
        Vec<Receiver<CbReply>>,
        Vec<thread::JoinHandle<()>>,
    ) {
        let (request_tx, request_rx) = crossbeam_channel::bounded(REQUEST_CAPACITY);
        let (reply_txs, reply_rxs): (Vec<_>, Vec<_>) = (0..networks)
            .map(|_| crossbeam_channel::bounded(reply_capacity))
            .unzip();
        let threads = (0..workers)
            .map(|w| {
                let (rx, txs) = (request_rx.clone(), reply_txs.clone());
                thread::Builder::new()
                    .name(format!("crossbeam-worker-{w}"))
                    .spawn(move || crossbeam_worker(rx, txs))
                    .expect("spawn a worker")
            })
            .collect();
        (request_tx, reply_rxs, threads)
    }

    /// A crossbeam network thread's windowed loop, like `handoff_network`.
    fn crossbeam_network(
        tx: &Sender<CbRequest>,
        rx: &Receiver<CbReply>,
        origin: usize,
        base: u64,
        n: u64,
        window: usize,
    ) -> (u64, u64) {
        let end = base + n;
        let mut next = base;
        // A request the channel refused, to send again.
        let mut pending: Option<CbRequest> = None;
        let (mut outstanding, mut received, mut sum) = (0usize, 0u64, 0u64);
        while received < n {
            let mut blocked = next == end && pending.is_none();
            while next < end || pending.is_some() {
                if outstanding >= window {
                    blocked = true;
                    break;
                }
                let request = pending.take().unwrap_or_else(|| {
                    next += 1;
                    CbRequest {
                        value: next - 1,
                        enqueued: Instant::now(),
                        origin,
                    }
                });
                match tx.try_send(request) {
                    Ok(()) => outstanding += 1,
                    Err(TrySendError::Full(request)) => {
                        pending = Some(request);
                        blocked = true;
                        break;
                    }
                    Err(TrySendError::Disconnected(_)) => panic!("crossbeam: the workers are gone"),
                }
            }
            let mut got = false;
            loop {
                match rx.try_recv() {
                    Ok(reply) => {
                        got = true;
                        outstanding -= 1;
                        received += 1;
                        sum = sum.wrapping_add(reply.value);
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => panic!("crossbeam: the workers are gone"),
                }
            }
            if !got && blocked {
                if outstanding == 0 {
                    // The shared channel is full of the other network
                    // threads' requests: no reply of ours can come, so
                    // wait for room instead.
                    let request = pending.take().expect("blocked with nothing outstanding");
                    tx.send(request).expect("crossbeam: the workers are gone");
                    outstanding += 1;
                } else {
                    let reply = rx.recv().expect("crossbeam: a reply is owed");
                    outstanding -= 1;
                    received += 1;
                    sum = sum.wrapping_add(reply.value);
                }
            }
        }
        (received, sum)
    }

    fn saturation_crossbeam(
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
            let base = k as u64 * per;
            assert_eq!(
                count, per,
                "crossbeam: network {k} got {count} replies of {per}"
            );
            assert_eq!(
                sum,
                expected_sum(base, per),
                "crossbeam: network {k}: wrong replies"
            );
            keep.push((tx, rx));
        }
        drop(keep); // the workers exit once every request sender is gone
        for t in threads {
            t.join().unwrap();
        }
        let n = (per * networks as u64) as f64;
        Saturation {
            ns_per_request: wall.as_nanos() as f64 / n,
            voluntary: counters.voluntary as f64 / n,
            involuntary: counters.involuntary as f64 / n,
            cpu_ns: counters.cpu_ns as f64 / n,
            wait_ns: counters.wait_ns as f64 / n,
            syscalls: None,
        }
    }

    // ---------------------------------------------------------------------
    // Low-rate latency.

    /// One latency measurement: enqueue → reply, in nanoseconds, per
    /// request, and `handoff`'s system calls per request.
    struct Latency {
        ns: Vec<f64>,
        syscalls: Option<f64>,
    }

    /// `handoff` with `workers` workers (0: inline), the bench's main
    /// thread as the network thread.
    fn latency_handoff(workers: usize, n: u64, gap: Duration) -> Latency {
        let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, workers), handler()).unwrap();
        let net = &mut nets[0];
        let mut ns = Vec::with_capacity(n as usize);
        for i in 0..n {
            thread::sleep(gap);
            let start = Instant::now();
            net.enqueue(i).expect("handoff: enqueue");
            let reply = net.reply_blocking().expect("handoff: a reply is owed");
            let elapsed = start.elapsed();
            assert_eq!(reply.outcome.done(), Some(work(i)), "handoff: wrong reply");
            ns.push(elapsed.as_nanos() as f64);
        }
        let network_calls = calls(net.park_stats());
        drop(nets);
        let stats = pool.join();
        assert_eq!(stats.iter().map(|s| s.completed).sum::<u64>(), n);
        let worker_calls: u64 = stats.iter().map(|s| s.sleeps + s.wakes).sum();
        Latency {
            ns,
            syscalls: Some((worker_calls + network_calls) as f64 / n as f64),
        }
    }

    fn latency_crossbeam(n: u64, gap: Duration) -> Latency {
        let (tx, mut rxs, threads) = crossbeam_pipeline(1, 1, REQUEST_CAPACITY);
        let rx = rxs.pop().unwrap();
        let mut ns = Vec::with_capacity(n as usize);
        for i in 0..n {
            thread::sleep(gap);
            let start = Instant::now();
            tx.send(CbRequest {
                value: i,
                enqueued: Instant::now(),
                origin: 0,
            })
            .expect("crossbeam: send");
            let reply = rx.recv().expect("crossbeam: a reply is owed");
            let elapsed = start.elapsed();
            assert_eq!(reply.value, work(i), "crossbeam: wrong reply");
            ns.push(elapsed.as_nanos() as f64);
        }
        drop(tx);
        for t in threads {
            t.join().unwrap();
        }
        Latency { ns, syscalls: None }
    }

    // ---------------------------------------------------------------------
    // The run and the tables.

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
    fn paired(
        samples: &[Saturation],
        reference: &[Saturation],
        field: fn(&Saturation) -> f64,
    ) -> f64 {
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

    pub fn main() {
        let quick = mode::quick();
        let rounds = if quick { 1 } else { env_u64("ROUNDS", 11) } as usize;
        assert!(rounds >= 1, "ROUNDS must be at least 1");
        let gap = Duration::from_micros(env_u64("GAP_US", 200));
        let window = env_u64("WINDOW", 256) as usize;
        assert!(window >= 1, "WINDOW must be at least 1");
        let (n_sat, n_lat) = if quick {
            (20_000, 20)
        } else {
            (env_u64("SATURATED", 2_000_000), env_u64("LATENCY", 1_000))
        };
        assert!(n_sat >= 2 && n_lat >= 1, "request counts must be positive");
        eprintln!(
            "worker_compare: {} mode, {rounds} round(s); saturation: {n_sat} requests, window \
             {window}; latency: {n_lat} requests {gap:?} apart; {} CPUs",
            if quick { "quick" } else { "full" },
            thread::available_parallelism().map_or(0, |n| n.get()),
        );

        let started = Instant::now();
        let cpu_before = CpuTimes::now();
        if !quick {
            // Untimed warm-up: page in the code, let the clock settle.
            saturation_handoff(1, 1, n_sat / 10, window);
            saturation_crossbeam(1, 1, n_sat / 10, window);
        }
        let mut sat: [Vec<Saturation>; 4] = Default::default(); // handoff 1×1, crossbeam 1×1, handoff 2×2, crossbeam 2×2
        let mut lat: [Vec<Latency>; 3] = Default::default(); // threaded, inline, crossbeam
        for round in 0..rounds {
            // Alternate which goes first, so neither always runs right
            // after the other's shutdown.
            let handoff_first = round % 2 == 0;
            for (h, c, shape) in [(0, 1, 1), (2, 3, 2)] {
                if handoff_first {
                    sat[h].push(saturation_handoff(shape, shape, n_sat, window));
                    sat[c].push(saturation_crossbeam(shape, shape, n_sat, window));
                } else {
                    sat[c].push(saturation_crossbeam(shape, shape, n_sat, window));
                    sat[h].push(saturation_handoff(shape, shape, n_sat, window));
                }
            }
            let order: [usize; 3] = if handoff_first { [0, 1, 2] } else { [2, 1, 0] };
            for k in order {
                lat[k].push(match k {
                    0 => latency_handoff(1, n_lat, gap),
                    1 => latency_handoff(0, n_lat, gap),
                    _ => latency_crossbeam(n_lat, gap),
                });
            }
            if !quick {
                super::harness::progress(round, rounds, started);
            }
        }
        if !quick {
            eprintln!();
        }

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
        super::harness::proc::report_other_load(
            cpu_before,
            "the pipelines' threads want every core",
        );
    }
}
