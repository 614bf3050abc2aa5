//! The proptest configuration of every model test: 512 cases natively, a
//! handful under Miri (each case is slow there), and no failure
//! persistence under Miri (its isolation forbids the file system).

use proptest::test_runner::Config;

/// 512 cases, or `miri_cases` under Miri.
pub fn config(miri_cases: u32) -> Config {
    Config {
        cases: if cfg!(miri) { miri_cases } else { 512 },
        failure_persistence: if cfg!(miri) {
            None
        } else {
            Config::default().failure_persistence
        },
        ..Config::default()
    }
}
