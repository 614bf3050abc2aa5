//! Byte-decoded operation sequences on an inline-mode worker pool (enqueue,
//! signal live and answered requests, take replies, kill) against the
//! sequential model shared with the proptest.
#![no_main]

#[path = "../../tests/common/worker_driver.rs"]
mod worker_driver;

use libfuzzer_sys::fuzz_target;
use worker_driver::Op;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let slots = usize::from(first % 6) + 1;
    let ops: Vec<Op> = rest
        .chunks_exact(2)
        .map(|c| Op::from_bytes(c[0], c[1]))
        .collect();
    worker_driver::run(slots, &ops);
});
