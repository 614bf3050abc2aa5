//! loom models of the worker: enqueue, signal and kill racing on one
//! worker thread.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test
//! loom_worker` (the models set their own preemption bound). The wake protocol stays on: the worker
//! sleeps in its parker, and a lost wake-up shows as a deadlock.
//!
//! Each model: the network thread enqueues two requests and signals the
//! first (`Cancel`), while another thread kills the worker. Whatever the
//! interleaving: every request `enqueue` accepted gets exactly one reply,
//! the right kind for the kill; every request it refused comes back in the
//! error; and the worker exits (`join` returns).
#![cfg(loom)]

use handoff::signal::Action;
use handoff::worker::{
    self, EnqueueError, Kill, Outcome, Pool, PoolConfig, RequestContext, Worker, WorkerConfig,
};
use loom::thread;

fn race(how: Kill) {
    let handler = worker::from_sync_fn(|x: u8, _: RequestContext| x);
    let config = WorkerConfig::new().max_requests(2).queue_capacity(2);
    let mut w = Worker::spawn(config, handler).unwrap();
    let killer = {
        let killer = w.killer();
        thread::spawn(move || killer.kill(how).unwrap())
    };

    let mut accepted = Vec::new();
    for x in [1u8, 2] {
        match w.enqueue(x) {
            Ok(ticket) => accepted.push((ticket, x)),
            Err(EnqueueError::Killed(back)) => assert_eq!(back, x),
            Err(e) => panic!("unexpected {e}"),
        }
        if x == 1 {
            if let Some(&(ticket, _)) = accepted.first() {
                let _ = w.signal(ticket, Action::Cancel);
            }
        }
    }
    let mut answered = Vec::new();
    while let Some(reply) = w.reply_blocking() {
        let x = accepted
            .iter()
            .find(|(t, _)| *t == reply.ticket)
            .map(|&(_, x)| x)
            .expect("a reply to an accepted request");
        assert!(!answered.contains(&x), "{x} answered twice");
        match (how, reply.outcome) {
            (_, Outcome::Done(got)) => assert_eq!(got, x),
            (_, Outcome::Cancelled) => {}
            (Kill::Now, Outcome::Unstarted(back)) => assert_eq!(back, x),
            (how, other) => panic!("{other:?} after {how:?}"),
        }
        answered.push(x);
    }
    assert_eq!(
        answered.len(),
        accepted.len(),
        "every accepted request answered"
    );
    killer.join().unwrap();
    let stats = w.join(); // the worker exits
    assert_eq!(stats.replies(), accepted.len() as u64);
}

/// Three threads with a worker loop in one of them: a preemption bound of
/// 2 keeps a model to seconds (3 takes minutes) and still catches every
/// weakened ordering of the kill protocol (`.ci/loom-mutants`).
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound =
        Some(std::env::var("WORKER_BOUND").map_or(2, |v| v.parse().unwrap()));
    builder.check(f);
}

#[test]
fn graceful_kill_races_enqueue_and_signal() {
    model(|| race(Kill::Graceful));
}

#[test]
fn kill_now_races_enqueue_and_signal() {
    model(|| race(Kill::Now));
}

/// An async request woken by another thread while the worker sleeps (or is
/// about to): the slot's waker queues it once and wakes the worker; the
/// reply arrives.
#[test]
fn a_wake_from_another_thread_reaches_the_worker() {
    use core::task::{Poll, Waker};
    use loom::sync::{Arc, Mutex};

    model(|| {
        let shared: Arc<Mutex<(bool, Option<Waker>)>> = Arc::new(Mutex::new((false, None)));
        let s = Arc::clone(&shared);
        let handler = worker::from_fn(move |(), _cx: RequestContext| {
            let s = Arc::clone(&s);
            async move {
                std::future::poll_fn(|cx| {
                    let mut state = s.lock().unwrap();
                    if state.0 {
                        Poll::Ready(7u8)
                    } else {
                        state.1 = Some(cx.waker().clone());
                        Poll::Pending
                    }
                })
                .await
            }
        });
        let config = WorkerConfig::new().max_requests(1).queue_capacity(1);
        let mut w = Worker::spawn(config, handler).unwrap();
        w.enqueue(()).unwrap();
        let waker = thread::spawn(move || {
            let waker = {
                let mut state = shared.lock().unwrap();
                state.0 = true;
                state.1.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        let reply = w.reply_blocking().expect("the wake is not lost");
        assert_eq!(reply.outcome.done(), Some(7));
        waker.join().unwrap();
        let stats = w.join();
        assert_eq!(stats.completed, 1);
    });
}

/// The back-pressure loop: network A, refused `Full` because network B's
/// request holds the worker's only entry, sleeps in `wait_ready`; B taking
/// its reply frees the entry and must wake A (a lost wake-up is a
/// deadlock, which loom reports). Guards the freer's barrier in
/// `worker::pressure` (`.ci/loom-mutants`).
#[test]
fn a_full_network_is_woken_when_room_returns() {
    model(|| {
        let handler = worker::from_sync_fn(|x: u8, _: RequestContext| x);
        let worker = WorkerConfig::new().max_requests(1).queue_capacity(1);
        let (pool, mut nets) = Pool::spawn(PoolConfig::new(2, 1).worker(worker), handler).unwrap();
        let mut b = nets.pop().unwrap();
        let mut a = nets.pop().unwrap();
        b.enqueue(2).unwrap();
        let freer = thread::spawn(move || {
            assert_eq!(b.reply_blocking().unwrap().outcome.done(), Some(2));
            b
        });
        loop {
            match a.enqueue(1) {
                Ok(_) => break,
                Err(EnqueueError::Full(_)) => assert!(a.wait_ready(None), "woken for room"),
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(a.reply_blocking().unwrap().outcome.done(), Some(1));
        let b = freer.join().unwrap();
        drop((a, b));
        pool.join();
    });
}
