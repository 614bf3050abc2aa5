//! Random operation sequences on the SPSC ring against a `VecDeque` model
//! (the driver shared with the fuzz target): every result, every observer,
//! and every item dropped exactly once, whichever half goes first.
#![cfg(not(loom))]

#[path = "common/proptest_config.rs"]
mod proptest_config;
#[path = "common/spsc_driver.rs"]
mod spsc_driver;

use proptest::prelude::*;
use spsc_driver::Op;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => Just(Op::Push),
        8 => Just(Op::Pop),
        2 => Just(Op::Peek),
        2 => (0..12u8).prop_map(Op::PushSlice),
        2 => (0..12u8).prop_map(Op::PopSlice),
        2 => (0..12u8).prop_map(Op::PushIter),
        2 => (0..12u8, 0..12u8).prop_map(|(max, take)| Op::Drain { max, take }),
        2 => Just(Op::Check),
        1 => any::<bool>().prop_map(Op::Close),
    ]
}

proptest! {
    #![proptest_config(proptest_config::config(5))]

    #[test]
    fn matches_a_vecdeque(
        capacity in 1..9usize,
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 300 }),
    ) {
        spsc_driver::run(capacity, &ops);
    }
}
