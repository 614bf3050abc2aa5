//! The parking layer and the rings' blocking, timed and async operations:
//! every item arrives exactly once, sleepers are woken (by pushes, pops and
//! closes), timeouts expire, and wake-ups are suppressed while the waiter is
//! awake.

#![cfg(not(loom))]

mod common;
#[cfg(target_os = "linux")]
#[path = "common/park_driver.rs"]
mod park_driver;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use common::{block_on, scaled, CountingWaker, Drops, Tracked};
use handoff::park::{FdParker, Parker, RegisterError, SpinPolicy};
use handoff::{mpsc, spsc, PopError, PopTimeoutError, PushError, PushTimeoutError};
#[cfg(target_os = "linux")]
use park_driver::EventLoop;

/// A generous bound for "promptly": far above any scheduling delay, far
/// below a hang.
const PROMPT: Duration = Duration::from_secs(10);

/// One parker sleeping on three SPSC rings and one MPSC ring (two
/// producers), every producer blocking on small rings: every item arrives
/// once, in each producer's order, and every item is dropped once.
#[test]
fn one_parker_on_many_rings_gets_every_item() {
    let n = scaled(20_000, 50);
    let drops = Drops::new();
    let mut parker = Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE);
    let mut spsc_rx = Vec::new();
    let mut threads = Vec::new();
    for p in 0..3u64 {
        let (mut tx, rx) = spsc::channel::<Tracked>(4);
        rx.register(&parker.unparker()).unwrap();
        spsc_rx.push(rx);
        let drops = drops.clone();
        threads.push(thread::spawn(move || {
            tx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
            for i in 0..n {
                tx.push_blocking(drops.item(p << 32 | i)).unwrap();
            }
        }));
    }
    let (tx, mut mpsc_rx) = mpsc::channel::<Tracked>(4);
    mpsc_rx.register(&parker.unparker()).unwrap();
    for p in 3..5u64 {
        let tx = tx.clone();
        let drops = drops.clone();
        threads.push(thread::spawn(move || {
            tx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
            for i in 0..n {
                tx.push_blocking(drops.item(p << 32 | i)).unwrap();
            }
        }));
    }
    drop(tx);

    let mut next = [0u64; 5];
    for _ in 0..5 * n {
        let item = parker.wait(|| {
            spsc_rx
                .iter_mut()
                .find_map(|rx| rx.pop())
                .or_else(|| mpsc_rx.pop())
        });
        let (p, i) = ((item.id >> 32) as usize, item.id & 0xffff_ffff);
        assert_eq!(i, next[p], "producer {p} out of order");
        next[p] += 1;
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(next, [n; 5]);
    assert!(spsc_rx.iter_mut().all(|rx| rx.pop().is_none()));
    assert_eq!(mpsc_rx.try_pop().unwrap_err(), PopError::Closed);
    assert_eq!(drops.alive(), 0);
    assert_eq!(drops.made(), 5 * n as usize);
}

/// Both SPSC halves block (capacity 1 and 3, sleeping at once): nothing is
/// lost or reordered.
#[test]
fn spsc_blocking_both_sides() {
    for capacity in [1, 3] {
        let n = scaled(50_000, 100);
        let drops = Drops::new();
        let (mut tx, mut rx) = spsc::channel::<Tracked>(capacity);
        tx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        let maker = drops.clone();
        let producer = thread::spawn(move || {
            for i in 0..n {
                tx.push_blocking(maker.item(i)).unwrap();
            }
        });
        let mut expected = 0;
        while let Some(item) = rx.pop_blocking() {
            assert_eq!(item.id, expected);
            expected += 1;
        }
        producer.join().unwrap();
        assert_eq!(expected, n);
        assert_eq!(drops.alive(), 0);
    }
}

/// Three MPSC producers block on a ring of two; the consumer blocks until
/// the last producer is gone.
#[test]
fn mpsc_blocking_many_producers() {
    let n = scaled(20_000, 50);
    let drops = Drops::new();
    let (tx, mut rx) = mpsc::channel::<Tracked>(2);
    rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
    let producers: Vec<_> = (0..3u64)
        .map(|p| {
            let tx = tx.clone();
            let drops = drops.clone();
            thread::spawn(move || {
                tx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
                for i in 0..n {
                    tx.push_blocking(drops.item(p << 32 | i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u64; 3];
    while let Some(item) = rx.pop_blocking() {
        let (p, i) = ((item.id >> 32) as usize, item.id & 0xffff_ffff);
        assert_eq!(i, next[p]);
        next[p] += 1;
    }
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(next, [n; 3]);
    assert_eq!(drops.alive(), 0);
}

fn assert_timed_out(started: Instant, timeout: Duration) {
    let waited = started.elapsed();
    assert!(
        waited >= timeout,
        "returned after {waited:?}, before {timeout:?}"
    );
    assert!(waited < timeout + PROMPT, "returned {waited:?} late");
}

/// Every timed operation returns its "still not possible" error once the
/// time is up, and hands the value back.
#[test]
fn timeouts_expire() {
    let timeout = Duration::from_millis(if cfg!(miri) { 1 } else { 20 });

    let (mut tx, mut rx) = spsc::channel::<u8>(1);
    let t = Instant::now();
    assert_eq!(rx.pop_timeout(timeout), Err(PopTimeoutError::Timeout));
    assert_timed_out(t, timeout);
    tx.push(1).unwrap();
    let t = Instant::now();
    assert_eq!(
        tx.push_timeout(2, timeout),
        Err(PushTimeoutError::Timeout(2))
    );
    assert_timed_out(t, timeout);

    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let t = Instant::now();
    assert_eq!(rx.pop_timeout(timeout), Err(PopTimeoutError::Timeout));
    assert_timed_out(t, timeout);
    tx.push(1).unwrap();
    let t = Instant::now();
    assert_eq!(
        tx.push_timeout(2, timeout),
        Err(PushTimeoutError::Timeout(2))
    );
    assert_timed_out(t, timeout);

    let mut parker = Parker::new();
    let t = Instant::now();
    assert_eq!(parker.wait_timeout(timeout, || None::<()>), None);
    assert_timed_out(t, timeout);
    // A zero timeout still checks once.
    assert_eq!(parker.wait_timeout(Duration::ZERO, || Some(5)), Some(5));
    // An absurd one is "forever" and does not overflow.
    assert_eq!(parker.wait_timeout(Duration::MAX, || Some(6)), Some(6));
}

/// A timed pop that an item interrupts returns the item, not a timeout.
#[test]
fn timed_pop_returns_item_pushed_while_waiting() {
    let (mut tx, mut rx) = spsc::channel::<u32>(1);
    rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
    let producer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        tx.push(9).unwrap();
        tx
    });
    assert_eq!(rx.pop_timeout(PROMPT), Ok(9));
    drop(producer.join().unwrap());
}

/// Dropping the producer wakes a consumer asleep on an empty ring, which
/// first gets every item pushed before.
#[test]
fn producer_drop_wakes_sleeping_consumer() {
    let (mut tx, mut rx) = spsc::channel::<u32>(4);
    rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
    let consumer = thread::spawn(move || {
        let mut got = Vec::new();
        while let Some(v) = rx.pop_blocking() {
            got.push(v);
        }
        got
    });
    tx.push(1).unwrap();
    thread::sleep(Duration::from_millis(5));
    tx.push(2).unwrap();
    drop(tx);
    assert_eq!(consumer.join().unwrap(), [1, 2]);

    let (tx, mut rx) = mpsc::channel::<u32>(4);
    rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
    let tx2 = tx.clone();
    let consumer = thread::spawn(move || rx.pop_blocking());
    drop(tx);
    thread::sleep(Duration::from_millis(5));
    drop(tx2); // only the last producer closes the ring
    assert_eq!(consumer.join().unwrap(), None);
}

/// Dropping the consumer wakes every producer asleep on a full ring; each
/// gets its own value back, and every value is dropped exactly once.
#[test]
fn consumer_drop_wakes_every_sleeping_producer() {
    let drops = Drops::new();
    let (tx, rx) = mpsc::channel::<Tracked>(1);
    tx.push(drops.item(0)).unwrap();
    let blocked: Vec<_> = (1..=3u64)
        .map(|id| {
            let tx = tx.clone();
            let item = drops.item(id);
            thread::spawn(move || {
                tx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
                match tx.push_blocking(item) {
                    Err(PushError::Closed(v)) => v.id,
                    other => panic!("expected Closed, got {other:?}"),
                }
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(5));
    drop(rx);
    let mut ids: Vec<u64> = blocked.into_iter().map(|t| t.join().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, [1, 2, 3]);
    drop(tx);
    assert_eq!(drops.alive(), 0);

    let (mut tx, rx) = spsc::channel::<Tracked>(1);
    tx.push(drops.item(4)).unwrap();
    let item = drops.item(5);
    let producer = thread::spawn(move || tx.push_blocking(item).map_err(|e| e.into_inner().id));
    thread::sleep(Duration::from_millis(5));
    drop(rx);
    assert_eq!(producer.join().unwrap(), Err(5));
    assert_eq!(drops.alive(), 0);
}

/// Async pops and pushes across threads, with an executor that sleeps while
/// pending: every wake-up arrives.
#[test]
fn async_push_and_pop_across_threads() {
    let n = scaled(20_000, 50);
    let (mut tx, mut rx) = spsc::channel::<u64>(2);
    let producer = thread::spawn(move || {
        block_on(async {
            for i in 0..n {
                tx.push_async(i).await.unwrap();
            }
        })
    });
    let sum = block_on(async {
        let mut sum = 0;
        while let Some(v) = rx.pop_async().await {
            sum += v;
        }
        sum
    });
    producer.join().unwrap();
    assert_eq!(sum, n * (n - 1) / 2);

    let (tx, mut rx) = mpsc::channel::<u64>(2);
    let producers: Vec<_> = (0..2)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || {
                block_on(async {
                    for i in 0..n {
                        tx.push_async(i).await.unwrap();
                    }
                })
            })
        })
        .collect();
    drop(tx);
    let sum = block_on(async {
        let mut sum = 0;
        while let Some(v) = rx.pop_async().await {
            sum += v;
        }
        sum
    });
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(sum, n * (n - 1));
}

fn poll_once<F: std::future::Future>(future: F, waker: &std::task::Waker) -> Poll<F::Output> {
    let mut future = std::pin::pin!(future);
    future.as_mut().poll(&mut Context::from_waker(waker))
}

/// Dropping a pending pop future loses nothing; dropping a pending push
/// future drops its value once and leaves the ring as it was.
#[test]
fn dropped_futures_lose_nothing() {
    let drops = Drops::new();
    let counter = Arc::new(CountingWaker::default());
    let waker = counter.waker();

    let (mut tx, mut rx) = spsc::channel::<Tracked>(1);
    assert!(poll_once(rx.pop_async(), &waker).is_pending());
    tx.push(drops.item(1)).unwrap();
    assert_eq!(counter.wakes(), 1, "the push wakes the pending task");
    assert!(poll_once(tx.push_async(drops.item(2)), &waker).is_pending());
    assert_eq!(drops.alive(), 1, "the unpushed value went with its future");
    assert_eq!(rx.pop().map(|v| v.id), Some(1));
    assert!(rx.pop().is_none());

    let (tx, mut rx) = mpsc::channel::<Tracked>(1);
    tx.push(drops.item(3)).unwrap();
    assert!(poll_once(tx.push_async(drops.item(4)), &waker).is_pending());
    assert_eq!(drops.alive(), 1);
    assert_eq!(rx.pop().map(|v| v.id), Some(3));
    tx.push(drops.item(5)).unwrap();
    assert_eq!(rx.pop().map(|v| v.id), Some(5));
    assert_eq!(drops.alive(), 0);
}

/// An async waiter is woken once per announcement, however many pushes
/// follow: later pushes find it already notified.
#[test]
fn task_wake_ups_are_suppressed_after_the_first() {
    let counter = Arc::new(CountingWaker::default());
    let waker = counter.waker();
    let mut cx = Context::from_waker(&waker);
    let mut parker = Parker::new();
    let (mut tx, mut rx) = spsc::channel::<u32>(128);
    rx.register(&parker.unparker()).unwrap();

    assert!(parker.poll_wait(&mut cx, || rx.pop()).is_pending());
    for i in 0..100 {
        tx.push(i).unwrap();
    }
    assert_eq!(counter.wakes(), 1);
    assert_eq!(rx.wake_stats().messages, 100);
    assert_eq!(rx.wake_stats().wakes, 1);
    assert_eq!(rx.wake_stats().suppressed(), 99);
    assert_eq!(parker.stats().sleeps, 1);
    assert_eq!(parker.stats().wakes, 1);
    for i in 0..100 {
        assert_eq!(parker.poll_wait(&mut cx, || rx.pop()), Poll::Ready(i));
    }
    // Awake (it found work): pushes cost nothing.
    tx.push(100).unwrap();
    assert_eq!(counter.wakes(), 1);
    assert_eq!(rx.wake_stats().wakes, 1);
}

/// A thread waiter: pushes while it is awake issue no wake-ups; a burst
/// pushed while it sleeps costs at most one.
#[test]
fn thread_wake_ups_at_most_one_per_burst() {
    let mut parker = Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE);
    let (mut tx, mut rx) = spsc::channel::<u32>(256);
    rx.register(&parker.unparker()).unwrap();
    for i in 0..100 {
        tx.push(i).unwrap();
    }
    for i in 0..100 {
        assert_eq!(parker.wait(|| rx.pop()), i);
    }
    assert_eq!(rx.wake_stats().wakes, 0, "an awake waiter is never woken");
    assert_eq!(parker.stats().sleeps, 0);

    let consumer = thread::spawn(move || {
        for i in 0..100 {
            assert_eq!(parker.wait(|| rx.pop()), i);
        }
        (parker.stats(), rx.wake_stats())
    });
    thread::sleep(Duration::from_millis(20));
    let burst: Vec<u32> = (0..100).collect();
    assert_eq!(tx.push_slice(&burst), 100);
    let (park, wake) = consumer.join().unwrap();
    assert!(wake.wakes <= 1, "{wake:?}");
    assert!(park.sleeps <= 1, "{park:?}");
}

/// The event-loop mode: the descriptor is readable exactly between the
/// first push after `arm` and `disarm`, and costs one wake-up per arm.
#[cfg(target_os = "linux")]
#[test]
fn fd_is_readable_after_a_push_to_an_armed_parker() {
    let mut parker = FdParker::new().unwrap();
    let event_loop = EventLoop::new(&parker);
    let (mut tx, mut rx) = spsc::channel::<u32>(16);
    rx.register(&parker.unparker()).unwrap();

    tx.push(1).unwrap();
    assert!(!event_loop.readable(), "not armed: no wake-up");
    assert!(
        !parker.arm(|| !rx.is_empty()),
        "work is there: do not sleep"
    );
    assert_eq!(rx.pop(), Some(1));
    assert!(parker.arm(|| !rx.is_empty()));
    assert!(!event_loop.readable());
    for i in 0..10 {
        tx.push(i).unwrap();
    }
    assert!(event_loop.readable());
    assert_eq!(rx.wake_stats().wakes, 1, "one wake-up per arm");
    parker.disarm();
    assert!(!event_loop.readable());
    tx.push(10).unwrap();
    assert!(!event_loop.readable(), "disarmed: no wake-up");
    assert_eq!(rx.drain(16).count(), 11);

    // From another thread, with the event loop really asleep in epoll_wait.
    assert!(parker.arm(|| !rx.is_empty()));
    let producer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        tx.push(42).unwrap();
    });
    event_loop.wait();
    parker.disarm();
    assert_eq!(rx.pop(), Some(42));
    producer.join().unwrap();
}

/// An `Unparker` used by hand, with a flag as the condition.
#[test]
fn unpark_wakes_a_flag_waiter() {
    let mut parker = Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE);
    let unparker = parker.unparker();
    assert!(unparker.wakes(&parker));
    let flag = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&flag);
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        set.store(true, Ordering::Release);
        unparker.unpark();
    });
    parker.wait(|| flag.load(Ordering::Acquire).then_some(()));
    t.join().unwrap();
}

/// A ring side wakes one parker; a second one is refused, and the half's
/// own blocking operations refuse to sleep where nobody would wake them.
#[test]
fn register_is_exclusive() {
    let (a, b) = (Parker::new(), Parker::new());
    let (_tx, rx) = spsc::channel::<u8>(1);
    assert_eq!(rx.register(&a.unparker()), Ok(()));
    assert_eq!(rx.register(&a.unparker()), Ok(()));
    assert_eq!(rx.register(&b.unparker()), Err(RegisterError));
    let (_tx, rx) = mpsc::channel::<u8>(1);
    assert_eq!(rx.register(&b.unparker()), Ok(()));
    assert_eq!(rx.register(&a.unparker()), Err(RegisterError));
    assert_eq!(
        RegisterError.to_string(),
        "this ring side already wakes a different parker"
    );
}

#[test]
#[should_panic(expected = "wait on that Parker instead")]
fn own_blocking_pop_after_register_panics() {
    let parker = Parker::new();
    let (_tx, mut rx) = spsc::channel::<u8>(1);
    rx.register(&parker.unparker()).unwrap();
    let _ = rx.pop_timeout(Duration::from_millis(1));
}

#[test]
#[should_panic(expected = "spin_steps must be at most MAX_SPIN_STEPS")]
fn absurd_spin_policy_panics() {
    let steps = std::hint::black_box(SpinPolicy::MAX_SPIN_STEPS + 1);
    let _ = SpinPolicy::new(steps, 0);
}
