//! Byte-decoded operation sequences on the SPSC ring against the
//! `VecDeque` model shared with the proptest, with every item's drop
//! counted.
#![no_main]

#[path = "../../tests/common/spsc_driver.rs"]
mod spsc_driver;

use libfuzzer_sys::fuzz_target;
use spsc_driver::Op;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(first % 16) + 1;
    let ops: Vec<Op> = rest.iter().map(|&b| Op::from_byte(b)).collect();
    spsc_driver::run(capacity, &ops);
});
