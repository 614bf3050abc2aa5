//! A producer stalled between claiming a position and publishing it (made
//! on purpose with `Producer::stall`): what every other operation does
//! meanwhile. Bug class: a push that waits for another thread.

use std::time::Duration;

use super::channel;
use crate::testing::returns;
use crate::{PopError, PopTimeoutError, PushError, PushTimeoutError};

#[test]
fn a_full_ring_whose_oldest_slot_is_claimed_but_unpublished_is_full() {
    for capacity in [1, 2, 5] {
        let (tx, mut rx) = channel::<u32>(capacity);
        let stalled = tx.stall().expect("room");
        for i in 1..capacity as u32 {
            tx.push(i).unwrap();
        }
        // The ring is full, its oldest item not yet written.
        let tx2 = tx.clone();
        assert_eq!(returns(move || tx2.push(99)), Err(PushError::Full(99)));
        let tx3 = tx.clone();
        assert_eq!(
            returns(move || tx3.push_timeout(98, Duration::from_millis(20))),
            Err(PushTimeoutError::Timeout(98))
        );
        // The consumer sees an item coming, not an empty ring.
        assert_eq!(rx.try_pop(), Err(PopError::Pending));
        assert!(!rx.is_ready());
        assert_eq!(rx.len(), capacity);
        // Once published, everything comes out in order.
        stalled.publish(0);
        assert!(rx.is_ready());
        for i in 0..capacity as u32 {
            assert_eq!(rx.pop(), Some(i));
        }
        assert_eq!(rx.try_pop(), Err(PopError::Empty));
    }
}

#[test]
fn a_stalled_claim_holds_up_only_the_consumer() {
    let (tx, mut rx) = channel::<u32>(8);
    tx.push(0).unwrap();
    let stalled = tx.stall().expect("room");
    // Other producers go on until the ring is full, then get `Full`.
    for i in 2..8 {
        tx.push(i).unwrap();
    }
    assert!(tx.push(8).unwrap_err().is_full());
    assert_eq!(rx.pop(), Some(0));
    assert_eq!(rx.try_pop(), Err(PopError::Pending));
    // A blocking pop with a deadline gives up (an item is coming, but the
    // timeout is the caller's).
    assert_eq!(
        rx.pop_timeout(Duration::from_millis(10)),
        Err(PopTimeoutError::Timeout)
    );
    stalled.publish(1);
    assert_eq!(rx.drain(10).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn a_parked_consumer_sleeps_through_a_stalled_claim_and_wakes_at_its_publication() {
    let (tx, mut rx) = channel::<u32>(4);
    let stalled = tx.stall().expect("room");
    let publisher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        stalled.publish(7);
        tx
    });
    assert_eq!(rx.pop_blocking(), Some(7));
    drop(publisher.join().unwrap());
    assert_eq!(rx.pop_blocking(), None);
}

/// Positions that wrap around `usize::MAX` (after 2^32 pushes on a 32-bit
/// target): pushes, pops, batch pops and fullness keep working across the
/// wrap, against a `VecDeque` model. Bug class: a lap comparison that
/// breaks when positions wrap.
#[test]
fn every_operation_works_across_the_wrap_of_positions() {
    use std::collections::VecDeque;

    for capacity in [1usize, 2, 3, 6] {
        let one_lap = (capacity + 1).next_power_of_two();
        let last_lap = usize::MAX / one_lap;
        for start_lap in [last_lap, last_lap - 2] {
            let (tx, mut rx) = super::channel_from::<u32>(capacity, start_lap).unwrap();
            let tx2 = tx.clone();
            let mut model = VecDeque::new();
            let mut next = 0u32;
            let mut x = 0x9E37_79B9_u64 ^ capacity as u64;
            let rounds = if cfg!(miri) { 200 } else { 4000 };
            for _ in 0..rounds {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let n = (x >> 8) as usize % (capacity + 2);
                match x % 5 {
                    0 | 1 => {
                        let producer = if x & 64 == 0 { &tx } else { &tx2 };
                        let result = producer.push(next);
                        assert_eq!(result.is_ok(), model.len() < capacity);
                        if result.is_ok() {
                            model.push_back(next);
                        }
                        next += 1;
                    }
                    2 => assert_eq!(rx.pop(), model.pop_front()),
                    3 => assert_eq!(rx.peek(), model.front()),
                    _ => {
                        let mut buf = vec![0; n];
                        let popped = rx.pop_slice(&mut buf);
                        let expected: Vec<u32> = model.drain(..popped).collect();
                        assert_eq!(&buf[..popped], &expected[..]);
                        assert_eq!(popped, n.min(popped + model.len()));
                    }
                }
                assert_eq!(rx.len(), model.len());
                assert_eq!(tx.len(), model.len());
            }
        }
    }
}
