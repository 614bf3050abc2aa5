//! Random operation sequences on an inline-mode pool (enqueue of quick,
//! signal-waiting and never-ending requests; signals on live and answered
//! tickets; taking replies; both kills) against a sequential model of the
//! executor.
#![cfg(not(loom))]

#[path = "common/proptest_config.rs"]
mod proptest_config;

#[path = "common/worker_driver.rs"]
mod worker_driver;

use proptest::prelude::*;
use worker_driver::Op;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        // A kill ends most of what can happen: make it rare.
        20 => any::<u8>().prop_map(Op::Enqueue),
        25 => (any::<u8>(), any::<u8>()).prop_map(|(n, a)| Op::Signal(n, a)),
        5 => (any::<u8>(), any::<u8>()).prop_map(|(n, a)| Op::SignalStale(n, a)),
        20 => Just(Op::TakeReply),
        1 => any::<bool>().prop_map(Op::Kill),
    ]
}

proptest! {
    #![proptest_config(proptest_config::config(4))]

    #[test]
    fn matches_the_model(
        slots in 1..6usize,
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 30 } else { 200 }),
    ) {
        worker_driver::run(slots, &ops);
    }
}
