//! The demo's options.

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
pub fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        networks: 2,
        workers: 2,
        seconds: 5.0,
        rate: 0,
        window: 64,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--networks" => options.networks = parse(&value("--networks")?, "--networks")?,
            "--workers" => options.workers = parse(&value("--workers")?, "--workers")?,
            "--seconds" => options.seconds = parse(&value("--seconds")?, "--seconds")?,
            "--rate" => options.rate = parse(&value("--rate")?, "--rate")?,
            "--window" => options.window = parse(&value("--window")?, "--window")?,
            "--inline" => options.workers = 0,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument {arg:?}")),
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

pub fn parse<T: std::str::FromStr>(value: &str, name: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{name}: {value:?} is not a valid number"))
}
