//! Time in the worker: `RequestContext::sleep` on the worker's own timer
//! (in the request's future and in a sub-future with a waker of its own),
//! the worker sleeping until its earliest timer rather than spinning, and
//! per-request deadlines: `Timeout` at the deadline, `Cancel` a grace
//! period later, both before and after the request started. Every test
//! runs in threaded and in inline mode, and counts drops: every request
//! and every future is dropped exactly once.

#![cfg(not(loom))]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use common::{DropGuard as Guard, Drops, Tracked, PATIENCE};
use handoff::signal::Action;
use handoff::worker::{
    self, Enqueue, Network, Outcome, Pool, PoolConfig, RequestContext, WorkerConfig,
};

fn pool<H>(
    workers: usize,
    config: WorkerConfig,
    handler: H,
) -> (Pool<Tracked, H::Reply>, Network<Tracked, H::Reply>)
where
    H: worker::Handler<Tracked> + Clone,
{
    let (pool, mut nets) =
        Pool::spawn(PoolConfig::new(1, workers).worker(config), handler).unwrap();
    (pool, nets.pop().unwrap())
}

/// The gap between the sleeps' deadlines: longer than a turn takes, also
/// on a loaded machine under ThreadSanitizer (under Miri, tens of
/// milliseconds of its clock), so that no two are due at once (then they
/// would run oldest first).
const UNIT: Duration = Duration::from_millis(if cfg!(miri) { 200 } else { 20 });

#[test]
fn sleeps_end_in_deadline_order_and_not_before() {
    for workers in [0, 1] {
        let drops = Drops::new();
        let futures = Arc::new(AtomicUsize::new(0));
        let f = Arc::clone(&futures);
        // One base for every request, set just before they are enqueued
        // and far enough ahead that each starts before its deadline, so
        // that the order is the deadlines'.
        let base: Arc<std::sync::OnceLock<Instant>> = Arc::default();
        let b = Arc::clone(&base);
        let handler = worker::from_fn(move |t: Tracked, cx: RequestContext| {
            let guard = Guard(Arc::clone(&f));
            let base = *b.get().expect("set before the enqueues");
            async move {
                let _guard = guard;
                let deadline = base + UNIT * t.id as u32;
                cx.sleep_until(deadline).await;
                let woke = Instant::now();
                (t, woke >= deadline)
            }
        });
        let (pool, mut net) = pool(workers, WorkerConfig::new(), handler);
        let ahead = Duration::from_millis(if cfg!(miri) { 1_000 } else { 20 });
        base.set(Instant::now() + ahead).unwrap();
        let naps = [9u64, 1, 5, 3];
        for ms in naps {
            net.enqueue(drops.item(ms)).unwrap();
        }
        let mut order = Vec::new();
        while let Some(reply) = net.reply_timeout(PATIENCE) {
            let (t, on_time) = reply.outcome.done().expect("done");
            assert!(
                on_time,
                "mode {workers}: {} units woke before its deadline",
                t.id
            );
            order.push(t.id);
        }
        assert_eq!(order, [1, 3, 5, 9], "mode {workers}");
        drop(net);
        let stats = pool.join();
        assert_eq!(stats[0].completed, 4);
        assert_eq!((drops.alive(), futures.load(Ordering::SeqCst)), (0, 4));
    }
}

#[test]
fn a_worker_sleeps_until_its_timer_instead_of_spinning() {
    let handler = worker::from_fn(|(), cx: RequestContext| async move {
        cx.sleep(Duration::from_millis(50)).await;
    });
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 1), handler).unwrap();
    nets[0].enqueue(()).unwrap();
    assert!(nets[0].reply_timeout(PATIENCE).unwrap().outcome.is_done());
    drop(nets);
    let stats = pool.join();
    // A spinning worker would have yielded thousands of times; one that
    // sleeps on its timer sleeps a few times (the request, the timer, the
    // exit).
    assert!(stats[0].sleeps <= 6, "{} sleeps", stats[0].sleeps);
}

/// A future that polls `inner` only when `inner`'s own waker was woken, as
/// `FuturesUnordered` or a `select` does: what a `Sleep` or a `Signalled`
/// awaited in a sub-future sees.
struct Nested<F> {
    inner: Pin<Box<F>>,
    flag: Arc<Flag>,
    first: bool,
}

struct Flag {
    woken: AtomicBool,
    outer: std::sync::Mutex<Option<Waker>>,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if let Some(w) = self.outer.lock().unwrap().take() {
            w.wake();
        }
    }
}

fn nested<F: Future>(inner: F) -> Nested<F> {
    Nested {
        inner: Box::pin(inner),
        flag: Arc::new(Flag {
            woken: AtomicBool::new(false),
            outer: std::sync::Mutex::new(None),
        }),
        first: true,
    }
}

impl<F: Future> Future for Nested<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        *self.flag.outer.lock().unwrap() = Some(cx.waker().clone());
        if !std::mem::take(&mut self.first) && !self.flag.woken.swap(false, Ordering::SeqCst) {
            return Poll::Pending; // spurious for us: the inner waker did not fire
        }
        let waker = Waker::from(Arc::clone(&self.flag));
        self.inner.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

#[test]
fn sleep_and_signalled_wake_a_sub_future_by_its_own_waker() {
    for workers in [0, 1] {
        let drops = Drops::new();
        let handler = worker::from_fn(|t: Tracked, cx: RequestContext| async move {
            if t.id == 0 {
                nested(cx.sleep(Duration::from_millis(2))).await;
            } else {
                let got = nested(cx.signalled()).await;
                assert!(got.contains(Action::Dup));
            }
            t
        });
        let (pool, mut net) = pool(workers, WorkerConfig::new(), handler);
        net.enqueue(drops.item(0)).unwrap();
        let signalled = net.enqueue(drops.item(1)).unwrap();
        // Let it start and wait, then signal it.
        let _ = net.try_reply();
        let signaller = net.signaller();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            signaller.signal(signalled, Action::Dup)
        });
        let mut ids: Vec<u64> = (0..2)
            .map(|_| {
                let reply = net
                    .reply_timeout(PATIENCE)
                    .expect("the sub-future is woken");
                reply.outcome.done().expect("done").id
            })
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, [0, 1], "mode {workers}");
        drop(net);
        pool.join();
        assert_eq!(drops.alive(), 0);
    }
}

#[test]
fn a_deadline_delivers_timeout_then_cancel_after_the_grace() {
    for workers in [0, 1] {
        let drops = Drops::new();
        let futures = Arc::new(AtomicUsize::new(0));
        let f = Arc::clone(&futures);
        // 0 answers what it was told, 1 ignores everything, 2 is quick.
        let handler = worker::from_fn(move |t: Tracked, cx: RequestContext| {
            let guard = Guard(Arc::clone(&f));
            async move {
                let _guard = guard;
                match t.id {
                    0 => Some((t, cx.signalled().await)),
                    1 => std::future::pending().await,
                    _ => Some((t, cx.actions())),
                }
            }
        });
        // Under Miri a request can take milliseconds to start.
        let limit = Duration::from_millis(if cfg!(miri) { 200 } else { 5 });
        let config = WorkerConfig::new()
            .request_timeout(limit)
            .cancel_grace(limit);
        let (pool, mut net) = pool(workers, config, handler);
        let told = net.enqueue(drops.item(0)).unwrap();
        let deaf = net.enqueue(drops.item(1)).unwrap();
        // A deadline of its own, far away: it finishes long before.
        let far = Enqueue::new().deadline(Instant::now() + Duration::from_secs(3600));
        let quick = net.enqueue_with(drops.item(2), far).unwrap();
        let mut seen = 0;
        while let Some(reply) = net.reply_timeout(PATIENCE) {
            seen += 1;
            if reply.ticket == told {
                let (t, actions) = reply.outcome.done().flatten().expect("answers");
                assert_eq!(t.id, 0);
                assert!(actions.contains(Action::Timeout), "{actions:?}");
                assert!(reply.enqueued_at.elapsed() >= limit);
            } else if reply.ticket == deaf {
                assert!(
                    matches!(reply.outcome, Outcome::Cancelled),
                    "mode {workers}"
                );
                assert!(reply.enqueued_at.elapsed() >= Duration::from_millis(10));
            } else {
                assert_eq!(reply.ticket, quick);
                assert!(reply.outcome.done().flatten().is_some());
            }
        }
        assert_eq!(seen, 3);
        drop(net);
        let stats = pool.join();
        assert_eq!(stats[0].timeouts, 2, "mode {workers}: {:?}", stats[0]);
        assert_eq!((stats[0].completed, stats[0].cancelled), (2, 1));
        assert_eq!((drops.alive(), futures.load(Ordering::SeqCst)), (0, 3));
    }
}

#[test]
fn a_deadline_that_passed_before_the_start_is_seen_or_cancels() {
    for workers in [0, 1] {
        let drops = Drops::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let handler = worker::from_sync_fn(move |t: Tracked, cx| {
            c.fetch_add(1, Ordering::SeqCst);
            (t, cx.actions(), cx.deadline())
        });
        let config = WorkerConfig::new().cancel_grace(Duration::from_secs(3600));
        let (pool, mut net) = pool(workers, config, handler);
        let past = Instant::now() - Duration::from_millis(1);
        // Timeout already: the handler runs, and sees it.
        net.enqueue_with(drops.item(0), Enqueue::new().deadline(past))
            .unwrap();
        let reply = net.reply_timeout(PATIENCE).unwrap();
        let (_, actions, deadline) = reply.outcome.done().unwrap();
        assert!(actions.contains(Action::Timeout), "mode {workers}");
        assert_eq!(deadline, Some(past));
        drop(net);
        pool.join();

        // Past the grace too: cancelled, the handler never called.
        let config = WorkerConfig::new().cancel_grace(Duration::ZERO);
        let c = Arc::clone(&calls);
        let handler = worker::from_sync_fn(move |t: Tracked, _| {
            c.fetch_add(1, Ordering::SeqCst);
            t
        });
        let (pool, mut net) = self::pool(workers, config, handler);
        net.enqueue_with(drops.item(1), Enqueue::new().deadline(past))
            .unwrap();
        let reply = net.reply_timeout(PATIENCE).unwrap();
        assert!(
            matches!(reply.outcome, Outcome::Cancelled),
            "mode {workers}"
        );
        drop(net);
        let stats = pool.join();
        assert_eq!((stats[0].cancelled, stats[0].timeouts), (1, 1));
        assert_eq!(calls.swap(0, Ordering::SeqCst), 1, "mode {workers}");
        assert_eq!(drops.alive(), 0);
    }
}

#[test]
fn the_workers_clock_runs_between_enqueue_and_reply() {
    for workers in [0, 1] {
        let handler = worker::from_sync_fn(|(), cx| (cx.enqueued_at(), cx.now()));
        let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, workers), handler).unwrap();
        let before = Instant::now();
        nets[0].enqueue(()).unwrap();
        let reply = nets[0].reply_timeout(PATIENCE).unwrap();
        let after = Instant::now();
        let (enqueued, now) = reply.outcome.done().unwrap();
        assert!(before <= enqueued && enqueued <= now && now <= after);
        drop(nets);
        pool.join();
    }
}
