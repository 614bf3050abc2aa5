//! Random submits, partial writes, stalls, interruptions and failures of a
//! write context's writer against a sequential model of the byte stream.
#![cfg(not(loom))]

#[path = "common/proptest_config.rs"]
mod proptest_config;

#[path = "common/write_driver.rs"]
mod write_driver;

use proptest::prelude::*;
use write_driver::Op;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<u8>().prop_map(Op::Submit),
        2 => any::<u8>().prop_map(Op::Feed),
        1 => Just(Op::Flush),
        3 => proptest::option::of(0..200u16).prop_map(Op::Budget),
        1 => any::<u8>().prop_map(Op::Chunk),
        1 => Just(Op::FailNext),
        1 => Just(Op::InterruptNext),
        3 => Just(Op::OnWritable),
        1 => Just(Op::TakeUnsent),
    ]
}

proptest! {
    #![proptest_config(proptest_config::config(3))]

    #[test]
    fn matches_the_model(
        capacity in prop_oneof![1..4usize, 250..270usize],
        limit in prop_oneof![0..64usize, 64..4096usize],
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 30 } else { 300 }),
    ) {
        write_driver::run(capacity, limit, &ops);
    }
}
