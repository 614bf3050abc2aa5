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
