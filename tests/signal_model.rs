//! Random operation sequences on a signal table (start, raise with live,
//! stale and foreign tickets, take, next, retire) against a sequential
//! model.
#![cfg(not(loom))]

#[path = "common/proptest_config.rs"]
mod proptest_config;

#[path = "common/signal_driver.rs"]
mod signal_driver;

use proptest::prelude::*;
use signal_driver::Op;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Start),
        6 => (any::<u8>(), any::<u8>()).prop_map(|(t, a)| Op::Raise(t, a)),
        1 => any::<u8>().prop_map(Op::RaiseForeign),
        2 => any::<u8>().prop_map(Op::Retire),
        1 => any::<u8>().prop_map(Op::Take),
        3 => Just(Op::Next),
        1 => any::<u8>().prop_map(Op::Pending),
    ]
}

proptest! {
    #![proptest_config(proptest_config::config(5))]

    #[test]
    fn matches_the_model(
        size in prop_oneof![1..5usize, 60..70usize],
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 300 }),
    ) {
        signal_driver::run(size, &ops);
    }
}
