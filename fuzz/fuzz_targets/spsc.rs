//! Byte-decoded operation sequences on the SPSC ring against a `VecDeque`
//! model, with every item's drop counted.
#![no_main]

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;

use handoff::{spsc, PushError};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static ALIVE: Cell<i64> = const { Cell::new(0) };
}

/// An item whose drops are counted; a second drop of one is caught.
#[derive(Debug)]
struct Item {
    id: u32,
    // Heap memory that a double drop or a leak would show to ASan/LSan.
    _payload: Box<u32>,
    dropped: Rc<Cell<bool>>,
}

impl Item {
    fn new(id: u32) -> Self {
        ALIVE.with(|a| a.set(a.get() + 1));
        Self {
            id,
            _payload: Box::new(id),
            dropped: Rc::new(Cell::new(false)),
        }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        assert!(
            !self.dropped.replace(true),
            "item {} dropped twice",
            self.id
        );
        ALIVE.with(|a| a.set(a.get() - 1));
    }
}

// SAFETY: the fuzz target is single-threaded; `Item` only needs `Send` to
// satisfy `channel`'s bound, and its `Rc` never leaves this thread.
unsafe impl Send for Item {}

fn alive() -> usize {
    ALIVE.with(|a| a.get()) as usize
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, ops)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(first % 16) + 1;
    let start = alive();
    {
        let (mut tx, mut rx) = spsc::channel::<Item>(capacity);
        let (mut ctx, mut crx) = spsc::channel::<u16>(capacity);
        let mut model: VecDeque<u32> = VecDeque::new();
        let mut copy_model: VecDeque<u16> = VecDeque::new();
        let mut next = 0u32;
        let mut closed = false;
        for &byte in ops {
            let arg = usize::from(byte >> 3);
            match byte & 7 {
                0 => {
                    match tx.push(Item::new(next)) {
                        Ok(()) => model.push_back(next),
                        Err(PushError::Closed(_)) => panic!("Closed while the consumer is alive"),
                        Err(PushError::Full(item)) => {
                            assert_eq!(model.len(), capacity);
                            assert_eq!(item.id, next);
                        }
                    }
                    next += 1;
                }
                1 => assert_eq!(rx.pop().map(|i| i.id), model.pop_front()),
                2 => assert_eq!(rx.peek().map(|i| i.id), model.front().copied()),
                3 => {
                    let pushed = tx.push_iter((next..next + arg as u32).map(Item::new));
                    assert_eq!(pushed, arg.min(capacity - model.len()));
                    model.extend(next..next + pushed as u32);
                    next += arg as u32;
                }
                4 => {
                    let take = arg / 4;
                    let got: Vec<u32> = rx.drain(arg % 4 * 3).take(take).map(|i| i.id).collect();
                    let expected: Vec<u32> = model
                        .drain(..take.min(arg % 4 * 3).min(model.len()))
                        .collect();
                    assert_eq!(got, expected);
                }
                5 => {
                    let items: Vec<u16> = (0..arg as u16).map(|i| i ^ next as u16).collect();
                    let pushed = ctx.push_slice(&items);
                    assert_eq!(pushed, arg.min(capacity - copy_model.len()));
                    copy_model.extend(&items[..pushed]);
                    next += 1;
                }
                6 => {
                    let mut buf = vec![0u16; arg];
                    let popped = crx.pop_slice(&mut buf);
                    assert_eq!(popped, arg.min(copy_model.len()));
                    let expected: Vec<u16> = copy_model.drain(..popped).collect();
                    assert_eq!(&buf[..popped], &expected[..]);
                }
                _ => {
                    // Check the observers, and once, end the fuzz case early by
                    // dropping one half with items inside.
                    assert_eq!(tx.len(), model.len());
                    assert_eq!(rx.len(), model.len());
                    assert_eq!(tx.is_full(), model.len() == capacity);
                    assert_eq!(crx.len(), copy_model.len());
                    if arg == 31 {
                        closed = true;
                        break;
                    }
                }
            }
            assert_eq!(alive() - start, model.len());
        }
        if closed {
            drop(rx);
            assert!(tx.is_closed());
            // A push to a ring nobody reads hands the value back.
            let refused = tx.push(Item::new(next)).unwrap_err();
            assert!(matches!(refused, PushError::Closed(ref item) if item.id == next));
            drop(refused);
            assert_eq!(
                alive() - start,
                model.len(),
                "items dropped before the ring"
            );
        }
    }
    assert_eq!(alive(), start, "items leaked or dropped twice");
});
