//! `spsc`: zero-sized items that count their drops through every
//! operation, rings dropped with items inside, items whose `Drop` panics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use handoff::spsc;

use super::common::block_on;
use super::{quiet_panics, DELIBERATE};

/// A zero-sized item; the drops of each `K` are counted apart, so that the
/// tests (which run in parallel) do not see each other's.
#[derive(Debug)]
pub struct Zst<const K: usize>;

pub static ZST_DROPS: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];

impl<const K: usize> Drop for Zst<K> {
    fn drop(&mut self) {
        ZST_DROPS[K].fetch_add(1, Ordering::SeqCst);
    }
}

pub fn zst_drops<const K: usize>() -> usize {
    ZST_DROPS[K].load(Ordering::SeqCst)
}

/// An item whose `Drop` counts, and panics if it is the chosen one.
pub struct Loud<'a> {
    pub id: usize,
    pub panics: bool,
    pub drops: &'a [AtomicUsize],
}

impl Drop for Loud<'_> {
    fn drop(&mut self) {
        self.drops[self.id].fetch_add(1, Ordering::SeqCst);
        if self.panics {
            panic!("{DELIBERATE}: an item's Drop panics");
        }
    }
}

/// Bug class: a zero-sized type takes paths a sized one does not (no bytes
/// to copy, pointer arithmetic by zero); every item must still be dropped
/// exactly once through every operation, and on drop with items inside.
#[test]
fn zero_sized_items_are_dropped_once_through_every_operation() {
    const K: usize = 0;
    let (mut tx, mut rx) = spsc::channel::<Zst<K>>(4);
    let mut made = 0;
    let mut push = |tx: &mut spsc::Producer<Zst<K>>| {
        made += 1;
        tx.push(Zst).map_err(|_| ()).unwrap();
    };
    push(&mut tx);
    push(&mut tx);
    assert!(rx.peek().is_some());
    drop(rx.pop());
    assert_eq!(zst_drops::<K>(), 1);
    assert_eq!(tx.push_iter([Zst, Zst, Zst, Zst]), 3); // one left over
    assert_eq!(zst_drops::<K>(), 2, "the item push_iter did not take");
    made += 4;
    assert_eq!(rx.drain(2).count(), 2);
    assert_eq!(zst_drops::<K>(), 4);
    assert!(rx.pop_blocking().is_some());
    assert!(rx.pop_timeout(Duration::from_millis(1)).is_ok());
    assert_eq!(zst_drops::<K>(), 6);
    tx.push_blocking(Zst).map_err(|_| ()).unwrap();
    tx.push_timeout(Zst, Duration::from_millis(1))
        .map_err(|_| ())
        .unwrap();
    made += 2;
    assert!(block_on(rx.pop_async()).is_some());
    block_on(tx.push_async(Zst)).map_err(|_| ()).unwrap();
    made += 1;
    assert_eq!(zst_drops::<K>(), 7);
    // Full: the value comes back (and is dropped by us, once).
    for _ in 0..2 {
        tx.push(Zst).map_err(|_| ()).unwrap();
        made += 1;
    }
    let refused = tx.push(Zst).unwrap_err();
    made += 1;
    drop(refused);
    assert_eq!(zst_drops::<K>(), 8);
    // Drop both halves with four items inside.
    assert_eq!(rx.len(), 4);
    drop(rx);
    assert_eq!(tx.push(Zst).map_err(|e| e.is_full()), Err(false));
    made += 1;
    drop(tx);
    assert_eq!(zst_drops::<K>(), made);
}

/// Bug class: a ring dropped with items inside, one of whose `Drop`
/// panics: the others are still dropped, each once, and the panic reaches
/// whoever dropped the ring.
#[test]
fn a_panicking_item_drop_does_not_leak_the_rest() {
    quiet_panics();
    let drops: Vec<AtomicUsize> = (0..6).map(|_| AtomicUsize::new(0)).collect();
    let (mut tx, rx) = spsc::channel(8);
    for id in 0..6 {
        tx.push(Loud {
            id,
            panics: id == 2,
            drops: &drops,
        })
        .map_err(|_| ())
        .unwrap();
    }
    drop(rx);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(tx)));
    assert!(result.is_err(), "the item's panic goes on to the dropper");
    for (id, d) in drops.iter().enumerate() {
        assert_eq!(d.load(Ordering::SeqCst), 1, "item {id}");
    }
}
