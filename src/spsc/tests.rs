//! Positions that wrap around `usize::MAX` (as they do after 2^32 pushes on
//! a 32-bit target, minutes of traffic): every operation keeps working
//! across the wrap, against a `VecDeque` model, for items that put 14, 7, 2
//! and 1 of them in a group, and rings of one group and of many. Bug
//! classes: a stale stamp that looks fresh once positions wrap; a batch
//! that crosses groups or the end of the cycle; a cursor out of step with
//! its position.

use std::collections::VecDeque;

use super::channel_from;
use super::groups::{Cells, Shape};

/// An item of `4 * N` bytes that carries a `u32`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Wide<const N: usize>([u32; N]);

impl<const N: usize> Wide<N> {
    fn new(v: u32) -> Self {
        let mut a = [0; N];
        a[0] = v;
        a[N - 1] = v;
        Self(a)
    }
}

#[test]
fn groups_fill_a_cache_line() {
    assert_eq!(Shape::<u64>::PER_GROUP, 7);
    assert_eq!(Shape::<u32>::PER_GROUP, 14);
    assert_eq!(Shape::<u8>::PER_GROUP, 56);
    assert_eq!(Shape::<Wide<5>>::PER_GROUP, 2);
    assert_eq!(Shape::<Wide<14>>::PER_GROUP, 1);
    assert_eq!(Shape::<[u8; 1000]>::PER_GROUP, 1);
    assert_eq!(Shape::<()>::PER_GROUP, 64);
    // The ring has at least `capacity` cells, and no group more than it
    // needs.
    for capacity in [1, 6, 7, 8, 100] {
        let (tx, _rx) = channel_from::<u64>(capacity, 0).unwrap();
        let cells = tx.ring.cells;
        assert_eq!(cells.len(), capacity.div_ceil(7) * Cells::<u64>::PER_GROUP);
    }
}

#[test]
fn groups_keep_their_alignment() {
    #[derive(Clone, Copy, Debug, PartialEq)]
    #[repr(align(128))]
    struct Aligned(u64);

    let (mut tx, mut rx) = channel_from::<Aligned>(5, 0).unwrap();
    for round in 0..4u64 {
        assert_eq!(tx.push_iter((0..5).map(|i| Aligned(round * 10 + i))), 5);
        for i in 0..5 {
            let item = rx.peek().unwrap();
            assert_eq!(item as *const Aligned as usize % 128, 0);
            assert_eq!(rx.pop(), Some(Aligned(round * 10 + i)));
        }
    }
}

/// A small deterministic generator, so that every run takes the same steps.
fn steps(seed: u64) -> impl Iterator<Item = u64> {
    let mut x = seed | 1;
    std::iter::from_fn(move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Some(x)
    })
}

#[test]
fn every_operation_works_across_the_wrap_of_positions() {
    across_the_wrap(Wide::<1>::new);
    across_the_wrap(Wide::<2>::new);
    across_the_wrap(Wide::<5>::new);
    across_the_wrap(Wide::<14>::new);
}

fn across_the_wrap<T: Copy + PartialEq + std::fmt::Debug + Send>(make: fn(u32) -> T) {
    for capacity in [1, 3, 4, 7, 15, 29] {
        for start in [
            usize::MAX - 3 * capacity,
            usize::MAX - 1,
            0usize.wrapping_sub(100),
        ] {
            let (mut tx, mut rx) = channel_from::<T>(capacity, start).unwrap();
            let mut model = VecDeque::new();
            let mut next = 0u32;
            let rounds = if cfg!(miri) { 60 } else { 4000 };
            for r in steps((capacity as u64 * 31).wrapping_add(start as u64)).take(rounds) {
                let n = (r >> 8) as usize % (capacity + 2);
                match r % 6 {
                    0 | 1 => {
                        let result = tx.push(make(next));
                        assert_eq!(result.is_ok(), model.len() < capacity);
                        if result.is_ok() {
                            model.push_back(make(next));
                        }
                        next += 1;
                    }
                    2 => {
                        let items: Vec<T> = (next..next + n as u32).map(make).collect();
                        let pushed = tx.push_slice(&items);
                        assert_eq!(pushed, n.min(capacity - model.len()));
                        model.extend(&items[..pushed]);
                        next += n as u32;
                    }
                    3 => {
                        let pushed = tx.push_iter((next..next + n as u32).map(make));
                        model.extend((next..next + pushed as u32).map(make));
                        next += n as u32;
                    }
                    4 => assert_eq!(rx.pop(), model.pop_front()),
                    _ => {
                        let mut buf = vec![make(0); n];
                        let popped = rx.pop_slice(&mut buf);
                        let expected: Vec<T> = model.drain(..popped).collect();
                        assert_eq!(popped, n.min(expected.len() + model.len()));
                        assert_eq!(&buf[..popped], &expected[..]);
                    }
                }
                assert_eq!(rx.len(), model.len());
                assert_eq!(tx.len(), model.len());
                assert_eq!(rx.peek(), model.front());
            }
        }
    }
}

/// Items left in the ring when both halves go are dropped exactly once,
/// wherever the head stands in the cycle of groups (here: mid-group, with
/// the items wrapping past the cycle's end).
#[test]
fn items_left_inside_are_dropped_once_from_any_head() {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    use std::sync::Arc;

    for capacity in [1, 6, 7, 8, 20] {
        for popped in 0..capacity + 9 {
            let live = Arc::new(AtomicUsize::new(0));
            struct Counted(Arc<AtomicUsize>);
            impl Drop for Counted {
                fn drop(&mut self) {
                    self.0.fetch_sub(1, Relaxed);
                }
            }
            let make = || {
                live.fetch_add(1, Relaxed);
                (Counted(Arc::clone(&live)), [0u8; 8])
            };
            let (mut tx, mut rx) = channel_from(capacity, usize::MAX - 5).unwrap();
            for _ in 0..popped {
                tx.push(make()).ok().unwrap();
                drop(rx.pop().unwrap());
            }
            let mut inside = 0;
            while tx.push(make()).is_ok() {
                inside += 1;
            }
            assert_eq!(inside, capacity);
            assert_eq!(live.load(Relaxed), capacity);
            drop(rx);
            assert_eq!(
                live.load(Relaxed),
                capacity,
                "the consumer's drop dropped items"
            );
            drop(tx);
            assert_eq!(live.load(Relaxed), 0);
        }
    }
}
