//! loom models of the MPSC ring.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test
//! --release --test loom_mpsc`. Items are loom `Arc`s (a leak fails the
//! model) and every slot access goes through loom's `UnsafeCell`, so a
//! hand-off that is not ordered fails: weakening the stamp publication, the
//! consumer's release of a slot, or the matching Acquire loads to `Relaxed`
//! makes these models fail.
#![cfg(loom)]

use handoff::{mpsc, PopError, PushError};
use loom::sync::Arc;
use loom::thread;

/// `loom::model` with the wake protocol off: these models register no
/// parker, and loom's fence model (stronger than C++'s) would otherwise hide
/// a weakened ring ordering (see `src/loom/barrier.rs`).
fn model<F: Fn() + Sync + Send + 'static>(f: F) {
    std::env::set_var("HANDOFF_LOOM_WAKE", "off");
    loom::model(f);
}

type Item = Arc<usize>;

fn push_spinning(tx: &mpsc::Producer<Item>, value: usize) {
    let mut item = Arc::new(value);
    loop {
        match tx.push(item) {
            Ok(()) => return,
            Err(PushError::Full(back)) => item = back,
            Err(PushError::Closed(_)) => panic!("consumer gone"),
        }
        thread::yield_now();
    }
}

/// Pops until every producer is gone and the ring is empty.
fn pop_until_closed(rx: &mut mpsc::Consumer<Item>) -> Vec<usize> {
    let mut got = Vec::new();
    loop {
        match rx.try_pop() {
            Ok(v) => got.push(*v),
            Err(PopError::Closed) => return got,
            Err(PopError::Empty | PopError::Pending) => thread::yield_now(),
        }
    }
}

/// Two producers race for the slots of a ring of two: each claims a
/// different slot and the consumer gets both items.
#[test]
fn two_producers_race_for_slots() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(2);
        let tx2 = tx.clone();
        let a = thread::spawn(move || push_spinning(&tx, 1));
        let b = thread::spawn(move || push_spinning(&tx2, 2));
        let mut got = pop_until_closed(&mut rx);
        a.join().unwrap();
        b.join().unwrap();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

/// Two producers and a ring of one, with a consumer popping once in
/// between: a push lands in the freed slot (the slot's second lap) or is
/// refused as full, and every item that went in comes out exactly once.
/// Nobody spins, so loom explores every interleaving.
#[test]
fn two_producers_share_one_slot() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.push(Arc::new(1)).is_ok());
        let b = thread::spawn(move || tx2.push(Arc::new(2)).is_ok());
        let mut got: Vec<usize> = rx.pop().map(|v| *v).into_iter().collect();
        let pushed = [a.join().unwrap(), b.join().unwrap()];
        got.extend(pop_until_closed(&mut rx));
        let mut expected: Vec<usize> = (1..=2).filter(|&v| pushed[v - 1]).collect();
        got.sort_unstable();
        expected.sort_unstable();
        assert_eq!(got, expected);
        assert!(pushed.contains(&true), "an empty ring refused a push");
    });
}

/// One producer laps a ring of two: the third push needs the slot the
/// consumer freed, so the consumer's release of it is on the path.
#[test]
fn wrap_around_capacity_two() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(2);
        let producer = thread::spawn(move || {
            for i in 0..3 {
                push_spinning(&tx, i);
            }
        });
        assert_eq!(pop_until_closed(&mut rx), [0, 1, 2]);
        producer.join().unwrap();
    });
}

/// The last producer pushes and goes away while the consumer polls: the
/// consumer never reports `Closed` before it has taken the item.
#[test]
fn close_racing_a_push() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(1);
        let producer = thread::spawn(move || {
            push_spinning(&tx, 7);
            drop(tx);
        });
        assert_eq!(pop_until_closed(&mut rx), [7]);
        producer.join().unwrap();
    });
}

/// The consumer goes away while two producers push: each push either lands
/// (and the item is dropped with the ring) or hands the item back; nothing
/// leaks or is dropped twice.
#[test]
fn consumer_leaves_while_producers_push() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(2);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.push(Arc::new(1)).is_ok());
        let b = thread::spawn(move || tx2.push(Arc::new(2)).is_ok());
        let first = rx.pop().map(|v| *v);
        drop(rx);
        let pushed = [a.join().unwrap(), b.join().unwrap()];
        if let Some(v) = first {
            assert!(pushed[v - 1], "popped an item whose push failed");
        }
    });
}

/// `drain` against a producer that is mid-push: it ends at the pending slot
/// and the item is taken later.
#[test]
fn drain_stops_at_a_pending_slot() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(2);
        let producer = thread::spawn(move || {
            push_spinning(&tx, 1);
            push_spinning(&tx, 2);
        });
        let mut got = Vec::new();
        while got.len() < 2 {
            got.extend(rx.drain(2).map(|v| *v));
            thread::yield_now();
        }
        assert_eq!(got, [1, 2]);
        producer.join().unwrap();
        assert!(matches!(rx.try_pop(), Err(PopError::Closed)));
    });
}

/// A weak producer upgrading while the last producer drops: it gets a
/// producer only if the ring was still open, and then its item reaches the
/// consumer before the consumer sees the ring closed; otherwise it gets
/// `None`. Either way the consumer's "closed" is final and loses nothing.
#[test]
fn weak_upgrade_races_the_last_drop() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(2);
        let weak = tx.downgrade();
        let upgrader = thread::spawn(move || match weak.upgrade() {
            Some(tx) => {
                push_spinning(&tx, 2);
                true
            }
            None => false,
        });
        let last = thread::spawn(move || push_spinning(&tx, 1));
        let mut got = pop_until_closed(&mut rx);
        last.join().unwrap();
        let upgraded = upgrader.join().unwrap();
        got.sort_unstable();
        if upgraded {
            assert_eq!(got, [1, 2]);
        } else {
            assert_eq!(got, [1]);
        }
    });
}

/// `close` racing a push: the push is refused (its value handed back) or
/// its item reaches the consumer, which drains until the producer is gone.
#[test]
fn explicit_close_races_a_push() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<Item>(2);
        let producer = thread::spawn(move || tx.push(Arc::new(7)).is_ok());
        rx.close();
        let got = pop_until_closed(&mut rx);
        let accepted = producer.join().unwrap();
        assert_eq!(got, if accepted { vec![7] } else { vec![] });
    });
}
