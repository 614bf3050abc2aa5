//! The server's command line.

use std::net::SocketAddr;
use std::time::Duration;

use crate::codec;

/// What the options say.
pub struct Options {
    pub listen: SocketAddr,
    pub secret: Vec<u8>,
    pub users: codec::Users,
    pub networks: usize,
    pub workers: usize,
    pub delay: Duration,
    pub limit: Duration,
    pub seconds: u64,
    pub stubborn: bool,
}

/// Parses the command line and reads the users file.
pub fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;

    let mut o = Options {
        listen: "127.0.0.1:1812".parse().unwrap(),
        secret: b"testing123".to_vec(),
        users: codec::Users::default(),
        networks: 2,
        workers: 2,
        delay: Duration::ZERO,
        limit: Duration::from_secs(1),
        seconds: 0,
        stubborn: false,
    };
    let mut users = None;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("stubborn") => o.stubborn = true,
            Long("listen") => o.listen = parser.value()?.parse()?,
            Long("secret") => o.secret = parser.value()?.string()?.into_bytes(),
            Long("users") => users = Some(parser.value()?.string()?),
            Long("networks") => o.networks = parser.value()?.parse()?,
            Long("workers") => o.workers = parser.value()?.parse()?,
            Long("delay-ms") => o.delay = Duration::from_millis(parser.value()?.parse()?),
            Long("limit-ms") => o.limit = Duration::from_millis(parser.value()?.parse()?),
            Long("seconds") => o.seconds = parser.value()?.parse()?,
            _ => return Err(arg.unexpected()),
        }
    }
    let path = users.ok_or("--users FILE is required")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    o.users = codec::Users::parse(&text)?;
    Ok(o)
}
