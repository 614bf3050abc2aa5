//! A load generator for the RADIUS example (and any RADIUS server).
//!
//! ```text
//! cargo run --release --example radius_load -- --server 127.0.0.1:1812 \
//!     [--secret testing123] [--user nemo --password arctangent] [--tcp] \
//!     [--threads 2] [--window 64] [--seconds 5] [--rate R] [--count N] \
//!     [--bind 127.0.0.1] [--no-message-authenticator] [--forge 0.0] \
//!     [--dups 0.0] [--late-dups 0.0] [--check] [--expect-silence]
//! ```
//!
//! Each thread has its own UDP socket (with `--tcp`, its own TCP connection,
//! RFC 6613) and keeps up to `--window` Access-Requests outstanding
//! (identifiers 0..window, fresh random authenticators, a
//! Message-Authenticator unless `--no-message-authenticator`). Without
//! `--rate` it sends a new request as soon as one is answered (a closed
//! loop: the server's saturation); with `--rate R` the threads together
//! offer R requests/s on a fixed schedule, and each latency counts from
//! when the request was due, so a server that falls behind is charged for
//! the wait. `--count N` stops after N requests in all.
//!
//! Every reply is checked: the identifier it is waiting for, the Response
//! Authenticator, the Message-Authenticator (replies without one are
//! counted), and Accept for the right password. `--forge F` sends a
//! fraction F of the requests with a wrong Message-Authenticator: none may
//! be answered. `--dups F` resends a fraction F of the requests at once (a
//! retransmission: same identifier and authenticator): exactly one reply
//! must come for each (a server that resends a cached reply for the copy
//! answers it twice; those are counted as `repeated`, not as errors).
//! `--late-dups F` resends a fraction F of them once more just after their
//! reply came (the server should answer from its reply cache). Over UDP a
//! request unanswered for 1 s is retransmitted, up to 3 times, then counted
//! lost (over TCP, lost at once). `--check` exits non-zero if any request
//! was lost or any reply was wrong; `--expect-silence` if any was answered
//! (for a client the server must ignore: `--bind` another source address,
//! a wrong secret, no Message-Authenticator).

mod client;
mod packet;
#[allow(dead_code)] // `below` and `bytes` are the hostile client's.
mod rng;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Options {
    server: SocketAddr,
    bind: IpAddr,
    secret: Vec<u8>,
    user: Vec<u8>,
    password: Vec<u8>,
    tcp: bool,
    sign: bool,
    threads: usize,
    window: usize,
    seconds: f64,
    rate: Option<f64>,
    count: Option<u64>,
    forge: f64,
    dups: f64,
    late_dups: f64,
    check: bool,
    expect_silence: bool,
}

fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;

    let mut o = Options {
        server: "127.0.0.1:1812".parse().unwrap(),
        bind: "0.0.0.0".parse().unwrap(),
        secret: b"testing123".to_vec(),
        user: b"nemo".to_vec(),
        password: b"arctangent".to_vec(),
        tcp: false,
        sign: true,
        threads: 2,
        window: 64,
        seconds: 5.0,
        rate: None,
        count: None,
        forge: 0.0,
        dups: 0.0,
        late_dups: 0.0,
        check: false,
        expect_silence: false,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("check") => o.check = true,
            Long("expect-silence") => o.expect_silence = true,
            Long("tcp") => o.tcp = true,
            Long("no-message-authenticator") => o.sign = false,
            Long("server") => o.server = parser.value()?.parse()?,
            Long("bind") => o.bind = parser.value()?.parse()?,
            Long("secret") => o.secret = parser.value()?.string()?.into_bytes(),
            Long("user") => o.user = parser.value()?.string()?.into_bytes(),
            Long("password") => o.password = parser.value()?.string()?.into_bytes(),
            Long("threads") => o.threads = parser.value()?.parse::<usize>()?.max(1),
            Long("window") => o.window = parser.value()?.parse::<usize>()?.clamp(1, 256),
            Long("seconds") => o.seconds = parser.value()?.parse()?,
            Long("rate") => o.rate = Some(parser.value()?.parse()?),
            Long("count") => o.count = Some(parser.value()?.parse()?),
            Long("forge") => o.forge = parser.value()?.parse()?,
            Long("dups") => o.dups = parser.value()?.parse()?,
            Long("late-dups") => o.late_dups = parser.value()?.parse()?,
            _ => return Err(arg.unexpected()),
        }
    }
    if o.password.len() > 128 {
        return Err("--password: at most 128 bytes".into());
    }
    Ok(o)
}

/// The threads' counts.
#[derive(Default)]
pub struct Totals {
    sent: AtomicU64,
    answered: AtomicU64,
    accepts: AtomicU64,
    /// Answered without a Message-Authenticator.
    unsigned: AtomicU64,
    wrong: AtomicU64,
    lost: AtomicU64,
    forged: AtomicU64,
    forged_unanswered: AtomicU64,
    retransmitted: AtomicU64,
    repeated: AtomicU64,
    dups_sent: AtomicU64,
    late_dups_sent: AtomicU64,
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("radius_load: {e}");
            std::process::exit(2);
        }
    };
    let totals = Arc::new(Totals::default());
    let stop = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..o.threads)
        .map(|i| {
            let (o, totals, stop, finished) = (
                o.clone(),
                Arc::clone(&totals),
                Arc::clone(&stop),
                Arc::clone(&finished),
            );
            thread::spawn(move || {
                let seed = 0x9E37_79B9_7F4A_7C15
                    ^ ((i as u64 + 1) * 0x2545_F491)
                    ^ std::process::id() as u64;
                let latencies = client::run(&o, seed, &stop, &totals);
                finished.fetch_add(1, Relaxed);
                latencies
            })
        })
        .collect();
    // Until `--seconds`, or until every thread is done with its `--count`.
    while start.elapsed() < Duration::from_secs_f64(o.seconds) && finished.load(Relaxed) < o.threads
    {
        thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Relaxed);
    let elapsed = start.elapsed();
    let mut latencies: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let c = |a: &AtomicU64| a.load(Relaxed);
    let (answered, sent, forged) = (c(&totals.answered), c(&totals.sent), c(&totals.forged));
    println!(
        "radius_load: {:.0} replies/s; sent {sent}, answered {answered} ({} accepts, {} without \
         Message-Authenticator), lost {}, wrong {}, forged {forged} ({} unanswered), retransmitted {}, \
         duplicates sent {} (+{} after the reply), repeated replies {}; latency p50 {:?} p99 {:?}",
        answered as f64 / elapsed.as_secs_f64(),
        c(&totals.accepts),
        c(&totals.unsigned),
        c(&totals.lost),
        c(&totals.wrong),
        c(&totals.forged_unanswered),
        c(&totals.retransmitted),
        c(&totals.dups_sent),
        c(&totals.late_dups_sent),
        c(&totals.repeated),
        pct(0.5),
        pct(0.99),
    );
    if o.check && (c(&totals.lost) > 0 || c(&totals.wrong) > 0 || answered + forged != sent) {
        eprintln!("radius_load: FAILED: every request must be answered, correctly, once (forged ones never)");
        std::process::exit(1);
    }
    if o.expect_silence && (answered > 0 || c(&totals.repeated) > 0) {
        eprintln!("radius_load: FAILED: the server answered a request it should have dropped");
        std::process::exit(1);
    }
}
