//! Random operation sequences on the MPSC ring against a `VecDeque` model
//! (the driver shared with the fuzz target): producers cloned and dropped,
//! the consumer dropped first or last, every result and observer checked,
//! every item dropped exactly once.
#![cfg(not(loom))]

#[path = "common/mpsc_driver.rs"]
mod mpsc_driver;
#[path = "common/proptest_config.rs"]
mod proptest_config;

use mpsc_driver::Op;
use proptest::prelude::*;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..4u8).prop_map(Op::Push),
        4 => Just(Op::Pop),
        2 => Just(Op::TryPop),
        1 => (0..10u8).prop_map(Op::PopSlice),
        1 => (0..10u8, 0..10u8).prop_map(|(max, take)| Op::Drain { max, take }),
        1 => (0..4u8).prop_map(Op::Clone),
        1 => (0..4u8).prop_map(Op::DropProducer),
        1 => Just(Op::DropConsumer),
        1 => Just(Op::Check),
    ]
}

proptest! {
    #![proptest_config(proptest_config::config(5))]

    #[test]
    fn matches_a_vecdeque(
        capacity in 1..9usize,
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 300 }),
    ) {
        mpsc_driver::run(capacity, &ops);
    }
}
