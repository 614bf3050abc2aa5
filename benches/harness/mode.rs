//! Quick or full mode, and the environment variables that override a full
//! run's sizes: the same for every bench target.
//!
//! The full mode runs only when cargo passes `--bench` (`cargo bench`);
//! without it (`cargo test --benches` passes no flag), with `--test`, with
//! `--quick` or with `QUICK=1` a target runs one round with tiny counts.

use std::env;

/// Whether this run is quick (see the module docs), from the command line
/// and `QUICK`.
pub fn quick() -> bool {
    let args: Vec<String> = env::args().skip(1).collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    env::var("QUICK").is_ok_and(|v| v != "0" && !v.is_empty())
        || has("--quick")
        || has("--test")
        || !has("--bench")
}

/// The number in environment variable `name`, if it is set; panics if it
/// is not a number.
pub fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = env::var(name).ok()?;
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={value:?} is not a valid number"),
    }
}

/// [`env_number`], or `default` if the variable is not set.
pub fn env_u64(name: &str, default: u64) -> u64 {
    env_number(name).unwrap_or(default)
}
