//! The demo's options.

use lexopt::prelude::*;

/// What the command line asked for.
pub struct Options {
    pub networks: usize,
    pub workers: usize,
    pub seconds: f64,
    /// Requests per second per network thread; 0: as fast as possible.
    pub rate: u64,
    pub window: usize,
}

pub const USAGE: &str =
    "usage: pipeline [--networks N] [--workers M | --inline] [--seconds S] [--rate R] [--window W]";

/// Parses the command line (`--help` prints the usage and exits).
pub fn parse_options() -> Result<Options, lexopt::Error> {
    let mut options = Options {
        networks: 2,
        workers: 2,
        seconds: 5.0,
        rate: 0,
        window: 64,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("networks") => options.networks = parser.value()?.parse()?,
            Long("workers") => options.workers = parser.value()?.parse()?,
            Long("seconds") => options.seconds = parser.value()?.parse()?,
            Long("rate") => options.rate = parser.value()?.parse()?,
            Long("window") => options.window = parser.value()?.parse()?,
            Long("inline") => options.workers = 0,
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    if options.networks == 0 {
        return Err("--networks must be at least 1".into());
    }
    if options.window == 0 {
        return Err("--window must be at least 1".into());
    }
    if !(options.seconds > 0.0 && options.seconds <= 3600.0) {
        return Err("--seconds must be more than 0 (and at most 3600)".into());
    }
    Ok(options)
}
