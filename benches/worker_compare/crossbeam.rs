//! The peer: the same pipeline built the usual way on crossbeam-channel,
//! one shared bounded request channel that every worker receives from and
//! a bounded reply channel per network thread.

use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};

use crate::work;

/// The capacity of the crossbeam request channel: that of a `handoff`
/// request ring (`WorkerConfig::queue_capacity`'s default).
pub const REQUEST_CAPACITY: usize = 256;

/// A request of the crossbeam pipeline: the value, its enqueue stamp,
/// and which network thread's reply channel to answer on.
pub struct CbRequest {
    pub value: u64,
    pub enqueued: Instant,
    pub origin: usize,
}

/// A reply of the crossbeam pipeline, with the timing `handoff`'s
/// replies carry.
pub struct CbReply {
    pub value: u64,
    #[allow(dead_code)] // Carried (equal work), not read.
    pub enqueued: Instant,
    #[allow(dead_code)]
    pub waited: Duration,
    #[allow(dead_code)]
    pub service: Duration,
    #[allow(dead_code)]
    pub busy: Duration,
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
pub fn crossbeam_pipeline(
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
pub fn crossbeam_network(
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
