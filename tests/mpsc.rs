//! Behaviour of the MPSC ring that users rely on, and stress runs with exact
//! per-producer accounting.

mod common;

use std::sync::Barrier;
use std::thread;

use common::{scaled, Drops, Tracked};
use handoff::{mpsc, CapacityError, PopError, PushError};

#[test]
fn fifo_order_and_exact_capacity_across_laps() {
    for capacity in [1, 2, 3, 5, 8, 100] {
        let (tx, mut rx) = mpsc::channel(capacity);
        assert_eq!(tx.capacity(), capacity);
        assert_eq!(rx.capacity(), capacity);
        for lap in 0..3 {
            for i in 0..capacity {
                tx.push(lap * 1000 + i).unwrap();
            }
            assert_eq!(tx.push(usize::MAX), Err(PushError::Full(usize::MAX)));
            assert_eq!(tx.len(), capacity);
            assert_eq!(rx.len(), capacity);
            for i in 0..capacity {
                assert_eq!(rx.pop(), Some(lap * 1000 + i));
            }
            assert_eq!(rx.try_pop(), Err(PopError::Empty));
            assert!(tx.is_empty() && rx.is_empty());
        }
    }
}

#[test]
fn bad_capacities_are_refused_clearly() {
    assert_eq!(mpsc::try_channel::<u8>(0).unwrap_err(), CapacityError::Zero);
    for capacity in [usize::MAX, usize::MAX / 2 + 2, 1 << 62] {
        assert_eq!(
            mpsc::try_channel::<u8>(capacity).unwrap_err(),
            CapacityError::TooLarge {
                requested: capacity
            }
        );
    }
    let err = std::panic::catch_unwind(|| mpsc::channel::<u8>(0)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().unwrap(),
        "ring capacity must be at least 1, got 0"
    );
}

#[cfg(not(miri))] // Miri reports the failed huge allocation instead of returning it.
#[test]
fn capacity_that_cannot_be_allocated_is_an_error() {
    let capacity = 1 << 40;
    assert_eq!(
        mpsc::try_channel::<u64>(capacity).unwrap_err(),
        CapacityError::TooLarge {
            requested: capacity
        }
    );
}

#[test]
fn zero_sized_items() {
    let (tx, mut rx) = mpsc::channel::<()>(3);
    for _ in 0..3 {
        tx.push(()).unwrap();
    }
    assert_eq!(tx.push(()), Err(PushError::Full(())));
    assert_eq!(rx.drain(10).count(), 3);
    assert_eq!(rx.pop(), None);
}

#[test]
fn closing_in_both_directions() {
    let (tx, mut rx) = mpsc::channel::<u8>(4);
    let tx2 = tx.clone();
    tx.push(1).unwrap();
    drop(tx);
    assert!(!rx.is_closed(), "a clone is still alive");
    tx2.push(2).unwrap();
    drop(tx2);
    assert!(rx.is_closed());
    // Closed is reported only once the ring is empty.
    assert_eq!(rx.try_pop(), Ok(1));
    assert_eq!(rx.try_pop(), Ok(2));
    assert_eq!(rx.try_pop(), Err(PopError::Closed));

    let (tx, rx) = mpsc::channel::<String>(4);
    drop(rx);
    assert!(tx.is_closed());
    let err = tx.push("x".into()).unwrap_err();
    assert_eq!(err, PushError::Closed("x".into()));
    assert!(!err.is_full());
}

#[test]
fn batch_pops() {
    let (tx, mut rx) = mpsc::channel::<u32>(5);
    for i in 0..5 {
        tx.push(i).unwrap();
    }
    let mut buf = [0; 3];
    assert_eq!(rx.pop_slice(&mut buf), 3);
    assert_eq!(buf, [0, 1, 2]);
    tx.push(5).unwrap();
    let rest: Vec<u32> = rx.drain(usize::MAX).collect();
    assert_eq!(rest, [3, 4, 5]);
    assert_eq!(rx.pop_slice(&mut buf), 0);
    assert_eq!(tx.len(), 0);
}

#[test]
fn drain_stops_at_max_and_keeps_the_rest() {
    let (tx, mut rx) = mpsc::channel(8);
    for i in 0..6 {
        tx.push(i.to_string()).unwrap();
    }
    let mut drain = rx.drain(4);
    assert_eq!(drain.next().as_deref(), Some("0"));
    drop(drain);
    assert_eq!(rx.len(), 5);
    assert_eq!(rx.drain(2).collect::<Vec<_>>(), ["1", "2"]);
    // The slots came back: the ring takes 8 - 3 more.
    for i in 0..5 {
        tx.push(i.to_string()).unwrap();
    }
    assert!(tx.push(String::new()).unwrap_err().is_full());
}

#[test]
fn items_left_inside_are_dropped_exactly_once() {
    for (consumer_first, capacity, pushed, popped) in [
        (true, 4, 4, 1),
        (false, 4, 3, 0),
        (true, 3, 7, 5),
        (false, 1, 1, 1),
    ] {
        let drops = Drops::new();
        let (tx, mut rx) = mpsc::channel(capacity);
        let tx2 = tx.clone();
        let (mut sent, mut got) = (0, 0);
        while sent < pushed {
            let tx = if sent % 2 == 0 { &tx } else { &tx2 };
            if tx.push(drops.item(sent)).is_ok() {
                sent += 1;
            } else if got < popped {
                assert_eq!(rx.pop().unwrap().id, got);
                got += 1;
            }
        }
        while got < popped {
            assert_eq!(rx.pop().unwrap().id, got);
            got += 1;
        }
        assert_eq!(drops.alive() as u64, pushed - popped);
        if consumer_first {
            drop(rx);
            drop(tx);
            assert_eq!(drops.alive() as u64, pushed - popped, "a producer lives");
            drop(tx2);
        } else {
            drop((tx, tx2));
            assert_eq!(drops.alive() as u64, pushed - popped);
            drop(rx);
        }
        assert_eq!(drops.dropped(), drops.made());
    }
}

#[test]
fn errors_display() {
    assert_eq!(
        PopError::Pending.to_string(),
        "ring's next item is still being written by its producer"
    );
    struct Opaque;
    assert_eq!(format!("{:?}", PushError::Closed(Opaque)), "Closed(..)");
}

/// `producers` threads push `per_producer` items each (tagged with the
/// producer's number in the high bits); the consumer checks that every item
/// arrives once and each producer's items in order.
fn stress(producers: u64, per_producer: u64, capacity: usize, batch: bool) {
    let (tx, mut rx) = mpsc::channel::<u64>(capacity);
    let start = Barrier::new(producers as usize + 1);
    thread::scope(|s| {
        for p in 0..producers {
            let tx = tx.clone();
            let start = &start;
            s.spawn(move || {
                start.wait();
                for i in 0..per_producer {
                    let mut v = p << 48 | i;
                    while let Err(e) = tx.push(v) {
                        assert!(e.is_full(), "consumer gone early");
                        v = e.into_inner();
                        thread::yield_now();
                    }
                }
            });
        }
        drop(tx);
        start.wait();
        let mut next = vec![0u64; producers as usize];
        let mut received = 0;
        let mut buf = [0u64; 64];
        loop {
            let got = if batch {
                rx.pop_slice(&mut buf)
            } else {
                match rx.try_pop() {
                    Ok(v) => {
                        buf[0] = v;
                        1
                    }
                    Err(PopError::Closed) => break,
                    Err(PopError::Empty | PopError::Pending) => 0,
                }
            };
            for &v in &buf[..got] {
                let (p, i) = ((v >> 48) as usize, v & ((1 << 48) - 1));
                assert_eq!(
                    i, next[p],
                    "producer {p}'s items out of order or duplicated"
                );
                next[p] += 1;
                received += 1;
            }
            if got == 0 {
                if batch && rx.is_closed() && rx.is_empty() {
                    break;
                }
                thread::yield_now();
            }
        }
        assert_eq!(received, producers * per_producer);
        assert!(next.iter().all(|&n| n == per_producer), "an item was lost");
    });
}

#[test]
fn stress_two_producers() {
    stress(2, scaled(2_000_000, 150), 1024, false);
}

#[test]
fn stress_four_producers_small_ring() {
    stress(4, scaled(250_000, 50), 3, false);
}

#[test]
fn stress_batch_pops() {
    stress(3, scaled(1_000_000, 100), 64, true);
}

#[test]
fn stress_drop_accounting_consumer_leaves_early() {
    let n = scaled(100_000, 150);
    let drops = Drops::new();
    let (tx, mut rx) = mpsc::channel::<Tracked>(32);
    thread::scope(|s| {
        for p in 0..2u64 {
            let tx = tx.clone();
            let drops = drops.clone();
            s.spawn(move || {
                for i in 0..n {
                    let mut v = drops.item(p << 48 | i);
                    loop {
                        match tx.push(v) {
                            Ok(()) => break,
                            Err(PushError::Full(back)) => {
                                v = back;
                                thread::yield_now();
                            }
                            Err(PushError::Closed(_)) => return,
                        }
                    }
                }
            });
        }
        drop(tx);
        let mut got = 0;
        while got < n / 2 {
            if rx.pop().is_some() {
                got += 1;
            }
        }
        drop(rx);
    });
    assert_eq!(drops.alive(), 0, "an item was leaked");
    assert_eq!(drops.dropped(), drops.made());
}
