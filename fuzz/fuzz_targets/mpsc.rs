//! Byte-decoded operation sequences on the MPSC ring (producers cloned and
//! dropped, the consumer dropped first or last) against the `VecDeque`
//! model shared with the proptest, with every item's drop counted.
#![no_main]

#[path = "../../tests/common/mpsc_driver.rs"]
mod mpsc_driver;

use libfuzzer_sys::fuzz_target;
use mpsc_driver::Op;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(first % 12) + 1;
    let ops: Vec<Op> = rest.iter().map(|&b| Op::from_byte(b)).collect();
    mpsc_driver::run(capacity, &ops);
});
