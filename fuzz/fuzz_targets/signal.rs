//! Byte-decoded operation sequences on a signal table (start, raise with
//! live, stale and foreign tickets, take, next, retire) against the
//! sequential model shared with the proptest.
#![no_main]

#[path = "../../tests/common/signal_driver.rs"]
mod signal_driver;

use libfuzzer_sys::fuzz_target;
use signal_driver::Op;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    // Small tables, and ones spanning two words of the free bitmap.
    let size = if first & 0x80 == 0 {
        usize::from(first % 8) + 1
    } else {
        usize::from(first % 16) + 60
    };
    let ops: Vec<Op> = rest
        .chunks_exact(2)
        .map(|c| Op::from_bytes(c[0], c[1]))
        .collect();
    signal_driver::run(size, &ops);
});
