//! A load generator for the RADIUS example (and any RADIUS server).
//!
//! ```text
//! cargo run --release --example radius_load -- --server 127.0.0.1:1812 \
//!     [--secret testing123] [--user nemo --password arctangent] \
//!     [--threads 2] [--window 64] [--seconds 5] [--dups 0.0] [--late-dups 0.0] [--check]
//! ```
//!
//! Each thread has its own UDP socket and keeps `--window` Access-Requests
//! outstanding (identifiers 0..window, fresh random authenticators), and
//! checks every reply: the identifier it is waiting for, the Response
//! Authenticator (MD5 over the reply and the request's authenticator with
//! the secret), and Accept for the right password. `--dups F` resends a
//! fraction F of the requests at once (a retransmission: same identifier and
//! authenticator): exactly one reply must come for each (a server that
//! resends a cached reply for the copy answers it twice; those are counted
//! as `repeated`, not as errors). `--late-dups F` resends a fraction F of
//! them once more just after their reply came (the server should answer
//! from its reply cache). A request unanswered for 1 s is
//! retransmitted, up to 3 times, then counted lost. `--check` exits non-zero
//! if any request was lost or any reply was wrong.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

#[derive(Clone)]
struct Options {
    server: SocketAddr,
    secret: Vec<u8>,
    user: Vec<u8>,
    password: Vec<u8>,
    threads: usize,
    window: usize,
    seconds: f64,
    dups: f64,
    late_dups: f64,
    check: bool,
}

fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;

    let mut o = Options {
        server: "127.0.0.1:1812".parse().unwrap(),
        secret: b"testing123".to_vec(),
        user: b"nemo".to_vec(),
        password: b"arctangent".to_vec(),
        threads: 2,
        window: 64,
        seconds: 5.0,
        dups: 0.0,
        late_dups: 0.0,
        check: false,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("check") => o.check = true,
            Long("server") => o.server = parser.value()?.parse()?,
            Long("secret") => o.secret = parser.value()?.string()?.into_bytes(),
            Long("user") => o.user = parser.value()?.string()?.into_bytes(),
            Long("password") => o.password = parser.value()?.string()?.into_bytes(),
            Long("threads") => o.threads = parser.value()?.parse()?,
            Long("window") => o.window = parser.value()?.parse::<usize>()?.clamp(1, 256),
            Long("seconds") => o.seconds = parser.value()?.parse()?,
            Long("dups") => o.dups = parser.value()?.parse()?,
            Long("late-dups") => o.late_dups = parser.value()?.parse()?,
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(o)
}

/// A small xorshift generator: authenticators need to differ, not to be
/// secret, here.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// An Access-Request with User-Name and the hidden User-Password.
fn request(o: &Options, id: u8, auth: &[u8; 16], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&[1, id, 0, 0]);
    out.extend_from_slice(auth);
    out.extend_from_slice(&[1, o.user.len() as u8 + 2]);
    out.extend_from_slice(&o.user);
    let mut padded = o.password.clone();
    padded.resize(padded.len().div_ceil(16).max(1) * 16, 0);
    out.extend_from_slice(&[2, padded.len() as u8 + 2]);
    let mut prev: Vec<u8> = auth.to_vec();
    for chunk in padded.chunks(16) {
        let mut h = Md5::new();
        h.update(&o.secret);
        h.update(&prev);
        let hidden: Vec<u8> = chunk
            .iter()
            .zip(h.finalize().iter())
            .map(|(p, b)| p ^ b)
            .collect();
        out.extend_from_slice(&hidden);
        prev = hidden;
    }
    let len = out.len() as u16;
    out[2..4].copy_from_slice(&len.to_be_bytes());
}

/// Whether `reply` is a well-signed answer to the request with `auth`.
fn verify(o: &Options, reply: &[u8], auth: &[u8; 16]) -> bool {
    if reply.len() < 20 || usize::from(u16::from_be_bytes([reply[2], reply[3]])) != reply.len() {
        return false;
    }
    let mut h = Md5::new();
    h.update(&reply[..4]);
    h.update(auth);
    h.update(&reply[20..]);
    h.update(&o.secret);
    h.finalize()[..] == reply[4..20]
}

#[derive(Default)]
struct Totals {
    sent: AtomicU64,
    answered: AtomicU64,
    accepts: AtomicU64,
    wrong: AtomicU64,
    lost: AtomicU64,
    retransmitted: AtomicU64,
    repeated: AtomicU64,
    dups_sent: AtomicU64,
    late_dups_sent: AtomicU64,
}

struct Slot {
    auth: [u8; 16],
    sent_at: Instant,
    tries: u32,
    busy: bool,
}

fn client(o: &Options, seed: u64, stop: &AtomicBool, t: &Totals, latencies: &mut Vec<Duration>) {
    let socket = UdpSocket::bind("0.0.0.0:0").expect("bind");
    socket.connect(o.server).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut rng = Rng(seed | 1);
    let mut slots: Vec<Slot> = (0..o.window)
        .map(|_| Slot {
            auth: [0; 16],
            sent_at: Instant::now(),
            tries: 0,
            busy: false,
        })
        .collect();
    let mut out = Vec::with_capacity(128);
    let mut buf = [0u8; 4096];
    let send = |socket: &UdpSocket, id: usize, slot: &Slot, out: &mut Vec<u8>| {
        request(o, id as u8, &slot.auth, out);
        let _ = socket.send(out);
    };
    let fresh = |slot: &mut Slot, rng: &mut Rng| {
        slot.auth[..8].copy_from_slice(&rng.next().to_le_bytes());
        slot.auth[8..].copy_from_slice(&rng.next().to_le_bytes());
        slot.sent_at = Instant::now();
        slot.tries = 1;
        slot.busy = true;
    };
    for (id, slot) in slots.iter_mut().enumerate() {
        fresh(slot, &mut rng);
        send(&socket, id, slot, &mut out);
        t.sent.fetch_add(1, Relaxed);
    }
    loop {
        let stopping = stop.load(Relaxed);
        if stopping && slots.iter().all(|s| !s.busy) {
            break;
        }
        match socket.recv(&mut buf) {
            Ok(n) => {
                let id = usize::from(buf[1]);
                let Some(slot) = slots.get_mut(id).filter(|s| s.busy) else {
                    t.repeated.fetch_add(1, Relaxed);
                    continue;
                };
                if !verify(o, &buf[..n], &slot.auth) {
                    // A reply to an older request with this identifier
                    // (a retransmission answered twice) fails the check.
                    t.repeated.fetch_add(1, Relaxed);
                    continue;
                }
                t.answered.fetch_add(1, Relaxed);
                match buf[0] {
                    2 => t.accepts.fetch_add(1, Relaxed),
                    3 => 0,
                    _ => t.wrong.fetch_add(1, Relaxed),
                };
                latencies.push(slot.sent_at.elapsed());
                slot.busy = false;
                if o.late_dups > 0.0 && (rng.next() % 1_000_000) as f64 / 1e6 < o.late_dups {
                    // A retransmission after the reply: the server should
                    // answer it from its cache (counted as repeated here).
                    send(&socket, id, slot, &mut out);
                    t.late_dups_sent.fetch_add(1, Relaxed);
                }
                if !stopping {
                    fresh(slot, &mut rng);
                    send(&socket, id, slot, &mut out);
                    t.sent.fetch_add(1, Relaxed);
                    if o.dups > 0.0 && (rng.next() % 1_000_000) as f64 / 1e6 < o.dups {
                        send(&socket, id, slot, &mut out);
                        t.dups_sent.fetch_add(1, Relaxed);
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {}
        }
        let now = Instant::now();
        for (id, slot) in slots.iter_mut().enumerate() {
            if slot.busy && now - slot.sent_at > Duration::from_secs(1) {
                if slot.tries >= 4 {
                    slot.busy = false;
                    t.lost.fetch_add(1, Relaxed);
                } else {
                    slot.tries += 1;
                    slot.sent_at = now;
                    send(&socket, id, slot, &mut out);
                    t.retransmitted.fetch_add(1, Relaxed);
                }
            }
        }
    }
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
    let start = Instant::now();
    let threads: Vec<_> = (0..o.threads)
        .map(|i| {
            let (o, totals, stop) = (o.clone(), Arc::clone(&totals), Arc::clone(&stop));
            thread::spawn(move || {
                let mut latencies = Vec::new();
                client(
                    &o,
                    0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) * 0x2545_F491),
                    &stop,
                    &totals,
                    &mut latencies,
                );
                latencies
            })
        })
        .collect();
    thread::sleep(Duration::from_secs_f64(o.seconds));
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
    let answered = c(&totals.answered);
    println!(
        "radius_load: {:.0} replies/s; sent {}, answered {answered} ({} accepts), lost {}, wrong {}, \
         retransmitted {}, duplicates sent {} (+{} after the reply), repeated replies {}; \
         latency p50 {:?} p99 {:?}",
        answered as f64 / elapsed.as_secs_f64(),
        c(&totals.sent),
        c(&totals.accepts),
        c(&totals.lost),
        c(&totals.wrong),
        c(&totals.retransmitted),
        c(&totals.dups_sent),
        c(&totals.late_dups_sent),
        c(&totals.repeated),
        pct(0.5),
        pct(0.99),
    );
    if o.check && (c(&totals.lost) > 0 || c(&totals.wrong) > 0 || answered != c(&totals.sent)) {
        eprintln!("radius_load: FAILED: every request must be answered, correctly, once");
        std::process::exit(1);
    }
}
