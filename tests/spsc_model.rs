//! Random operation sequences on the SPSC ring against a `VecDeque` model.
#![cfg(not(loom))]

#[path = "common/proptest_config.rs"]
mod proptest_config;

mod common;

use std::collections::VecDeque;

use common::Drops;
use handoff::{spsc, PushError};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Push,
    Pop,
    Peek,
    PushSlice(usize),
    PopSlice(usize),
    PushIter(usize),
    Drain { max: usize, take: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Push),
        4 => Just(Op::Pop),
        1 => Just(Op::Peek),
        1 => (0..12usize).prop_map(Op::PushSlice),
        1 => (0..12usize).prop_map(Op::PopSlice),
        1 => (0..12usize).prop_map(Op::PushIter),
        1 => (0..12usize, 0..12usize).prop_map(|(max, take)| Op::Drain { max, take }),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 300 })
}

proptest! {
    #![proptest_config(proptest_config::config(5))]

    /// `Copy` items through every operation, checking each result and the
    /// lengths seen from both halves.
    #[test]
    fn matches_a_vecdeque(capacity in 1..9usize, ops in ops()) {
        let (mut tx, mut rx) = spsc::channel::<u32>(capacity);
        let mut model = VecDeque::new();
        let mut next = 0u32;
        for op in ops {
            match op {
                Op::Push => {
                    let result = tx.push(next);
                    if model.len() < capacity {
                        prop_assert_eq!(result, Ok(()));
                        model.push_back(next);
                    } else {
                        prop_assert_eq!(result, Err(PushError::Full(next)));
                    }
                    next += 1;
                }
                Op::Pop => prop_assert_eq!(rx.pop(), model.pop_front()),
                Op::Peek => prop_assert_eq!(rx.peek(), model.front()),
                Op::PushSlice(n) => {
                    let items: Vec<u32> = (next..next + n as u32).collect();
                    let pushed = tx.push_slice(&items);
                    prop_assert_eq!(pushed, n.min(capacity - model.len()));
                    model.extend(&items[..pushed]);
                    next += pushed as u32;
                }
                Op::PopSlice(n) => {
                    let mut buf = vec![u32::MAX; n];
                    let popped = rx.pop_slice(&mut buf);
                    prop_assert_eq!(popped, n.min(model.len()));
                    let expected: Vec<u32> = model.drain(..popped).collect();
                    prop_assert_eq!(&buf[..popped], &expected[..]);
                    prop_assert!(buf[popped..].iter().all(|&v| v == u32::MAX));
                }
                Op::PushIter(n) => {
                    let mut items = next..next + n as u32;
                    let pushed = tx.push_iter(&mut items);
                    prop_assert_eq!(pushed, n.min(capacity - model.len()));
                    // The iterator resumes right after the last item that fit.
                    prop_assert_eq!(items.next(), (pushed < n).then_some(next + pushed as u32));
                    model.extend(next..next + pushed as u32);
                    next += n as u32;
                }
                Op::Drain { max, take } => {
                    let drain = rx.drain(max);
                    prop_assert_eq!(drain.len(), max.min(model.len()));
                    let got: Vec<u32> = drain.take(take).collect();
                    let expected: Vec<u32> = model.drain(..take.min(max).min(model.len())).collect();
                    prop_assert_eq!(got, expected);
                }
            }
            prop_assert_eq!(tx.len(), model.len());
            prop_assert_eq!(rx.len(), model.len());
            prop_assert_eq!(rx.is_empty(), model.is_empty());
            prop_assert_eq!(tx.is_full(), model.len() == capacity);
            prop_assert_eq!(tx.free_len(), capacity - model.len());
        }
    }

    /// Items with counted drops: every item is dropped exactly once, whether
    /// popped, refused or left inside, whichever half goes first.
    #[test]
    fn drops_every_item_once(capacity in 1..6usize, ops in ops(), producer_first in any::<bool>()) {
        let drops = Drops::new();
        let (mut tx, mut rx) = spsc::channel(capacity);
        let mut model = VecDeque::new();
        let mut next = 0u64;
        for op in ops {
            match op {
                Op::Push | Op::PushSlice(_) => {
                    match tx.push(drops.item(next)) {
                        Ok(()) => model.push_back(next),
                        Err(PushError::Full(item)) => prop_assert_eq!(item.id, next),
                        Err(PushError::Closed(_)) => prop_assert!(false, "consumer is alive"),
                    }
                    next += 1;
                }
                Op::Pop | Op::PopSlice(_) => prop_assert_eq!(rx.pop().map(|t| t.id), model.pop_front()),
                Op::Peek => prop_assert_eq!(rx.peek().map(|t| t.id), model.front().copied()),
                Op::PushIter(n) => {
                    let pushed = tx.push_iter((next..next + n as u64).map(|i| drops.item(i)));
                    model.extend(next..next + pushed as u64);
                    next += n as u64;
                }
                Op::Drain { max, take } => {
                    let got: Vec<u64> = rx.drain(max).take(take).map(|t| t.id).collect();
                    let expected: Vec<u64> = model.drain(..take.min(max).min(model.len())).collect();
                    prop_assert_eq!(got, expected);
                }
            }
            prop_assert_eq!(drops.alive(), model.len());
        }
        if producer_first {
            drop(tx);
            prop_assert_eq!(drops.alive(), model.len());
            drop(rx);
        } else {
            drop(rx);
            prop_assert_eq!(drops.alive(), model.len());
            drop(tx);
        }
        prop_assert_eq!(drops.alive(), 0);
    }
}
