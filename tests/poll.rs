//! The poll-based calls, their futures and permits, `close`, weak
//! producers and the deadline variants: what an async runtime or a
//! hand-written future relies on. Each test drives the calls with a real
//! waker and another thread, and counts every item.
#![cfg(not(loom))]

mod common;

use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use common::{block_on, scaled, CountingWaker, Drops};
use handoff::{mpsc, spsc, Closed, PopTimeoutError, PushError, PushTimeoutError};

/// `poll_pop` wakes its task when a push arrives from another thread, and
/// hands out every item once, in order; `Ready(None)` once closed.
#[test]
fn poll_pop_is_woken_by_pushes_on_both_rings() {
    let n = scaled(2_000, 50);
    let (mut tx, mut rx) = spsc::channel::<u64>(4);
    let producer = thread::spawn(move || {
        for i in 0..n {
            tx.push_blocking(i).unwrap();
        }
    });
    let got: Vec<u64> = block_on(async {
        let mut got = Vec::new();
        while let Some(v) = std::future::poll_fn(|cx| rx.poll_pop(cx)).await {
            got.push(v);
        }
        got
    });
    producer.join().unwrap();
    assert_eq!(got, (0..n).collect::<Vec<_>>());

    let (tx, mut rx) = mpsc::channel::<u64>(4);
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..n {
                    block_on(tx.push_async(p * n + i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut got = block_on(async {
        let mut got = Vec::new();
        while let Some(v) = rx.pop_async().await {
            got.push(v);
        }
        got
    });
    producers.into_iter().for_each(|t| t.join().unwrap());
    got.sort_unstable();
    assert_eq!(got, (0..2 * n).collect::<Vec<_>>());
}

/// `poll_pop_many` takes what is there at once, up to its limit, and says
/// 0 only once the ring is empty and closed.
#[test]
fn pop_many_batches_and_ends_at_close() {
    let n = scaled(3_000, 60);
    let (mut tx, mut rx) = spsc::channel::<u64>(64);
    let producer = thread::spawn(move || {
        for i in 0..n {
            tx.push_blocking(i).unwrap();
        }
    });
    let mut buf = Vec::new();
    let mut calls = 0;
    loop {
        let got = block_on(rx.pop_many(&mut buf, 16));
        if got == 0 {
            break;
        }
        assert!(got <= 16);
        calls += 1;
    }
    producer.join().unwrap();
    assert_eq!(buf, (0..n).collect::<Vec<_>>());
    assert!(calls >= n / 16);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert_eq!(rx.poll_pop_many(&mut cx, &mut buf, 0), Poll::Ready(0));

    let (tx, mut rx) = mpsc::channel::<u64>(8);
    for i in 0..5 {
        tx.push(i).unwrap();
    }
    let mut buf = Vec::new();
    assert_eq!(rx.poll_pop_many(&mut cx, &mut buf, 3), Poll::Ready(3));
    assert_eq!(rx.poll_pop_many(&mut cx, &mut buf, 3), Poll::Ready(2));
    assert_eq!(rx.poll_pop_many(&mut cx, &mut buf, 3), Poll::Pending);
    drop(tx);
    assert_eq!(rx.poll_pop_many(&mut cx, &mut buf, 3), Poll::Ready(0));
    assert_eq!(buf, [0, 1, 2, 3, 4]);
}

/// A permit reserves a slot: while it lives nothing can take it, the value
/// moves only when it is used, a dropped permit reserves nothing, and a
/// full ring makes `poll_reserve` wait for a pop (which wakes it).
#[test]
fn permits_reserve_a_slot_until_used() {
    let waker = Arc::new(CountingWaker::default());
    let w = waker.waker();
    let mut cx = Context::from_waker(&w);
    let (mut tx, mut rx) = spsc::channel::<String>(1);
    let Poll::Ready(Ok(permit)) = tx.poll_reserve(&mut cx) else {
        panic!("an empty ring has room")
    };
    drop(permit); // nothing reserved, nothing pushed
    assert_eq!(rx.pop(), None);
    let Poll::Ready(Ok(permit)) = tx.poll_reserve(&mut cx) else {
        panic!("still room")
    };
    permit.push("one".into());
    assert!(tx.poll_reserve(&mut cx).is_pending());
    assert_eq!(waker.wakes(), 0);
    assert_eq!(rx.pop().as_deref(), Some("one"));
    assert_eq!(waker.wakes(), 1, "the pop woke the waiting reservation");
    assert!(tx.poll_reserve(&mut cx).is_ready());
    drop(rx);
    assert!(matches!(tx.poll_reserve(&mut cx), Poll::Ready(Err(Closed))));

    // Across threads: every value reserved-then-pushed arrives once.
    let n = scaled(2_000, 40);
    let (mut tx, mut rx) = spsc::channel::<u64>(2);
    let producer = thread::spawn(move || {
        block_on(async {
            for i in 0..n {
                tx.reserve().await.unwrap().push(i);
            }
        })
    });
    let got: Vec<u64> = std::iter::from_fn(|| rx.pop_blocking()).collect();
    producer.join().unwrap();
    assert_eq!(got, (0..n).collect::<Vec<_>>());
}

/// `poll_push` keeps the value in the caller's slot while the ring is full
/// or closed, so a cancelled push loses nothing, on both rings.
#[test]
fn poll_push_never_loses_the_value() {
    let drops = Drops::new();
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let (tx, mut rx) = mpsc::channel(1);
    let mut first = Some(drops.item(1));
    assert_eq!(tx.poll_push(&mut cx, &mut first), Poll::Ready(Ok(())));
    assert!(first.is_none());
    let mut second = Some(drops.item(2));
    assert!(tx.poll_push(&mut cx, &mut second).is_pending());
    assert_eq!(second.as_ref().map(|t| t.id), Some(2));
    assert_eq!(rx.pop().map(|t| t.id), Some(1));
    drop(rx);
    assert_eq!(tx.poll_push(&mut cx, &mut second), Poll::Ready(Err(Closed)));
    assert_eq!(second.as_ref().map(|t| t.id), Some(2), "handed back");
    drop(second);

    let (mut tx, rx) = spsc::channel(1);
    let mut first = Some(drops.item(3));
    assert_eq!(tx.poll_push(&mut cx, &mut first), Poll::Ready(Ok(())));
    let mut second = Some(drops.item(4));
    assert!(tx.poll_push(&mut cx, &mut second).is_pending());
    drop(rx);
    assert_eq!(tx.poll_push(&mut cx, &mut second), Poll::Ready(Err(Closed)));
    drop((tx, second));
    assert_eq!(drops.alive(), 0);
}

/// `close` refuses pushes (waking producers that wait for room) but keeps
/// what is queued, including what a racing push put in: counted, every
/// item pushed is popped, none twice.
#[test]
fn close_refuses_pushes_and_drains_everything_accepted() {
    let (mut tx, mut rx) = spsc::channel::<u64>(2);
    tx.push(1).unwrap();
    tx.push(2).unwrap();
    let blocked = thread::spawn(move || (tx.push_blocking(3), tx));
    thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
    rx.close();
    let (result, tx) = blocked.join().unwrap();
    assert_eq!(
        result,
        Err(PushError::Closed(3)),
        "the waiting push woke to a close"
    );
    assert!(tx.is_closed());
    assert!(!rx.is_closed(), "the producer lives");
    assert_eq!((rx.pop(), rx.pop(), rx.pop()), (Some(1), Some(2), None));
    drop(tx);
    assert_eq!(rx.pop_blocking(), None);

    // MPSC, with producers racing the close: each accepted item is popped.
    let n = scaled(5_000, 50);
    let (tx, mut rx) = mpsc::channel::<u64>(16);
    let producers: Vec<_> = (0..2u64)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in 0..n {
                    match tx.push_blocking(p * n + i) {
                        Ok(()) => accepted.push(p * n + i),
                        Err(PushError::Closed(_)) => break,
                        Err(PushError::Full(_)) => unreachable!("blocking"),
                    }
                }
                accepted
            })
        })
        .collect();
    drop(tx);
    let mut got = Vec::new();
    while got.len() < n as usize / 4 {
        got.extend(rx.pop_blocking());
    }
    rx.close();
    while let Some(v) = rx.pop_blocking() {
        got.push(v);
    }
    let mut accepted: Vec<u64> = producers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    accepted.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, accepted, "every accepted item popped, once");
}

/// A weak producer keeps nothing open, upgrades while a producer lives, and
/// never after the last one is gone, even racing it.
#[test]
fn weak_producers_upgrade_only_while_the_ring_is_open() {
    let rounds = scaled(500, 20);
    for _ in 0..rounds {
        let (tx, mut rx) = mpsc::channel::<u8>(4);
        let weak = tx.downgrade();
        let racer = thread::spawn(move || weak.upgrade().map(|p| p.push(2).is_ok()));
        tx.push(1).unwrap();
        drop(tx);
        let upgraded = racer.join().unwrap();
        let mut got = Vec::new();
        while let Some(v) = rx.pop_blocking() {
            got.push(v);
        }
        got.sort_unstable();
        match upgraded {
            Some(true) => assert_eq!(got, [1, 2]),
            Some(false) => unreachable!("room for two"),
            None => assert_eq!(got, [1]),
        }
        assert!(rx.is_closed());
    }
}

/// `peek` shows the next item without taking it, and nothing while the
/// next item is not written.
#[test]
fn mpsc_peek_shows_the_next_item() {
    let (tx, mut rx) = mpsc::channel(3);
    assert_eq!(rx.peek(), None);
    tx.push("a").unwrap();
    tx.push("b").unwrap();
    assert_eq!(rx.peek(), Some(&"a"));
    assert_eq!(rx.peek(), Some(&"a"));
    assert_eq!(rx.pop(), Some("a"));
    assert_eq!(rx.peek(), Some(&"b"));
}

/// Deadlines in the past return at once; timeouts say `Timeout`, distinct
/// from `Closed`, and hand pushes' values back.
#[test]
fn deadlines_and_timeouts_are_told_apart_from_closes() {
    let past = Instant::now();
    let (mut tx, mut rx) = spsc::channel::<u8>(1);
    assert_eq!(rx.pop_deadline(past), Err(PopTimeoutError::Timeout));
    tx.push(1).unwrap();
    assert_eq!(tx.push_deadline(2, past), Err(PushTimeoutError::Timeout(2)));
    assert_eq!(rx.pop_deadline(past), Ok(1));
    drop(tx);
    assert_eq!(rx.pop_deadline(past), Err(PopTimeoutError::Closed));

    let (tx, rx) = mpsc::channel::<u8>(1);
    tx.push(1).unwrap();
    let later = Instant::now() + Duration::from_millis(5);
    assert_eq!(
        tx.push_deadline(2, later),
        Err(PushTimeoutError::Timeout(2))
    );
    assert!(Instant::now() >= later);
    drop(rx);
    assert_eq!(
        tx.push_timeout(3, Duration::from_secs(60)),
        Err(PushTimeoutError::Closed(3))
    );
}
