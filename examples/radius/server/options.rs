//! The server's command line.

use std::net::SocketAddr;
use std::time::Duration;

use crate::clients::Clients;
use crate::tables::Limits;
use crate::users::Users;

/// What the options say.
pub struct Options {
    pub listen: SocketAddr,
    pub clients: Clients,
    pub users: Users,
    pub networks: usize,
    pub workers: usize,
    pub delay: Duration,
    pub limit: Duration,
    /// The whole server's, split over the network threads.
    pub limits: Limits,
    pub seconds: u64,
    pub stubborn: bool,
    /// How long a network thread spins before it sleeps.
    pub spin: Duration,
    /// The workers' spin steps (`SpinPolicy`) before they sleep.
    pub worker_spin: Option<u32>,
}

/// Parses the command line and reads the users and clients files.
pub fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;

    let mut o = Options {
        listen: "127.0.0.1:1812".parse().unwrap(),
        clients: Clients::localhost(b""),
        users: Users::default(),
        networks: 2,
        workers: 2,
        delay: Duration::ZERO,
        limit: Duration::from_secs(1),
        limits: Limits {
            inflight: 16 << 10,
            inflight_bytes: 16 << 20,
            cache: 64 << 10,
            cache_bytes: 16 << 20,
            cache_for: Duration::from_secs(5),
        },
        seconds: 0,
        stubborn: false,
        spin: Duration::ZERO,
        worker_spin: None,
    };
    let (mut users, mut clients, mut secret) = (None, None, b"testing123".to_vec());
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("stubborn") => o.stubborn = true,
            Long("listen") => o.listen = parser.value()?.parse()?,
            Long("secret") => secret = parser.value()?.string()?.into_bytes(),
            Long("users") => users = Some(parser.value()?.string()?),
            Long("clients") => clients = Some(parser.value()?.string()?),
            Long("networks") => o.networks = parser.value()?.parse()?,
            Long("workers") => o.workers = parser.value()?.parse()?,
            Long("delay-ms") => o.delay = Duration::from_millis(parser.value()?.parse()?),
            Long("limit-ms") => o.limit = Duration::from_millis(parser.value()?.parse()?),
            Long("seconds") => o.seconds = parser.value()?.parse()?,
            Long("spin-us") => o.spin = Duration::from_micros(parser.value()?.parse()?),
            Long("worker-spin") => o.worker_spin = Some(parser.value()?.parse::<u32>()?.min(20)),
            Long("inflight") => o.limits.inflight = parser.value()?.parse()?,
            Long("inflight-bytes") => o.limits.inflight_bytes = parser.value()?.parse()?,
            Long("cache") => o.limits.cache = parser.value()?.parse()?,
            Long("cache-bytes") => o.limits.cache_bytes = parser.value()?.parse()?,
            Long("cache-seconds") => {
                o.limits.cache_for = Duration::from_secs(parser.value()?.parse()?)
            }
            _ => return Err(arg.unexpected()),
        }
    }
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let path = users.ok_or("--users FILE is required")?;
    o.users = Users::parse(&read(&path)?).map_err(|e| format!("{path}: {e}"))?;
    o.clients = match clients {
        Some(path) => Clients::parse(&read(&path)?).map_err(|e| format!("{path}: {e}"))?,
        None => Clients::localhost(&secret),
    };
    Ok(o)
}
