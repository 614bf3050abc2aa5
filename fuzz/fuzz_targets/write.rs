//! Byte-decoded submits, partial writes, stalls, interruptions and failures
//! of a write context's writer against the sequential model of the byte
//! stream shared with the proptest.
#![no_main]

#[path = "../../tests/common/write_driver.rs"]
mod write_driver;

use libfuzzer_sys::fuzz_target;
use write_driver::Op;

fuzz_target!(|data: &[u8]| {
    let Some((&config, rest)) = data.split_first() else {
        return;
    };
    // Queues of 1 to 4 frames (full often) or of 250 to 265 (a batch of
    // 256 and more); byte bounds from 0 to a few KiB.
    let capacity = if config & 0x80 == 0 {
        usize::from(config % 4) + 1
    } else {
        usize::from(config % 16) + 250
    };
    let limit = usize::from(config & 0x70) * 32;
    let ops: Vec<Op> = rest
        .chunks_exact(2)
        .map(|c| Op::from_bytes(c[0], c[1]))
        .collect();
    write_driver::run(capacity, limit, &ops);
});
