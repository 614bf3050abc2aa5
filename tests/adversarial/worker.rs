//! `worker`: user code panics in every place a worker runs it (the
//! handler's `call`, a future's `poll`, a future's `Drop`, a request's and a
//! reply's `Drop`), with payloads whose own `Drop` panics, in inline and in
//! threaded mode, through `Cancel`, `Kill::Now`, a panic inside `poll` and
//! normal completion. Nothing may be dropped twice, and every other request
//! still gets its one reply.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use handoff::signal::{Action, Raised};
use handoff::worker::{
    self, Kill, Network, Outcome, Pool, PoolConfig, RequestContext, Ticket, WorkerConfig,
};

use super::{quiet_panics, Bomb, DELIBERATE};

/// What a request's future does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Ready at once with its id.
    Quick,
    /// Pending until cancelled; its `Drop` panics with a `Bomb`.
    HangThenBomb,
    /// Its first poll panics with a `Bomb`.
    PanicInPoll,
    /// Ready at once, then its `Drop` panics with a `Bomb`.
    DoneThenBomb,
    /// The handler's `call` itself panics with a `Bomb`.
    PanicInCall,
    /// Holds the worker's thread for [`SLOW`], then is ready.
    Slow,
}

/// How long a `Slow` request holds its worker: long enough that the test
/// thread enqueues and signals the requests behind it before it ends (under
/// Miri, whose clock counts the interpreter's steps, that takes longer;
/// a sleep there costs no real time once every thread waits).
const SLOW: Duration = Duration::from_millis(if cfg!(miri) { 2_000 } else { 50 });

/// A request: its id, its plan, and a guard whose `Drop` may panic.
struct Req {
    id: u32,
    plan: Plan,
    /// Dropped with the request when it is dropped unstarted.
    _guard: DropPanics,
}

/// Panics (with a plain message) when dropped, if armed.
struct DropPanics(bool);

impl Drop for DropPanics {
    fn drop(&mut self) {
        if self.0 {
            panic!("{DELIBERATE}: a request's Drop panics");
        }
    }
}

/// Counts the drops of each request's future, by id, and which futures
/// were polled.
#[derive(Clone, Default)]
struct Drops(Arc<Mutex<HashMap<u32, u32>>>, Arc<Mutex<Vec<u32>>>);

impl Drops {
    /// Waits until the future of request `id` was polled (it started).
    fn wait_polled(&self, id: u32) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !self.1.lock().unwrap().contains(&id) {
            assert!(
                std::time::Instant::now() < deadline,
                "request {id} never started"
            );
            std::thread::yield_now();
        }
    }

    /// Waits until the future of request `id`, which does not finish by
    /// itself, was polled: in inline mode the network's turns run it.
    fn wait_started(&self, net: &mut Network<Req, u32>, id: u32) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !self.1.lock().unwrap().contains(&id) {
            assert!(net.try_reply().is_none(), "request {id} finished early");
            assert!(
                std::time::Instant::now() < deadline,
                "request {id} never started"
            );
            std::thread::yield_now();
        }
    }

    fn count(&self, id: u32) -> u32 {
        self.0.lock().unwrap().get(&id).copied().unwrap_or(0)
    }

    fn all_once(&self, ids: impl IntoIterator<Item = u32>) {
        for id in ids {
            assert_eq!(
                self.count(id),
                1,
                "future {id} dropped {} times",
                self.count(id)
            );
        }
    }
}

struct Task {
    id: u32,
    plan: Plan,
    drops: Drops,
}

impl Future for Task {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        self.drops.1.lock().unwrap().push(self.id);
        match self.plan {
            Plan::Quick | Plan::DoneThenBomb => Poll::Ready(self.id),
            Plan::Slow => {
                std::thread::sleep(SLOW);
                Poll::Ready(self.id)
            }
            Plan::HangThenBomb => Poll::Pending,
            Plan::PanicInPoll => std::panic::panic_any(Bomb),
            Plan::PanicInCall => unreachable!("never made"),
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        *self.drops.0.lock().unwrap().entry(self.id).or_default() += 1;
        if matches!(self.plan, Plan::HangThenBomb | Plan::DoneThenBomb) {
            std::panic::panic_any(Bomb);
        }
    }
}

fn handler(drops: &Drops) -> impl worker::Handler<Req, Reply = u32> + Clone {
    let drops = drops.clone();
    worker::from_fn(move |req: Req, _: RequestContext| {
        if req.plan == Plan::PanicInCall {
            std::panic::panic_any(Bomb);
        }
        Task {
            id: req.id,
            plan: req.plan,
            drops: drops.clone(),
        }
    })
}

fn req(id: u32, plan: Plan) -> Req {
    Req {
        id,
        plan,
        _guard: DropPanics(false),
    }
}

/// A pool of one network thread: inline (`workers == 0`) or one worker.
fn pool(workers: usize, drops: &Drops) -> (Pool<Req, u32>, Network<Req, u32>) {
    quiet_panics();
    let config = PoolConfig::new(1, workers).worker(WorkerConfig::new().max_requests(64));
    let (pool, mut nets) = Pool::spawn(config, handler(drops)).unwrap();
    (pool, nets.pop().unwrap())
}

/// Takes replies until `n` came (or none can come), by ticket.
fn replies(net: &mut Network<Req, u32>, n: usize) -> HashMap<Ticket, Outcome<Req, u32>> {
    let mut got = HashMap::new();
    while got.len() < n {
        let Some(reply) = net.reply_timeout(Duration::from_secs(30)) else {
            break;
        };
        assert!(
            got.insert(reply.ticket, reply.outcome).is_none(),
            "two replies"
        );
    }
    got
}

/// Bug class: a future dropped twice (undefined behaviour from safe code)
/// when its `Drop` panics with a payload whose `Drop` panics, through
/// `Cancel`; and a worker killed by that escaping panic, so that the other
/// requests lose their replies. Inline mode drops the `Network` at the end,
/// which once double-freed the cancelled future.
#[test]
fn cancel_of_a_future_whose_drop_throws_a_bomb() {
    for workers in [0, 1] {
        let drops = Drops::default();
        let (pool, mut net) = pool(workers, &drops);
        let hang = net.enqueue(req(1, Plan::HangThenBomb)).unwrap();
        let hang2 = net.enqueue(req(2, Plan::HangThenBomb)).unwrap();
        // Cancel it once it runs (a cancel that comes first never makes the
        // future: another test's business).
        drops.wait_started(&mut net, 1);
        drops.wait_started(&mut net, 2);
        assert_eq!(net.signal(hang, Action::Cancel), Raised::Delivered);
        let quick = net.enqueue(req(3, Plan::Quick)).unwrap();
        let got = replies(&mut net, 2);
        assert!(matches!(got[&hang], Outcome::Cancelled), "mode {workers}");
        assert_eq!(got[&quick].clone_done(), Some(3));
        assert_eq!(drops.count(1), 1);
        // Still serving: a request after the bombs is answered.
        let later = net.enqueue(req(4, Plan::Quick)).unwrap();
        let got = replies(&mut net, 1);
        assert_eq!(got[&later].clone_done(), Some(4));
        let _ = hang2;
        // Dropping the network (and, in inline mode, the executor with the
        // second hanging future in it) drops that future once.
        pool.kill(Kill::Now).unwrap();
        if workers > 0 {
            let got = replies(&mut net, 1);
            assert!(matches!(got[&hang2], Outcome::Cancelled));
        }
        drop(net);
        pool.join();
        drops.all_once([1, 2, 3, 4]);
    }
}

/// Bug class: the same escaping payload panic through `Kill::Now`, which
/// cancels every request in flight at once: each future is dropped once,
/// and every request is answered.
#[test]
fn kill_now_with_futures_whose_drops_throw_bombs() {
    for workers in [0, 1] {
        let drops = Drops::default();
        let (pool, mut net) = pool(workers, &drops);
        let n = if cfg!(miri) { 3 } else { 20 };
        let tickets: Vec<_> = (0..n)
            .map(|id| net.enqueue(req(id, Plan::HangThenBomb)).unwrap())
            .collect();
        // Let the worker start them (a request still queued at the kill is
        // handed back instead, which is fine too).
        std::thread::sleep(Duration::from_millis(20));
        pool.kill(Kill::Now).unwrap();
        let got = replies(&mut net, tickets.len());
        assert_eq!(
            got.len(),
            tickets.len(),
            "mode {workers}: every request answered"
        );
        for t in &tickets {
            assert!(matches!(got[t], Outcome::Cancelled | Outcome::Unstarted(_)));
        }
        drop(got);
        drop(net);
        pool.join();
        // Started ones were dropped once; handed-back ones never became a
        // future.
        for id in 0..n {
            assert!(drops.count(id) <= 1, "future {id} dropped twice");
        }
    }
}

/// Bug class: a panic in `poll` whose payload's `Drop` panics escaped the
/// worker, killing its thread: the other in-flight requests were never
/// answered. Now the request is answered `Panicked`, the others as usual.
#[test]
fn a_bomb_thrown_from_poll_is_contained() {
    for workers in [0, 1] {
        let drops = Drops::default();
        let (pool, mut net) = pool(workers, &drops);
        let waiting = net.enqueue(req(1, Plan::HangThenBomb)).unwrap();
        drops.wait_started(&mut net, 1);
        let bomb = net.enqueue(req(2, Plan::PanicInPoll)).unwrap();
        let quick = net.enqueue(req(3, Plan::Quick)).unwrap();
        let got = replies(&mut net, 2);
        assert!(
            matches!(&got[&bomb], Outcome::Panicked(m) if m.contains("non-string")),
            "mode {workers}"
        );
        assert_eq!(got[&quick].clone_done(), Some(3));
        // The waiting one is still alive and is answered when cancelled.
        assert_eq!(net.signal(waiting, Action::Cancel), Raised::Delivered);
        let got = replies(&mut net, 1);
        assert!(matches!(got[&waiting], Outcome::Cancelled));
        pool.kill(Kill::Graceful).unwrap();
        drop(net);
        pool.join();
        drops.all_once([1, 2, 3]);
    }
}

/// Bug class: a future that completes normally and then throws a bomb from
/// its `Drop`; and a handler whose `call` throws one.
#[test]
fn bombs_after_completion_and_from_call_are_contained() {
    for workers in [0, 1] {
        let drops = Drops::default();
        let (pool, mut net) = pool(workers, &drops);
        let done = net.enqueue(req(1, Plan::DoneThenBomb)).unwrap();
        let call = net.enqueue(req(2, Plan::PanicInCall)).unwrap();
        let quick = net.enqueue(req(3, Plan::Quick)).unwrap();
        let got = replies(&mut net, 3);
        assert_eq!(got[&done].clone_done(), Some(1), "mode {workers}");
        assert!(matches!(got[&call], Outcome::Panicked(_)));
        assert_eq!(got[&quick].clone_done(), Some(3));
        pool.kill(Kill::Graceful).unwrap();
        drop(net);
        pool.join();
        drops.all_once([1, 3]);
        assert_eq!(drops.count(2), 0, "call panicked: no future was made");
    }
}

/// Bug class: a request whose `Drop` panics, dropped by the worker because
/// it was cancelled before it started.
#[test]
fn a_request_whose_drop_panics_is_contained() {
    let drops = Drops::default();
    let (pool, mut net) = pool(1, &drops);
    // Hold the worker's thread so that the next requests wait in the ring.
    let blocker = net.enqueue(req(1, Plan::Slow)).unwrap();
    drops.wait_polled(1);
    let doomed = net
        .enqueue(Req {
            id: 2,
            plan: Plan::Quick,
            _guard: DropPanics(true),
        })
        .unwrap();
    assert_eq!(net.signal(doomed, Action::Cancel), Raised::Delivered);
    let after = net.enqueue(req(3, Plan::Quick)).unwrap();
    let got = replies(&mut net, 3);
    assert_eq!(got[&blocker].clone_done(), Some(1));
    // Cancelled while it waited: the worker dropped it, and its panic.
    assert!(matches!(got[&doomed], Outcome::Cancelled));
    assert_eq!(got[&after].clone_done(), Some(3));
    pool.kill(Kill::Graceful).unwrap();
    drop(net);
    pool.join();
}

/// A reply whose `Drop` panics.
struct LoudReply(u32);

impl Drop for LoudReply {
    fn drop(&mut self) {
        panic!("{DELIBERATE}: a reply's Drop panics");
    }
}

/// Bug class: a reply dropped by the worker (its network thread is gone)
/// whose `Drop` panics took the worker down, and with it the replies owed
/// to the other network threads.
#[test]
fn a_reply_whose_drop_panics_is_contained() {
    quiet_panics();
    let handler = worker::from_fn(|n: u32, _: RequestContext| async move {
        if n == 0 {
            // Outlives its network thread.
            std::thread::sleep(Duration::from_millis(30));
        }
        LoudReply(n)
    });
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(2, 1), handler).unwrap();
    let mut survivor = nets.pop().unwrap();
    let mut gone = nets.pop().unwrap();
    gone.enqueue(0).unwrap();
    drop(gone); // the reply to 0 has nowhere to go: the worker drops it
    std::thread::sleep(Duration::from_millis(5));
    let t = survivor.enqueue(7).unwrap();
    let reply = survivor
        .reply_timeout(Duration::from_secs(30))
        .expect("answered");
    assert_eq!(reply.ticket, t);
    let value = reply.outcome.done().expect("done");
    assert_eq!(value.0, 7);
    std::mem::forget(value);
    pool.kill(Kill::Graceful).unwrap();
    drop(survivor);
    pool.join();
}

/// A tiny helper: `Outcome::done` by reference, for the `u32` replies.
trait CloneDone {
    fn clone_done(&self) -> Option<u32>;
}

impl CloneDone for Outcome<Req, u32> {
    fn clone_done(&self) -> Option<u32> {
        match self {
            Outcome::Done(n) => Some(*n),
            _ => None,
        }
    }
}

/// A flush target whose `flush` panics (with a bomb), and one that counts.
struct Loud;

impl worker::Flush for Loud {
    fn flush(&self) {
        std::panic::panic_any(Bomb);
    }
}

#[derive(Default)]
struct Counted(std::sync::atomic::AtomicUsize);

impl worker::Flush for Counted {
    fn flush(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Bug class: user code at the end of a batch (a `Flush`) that panics
/// took the worker down, or stopped the batch's other flushes.
#[test]
fn a_flush_that_panics_is_contained() {
    quiet_panics();
    for workers in [0, 1] {
        let loud = Arc::new(Loud);
        let counted = Arc::new(Counted::default());
        let (l, c) = (Arc::clone(&loud), Arc::clone(&counted));
        let handler = worker::from_sync_fn(move |n: u32, cx: RequestContext| {
            cx.flush_at_end(&l);
            cx.flush_at_end(&c);
            n
        });
        let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, workers), handler).unwrap();
        let net = &mut nets[0];
        for n in 0..3 {
            net.enqueue(n).unwrap();
            assert_eq!(
                net.reply_timeout(Duration::from_secs(30))
                    .unwrap()
                    .outcome
                    .done(),
                Some(n)
            );
        }
        drop(nets);
        pool.join();
        // Every batch flushed the counted target despite the loud one (the
        // last flush may run as the worker exits).
        assert!(
            counted.0.load(std::sync::atomic::Ordering::SeqCst) >= 2,
            "mode {workers}"
        );
    }
}

/// A waker whose `wake` panics with a bomb.
struct LoudWaker;

impl std::task::Wake for LoudWaker {
    fn wake(self: Arc<Self>) {
        std::panic::panic_any(Bomb);
    }
}

/// A future that polls a `Sleep` with a waker that panics when the timer
/// fires (the request never hears of it), and ends on a signal.
struct SleepWithLoudWaker {
    sleep: Pin<Box<worker::Sleep>>,
    cx: RequestContext,
    polled: bool,
}

impl Future for SleepWithLoudWaker {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if !std::mem::replace(&mut self.polled, true) {
            let waker = std::task::Waker::from(Arc::new(LoudWaker));
            let _ = self.sleep.as_mut().poll(&mut Context::from_waker(&waker));
        }
        match std::pin::pin!(self.cx.signalled()).poll(cx) {
            Poll::Ready(_) => Poll::Ready(7),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Bug class: a timer firing into a user waker that panics took the
/// worker (and the other requests' timers) down.
#[test]
fn a_timer_firing_into_a_panicking_waker_is_contained() {
    quiet_panics();
    for workers in [0, 1] {
        let handler = worker::from_fn(|n: u32, cx: RequestContext| {
            let boxed: Pin<Box<dyn Future<Output = u32> + Send>> = if n == 0 {
                Box::pin(SleepWithLoudWaker {
                    sleep: Box::pin(cx.sleep(Duration::from_millis(1))),
                    cx,
                    polled: false,
                })
            } else {
                Box::pin(async move {
                    cx.sleep(Duration::from_millis(3)).await;
                    n
                })
            };
            boxed
        });
        let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, workers), handler).unwrap();
        let net = &mut nets[0];
        let loud = net.enqueue(0).unwrap();
        let quiet = net.enqueue(1).unwrap();
        let reply = net
            .reply_timeout(Duration::from_secs(30))
            .expect("the other timer fires");
        assert_eq!(
            (reply.ticket, reply.outcome.done()),
            (quiet, Some(1)),
            "mode {workers}"
        );
        assert_eq!(net.signal(loud, Action::Dup), Raised::Delivered);
        let reply = net
            .reply_timeout(Duration::from_secs(30))
            .expect("still served");
        assert_eq!((reply.ticket, reply.outcome.done()), (loud, Some(7)));
        drop(nets);
        pool.join();
    }
}

/// Bug class: a request whose `Drop` panics, dropped unstarted by a
/// deadline already past (cancelled before its start) or by a group
/// cancel, took the worker down.
#[test]
fn requests_whose_drop_panics_cancelled_by_deadline_or_group_are_contained() {
    for workers in [0, 1] {
        let drops = Drops::default();
        let (pool, mut net) = pool(workers, &drops);
        // Hold the worker (threaded) so the next requests wait unstarted.
        let blocker = net.enqueue(req(1, Plan::Slow)).unwrap();
        if workers > 0 {
            drops.wait_polled(1);
        }
        let loud = |id| Req {
            id,
            plan: Plan::Quick,
            _guard: DropPanics(true),
        };
        let past = std::time::Instant::now() - Duration::from_secs(10);
        let late = net
            .enqueue_with(loud(2), worker::Enqueue::new().deadline(past))
            .unwrap();
        let grouped = net
            .enqueue_with(loud(3), worker::Enqueue::new().group(worker::Group(9)))
            .unwrap();
        assert_eq!(net.cancel_group(worker::Group(9)), 1);
        let after = net.enqueue(req(4, Plan::Quick)).unwrap();
        let got = replies(&mut net, 4);
        assert_eq!(got[&blocker].clone_done(), Some(1), "mode {workers}");
        assert!(matches!(got[&late], Outcome::Cancelled));
        assert!(matches!(got[&grouped], Outcome::Cancelled));
        assert_eq!(got[&after].clone_done(), Some(4));
        pool.kill(Kill::Graceful).unwrap();
        drop(got);
        drop(net);
        pool.join();
        drops.all_once([1, 4]);
        assert_eq!(drops.count(2) + drops.count(3), 0, "never started");
    }
}
