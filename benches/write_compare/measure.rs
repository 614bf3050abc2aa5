//! One measurement of one design: the workers, the clients, and the checks
//! that every accepted frame arrived, whole and in order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;

use crate::alarm::{join, Alarm, Note};
use crate::client::{run_client, ClientReport, ClientRole};
use crate::frame::encode;
use crate::harness::proc::voluntary_switches;
use crate::plan::{connect, Plan, FAST, SLOW_EVERY, STALL_LIMIT, WORKERS};
use crate::server::{Server, Writes};

/// What one worker did in a measurement.
#[derive(Default)]
pub struct WorkerReport {
    /// Frames accepted per connection.
    pub accepted: Vec<u64>,
    pub refused: u64,
    pub retries: u64,
    /// Time inside `deliver`, ns: the longest call, and the longest and
    /// total of the calls to the slow client.
    pub max_call_ns: u64,
    pub slow_calls_ns: u64,
    pub max_slow_call_ns: u64,
    /// Voluntary context switches during the run.
    pub sleeps: u64,
}

impl WorkerReport {
    /// Counts a call that took `took`, to the slow client if `slow`.
    pub fn record(&mut self, slow: bool, took: Duration) {
        let ns = took.as_nanos() as u64;
        self.max_call_ns = self.max_call_ns.max(ns);
        if slow {
            self.slow_calls_ns += ns;
            self.max_slow_call_ns = self.max_slow_call_ns.max(ns);
        }
    }
}

pub fn run_worker<S: Server>(w: usize, plan: Plan, server: &S, base: Instant) -> WorkerReport {
    let fast = plan.fast_frames / WORKERS as u64;
    let slow = plan.slow_frames / WORKERS as u64;
    let total = fast + slow;
    let mut r = WorkerReport {
        accepted: vec![0; plan.conns()],
        ..WorkerReport::default()
    };
    let mut batch = server.batch(plan.conns());
    let sleeps = voluntary_switches();
    let mut now = Instant::now();
    let start = now;
    // Paced: this worker's share of the rate, sleeping until each reply is
    // due (so that replies come in small bursts, a sleep's granularity
    // apart).
    let interval = (plan.rate > 0).then(|| Duration::from_secs(WORKERS as u64) / plan.rate as u32);
    let (mut fast_sent, mut slow_sent) = (0u64, 0u64);
    for j in 0..total {
        if let Some(interval) = interval {
            let due = start + interval * j as u32;
            if due > now {
                thread::sleep(due - now);
                now = Instant::now();
            }
        }
        // Every fifth reply, until this worker's share is sent (which
        // `Plan::new` makes possible).
        let to_slow = slow_sent < slow && j % SLOW_EVERY == SLOW_EVERY - 1;
        slow_sent += u64::from(to_slow);
        let conn = if to_slow {
            FAST
        } else {
            fast_sent += 1;
            ((fast_sent - 1 + w as u64) % FAST as u64) as usize
        };
        let stamp = (now - base).as_nanos() as u64;
        let frame = encode(r.accepted[conn], stamp, w, conn);
        let accepted = server.deliver(&mut batch, conn, frame, to_slow, &mut r.retries);
        let after = Instant::now();
        r.record(to_slow, after - now);
        if accepted {
            r.accepted[conn] += 1;
        } else {
            r.refused += 1;
        }
        now = after;
        if S::BATCHED && ((j + 1) % plan.batch == 0 || j + 1 == total) {
            server.end_batch(&mut batch, &mut r);
            now = Instant::now();
        }
    }
    r.sleeps = voluntary_switches() - sleeps;
    r
}

/// One measurement of one design.
pub struct Sample {
    /// Workers' start to the last fast client's last frame.
    pub fast_secs: f64,
    pub fast_frames: u64,
    pub fast_latencies: Vec<u64>,
    pub slow_latencies: Vec<u64>,
    pub slow_delivered: u64,
    pub slow_refused: u64,
    pub retries: u64,
    pub max_call_ns: u64,
    pub max_slow_call_ns: u64,
    pub slow_calls_ns: u64,
    pub sleeps: u64,
    pub writes: Option<Writes>,
}

pub fn measure<S: Server>(name: &'static str, plan: Plan, sndbuf: usize) -> Sample {
    let (clients, servers) = connect(plan.conns(), sndbuf);
    let base = Instant::now();
    let drain = Arc::new(AtomicBool::new(false));
    let (notes_tx, notes) = crossbeam_channel::unbounded();
    let alarm = |who: String| Alarm {
        tx: notes_tx.clone(),
        who,
    };
    let readers: Vec<JoinHandle<ClientReport>> = clients
        .into_iter()
        .enumerate()
        .map(|(conn, stream)| {
            let role = ClientRole {
                name,
                conn,
                slow: conn == FAST,
                expected: plan.fast_per_conn(),
                base,
                drain: Arc::clone(&drain),
                alarm: alarm(format!("{name}: client {conn}")),
            };
            thread::Builder::new()
                .name(format!("client-{conn}"))
                .spawn(move || run_client(stream, role))
                .expect("spawn a client")
        })
        .collect();
    let server = Arc::new(S::start(servers, &notes_tx));
    let gate = Arc::new(Barrier::new(WORKERS + 1));
    let workers: Vec<JoinHandle<WorkerReport>> = (0..WORKERS)
        .map(|w| {
            let (server, gate) = (Arc::clone(&server), Arc::clone(&gate));
            let alarm = alarm(format!("{name}: worker {w}"));
            thread::Builder::new()
                .name(format!("worker-{w}"))
                .spawn(move || {
                    let _alarm = alarm;
                    gate.wait();
                    run_worker(w, plan, &*server, base)
                })
                .expect("spawn a worker")
        })
        .collect();
    drop(notes_tx);
    gate.wait();
    let start = Instant::now();

    let mut last = start;
    let mut done = 0;
    while done < FAST {
        match notes.recv_timeout(STALL_LIMIT) {
            Ok(Note::FastDone(at)) => {
                done += 1;
                last = last.max(at);
            }
            Ok(Note::Panicked(who)) => panic!("{who} panicked (its message is above)"),
            Err(RecvTimeoutError::Timeout) => {
                panic!("{name}: the fast clients were not done after {STALL_LIMIT:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{name}: every thread ended before the fast clients were done")
            }
        }
    }
    let fast_secs = (last - start).as_secs_f64();
    let reports: Vec<WorkerReport> = workers.into_iter().map(join).collect();
    drain.store(true, Ordering::Release);
    let Ok(server) = Arc::try_unwrap(server) else {
        unreachable!("the workers are gone")
    };
    let writes = server.finish();
    let clients: Vec<ClientReport> = readers.into_iter().map(join).collect();

    // Every client got exactly what was accepted for it (the clients
    // checked each frame-making worker's sequence for gaps; a worker pool's
    // workers make frames other than the threads that deliver them, so the
    // totals per connection are compared), and each fast client all of its
    // frames.
    for (conn, client) in clients.iter().enumerate() {
        let got: u64 = client.per_worker.iter().sum();
        let accepted: u64 = reports.iter().map(|r| r.accepted[conn]).sum();
        assert_eq!(
            got, accepted,
            "{name}: connection {conn} got {got} frames, {accepted} were accepted"
        );
    }
    for (conn, client) in clients.iter().enumerate().take(FAST) {
        let got: u64 = client.per_worker.iter().sum();
        assert_eq!(
            got,
            plan.fast_per_conn(),
            "{name}: fast connection {conn} got {got} frames"
        );
    }
    let slow_delivered: u64 = clients.get(FAST).map_or(0, |c| c.per_worker.iter().sum());
    let slow_refused: u64 = reports.iter().map(|r| r.refused).sum();
    assert_eq!(slow_delivered + slow_refused, plan.slow_frames);
    if let Some(w) = writes {
        assert_eq!(w.frames, plan.fast_frames + slow_delivered);
    }

    let sum = |f: fn(&WorkerReport) -> u64| reports.iter().map(f).sum::<u64>();
    let max = |f: fn(&WorkerReport) -> u64| reports.iter().map(f).max().unwrap_or(0);
    Sample {
        fast_secs,
        fast_frames: plan.fast_frames,
        fast_latencies: clients
            .iter()
            .take(FAST)
            .flat_map(|c| c.latencies.iter().copied())
            .collect(),
        slow_latencies: clients
            .get(FAST)
            .map_or_else(Vec::new, |c| c.latencies.clone()),
        slow_delivered,
        slow_refused,
        retries: sum(|r| r.retries),
        max_call_ns: max(|r| r.max_call_ns),
        max_slow_call_ns: max(|r| r.max_slow_call_ns),
        slow_calls_ns: sum(|r| r.slow_calls_ns),
        sleeps: sum(|r| r.sleeps),
        writes,
    }
}
