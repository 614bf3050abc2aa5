//! The worker API: every request answered exactly once, signals reach
//! running requests (Cancel drops them), panics are contained, both kills
//! keep their promises, the dispatcher avoids a slow worker, and inline mode
//! behaves like the threaded one.

#![cfg(not(loom))]

mod common;

use std::collections::HashSet;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::{scaled, wait_until, DropGuard, Drops, Tracked, PATIENCE};
use handoff::signal::{Action, Actions, Raised};
use handoff::worker::{
    self, EnqueueError, Kill, KillError, Outcome, Pool, PoolConfig, RequestContext, SpawnError,
    Worker, WorkerConfig,
};
use handoff::CapacityError;

#[test]
fn a_slow_handler_is_cancelled_by_signal() {
    let started = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicUsize::new(0));
    let (s, d) = (Arc::clone(&started), Arc::clone(&dropped));
    let handler = worker::from_fn(move |(), _cx| {
        s.store(true, Ordering::SeqCst);
        let guard = DropGuard(Arc::clone(&d));
        async move {
            let _guard = guard;
            std::future::pending::<()>().await; // would never finish
        }
    });
    let mut w = Worker::spawn(WorkerConfig::new(), handler).unwrap();
    let ticket = w.enqueue(()).unwrap();
    wait_until("the handler to start", || started.load(Ordering::SeqCst));
    assert_eq!(
        w.try_reply().map(|r| r.ticket),
        None,
        "it does not finish by itself"
    );
    assert_eq!(w.signal(ticket, Action::Cancel), Raised::Delivered);
    let reply = w.reply_timeout(PATIENCE).expect("a reply to the cancel");
    assert_eq!(reply.ticket, ticket);
    assert!(matches!(reply.outcome, Outcome::Cancelled));
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the future is dropped once"
    );
    // The request is answered: its ticket is stale now.
    assert_eq!(w.signal(ticket, Action::Cancel), Raised::Stale);
    let stats = w.join();
    assert_eq!((stats.cancelled, stats.completed), (1, 0));
}

#[test]
fn a_cancel_before_the_request_starts_never_runs_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(AtomicBool::new(false));
    let (c, g) = (Arc::clone(&calls), Arc::clone(&gate));
    // The first request holds the worker until the gate opens; the second
    // is cancelled while it waits in the ring.
    let handler = worker::from_sync_fn(move |n: u32, _: RequestContext| {
        c.fetch_add(1, Ordering::SeqCst);
        while n == 0 && !g.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        n
    });
    let mut w = Worker::spawn(WorkerConfig::new(), handler).unwrap();
    w.enqueue(0).unwrap();
    wait_until("the first request to start", || {
        calls.load(Ordering::SeqCst) == 1
    });
    let queued = w.enqueue(1).unwrap();
    assert_eq!(w.signal(queued, Action::Cancel), Raised::Delivered);
    gate.store(true, Ordering::SeqCst);
    let mut outcomes = Vec::new();
    while let Some(reply) = w.reply_timeout(PATIENCE) {
        outcomes.push((reply.ticket == queued, reply.outcome));
    }
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes
        .iter()
        .any(|(q, o)| *q && matches!(o, Outcome::Cancelled)));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the cancelled request never ran"
    );
}

#[test]
fn dup_and_timeout_reach_a_running_async_request() {
    // Collects actions until it is told its time is up, then reports them.
    let handler = worker::from_fn(|(), cx: RequestContext| async move {
        let mut seen = Actions::EMPTY;
        while !seen.contains(Action::Timeout) {
            seen |= cx.signalled().await;
        }
        seen
    });
    let mut w = Worker::spawn(WorkerConfig::new(), handler).unwrap();
    let ticket = w.enqueue(()).unwrap();
    let signaller = w.signaller();
    thread::spawn(move || {
        assert_eq!(signaller.signal(ticket, Action::Dup), Raised::Delivered);
        thread::sleep(Duration::from_millis(5));
        let raised = signaller.signal(ticket, Action::Timeout);
        assert!(matches!(raised, Raised::Delivered | Raised::AlreadyPending));
    })
    .join()
    .unwrap();
    let reply = w
        .reply_timeout(PATIENCE)
        .expect("the request ends on Timeout");
    let seen = reply.outcome.done().unwrap();
    assert!(
        seen.contains(Action::Dup) && seen.contains(Action::Timeout),
        "{seen:?}"
    );
    assert!(!seen.contains(Action::Cancel));
}

#[test]
fn a_context_sees_actions_raised_while_the_request_was_queued() {
    let gate = Arc::new(AtomicBool::new(false));
    let g = Arc::clone(&gate);
    let handler = worker::from_sync_fn(move |n: u8, cx: RequestContext| {
        while n == 0 && !g.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        cx.take_actions()
    });
    let mut w = Worker::spawn(WorkerConfig::new(), handler).unwrap();
    w.enqueue(0).unwrap();
    let queued = w.enqueue(1).unwrap();
    assert_eq!(w.signal(queued, Action::Dup), Raised::Delivered);
    assert_eq!(w.signal(queued, Action::Retry), Raised::Delivered);
    gate.store(true, Ordering::SeqCst);
    let mut got = None;
    while let Some(reply) = w.reply_timeout(PATIENCE) {
        if reply.ticket == queued {
            got = reply.outcome.done();
        }
    }
    let got = got.expect("the queued request ran");
    assert!(
        got.contains(Action::Dup) && got.contains(Action::Retry),
        "{got:?}"
    );
}

/// A future that completes when another thread says so, through its waker:
/// the executor's per-slot wakers must reach a sleeping worker.
#[test]
fn an_async_request_is_woken_from_another_thread() {
    type Shared = Arc<Mutex<(bool, Option<Waker>)>>;
    let shared: Shared = Arc::default();
    let s = Arc::clone(&shared);
    let handler = worker::from_fn(move |n: u64, _cx| {
        let s = Arc::clone(&s);
        async move {
            poll_fn(|cx| {
                let mut state = s.lock().unwrap();
                if state.0 {
                    Poll::Ready(())
                } else {
                    state.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
            .await;
            n + 1
        }
    });
    let mut w = Worker::spawn(WorkerConfig::new(), handler).unwrap();
    w.enqueue(41).unwrap();
    wait_until("the request to wait", || shared.lock().unwrap().1.is_some());
    thread::sleep(Duration::from_millis(10)); // let the worker fall asleep
    let waker = {
        let mut state = shared.lock().unwrap();
        state.0 = true;
        state.1.take().unwrap()
    };
    waker.wake();
    let reply = w
        .reply_timeout(PATIENCE)
        .expect("the wake reaches the worker");
    assert_eq!(reply.outcome.done(), Some(42));
}

#[test]
fn a_panicking_handler_is_reported_and_the_pool_goes_on() {
    let n = scaled(400, 12);
    // Panics in `call` for multiples of 7, in the future's poll for
    // multiples of 11; everything else answers.
    let handler = worker::from_fn(|x: u64, _cx| {
        assert!(x % 7 != 0, "seven divides {x}");
        async move {
            assert!(x % 11 != 0, "eleven divides {x}");
            x
        }
    });
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 2), handler).unwrap();
    let net = &mut nets[0];
    let silent = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // the expected panics, quietly
    let (mut done, mut panicked) = (0, 0);
    for x in 1..=n {
        let mut request = x;
        loop {
            match net.enqueue(request) {
                Ok(_) => break,
                Err(EnqueueError::Full(r)) => {
                    request = r;
                    let reply = net.reply_timeout(PATIENCE).expect("a reply frees a slot");
                    count(reply.outcome, &mut done, &mut panicked);
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    while let Some(reply) = net.reply_timeout(PATIENCE) {
        count(reply.outcome, &mut done, &mut panicked);
    }
    std::panic::set_hook(silent);
    let bad = (1..=n).filter(|x| x % 7 == 0 || x % 11 == 0).count() as u64;
    assert_eq!((done, panicked), (n - bad, bad));
    pool.kill(Kill::Graceful).unwrap();
    let stats = pool.join();
    assert_eq!(stats.iter().map(|s| s.panicked).sum::<u64>(), bad);
    assert_eq!(stats.iter().map(|s| s.replies()).sum::<u64>(), n);

    fn count(outcome: Outcome<u64, u64>, done: &mut u64, panicked: &mut u64) {
        match outcome {
            Outcome::Done(_) => *done += 1,
            Outcome::Panicked(msg) => {
                assert!(msg.contains("divides"), "the panic's message: {msg}");
                *panicked += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn a_graceful_kill_answers_thousands_queued() {
    let n = scaled(4000, 20) as usize;
    let gate = Arc::new(AtomicBool::new(false));
    let g = Arc::clone(&gate);
    let handler = worker::from_sync_fn(move |x: usize, _: RequestContext| {
        while !g.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        x
    });
    let config = WorkerConfig::new().max_requests(n).queue_capacity(n);
    let mut w = Worker::spawn(config, handler).unwrap();
    for x in 0..n {
        w.enqueue(x).unwrap();
    }
    w.kill(Kill::Graceful).unwrap();
    assert!(matches!(w.enqueue(n), Err(EnqueueError::Killed(_))));
    assert_eq!(
        w.kill(Kill::Graceful),
        Err(KillError {
            already: Kill::Graceful
        })
    );
    gate.store(true, Ordering::SeqCst);
    let mut seen = vec![false; n];
    while let Some(reply) = w.reply_timeout(PATIENCE) {
        let x = reply
            .outcome
            .done()
            .expect("graceful: every request finishes");
        assert!(!std::mem::replace(&mut seen[x], true), "{x} answered twice");
    }
    assert!(seen.iter().all(|&s| s), "every queued request answered");
    let stats = w.join();
    assert_eq!((stats.requests, stats.completed), (n as u64, n as u64));
}

#[test]
fn kill_now_is_prompt_and_leaks_nothing() {
    let drops = Drops::new();
    let n = scaled(2000, 16);
    // Even requests wait forever (holding their request); odd ones answer.
    let handler = worker::from_fn(|t: Tracked, _cx| async move {
        if t.id % 2 == 0 {
            std::future::pending::<()>().await;
        }
        t
    });
    let room = WorkerConfig::new()
        .max_requests(n as usize)
        .queue_capacity(n as usize);
    let config = PoolConfig::new(2, 2).worker(room);
    let (pool, nets) = Pool::spawn(config, handler).unwrap();
    let barrier = Arc::new(std::sync::Barrier::new(3));
    let threads: Vec<_> = nets
        .into_iter()
        .map(|mut net| {
            let (drops, barrier) = (drops.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let mut enqueued = 0u64;
                let mut refused = 0u64;
                for i in 0..n / 2 {
                    match net.enqueue(drops.item(i)) {
                        Ok(_) => enqueued += 1,
                        Err(e) => {
                            assert!(!e.is_full(), "room for all");
                            refused += 1;
                        }
                    }
                    if i == n / 4 {
                        barrier.wait(); // the kill comes mid-stream
                    }
                }
                let mut answered = HashSet::new();
                while let Some(reply) = net.reply_timeout(PATIENCE) {
                    assert!(answered.insert(reply.ticket), "answered twice");
                    match reply.outcome {
                        Outcome::Done(t) => assert_eq!(t.id % 2, 1, "only odd ones finish"),
                        Outcome::Cancelled | Outcome::Unstarted(_) => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
                assert_eq!(net.outstanding(), 0);
                assert_eq!(answered.len() as u64, enqueued, "every request answered");
                enqueued + refused
            })
        })
        .collect();
    barrier.wait();
    pool.kill(Kill::Now).unwrap();
    assert_eq!(pool.kill(Kill::Now), Err(KillError { already: Kill::Now }));
    let start = Instant::now();
    let stats = pool.join();
    assert!(start.elapsed() < PATIENCE, "kill now is prompt");
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, n);
    assert_eq!(drops.made() as u64, n);
    assert_eq!(drops.alive(), 0, "every request dropped exactly once");
    assert!(stats.iter().map(|s| s.cancelled + s.unstarted).sum::<u64>() > 0);
}

#[test]
fn every_item_crosses_many_networks_and_workers_once() {
    let drops = Drops::new();
    let per_net = scaled(5000, 16);
    let handler = worker::from_sync_fn(|t: Tracked, _: RequestContext| t);
    let config =
        PoolConfig::new(3, 2).worker(WorkerConfig::new().max_requests(64).queue_capacity(16));
    let (pool, nets) = Pool::spawn(config, handler).unwrap();
    let threads: Vec<_> = nets
        .into_iter()
        .map(|mut net| {
            let drops = drops.clone();
            thread::spawn(move || {
                let base = net.index() as u64 * per_net;
                let mut got = Vec::new();
                let mut next = 0;
                while next < per_net || net.outstanding() > 0 {
                    if next < per_net {
                        match net.enqueue(drops.item(base + next)) {
                            Ok(_) => {
                                next += 1;
                                continue;
                            }
                            Err(e) => assert!(e.is_full(), "only back-pressure: {e}"),
                        }
                    }
                    if net.outstanding() == 0 {
                        // Full with nothing of ours outstanding: the other
                        // network threads' requests fill the workers.
                        thread::yield_now();
                        continue;
                    }
                    let reply = net.reply_timeout(PATIENCE).expect("a reply");
                    got.push(reply.outcome.done().unwrap().id);
                }
                got.sort_unstable();
                assert_eq!(got, (base..base + per_net).collect::<Vec<_>>());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = pool.join(); // every network gone: the workers exit
    assert_eq!(stats.iter().map(|s| s.completed).sum::<u64>(), 3 * per_net);
    assert_eq!(drops.alive(), 0);
}

#[test]
#[cfg_attr(miri, ignore = "timing-based: needs real service times")]
fn the_balancer_sends_a_slow_worker_fewer_requests() {
    // Worker 0 takes 10× as long per request.
    let handler = worker::from_sync_fn(|(), _: RequestContext| {
        let slow = thread::current().name().is_some_and(|n| n.ends_with("-0"));
        let work = Duration::from_micros(if slow { 500 } else { 50 });
        let start = Instant::now();
        while start.elapsed() < work {
            std::hint::spin_loop();
        }
    });
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 2), handler).unwrap();
    let net = &mut nets[0];
    let n = 2000;
    for _ in 0..n {
        while net.outstanding() >= 8 {
            net.reply_timeout(PATIENCE).expect("a reply");
        }
        net.enqueue(()).unwrap();
    }
    while net.reply_timeout(PATIENCE).is_some() {}
    let stats = pool.stats();
    let (slow, fast) = (stats[0].requests, stats[1].requests);
    assert_eq!(slow + fast, n);
    // Proportional would be 1/11 of them; even on a noisy machine it must
    // be far below half.
    assert!(slow * 4 < fast, "slow worker got {slow}, fast {fast}");
    drop(nets);
    pool.join();
}

#[test]
fn a_full_pool_hands_the_request_back() {
    let handler = worker::from_fn(|_: u8, cx: RequestContext| async move {
        cx.signalled().await;
    });
    let config = PoolConfig::new(1, 2).worker(WorkerConfig::new().max_requests(2));
    let (pool, mut nets) = Pool::spawn(config, handler).unwrap();
    let net = &mut nets[0];
    let tickets: Vec<_> = (0..4).map(|i| net.enqueue(i).unwrap()).collect();
    let workers: HashSet<_> = tickets.iter().map(|t| t.worker()).collect();
    assert_eq!(workers.len(), 2, "both workers used");
    assert!(matches!(net.enqueue(9), Err(EnqueueError::Full(9))));
    // A reply frees a slot.
    assert_eq!(net.signal(tickets[0], Action::Dup), Raised::Delivered);
    assert!(net.reply_timeout(PATIENCE).unwrap().outcome.is_done());
    let again = net.enqueue(9).unwrap();
    assert_eq!(again.worker(), tickets[0].worker());
    pool.kill(Kill::Now).unwrap();
    let mut answered = 0;
    while net.reply_timeout(PATIENCE).is_some() {
        answered += 1;
    }
    assert_eq!(answered, 4);
    assert!(matches!(net.enqueue(1), Err(EnqueueError::Killed(1))));
    pool.join();
}

#[test]
fn stale_and_foreign_tickets_do_nothing() {
    let handler = worker::from_sync_fn(|x: u8, _: RequestContext| x);
    let mut a = Worker::spawn(WorkerConfig::new(), handler.clone()).unwrap();
    let mut b = Worker::spawn(WorkerConfig::new(), handler).unwrap();
    let ta = a.enqueue(1).unwrap();
    a.reply_timeout(PATIENCE).unwrap();
    assert_eq!(a.signal(ta, Action::Cancel), Raised::Stale, "answered");
    let tb = b.enqueue(2).unwrap();
    assert_eq!(
        a.signal(tb, Action::Cancel),
        Raised::Stale,
        "another worker's"
    );
    assert!(b.reply_timeout(PATIENCE).unwrap().outcome.is_done());
}

#[test]
fn spawn_reports_bad_configs() {
    let handler = worker::from_sync_fn(|(), _: RequestContext| ());
    let spawn = |config: PoolConfig| {
        Pool::spawn(config, handler.clone())
            .map(|_| ())
            .unwrap_err()
    };
    assert!(matches!(
        spawn(PoolConfig::new(0, 1)),
        SpawnError::NoNetworks
    ));
    let zero = PoolConfig::new(1, 1).worker(WorkerConfig::new().queue_capacity(0));
    assert!(matches!(
        spawn(zero),
        SpawnError::Capacity(CapacityError::Zero)
    ));
    let huge = PoolConfig::new(1, 1).worker(WorkerConfig::new().max_requests(usize::MAX));
    assert!(matches!(
        spawn(huge),
        SpawnError::Capacity(CapacityError::TooLarge { .. })
    ));
    let cpu = PoolConfig::new(1, 1).worker(WorkerConfig::new().pin_to(vec![1 << 20]));
    let err = spawn(cpu);
    assert!(matches!(err, SpawnError::Cpu { cpu: 1_048_576 }), "{err}");
}

#[test]
#[cfg(all(target_os = "linux", not(miri)))]
fn workers_can_be_pinned() {
    let handler = worker::from_sync_fn(|(), _: RequestContext| {
        rustix::thread::sched_getaffinity(None).unwrap().count()
    });
    let config = PoolConfig::new(1, 1).worker(WorkerConfig::new().pin_to(vec![0]));
    let (pool, mut nets) = Pool::spawn(config, handler).unwrap();
    nets[0].enqueue(()).unwrap();
    assert_eq!(
        nets[0].reply_timeout(PATIENCE).unwrap().outcome.done(),
        Some(1)
    );
    drop(nets);
    pool.join();
}

#[test]
fn inline_mode_has_the_same_semantics() {
    let handler = worker::from_fn(|x: u32, cx: RequestContext| async move {
        if x == 0 {
            return cx.signalled().await.len() as u32;
        }
        x
    });
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 0), handler).unwrap();
    assert_eq!(pool.workers(), 0);
    let net = &mut nets[0];
    // A request that completes at once is answered inside enqueue, with no
    // other thread involved.
    let quick = net.enqueue(5).unwrap();
    let reply = net.try_reply().expect("answered in enqueue");
    assert_eq!((reply.ticket, reply.outcome.done()), (quick, Some(5)));
    // One that waits is signalled from another thread, which wakes us.
    let waiting = net.enqueue(0).unwrap();
    assert!(net.try_reply().is_none());
    let signaller = net.signaller();
    let raiser = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        signaller.signal(waiting, Action::Timeout)
    });
    let reply = net.reply_timeout(PATIENCE).expect("woken by the signal");
    assert_eq!((reply.ticket, reply.outcome.done()), (waiting, Some(1)));
    assert_eq!(raiser.join().unwrap(), Raised::Delivered);
    // Cancel, and kill now, work too.
    let cancelled = net.enqueue(0).unwrap();
    assert_eq!(net.signal(cancelled, Action::Cancel), Raised::Delivered);
    assert!(matches!(
        net.reply_blocking().unwrap().outcome,
        Outcome::Cancelled
    ));
    // Kill now: a request in flight is cancelled, one not yet started (it
    // waits for the next turn, as in a worker's ring) is handed back.
    let in_flight = net.enqueue(0).unwrap();
    assert!(net.try_reply().is_none(), "started, waiting for a signal");
    let queued = net.enqueue(7).unwrap();
    pool.kill(Kill::Now).unwrap();
    let mut got = [net.reply_blocking().unwrap(), net.reply_blocking().unwrap()];
    got.sort_by_key(|r| r.ticket != in_flight);
    assert_eq!((got[0].ticket, got[1].ticket), (in_flight, queued));
    let [first, second] = got;
    assert!(matches!(first.outcome, Outcome::Cancelled));
    assert!(matches!(second.outcome, Outcome::Unstarted(7)));
    assert!(matches!(net.enqueue(1), Err(EnqueueError::Killed(1))));
    assert!(net.reply_blocking().is_none());
    let stats = pool.join();
    let s = &stats[0];
    assert_eq!((s.completed, s.cancelled, s.unstarted), (2, 2, 1));
}

#[test]
fn inline_mode_answers_every_item_once() {
    let drops = Drops::new();
    let n = scaled(3000, 20);
    let handler = worker::from_sync_fn(|t: Tracked, _: RequestContext| t);
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 0), handler).unwrap();
    let net = &mut nets[0];
    let mut got = Vec::new();
    for i in 0..n {
        net.enqueue(drops.item(i)).unwrap();
        got.push(net.try_reply().unwrap().outcome.done().unwrap().id);
    }
    assert_eq!(got, (0..n).collect::<Vec<_>>());
    drop(got);
    assert_eq!(drops.alive(), 0);
    pool.kill(Kill::Graceful).unwrap();
    assert_eq!(pool.join()[0].completed, n);
}

#[test]
#[cfg(all(target_os = "linux", not(miri)))]
fn replies_make_the_network_descriptor_readable() {
    use rustix::event::{poll, PollFd, PollFlags};
    use std::os::fd::AsFd;

    let gate = Arc::new(AtomicBool::new(false));
    let g = Arc::clone(&gate);
    let handler = worker::from_sync_fn(move |x: u8, _: RequestContext| {
        while !g.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        x
    });
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 1).reply_fd(true), handler).unwrap();
    let net = &mut nets[0];
    net.enqueue(3).unwrap();
    assert!(net.arm(), "no reply yet: the loop may sleep");
    gate.store(true, Ordering::SeqCst);
    {
        let fd = net.as_fd();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let timeout = rustix::time::Timespec {
            tv_sec: 60,
            tv_nsec: 0,
        };
        let ready = poll(&mut fds, Some(&timeout)).unwrap();
        assert_eq!(ready, 1, "the reply makes it readable");
    }
    net.disarm();
    assert_eq!(net.try_reply().unwrap().outcome.done(), Some(3));
    assert!(!net.arm() || net.outstanding() == 0);
    drop(nets);
    pool.join();
}

#[test]
fn kill_now_hands_back_what_is_queued_without_running_it() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let handler = worker::from_sync_fn(move |_: u32, _: RequestContext| {
        r.fetch_add(1, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(20));
    });
    let mut w = Worker::spawn(WorkerConfig::new(), handler).unwrap();
    let n = 10;
    for i in 0..n {
        w.enqueue(i).unwrap();
    }
    wait_until("the first request to run", || {
        ran.load(Ordering::SeqCst) >= 1
    });
    w.kill(Kill::Now).unwrap();
    let (mut done, mut unstarted) = (0, 0);
    while let Some(reply) = w.reply_timeout(PATIENCE) {
        match reply.outcome {
            Outcome::Done(()) => done += 1,
            Outcome::Unstarted(_) => unstarted += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(done + unstarted, n);
    // The request running at the kill finishes (a synchronous handler
    // cannot be interrupted), and perhaps the one the worker had just
    // taken; the rest come back unrun.
    assert!(done <= 2, "{done} ran after the kill");
    assert_eq!(ran.load(Ordering::SeqCst), done as usize);
}

/// The rough edge a new user hit: 24 requests, 6 of them cancelled before
/// they start. Both modes run the handler 18 times and answer the 6
/// `Cancelled`: inline mode starts a request at the next turn, as a worker
/// does, not inside `enqueue`.
#[test]
fn both_modes_skip_the_handler_of_a_request_cancelled_before_it_starts() {
    for workers in [1, 0] {
        let drops = Drops::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(AtomicBool::new(workers == 0));
        let (c, g) = (Arc::clone(&calls), Arc::clone(&gate));
        let handler = worker::from_sync_fn(move |t: Tracked, _| {
            c.fetch_add(1, Ordering::SeqCst);
            while t.id == 0 && !g.load(Ordering::SeqCst) {
                thread::yield_now();
            }
            t
        });
        let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, workers), handler).unwrap();
        let net = &mut nets[0];
        // Threaded: request 0 holds the worker, so the rest wait to start.
        net.enqueue(drops.item(0)).unwrap();
        if workers > 0 {
            wait_until("request 0 to start", || calls.load(Ordering::SeqCst) == 1);
        }
        let mut doomed = HashSet::new();
        for id in 1..24 {
            let ticket = net.enqueue(drops.item(id)).unwrap();
            if id % 4 == 0 {
                assert_eq!(net.signal(ticket, Action::Cancel), Raised::Delivered);
                doomed.insert(ticket);
            }
        }
        gate.store(true, Ordering::SeqCst);
        let mut cancelled = 0;
        while let Some(reply) = net.reply_timeout(PATIENCE) {
            if doomed.contains(&reply.ticket) {
                assert!(matches!(reply.outcome, Outcome::Cancelled));
                cancelled += 1;
            } else {
                assert!(reply.outcome.is_done());
            }
        }
        assert_eq!(cancelled, 5, "mode {workers}");
        assert_eq!(calls.load(Ordering::SeqCst), 24 - 5, "mode {workers}");
        drop(nets);
        pool.join();
        assert_eq!(drops.alive(), 0);
    }
}

/// `signalled` (and `sleep`) polled outside their request, where nothing
/// could wake them, panic with a message that says so instead of hanging.
#[test]
fn a_context_used_outside_its_request_says_so() {
    let (tx, rx) = std::sync::mpsc::channel();
    let handler = worker::from_sync_fn(move |(), cx: RequestContext| {
        tx.send(cx).unwrap();
    });
    let mut w = Worker::spawn(WorkerConfig::new(), handler).unwrap();
    w.enqueue(()).unwrap();
    w.reply_timeout(PATIENCE).unwrap();
    let cx = rx.recv().unwrap();
    assert!(cx.actions().is_empty() && cx.take_actions().is_empty());
    assert!(cx.deadline().is_none());
    let signalled = std::panic::catch_unwind(|| common::block_on(cx.signalled()));
    let message = signalled.unwrap_err();
    let message = message.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("outside its request"), "{message}");
    let slept = std::panic::catch_unwind(|| common::block_on(cx.sleep(Duration::from_secs(1))));
    assert!(slept.is_err());
    w.join();
}
