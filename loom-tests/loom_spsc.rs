//! loom models of the SPSC ring.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test
//! --release --test loom_spsc`. Each model has a producer and a consumer
//! thread. Items are loom `Arc`s, so loom also reports an item that is leaked,
//! and every slot access goes through loom's `UnsafeCell`, so a read that is
//! not ordered after the write it reads (or a write not ordered after the
//! previous read of that slot) fails the model: weakening the stamp, tail or
//! head publication, or the matching loads, to `Relaxed` makes them fail.
#![cfg(loom)]

use handoff::{spsc, PushError};
use loom::sync::Arc;
use loom::thread;

/// `loom::model` with the wake protocol off: these models register no
/// parker, and loom's fence model (stronger than C++'s) would otherwise hide
/// a weakened ring ordering (see `src/loom/barrier.rs`).
fn model<F: Fn() + Sync + Send + 'static>(f: F) {
    std::env::set_var("HANDOFF_LOOM_WAKE", "off");
    loom::model(f);
}

/// An item whose payload lives on the heap behind a loom `Arc`: reading it
/// after a racy hand-off, or leaking it, fails the model.
type Item = Arc<usize>;

fn push_spinning(tx: &mut spsc::Producer<Item>, value: usize) {
    let mut item = Arc::new(value);
    while let Err(e) = tx.push(item) {
        assert!(e.is_full(), "consumer gone");
        item = e.into_inner();
        thread::yield_now();
    }
}

fn pop_spinning(rx: &mut spsc::Consumer<Item>) -> usize {
    loop {
        if let Some(v) = rx.pop() {
            return *v;
        }
        thread::yield_now();
    }
}

/// Three items through a ring of two: the third push reuses the slot of the
/// first, so the consumer's head publication is on the path.
#[test]
fn wrap_around_capacity_two() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(2);
        let producer = thread::spawn(move || {
            for i in 0..3 {
                push_spinning(&mut tx, i);
            }
        });
        for i in 0..3 {
            assert_eq!(pop_spinning(&mut rx), i);
        }
        producer.join().unwrap();
        assert!(rx.pop().is_none());
    });
}

/// Capacity 1: every push reuses the one slot, and `peek` reads it in place.
#[test]
fn single_slot_with_peek() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(1);
        let producer = thread::spawn(move || {
            push_spinning(&mut tx, 10);
            push_spinning(&mut tx, 11);
        });
        for expected in [10, 11] {
            loop {
                if let Some(v) = rx.peek() {
                    assert_eq!(**v, expected);
                    break;
                }
                thread::yield_now();
            }
            assert_eq!(rx.pop().map(|v| *v), Some(expected));
        }
        producer.join().unwrap();
    });
}

/// The producer pushes and goes away while the consumer works: once the
/// consumer sees the ring closed, every item is already in it.
#[test]
fn producer_closes_while_consumer_pops() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(2);
        let producer = thread::spawn(move || {
            push_spinning(&mut tx, 1);
            push_spinning(&mut tx, 2);
            drop(tx);
        });
        let mut got = Vec::new();
        loop {
            let closed = rx.is_closed();
            while let Some(v) = rx.pop() {
                got.push(*v);
            }
            if closed {
                break;
            }
            thread::yield_now();
        }
        assert_eq!(got, [1, 2]);
        producer.join().unwrap();
    });
}

/// The consumer goes away with items inside while the producer pushes:
/// every item is dropped exactly once (loom reports a leaked `Arc`).
#[test]
fn consumer_closes_while_producer_pushes() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(2);
        let consumer = thread::spawn(move || {
            let first = rx.pop().map(|v| *v);
            drop(rx);
            first
        });
        let mut full = 0;
        let mut closed = false;
        for i in 0..3 {
            match tx.push(Arc::new(i)) {
                Ok(()) => assert!(!closed, "a push went in after one saw Closed"),
                Err(PushError::Full(_)) => full += 1,
                Err(PushError::Closed(_)) => closed = true,
            }
        }
        let first = consumer.join().unwrap();
        assert!(tx.is_closed());
        assert!(matches!(tx.push(Arc::new(9)), Err(PushError::Closed(_))));
        assert!(first.is_none() || first == Some(0));
        assert!(full <= 1);
    });
}

/// Batches of `Copy` items: one tail publication per `push_slice`, one head
/// publication per `pop_slice`, across a wrap.
#[test]
fn batch_slices() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<usize>(3);
        let producer = thread::spawn(move || {
            let items = [1, 2, 3, 4];
            let mut sent = 0;
            while sent < items.len() {
                sent += tx.push_slice(&items[sent..]);
                thread::yield_now();
            }
        });
        let mut got = Vec::new();
        let mut buf = [0; 4];
        while got.len() < 4 {
            let n = rx.pop_slice(&mut buf);
            got.extend_from_slice(&buf[..n]);
            thread::yield_now();
        }
        assert_eq!(got, [1, 2, 3, 4]);
        producer.join().unwrap();
    });
}

/// Batches of heap items: `push_iter` against single pops (which find items
/// by their stamps) and `drain` (which finds them by the tail).
#[test]
fn batch_iter_and_drain() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(2);
        let producer = thread::spawn(move || {
            let mut items = (0..3).map(Arc::new);
            let mut sent = 0;
            while sent < 3 {
                sent += tx.push_iter(&mut items);
                thread::yield_now();
            }
        });
        let mut got = vec![pop_spinning(&mut rx)];
        while got.len() < 3 {
            got.extend(rx.drain(2).map(|v| *v));
            thread::yield_now();
        }
        assert_eq!(got, [0, 1, 2]);
        producer.join().unwrap();
    });
}

/// A batch that crosses from one group of cells into the next (under loom a
/// group holds two), then a push that reuses the first cell, against single
/// pops that find each run by the stamp of the group they have reached.
#[test]
fn batch_crosses_groups() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<Item>(3);
        let producer = thread::spawn(move || {
            push_spinning(&mut tx, 0);
            let mut items = (1..4).map(Arc::new);
            let mut sent = 0;
            while sent < 3 {
                sent += tx.push_iter(&mut items);
                thread::yield_now();
            }
            push_spinning(&mut tx, 4);
        });
        for i in 0..5 {
            assert_eq!(pop_spinning(&mut rx), i);
        }
        producer.join().unwrap();
    });
}
