//! Random single-thread operation sequences on a ring and its parker (task
//! and event-loop modes, hand unparks) against a sequential model: wake-ups
//! issued exactly when the waiter is parked, at most one per announcement,
//! counters exact, the descriptor readable exactly when it should be.
#![cfg(all(not(loom), target_os = "linux"))]

#[path = "common/park_driver.rs"]
mod park_driver;
#[path = "common/proptest_config.rs"]
mod proptest_config;

use park_driver::Op;
use proptest::prelude::*;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Push),
        1 => (0..12u8).prop_map(Op::PushSlice),
        3 => Just(Op::Pop),
        1 => (0..12u8).prop_map(Op::Drain),
        2 => Just(Op::Arm),
        1 => Just(Op::Disarm),
        2 => Just(Op::PollTask),
        1 => Just(Op::Unpark),
    ]
}

proptest! {
    #![proptest_config(proptest_config::config(5))]

    #[test]
    fn matches_the_model(
        capacity in 1..9usize,
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 200 }),
    ) {
        park_driver::run(capacity, &ops);
    }
}
