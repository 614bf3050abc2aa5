//! Behaviour of the SPSC ring that users rely on, and two-thread stress runs
//! that account for every item.

mod common;

use std::thread;

use common::{scaled, Drops, Tracked};
use handoff::{spsc, CapacityError, PushError};

#[test]
fn fifo_order_and_exact_capacity() {
    for capacity in [1, 2, 3, 5, 8, 100] {
        let (mut tx, mut rx) = spsc::channel(capacity);
        assert_eq!(tx.capacity(), capacity);
        assert_eq!(rx.capacity(), capacity);
        // Several laps, so wrap-around of the slot index is exercised.
        for lap in 0..3 {
            for i in 0..capacity {
                tx.push(lap * 1000 + i).unwrap();
            }
            assert!(tx.is_full() && rx.is_full());
            assert_eq!(tx.push(usize::MAX), Err(PushError::Full(usize::MAX)));
            assert_eq!(rx.len(), capacity);
            for i in 0..capacity {
                assert_eq!(rx.pop(), Some(lap * 1000 + i));
            }
            assert_eq!(rx.pop(), None);
            assert!(tx.is_empty() && rx.is_empty());
        }
    }
}

#[test]
fn bad_capacities_are_refused_clearly() {
    assert_eq!(spsc::try_channel::<u8>(0).unwrap_err(), CapacityError::Zero);
    for capacity in [usize::MAX, usize::MAX / 2 + 2, 1 << 62] {
        assert_eq!(
            spsc::try_channel::<u8>(capacity).unwrap_err(),
            CapacityError::TooLarge {
                requested: capacity
            }
        );
    }
    let err = std::panic::catch_unwind(|| spsc::channel::<u8>(0)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert_eq!(msg, "ring capacity must be at least 1, got 0");
}

#[cfg(not(miri))] // Miri reports the failed huge allocation instead of returning it.
#[test]
fn capacity_that_cannot_be_allocated_is_an_error() {
    // 2^40 slots of 16 bytes is 16 TiB: the layout is valid, the memory is not there.
    let capacity = 1 << 40;
    assert_eq!(
        spsc::try_channel::<u64>(capacity).unwrap_err(),
        CapacityError::TooLarge {
            requested: capacity
        }
    );
}

#[test]
fn zero_sized_items() {
    let (mut tx, mut rx) = spsc::channel::<()>(3);
    for _ in 0..3 {
        tx.push(()).unwrap();
    }
    assert_eq!(tx.push(()), Err(PushError::Full(())));
    assert_eq!(rx.drain(10).count(), 3);
    assert_eq!(rx.pop(), None);
}

#[test]
fn peek_does_not_consume() {
    let (mut tx, mut rx) = spsc::channel(2);
    assert_eq!(rx.peek(), None);
    tx.push(String::from("x")).unwrap();
    assert_eq!(rx.peek().map(String::as_str), Some("x"));
    assert_eq!(rx.peek().map(String::as_str), Some("x"));
    assert_eq!(rx.pop().as_deref(), Some("x"));
    assert_eq!(rx.peek(), None);
}

#[test]
fn batches_respect_capacity_and_order() {
    let (mut tx, mut rx) = spsc::channel::<u32>(5);
    assert_eq!(tx.push_slice(&[]), 0);
    assert_eq!(tx.push_slice(&[1, 2, 3]), 3);
    assert_eq!(tx.push_slice(&[4, 5, 6, 7]), 2);
    assert_eq!(tx.push_slice(&[8]), 0);
    let mut buf = [0; 2];
    assert_eq!(rx.pop_slice(&mut buf), 2);
    assert_eq!(buf, [1, 2]);
    // The two freed slots are reused across the wrap.
    assert_eq!(tx.push_iter(10..), 2);
    let mut buf = [0; 8];
    assert_eq!(rx.pop_slice(&mut buf), 5);
    assert_eq!(&buf[..5], &[3, 4, 5, 10, 11]);
    assert_eq!(rx.pop_slice(&mut buf), 0);
}

#[test]
fn drain_yields_at_most_max_and_keeps_the_rest() {
    let (mut tx, mut rx) = spsc::channel(8);
    tx.push_iter((0..6).map(|i| i.to_string()));
    let mut drain = rx.drain(4);
    assert_eq!(drain.len(), 4);
    assert_eq!(drain.next().as_deref(), Some("0"));
    drop(drain); // not exhausted: "1".. stay in the ring
    assert_eq!(rx.len(), 5);
    let rest: Vec<String> = rx.drain(usize::MAX).collect();
    assert_eq!(rest, ["1", "2", "3", "4", "5"]);
    // The drop of the drain handed the slots back to the producer.
    assert_eq!(tx.free_len(), 8);
}

#[test]
fn leaked_drain_does_not_yield_items_twice() {
    let drops = Drops::new();
    let (mut tx, mut rx) = spsc::channel(4);
    for i in 0..4 {
        tx.push(drops.item(i)).unwrap();
    }
    let mut drain = rx.drain(4);
    let first = drain.next().unwrap();
    std::mem::forget(drain);
    assert_eq!(first.id, 0);
    assert_eq!(rx.pop().map(|t| t.id), Some(1));
    drop((first, tx, rx));
    assert_eq!(drops.alive(), 0);
}

#[test]
fn push_iter_leaves_the_rest_in_the_iterator() {
    let drops = Drops::new();
    let (mut tx, mut rx) = spsc::channel(3);
    let mut items = (0..5)
        .map(|i| drops.item(i))
        .collect::<Vec<_>>()
        .into_iter();
    assert_eq!(tx.push_iter(&mut items), 3);
    assert_eq!(items.next().map(|t| t.id), Some(3));
    assert_eq!(rx.pop().map(|t| t.id), Some(0));
    drop((items, tx, rx));
    assert_eq!(drops.made(), 5);
    assert_eq!(drops.alive(), 0);
}

#[test]
fn panicking_iterator_loses_nothing() {
    let drops = Drops::new();
    let (mut tx, mut rx) = spsc::channel(8);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tx.push_iter((0..5).map(|i| {
            if i == 3 {
                panic!("boom")
            } else {
                drops.item(i)
            }
        }))
    }));
    assert!(result.is_err());
    // The three items written before the panic are in the ring, in order.
    assert_eq!(rx.drain(8).map(|t| t.id).collect::<Vec<_>>(), [0, 1, 2]);
    tx.push(drops.item(9)).unwrap();
    assert_eq!(rx.pop().map(|t| t.id), Some(9));
    assert_eq!(drops.alive(), 0);
}

#[test]
fn items_left_inside_are_dropped_exactly_once() {
    for (drop_producer_first, capacity, pushed, popped) in [
        (true, 4, 4, 1),
        (false, 4, 3, 0),
        (true, 3, 7, 5),
        (false, 1, 1, 1),
    ] {
        let drops = Drops::new();
        let (mut tx, mut rx) = spsc::channel(capacity);
        let mut sent = 0;
        let mut got = 0;
        // Interleave so the live items straddle the wrap-around.
        while sent < pushed {
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
        if drop_producer_first {
            drop(tx);
            assert!(rx.is_closed());
            assert_eq!(
                drops.alive() as u64,
                pushed - popped,
                "items outlive one half"
            );
            drop(rx);
        } else {
            drop(rx);
            assert!(tx.is_closed());
            drop(tx);
        }
        // Refused pushes made (and dropped) extra items; all are gone now.
        assert_eq!(drops.dropped(), drops.made());
    }
}

#[test]
fn closed_is_seen_by_the_other_half() {
    let (tx, rx) = spsc::channel::<u8>(1);
    assert!(!tx.is_closed() && !rx.is_closed());
    drop(tx);
    assert!(rx.is_closed());
    let (mut tx, rx) = spsc::channel::<u8>(2);
    drop(rx);
    assert!(tx.is_closed());
    // Nothing more goes in once nobody can read it; the value comes back.
    assert_eq!(tx.push(1), Err(PushError::Closed(1)));
    assert_eq!(tx.push_slice(&[1, 2]), 0);
    assert_eq!(tx.push_iter([1, 2]), 0);
}

#[test]
fn errors_display_and_debug_without_t_debug() {
    struct Opaque;
    let err = PushError::Full(Opaque);
    assert_eq!(format!("{err:?}"), "Full(..)");
    assert_eq!(err.to_string(), "ring is full");
    let boxed: Box<dyn std::error::Error> = Box::new(CapacityError::Zero);
    assert!(boxed.to_string().contains("at least 1"));
}

/// Pushes `0..n` through a ring of `capacity` from another thread, one at a
/// time, and checks every item arrives once and in order.
fn stress_one_at_a_time(n: u64, capacity: usize) {
    let (mut tx, mut rx) = spsc::channel(capacity);
    let producer = thread::spawn(move || {
        for i in 0..n {
            let mut v = i;
            while let Err(PushError::Full(back)) = tx.push(v) {
                v = back;
                std::hint::spin_loop();
            }
        }
    });
    let mut expected = 0;
    while expected < n {
        match rx.pop() {
            Some(v) => {
                assert_eq!(v, expected, "item out of order or duplicated");
                expected += 1;
            }
            None => {
                assert!(
                    !(rx.is_closed() && rx.is_empty()),
                    "producer gone with {expected} of {n} received"
                );
                std::hint::spin_loop();
            }
        }
    }
    producer.join().unwrap();
    assert_eq!(rx.pop(), None, "more items than were pushed");
    assert!(rx.is_closed());
}

#[test]
fn stress_ten_million_items_one_at_a_time() {
    stress_one_at_a_time(scaled(10_000_000, 2_000), 1024);
}

#[test]
fn stress_small_ring_wraps_constantly() {
    stress_one_at_a_time(scaled(1_000_000, 1_000), 3);
}

#[test]
fn stress_batches_in_both_directions() {
    let n = scaled(10_000_000, 3_000);
    let (mut tx, mut rx) = spsc::channel::<u64>(1000);
    let producer = thread::spawn(move || {
        let mut next = 0u64;
        let mut chunk = Vec::with_capacity(300);
        let mut round = 0usize;
        while next < n {
            // Vary the batch size and the API: slices, iterators, single pushes.
            let want = (1 + round * 7 % 300).min((n - next) as usize);
            round += 1;
            match round % 3 {
                0 => {
                    chunk.clear();
                    chunk.extend(next..next + want as u64);
                    next += tx.push_slice(&chunk) as u64;
                }
                1 => next += tx.push_iter(next..next + want as u64) as u64,
                _ => {
                    if tx.push(next).is_ok() {
                        next += 1;
                    }
                }
            }
        }
    });
    let mut expected = 0u64;
    let mut buf = vec![0u64; 257];
    let mut round = 0usize;
    while expected < n {
        round += 1;
        if round % 2 == 0 {
            let got = rx.pop_slice(&mut buf[..1 + round % 257]);
            for &v in &buf[..got] {
                assert_eq!(v, expected);
                expected += 1;
            }
        } else {
            for v in rx.drain(1 + round % 200) {
                assert_eq!(v, expected);
                expected += 1;
            }
        }
    }
    producer.join().unwrap();
    assert_eq!(rx.pop(), None);
}

#[test]
fn stress_drop_accounting_across_threads() {
    // Heap-owning items with counted drops; the consumer stops early and drops
    // its half with items inside while the producer is still pushing.
    let n = scaled(200_000, 500);
    let drops = Drops::new();
    let (mut tx, mut rx) = spsc::channel::<Tracked>(64);
    let made = drops.clone();
    let producer = thread::spawn(move || {
        let mut pushed = 0u64;
        for i in 0..n {
            let mut v = made.item(i);
            loop {
                match tx.push(v) {
                    Ok(()) => break,
                    Err(PushError::Full(back)) => {
                        v = back;
                        thread::yield_now();
                    }
                    // The consumer is gone: the value comes back, and is dropped here.
                    Err(PushError::Closed(_)) => return pushed,
                }
            }
            pushed += 1;
        }
        pushed
    });
    let mut received = 0;
    while received < n / 2 {
        if let Some(item) = rx.pop() {
            assert_eq!(item.id, received);
            received += 1;
        }
    }
    drop(rx);
    let pushed = producer.join().unwrap();
    assert!(pushed >= received);
    assert_eq!(drops.alive(), 0, "an item was leaked");
    assert_eq!(drops.dropped(), drops.made());
}
