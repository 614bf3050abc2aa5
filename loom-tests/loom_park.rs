//! loom models of the parking layer: no lost wake-up in any waiting mode.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test
//! --release --test loom_park`. A lost wake-up shows as a deadlock (every
//! thread blocked), which loom reports as a failure. Under loom the
//! barriers are `fence(SeqCst)` on both sides, the futex is a loom mutex and
//! condition variable, and the eventfd a loom counter; removing either
//! fence of the protocol (see `.ci/loom-mutants`) makes these models fail.
#![cfg(loom)]

use handoff::park::{FdParker, Parker, SpinPolicy};
use handoff::signal::{self, Action, Actions, Raised};
use handoff::{mpsc, spsc, PopTimeoutError, PushError};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

/// Items are loom `Arc`s, so a leaked or double-dropped item fails too.
type Item = Arc<usize>;

fn parker() -> Parker {
    Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE)
}

/// A thread parker on one ring: the consumer sleeps until two pushes.
#[test]
fn thread_wait_two_pushes() {
    loom::model(|| {
        let mut parker = parker();
        let (mut tx, mut rx) = spsc::channel::<Item>(2);
        rx.register(&parker.unparker()).unwrap();
        let producer = thread::spawn(move || {
            tx.push(Arc::new(1)).unwrap();
            tx.push(Arc::new(2)).unwrap();
        });
        assert_eq!(*parker.wait(|| rx.pop()), 1);
        assert_eq!(*parker.wait(|| rx.pop()), 2);
        producer.join().unwrap();
    });
}

/// An adaptive parker: its first wait spins (a new parker does), and each
/// later one spins or sleeps at once as the one before ended (under loom
/// the last wait decides, and any sleep counts as long). Whatever it
/// chooses, no wake-up is lost.
#[test]
fn adaptive_parker_spins_or_sleeps_at_once() {
    loom::model(|| {
        let mut parker = Parker::new().with_policy(SpinPolicy::new(1, 0).adaptive());
        let (mut tx, mut rx) = spsc::channel::<Item>(3);
        rx.register(&parker.unparker()).unwrap();
        let producer = thread::spawn(move || {
            for i in 1..=3 {
                tx.push(Arc::new(i)).unwrap();
            }
        });
        for i in 1..=3 {
            assert_eq!(*parker.wait(|| rx.pop()), i);
        }
        producer.join().unwrap();
    });
}

/// One parker on two rings fed by two threads: each push must wake it.
#[test]
fn thread_wait_on_two_rings() {
    loom::model(|| {
        let mut parker = parker();
        let (mut tx_a, mut rx_a) = spsc::channel::<Item>(1);
        let (tx_b, mut rx_b) = mpsc::channel::<Item>(1);
        rx_a.register(&parker.unparker()).unwrap();
        rx_b.register(&parker.unparker()).unwrap();
        let a = thread::spawn(move || tx_a.push(Arc::new(1)).unwrap());
        let b = thread::spawn(move || tx_b.push(Arc::new(2)).unwrap());
        let mut sum = 0;
        for _ in 0..2 {
            sum += *parker.wait(|| rx_a.pop().or_else(|| rx_b.pop()));
        }
        assert_eq!(sum, 3);
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// A bare `Unparker` and a flag: the protocol without a ring.
#[test]
fn unpark_after_flag() {
    loom::model(|| {
        let mut parker = parker();
        let unparker = parker.unparker();
        let flag = Arc::new(AtomicBool::new(false));
        let set = Arc::clone(&flag);
        let t = thread::spawn(move || {
            set.store(true, Ordering::Release);
            unparker.unpark();
        });
        parker.wait(|| flag.load(Ordering::Acquire).then_some(()));
        t.join().unwrap();
    });
}

/// An async consumer (`pop_async` under loom's `block_on`): the task's
/// `Waker` must be woken.
#[test]
fn task_wait_pop_async() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(2);
        rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        let producer = thread::spawn(move || {
            tx.push(Arc::new(1)).unwrap();
            tx.push(Arc::new(2)).unwrap();
        });
        loom::future::block_on(async {
            assert_eq!(rx.pop_async().await.as_deref(), Some(&1));
            assert_eq!(rx.pop_async().await.as_deref(), Some(&2));
        });
        producer.join().unwrap();
    });
}

/// An event loop: arm, "epoll_wait" on the eventfd stand-in, disarm.
#[test]
fn fd_wait_arm_disarm() {
    loom::model(|| {
        let mut parker = FdParker::new().unwrap();
        let (mut tx, mut rx) = spsc::channel::<Item>(2);
        rx.register(&parker.unparker()).unwrap();
        let producer = thread::spawn(move || {
            tx.push(Arc::new(1)).unwrap();
            tx.push(Arc::new(2)).unwrap();
        });
        let mut got = 0;
        while got < 2 {
            if let Some(v) = rx.pop() {
                got += 1;
                assert_eq!(*v, got);
                continue;
            }
            if parker.arm(|| !rx.is_empty()) {
                parker.wait_fd_readable();
                parker.disarm();
            }
        }
        producer.join().unwrap();
    });
}

/// The producer's drop wakes a consumer asleep on an empty ring.
#[test]
fn close_wakes_sleeping_consumer() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(1);
        rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        let producer = thread::spawn(move || {
            tx.push(Arc::new(7)).unwrap();
            drop(tx);
        });
        assert_eq!(rx.pop_blocking().as_deref(), Some(&7));
        assert!(rx.pop_blocking().is_none());
        producer.join().unwrap();
    });
}

/// A producer asleep on a full ring is woken by the pop that frees a slot.
#[test]
fn push_blocking_woken_by_pop() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(1);
        tx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        let producer = thread::spawn(move || {
            tx.push_blocking(Arc::new(1)).unwrap();
            tx.push_blocking(Arc::new(2)).unwrap();
        });
        assert_eq!(rx.pop_blocking().as_deref(), Some(&1));
        assert_eq!(rx.pop_blocking().as_deref(), Some(&2));
        producer.join().unwrap();
    });
}

/// Two `mpsc` producers asleep on a full ring (the wait list): each pop
/// must wake them, and the consumer's sleep must be woken by their pushes.
/// Three threads that all sleep: bounded at 2 preemptions to keep it near a
/// minute.
#[test]
fn mpsc_producers_wait_for_space() {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(2);
    model.check(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(1);
        tx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.push_blocking(Arc::new(1)).unwrap());
        let b = thread::spawn(move || tx2.push_blocking(Arc::new(2)).unwrap());
        let first = rx.pop_blocking().unwrap();
        let second = rx.pop_blocking().unwrap();
        assert_eq!(*first + *second, 3);
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// The consumer's drop wakes a producer asleep on a full ring, which gets
/// its value back.
#[test]
fn mpsc_close_wakes_sleeping_producer() {
    loom::model(|| {
        let (tx, rx) = mpsc::channel::<Item>(1);
        tx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        tx.push(Arc::new(1)).unwrap();
        let consumer = thread::spawn(move || drop(rx));
        match tx.push_blocking(Arc::new(2)) {
            Err(PushError::Closed(v)) => assert_eq!(*v, 2),
            other => panic!("expected Closed, got {other:?}"),
        }
        consumer.join().unwrap();
    });
}

/// Timed waits return early under loom (no clock): retrying after a timeout
/// loses nothing.
#[test]
fn pop_timeout_retries_lose_nothing() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(1);
        rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
        let producer = thread::spawn(move || tx.push(Arc::new(5)).unwrap());
        let v = loop {
            match rx.pop_timeout(std::time::Duration::from_secs(1)) {
                Ok(v) => break v,
                Err(PopTimeoutError::Timeout) => thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(*v, 5);
        producer.join().unwrap();
    });
}

/// A signal raised while the worker goes to sleep on its parker (through
/// the signal table's queue): it wakes.
#[test]
fn signal_raise_wakes_a_sleeping_worker() {
    loom::model(|| {
        let (table, mut signals) = signal::table(1).unwrap();
        let mut parker = Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE);
        signals.register(&parker.unparker()).unwrap();
        let t = table.claim().unwrap();
        let raiser = thread::spawn(move || {
            assert_eq!(table.raise(t, Action::Retry), Raised::Delivered);
        });
        let (who, what) = parker.wait(|| signals.pop());
        assert_eq!((who, what), (t, Actions::from(Action::Retry)));
        raiser.join().unwrap();
    });
}

/// An `mpsc` producer waiting as an async task on a full ring (its waker on
/// the wait list, counted while listed): the consumer's pop wakes it, and
/// its item arrives.
#[test]
fn mpsc_task_producer_woken_by_pop() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(1);
        tx.push(Arc::new(1)).unwrap();
        let producer = thread::spawn(move || {
            loom::future::block_on(tx.push_async(Arc::new(2))).unwrap();
        });
        let first = rx.pop_blocking().unwrap();
        let second = rx.pop_blocking().unwrap();
        assert_eq!((*first, *second), (1, 2));
        producer.join().unwrap();
    });
}
