//! Byte-decoded operation sequences on the MPSC ring, with producer handles
//! that are cloned and dropped, against a `VecDeque` model; every item's
//! drop is counted.
#![no_main]

use std::cell::Cell;
use std::collections::VecDeque;

use handoff::{mpsc, PopError, PushError};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static ALIVE: Cell<usize> = const { Cell::new(0) };
}

/// An item whose drops are counted; its heap payload shows a double drop or
/// a leak to the sanitizer too.
#[derive(Debug)]
struct Item {
    id: u32,
    payload: Box<u32>,
}

impl Item {
    fn new(id: u32) -> Self {
        ALIVE.with(|a| a.set(a.get() + 1));
        Self {
            id,
            payload: Box::new(id),
        }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        assert_eq!(*self.payload, self.id, "item dropped twice or corrupted");
        *self.payload = u32::MAX;
        ALIVE.with(|a| a.set(a.get() - 1));
    }
}

fn alive() -> usize {
    ALIVE.with(|a| a.get())
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, ops)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(first % 12) + 1;
    let start = alive();
    let (tx, rx) = mpsc::channel::<Item>(capacity);
    let mut producers = vec![Some(tx)];
    let mut consumer = Some(rx);
    let mut model: VecDeque<u32> = VecDeque::new();
    let mut next = 0u32;
    for &byte in ops {
        let arg = usize::from(byte >> 3);
        match byte & 7 {
            0 | 1 => {
                let Some(Some(tx)) = producers.get(arg % producers.len()) else {
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
            2 | 3 => {
                if let Some(rx) = consumer.as_mut() {
                    let live = producers.iter().flatten().count();
                    let expected = match model.pop_front() {
                        Some(id) => Ok(id),
                        None if live == 0 => Err(PopError::Closed),
                        None => Err(PopError::Empty),
                    };
                    assert_eq!(rx.try_pop().map(|i| i.id), expected);
                }
            }
            4 => {
                if let Some(rx) = consumer.as_mut() {
                    let (max, take) = (arg % 6, arg / 6);
                    let got: Vec<u32> = rx.drain(max).take(take).map(|i| i.id).collect();
                    let expected: Vec<u32> =
                        model.drain(..take.min(max).min(model.len())).collect();
                    assert_eq!(got, expected);
                }
            }
            5 => {
                if let Some(Some(tx)) = producers.get(arg % producers.len()) {
                    let clone = tx.clone();
                    producers.push(Some(clone));
                }
            }
            6 => {
                let n = producers.len();
                producers[arg % n] = None;
            }
            _ => {
                if arg == 31 {
                    consumer = None;
                }
                if let Some(rx) = consumer.as_ref() {
                    assert_eq!(rx.len(), model.len());
                }
                for tx in producers.iter().flatten() {
                    assert_eq!(tx.len(), model.len());
                    assert_eq!(tx.is_closed(), consumer.is_none());
                }
            }
        }
        if consumer.is_none() && producers.iter().all(Option::is_none) {
            model.clear();
        }
        assert_eq!(alive() - start, model.len());
    }
    drop(producers);
    drop(consumer);
    assert_eq!(alive(), start, "items leaked");
});
