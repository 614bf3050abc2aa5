//! The MPSC ring against a `VecDeque` model, one operation at a time:
//! shared by the proptest (`tests/mpsc_model.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/mpsc.rs`), so that both check the same thing.
//!
//! Producers are cloned and dropped, the consumer may go first; every item
//! must be dropped exactly once, whether popped, refused or left inside.
//! A second ring of `Copy` items checks `pop_slice`.
#![allow(dead_code)]

use std::collections::VecDeque;

#[path = "tracked_item.rs"]
mod tracked_item;

use handoff::{mpsc, PopError, PushError};
use tracked_item::{alive, Item};

/// One step of a test case.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// A push by producer `k` (modulo the producers made so far; nothing if
    /// that one was dropped).
    Push(u8),
    /// A pop.
    Pop,
    /// A `try_pop`, which tells empty from closed.
    TryPop,
    /// `pop_slice` into a buffer this long, on the `Copy` ring (after as
    /// many pushes onto it), and a whole `drain` on the other.
    PopSlice(u8),
    /// `drain(max)`, of which `take` items are taken.
    Drain { max: u8, take: u8 },
    /// Producer `k` is cloned.
    Clone(u8),
    /// Producer `k` is dropped.
    DropProducer(u8),
    /// The consumer is dropped.
    DropConsumer,
    /// Checks the observers of every live half.
    Check,
}

impl Op {
    /// The fuzzer's decoding: the low three bits choose the operation, the
    /// rest is its argument.
    pub fn from_byte(byte: u8) -> Self {
        let arg = byte >> 3;
        match byte & 7 {
            0 | 1 => Op::Push(arg),
            2 => Op::Pop,
            3 => Op::TryPop,
            4 => Op::Drain {
                max: arg % 6,
                take: arg / 6,
            },
            5 => Op::Clone(arg),
            6 if arg == 31 => Op::DropConsumer,
            6 if arg >= 16 => Op::PopSlice(arg - 16),
            6 => Op::DropProducer(arg),
            _ => Op::Check,
        }
    }
}

/// Runs `ops` on rings of `capacity`, panicking at the first difference
/// from the model.
pub fn run(capacity: usize, ops: &[Op]) {
    let start = alive();
    {
        let (tx, rx) = mpsc::channel::<Item>(capacity);
        let mut producers = vec![Some(tx)];
        let mut consumer = Some(rx);
        let mut model: VecDeque<u32> = VecDeque::new();
        let (ctx, mut crx) = mpsc::channel::<u32>(capacity);
        let mut copies: VecDeque<u32> = VecDeque::new();
        let mut next = 0u32;
        for &op in ops {
            let live = producers.iter().flatten().count();
            match (op, consumer.as_mut()) {
                (Op::Push(k), _) => {
                    let Some(Some(tx)) = producers.get(usize::from(k) % producers.len()) else {
                        continue;
                    };
                    match tx.push(Item::new(next)) {
                        Ok(()) => {
                            assert!(consumer.is_some() && model.len() < capacity);
                            model.push_back(next);
                        }
                        Err(PushError::Full(item)) => {
                            assert!(consumer.is_some() && model.len() == capacity);
                            assert_eq!(item.id, next);
                        }
                        Err(PushError::Closed(item)) => {
                            assert!(consumer.is_none());
                            assert_eq!(item.id, next);
                        }
                    }
                    next += 1;
                }
                (Op::Pop, Some(rx)) => assert_eq!(rx.pop().map(|i| i.id), model.pop_front()),
                (Op::TryPop, Some(rx)) => {
                    let expected = match model.pop_front() {
                        Some(id) => Ok(id),
                        None if live == 0 => Err(PopError::Closed),
                        None => Err(PopError::Empty),
                    };
                    assert_eq!(rx.try_pop().map(|i| i.id), expected);
                }
                (Op::PopSlice(n), Some(rx)) => {
                    let n = usize::from(n);
                    for _ in 0..n {
                        let result = ctx.push(next);
                        if copies.len() < capacity {
                            assert_eq!(result, Ok(()));
                            copies.push_back(next);
                        } else {
                            assert_eq!(result, Err(PushError::Full(next)));
                        }
                        next += 1;
                    }
                    let mut buf = vec![u32::MAX; n];
                    let got = crx.pop_slice(&mut buf);
                    let expected: Vec<u32> = copies.drain(..n.min(copies.len())).collect();
                    assert_eq!(&buf[..got], &expected[..]);
                    assert!(buf[got..].iter().all(|&v| v == u32::MAX));
                    let got: Vec<u32> = rx.drain(n).map(|i| i.id).collect();
                    let expected: Vec<u32> = model.drain(..n.min(model.len())).collect();
                    assert_eq!(got, expected);
                }
                (Op::Drain { max, take }, Some(rx)) => {
                    let (max, take) = (usize::from(max), usize::from(take));
                    let got: Vec<u32> = rx.drain(max).take(take).map(|i| i.id).collect();
                    let expected: Vec<u32> =
                        model.drain(..take.min(max).min(model.len())).collect();
                    assert_eq!(got, expected);
                }
                (Op::Clone(k), _) => {
                    if let Some(Some(tx)) = producers.get(usize::from(k) % producers.len()) {
                        let clone = tx.clone();
                        producers.push(Some(clone));
                    }
                }
                (Op::DropProducer(k), _) => {
                    let n = producers.len();
                    producers[usize::from(k) % n] = None;
                }
                (Op::DropConsumer, Some(_)) => consumer = None,
                (Op::Check, _) | (_, None) => {}
            }
            let live = producers.iter().flatten().count();
            if live == 0 && consumer.is_none() {
                // The ring is gone, and its items with it.
                model.clear();
            }
            if let Some(rx) = consumer.as_ref() {
                assert_eq!(rx.len(), model.len());
                assert_eq!(rx.is_empty(), model.is_empty());
                assert_eq!(rx.is_closed(), live == 0);
            }
            for tx in producers.iter().flatten() {
                assert_eq!(tx.len(), model.len());
                assert_eq!(tx.is_closed(), consumer.is_none());
            }
            assert_eq!(alive() - start, model.len() as i64);
        }
    }
    assert_eq!(alive(), start, "items leaked or dropped twice");
}
