//! Positions that wrap around `usize::MAX` (as they do after 2^32 pushes on
//! a 32-bit target, minutes of traffic): every operation keeps working
//! across the wrap, against a `VecDeque` model. Bug class: a stale stamp
//! that looks fresh once positions wrap.

use std::collections::VecDeque;

use super::channel_from;

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
    for capacity in [1, 3, 4, 7] {
        for start in [
            usize::MAX - 3 * capacity,
            usize::MAX - 1,
            0usize.wrapping_sub(100),
        ] {
            let (mut tx, mut rx) = channel_from::<u32>(capacity, start).unwrap();
            let mut model = VecDeque::new();
            let mut next = 0u32;
            let rounds = if cfg!(miri) { 200 } else { 4000 };
            for r in steps((capacity as u64 * 31).wrapping_add(start as u64)).take(rounds) {
                let n = (r >> 8) as usize % (capacity + 2);
                match r % 6 {
                    0 | 1 => {
                        let result = tx.push(next);
                        assert_eq!(result.is_ok(), model.len() < capacity);
                        if result.is_ok() {
                            model.push_back(next);
                        }
                        next += 1;
                    }
                    2 => {
                        let items: Vec<u32> = (next..next + n as u32).collect();
                        let pushed = tx.push_slice(&items);
                        assert_eq!(pushed, n.min(capacity - model.len()));
                        model.extend(&items[..pushed]);
                        next += n as u32;
                    }
                    3 => {
                        let pushed = tx.push_iter(next..next + n as u32);
                        model.extend(next..next + pushed as u32);
                        next += n as u32;
                    }
                    4 => assert_eq!(rx.pop(), model.pop_front()),
                    _ => {
                        let mut buf = vec![0; n];
                        let popped = rx.pop_slice(&mut buf);
                        let expected: Vec<u32> = model.drain(..popped).collect();
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
