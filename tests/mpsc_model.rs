//! Random operation sequences on the MPSC ring against a `VecDeque` model,
//! with several producer handles that come and go.
#![cfg(not(loom))]

#[path = "common/proptest_config.rs"]
mod proptest_config;

mod common;

use std::collections::VecDeque;

use common::Drops;
use handoff::{mpsc, PopError, PushError};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Push(usize),
    Pop,
    TryPop,
    PopSlice(usize),
    Drain { max: usize, take: usize },
    Clone(usize),
    DropProducer(usize),
    DropConsumer,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..4usize).prop_map(Op::Push),
        4 => Just(Op::Pop),
        2 => Just(Op::TryPop),
        1 => (0..10usize).prop_map(Op::PopSlice),
        1 => (0..10usize, 0..10usize).prop_map(|(max, take)| Op::Drain { max, take }),
        1 => (0..4usize).prop_map(Op::Clone),
        1 => (0..4usize).prop_map(Op::DropProducer),
        1 => Just(Op::DropConsumer),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 300 })
}

proptest! {
    #![proptest_config(proptest_config::config(5))]

    /// Every operation's result, the lengths, closing in both directions,
    /// and every item dropped exactly once however the handles go.
    #[test]
    fn matches_a_vecdeque(capacity in 1..9usize, ops in ops()) {
        let drops = Drops::new();
        let (tx, rx) = mpsc::channel(capacity);
        let mut producers = vec![Some(tx)];
        let mut consumer = Some(rx);
        let mut model: VecDeque<u64> = VecDeque::new();
        let mut next = 0u64;
        for op in ops {
            let live = producers.iter().filter(|p| p.is_some()).count();
            match (op, consumer.as_mut()) {
                (Op::Push(k), _) => {
                    let Some(Some(tx)) = producers.get(k % producers.len()) else { continue };
                    let result = tx.push(drops.item(next));
                    match (&result, consumer.is_some(), model.len() < capacity) {
                        (Ok(()), true, true) => model.push_back(next),
                        (Err(PushError::Full(item)), true, false) => prop_assert_eq!(item.id, next),
                        (Err(PushError::Closed(item)), false, _) => prop_assert_eq!(item.id, next),
                        _ => prop_assert!(false, "push gave {:?}", result),
                    }
                    next += 1;
                }
                (Op::Pop, Some(rx)) => prop_assert_eq!(rx.pop().map(|t| t.id), model.pop_front()),
                (Op::TryPop, Some(rx)) => {
                    let expected = match model.pop_front() {
                        Some(id) => Ok(id),
                        None if live == 0 => Err(PopError::Closed),
                        None => Err(PopError::Empty),
                    };
                    prop_assert_eq!(rx.try_pop().map(|t| t.id), expected);
                }
                (Op::PopSlice(n), Some(rx)) => {
                    // `pop_slice` needs `Copy` items (see the test below):
                    // here, a whole `drain` of up to `n`.
                    let got: Vec<u64> = rx.drain(n).map(|t| t.id).collect();
                    let expected: Vec<u64> = model.drain(..n.min(model.len())).collect();
                    prop_assert_eq!(got, expected);
                }
                (Op::Drain { max, take }, Some(rx)) => {
                    let got: Vec<u64> = rx.drain(max).take(take).map(|t| t.id).collect();
                    let expected: Vec<u64> = model.drain(..take.min(max).min(model.len())).collect();
                    prop_assert_eq!(got, expected);
                }
                (Op::Clone(k), _) => {
                    if let Some(Some(tx)) = producers.get(k % producers.len()) {
                        let clone = tx.clone();
                        producers.push(Some(clone));
                    }
                }
                (Op::DropProducer(k), _) => {
                    let n = producers.len();
                    producers[k % n] = None;
                }
                // Items stay until the last handle goes (checked below).
                (Op::DropConsumer, Some(_)) => consumer = None,
                (_, None) => {}
            }
            let live = producers.iter().filter(|p| p.is_some()).count();
            if live == 0 && consumer.is_none() {
                // The last handle is gone: the ring dropped what it held.
                model.clear();
            }
            if let Some(rx) = consumer.as_ref() {
                prop_assert_eq!(rx.len(), model.len());
                prop_assert_eq!(rx.is_closed(), live == 0);
            }
            for tx in producers.iter().flatten() {
                prop_assert_eq!(tx.len(), model.len());
                prop_assert_eq!(tx.is_closed(), consumer.is_none());
            }
            prop_assert_eq!(drops.alive(), model.len());
        }
        drop(producers);
        drop(consumer);
        prop_assert_eq!(drops.alive(), 0);
    }

    /// `pop_slice` with `Copy` items against the model.
    #[test]
    fn pop_slice_matches_a_vecdeque(
        capacity in 1..9usize,
        ops in proptest::collection::vec((0..3u8, 0..10usize), 0..200),
    ) {
        let (tx, mut rx) = mpsc::channel::<u32>(capacity);
        let mut model = VecDeque::new();
        let mut next = 0u32;
        for (kind, n) in ops {
            if kind < 2 {
                for _ in 0..n {
                    if model.len() < capacity {
                        prop_assert_eq!(tx.push(next), Ok(()));
                        model.push_back(next);
                    } else {
                        prop_assert_eq!(tx.push(next), Err(PushError::Full(next)));
                    }
                    next += 1;
                }
            } else {
                let mut buf = vec![u32::MAX; n];
                let got = rx.pop_slice(&mut buf);
                let expected: Vec<u32> = model.drain(..n.min(model.len())).collect();
                prop_assert_eq!(&buf[..got], &expected[..]);
                prop_assert!(buf[got..].iter().all(|&v| v == u32::MAX));
            }
        }
    }
}
