//! Low-rate latency: one request at a time, the worker asleep before each.

use std::thread;
use std::time::{Duration, Instant};

use handoff::worker::{Pool, PoolConfig};

use crate::crossbeam::{crossbeam_pipeline, CbRequest, REQUEST_CAPACITY};
use crate::{calls, handler, work};

/// One latency measurement: enqueue → reply, in nanoseconds, per
/// request, and `handoff`'s system calls per request.
pub struct Latency {
    pub ns: Vec<f64>,
    pub syscalls: Option<f64>,
}

/// `handoff` with `workers` workers (0: inline), the bench's main
/// thread as the network thread.
pub fn latency_handoff(workers: usize, n: u64, gap: Duration) -> Latency {
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

/// The same on the crossbeam pipeline (1 × 1, blocking `send` and `recv`).
pub fn latency_crossbeam(n: u64, gap: Duration) -> Latency {
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
