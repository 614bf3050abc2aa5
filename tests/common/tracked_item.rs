//! An item whose drops are counted, for the single-threaded model drivers
//! (and their fuzz targets): `alive()` says how many this thread made and
//! has not dropped, and a second drop of one panics.
#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;

thread_local! {
    static ALIVE: Cell<i64> = const { Cell::new(0) };
}

/// Items made by this thread's drivers and not yet dropped.
pub fn alive() -> i64 {
    ALIVE.with(Cell::get)
}

/// An item whose drops are counted; a second drop of one is caught.
#[derive(Debug)]
pub struct Item {
    pub id: u32,
    // Heap memory that a double drop or a leak would show to ASan, LSan
    // and Miri.
    _payload: Box<u32>,
    dropped: Rc<Cell<bool>>,
}

impl Item {
    pub fn new(id: u32) -> Self {
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

// SAFETY: the drivers are single-threaded; `Item` is `Send` only to meet
// `channel`'s bound, and its `Rc` never leaves the thread.
unsafe impl Send for Item {}
