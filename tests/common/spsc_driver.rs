//! The SPSC ring against a `VecDeque` model, one operation at a time:
//! shared by the proptest (`tests/spsc_model.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/spsc.rs`), so that both check the same thing.
//!
//! Two rings run side by side: one of `Copy` items (`u32`), for the slice
//! operations, and one of items whose drops are counted, for everything
//! else; every item must be dropped exactly once, whether popped, refused
//! or left inside when the halves go, in either order.
#![allow(dead_code)]

use std::collections::VecDeque;

#[path = "tracked_item.rs"]
mod tracked_item;

use handoff::{spsc, PushError};
use tracked_item::{alive, Item};

/// One step of a test case.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// A push onto both rings.
    Push,
    /// A pop from both rings.
    Pop,
    /// A peek at both rings.
    Peek,
    /// `push_slice` of this many on the `Copy` ring, `push_iter` on the
    /// other.
    PushSlice(u8),
    /// `pop_slice` into a buffer this long on the `Copy` ring, a whole
    /// `drain` on the other.
    PopSlice(u8),
    /// `push_iter` of this many on both.
    PushIter(u8),
    /// `drain(max)`, of which `take` items are taken.
    Drain { max: u8, take: u8 },
    /// Checks the observers (`len`, `is_empty`, `is_full`, `free_len`).
    Check,
    /// Drops one half (the consumer if `true`), checks the other, and ends
    /// the case.
    Close(bool),
}

impl Op {
    /// The fuzzer's decoding: the low three bits choose the operation, the
    /// rest is its argument.
    pub fn from_byte(byte: u8) -> Self {
        let arg = byte >> 3;
        match byte & 7 {
            0 | 1 => Op::Push,
            2 => Op::Pop,
            3 => Op::PushIter(arg % 12),
            4 => Op::Drain {
                max: arg % 6,
                take: arg / 6,
            },
            5 => {
                if arg % 2 == 0 {
                    Op::PushSlice(arg / 2 % 12)
                } else {
                    Op::PopSlice(arg / 2 % 12)
                }
            }
            6 => Op::Peek,
            _ if arg >= 30 => Op::Close(arg == 31),
            _ => Op::Check,
        }
    }
}

/// Runs `ops` on rings of `capacity`, panicking at the first difference
/// from the model.
pub fn run(capacity: usize, ops: &[Op]) {
    let start = alive();
    {
        let (mut tx, mut rx) = spsc::channel::<Item>(capacity);
        let (mut ctx, mut crx) = spsc::channel::<u32>(capacity);
        let mut model: VecDeque<u32> = VecDeque::new();
        let mut copies: VecDeque<u32> = VecDeque::new();
        let mut next = 0u32;
        for &op in ops {
            match op {
                Op::Push => {
                    match tx.push(Item::new(next)) {
                        Ok(()) => model.push_back(next),
                        Err(PushError::Closed(_)) => panic!("Closed while the consumer is alive"),
                        Err(PushError::Full(item)) => {
                            assert_eq!(model.len(), capacity);
                            assert_eq!(item.id, next);
                        }
                    }
                    let result = ctx.push(next);
                    if copies.len() < capacity {
                        assert_eq!(result, Ok(()));
                        copies.push_back(next);
                    } else {
                        assert_eq!(result, Err(PushError::Full(next)));
                    }
                    next += 1;
                }
                Op::Pop => {
                    assert_eq!(rx.pop().map(|i| i.id), model.pop_front());
                    assert_eq!(crx.pop(), copies.pop_front());
                }
                Op::Peek => {
                    assert_eq!(rx.peek().map(|i| i.id), model.front().copied());
                    assert_eq!(crx.peek(), copies.front());
                }
                Op::PushSlice(n) => {
                    let n = usize::from(n);
                    let items: Vec<u32> = (next..next + n as u32).collect();
                    let pushed = ctx.push_slice(&items);
                    assert_eq!(pushed, n.min(capacity - copies.len()));
                    copies.extend(&items[..pushed]);
                    let pushed = tx.push_iter(items.iter().map(|&i| Item::new(i)));
                    assert_eq!(pushed, n.min(capacity - model.len()));
                    model.extend(&items[..pushed]);
                    next += n as u32;
                }
                Op::PopSlice(n) => {
                    let n = usize::from(n);
                    let mut buf = vec![u32::MAX; n];
                    let popped = crx.pop_slice(&mut buf);
                    assert_eq!(popped, n.min(copies.len()));
                    let expected: Vec<u32> = copies.drain(..popped).collect();
                    assert_eq!(&buf[..popped], &expected[..]);
                    assert!(buf[popped..].iter().all(|&v| v == u32::MAX));
                    let got: Vec<u32> = rx.drain(n).map(|i| i.id).collect();
                    let expected: Vec<u32> = model.drain(..n.min(model.len())).collect();
                    assert_eq!(got, expected);
                }
                Op::PushIter(n) => {
                    let n = u32::from(n);
                    let mut ids = next..next + n;
                    let pushed = tx.push_iter((&mut ids).map(Item::new));
                    assert_eq!(pushed, (n as usize).min(capacity - model.len()));
                    // The iterator resumes right after the last item that fit.
                    assert_eq!(
                        ids.next(),
                        (pushed < n as usize).then_some(next + pushed as u32)
                    );
                    model.extend(next..next + pushed as u32);
                    let pushed = ctx.push_iter(next..next + n);
                    copies.extend(next..next + pushed as u32);
                    next += n;
                }
                Op::Drain { max, take } => {
                    let (max, take) = (usize::from(max), usize::from(take));
                    let drain = rx.drain(max);
                    assert_eq!(drain.len(), max.min(model.len()));
                    let got: Vec<u32> = drain.take(take).map(|i| i.id).collect();
                    let expected: Vec<u32> =
                        model.drain(..take.min(max).min(model.len())).collect();
                    assert_eq!(got, expected);
                    let got: Vec<u32> = crx.drain(max).take(take).collect();
                    let expected: Vec<u32> =
                        copies.drain(..take.min(max).min(copies.len())).collect();
                    assert_eq!(got, expected);
                }
                Op::Check => {
                    assert_eq!(tx.len(), model.len());
                    assert_eq!(rx.len(), model.len());
                    assert_eq!(rx.is_empty(), model.is_empty());
                    assert_eq!(tx.is_full(), model.len() == capacity);
                    assert_eq!(tx.free_len(), capacity - model.len());
                    assert_eq!(crx.len(), copies.len());
                    assert!(!tx.is_closed() && !rx.is_closed());
                }
                Op::Close(consumer_first) => {
                    if consumer_first {
                        drop(rx);
                        assert!(tx.is_closed());
                        // A push to a ring nobody reads hands the value back.
                        let refused = tx.push(Item::new(next)).unwrap_err();
                        assert!(matches!(refused, PushError::Closed(ref i) if i.id == next));
                        drop(refused);
                        assert_eq!(alive() - start, model.len() as i64);
                    } else {
                        drop(tx);
                        assert!(rx.is_closed());
                        assert_eq!(alive() - start, model.len() as i64);
                        // Everything pushed is still there, in order.
                        let rest: Vec<u32> =
                            std::iter::from_fn(|| rx.pop().map(|i| i.id)).collect();
                        assert_eq!(rest, Vec::from(model));
                    }
                    break;
                }
            }
            assert_eq!(alive() - start, model.len() as i64);
        }
    }
    assert_eq!(alive(), start, "items leaked or dropped twice");
}
