//! Byte-decoded operation sequences on a ring and its parker (task and
//! event-loop modes, hand unparks) against the sequential model shared with
//! the proptest: wake-ups exactly when the waiter is parked, counters exact,
//! the descriptor readable exactly when it should be.
#![no_main]

#[path = "../../tests/common/park_driver.rs"]
mod park_driver;

use libfuzzer_sys::fuzz_target;
use park_driver::Op;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(first % 8) + 1;
    let ops: Vec<Op> = rest.iter().map(|&b| Op::from_byte(b)).collect();
    park_driver::run(capacity, &ops);
});
