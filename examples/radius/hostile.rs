//! Hostile input for the RADIUS example, to run beside real load
//! (`radius_load --check`), which must lose nothing meanwhile.
//!
//! ```text
//! cargo run --release --example radius_hostile -- --server 127.0.0.1:1812 \
//!     [--bind 127.0.0.1] [--secret testing123] [--seconds 5] [--rate 2000] \
//!     [--slow 8] [--idle 2] [--pipelined 150000] [--check]
//! ```
//!
//! For `--seconds`, four threads at once:
//!
//! - **Datagrams**, `--rate` a second, each malformed in its own way: every
//!   length from 0 to past 4096, length fields that lie (too small, too
//!   large, past the datagram), attributes of length 0, 1 and past the
//!   end, Message-Authenticators of the wrong size, twice, or forged (with
//!   the right secret and password: only the signature is wrong), a
//!   Status-Server without one, codes the server does not serve, passwords
//!   of bad sizes, and random bytes. None may be answered.
//! - **TCP connections** that misbehave and go: a frame cut short then
//!   closed, a length field over 4096 or under 20 (the server must close
//!   the connection at once), random bytes.
//! - **Slow loris**: `--slow` connections that send a packet's header a
//!   byte at a time, 200 ms apart, and never finish it: the server must
//!   close each within the client's idle timeout (`--idle` seconds) plus a
//!   second.
//!
//! - **A client that does not read**: `--pipelined` real requests (with a
//!   wrong password: each gets an Access-Reject) sent on one connection
//!   whose replies are not read until the server stops taking requests:
//!   its socket fills up, its write context waits for `on_writable`, the
//!   connection stops reading (TCP flow control stops the client); then
//!   the client reads, and every request must get its reply.
//!
//! `--check` exits non-zero if anything hostile was answered, a connection
//! was not closed in time, or the client that did not read lost a reply.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use md5::Md5;

#[allow(dead_code)] // `chance` is the load generator's.
#[path = "load/rng.rs"]
mod rng;

use rng::Rng;

#[derive(Clone)]
struct Options {
    server: SocketAddr,
    bind: IpAddr,
    secret: Vec<u8>,
    seconds: f64,
    rate: f64,
    slow: usize,
    idle: f64,
    pipelined: usize,
    check: bool,
}

fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;

    let mut o = Options {
        server: "127.0.0.1:1812".parse().unwrap(),
        bind: "0.0.0.0".parse().unwrap(),
        secret: b"testing123".to_vec(),
        seconds: 5.0,
        rate: 2000.0,
        slow: 8,
        idle: 2.0,
        pipelined: 150_000,
        check: false,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("check") => o.check = true,
            Long("server") => o.server = parser.value()?.parse()?,
            Long("bind") => o.bind = parser.value()?.parse()?,
            Long("secret") => o.secret = parser.value()?.string()?.into_bytes(),
            Long("seconds") => o.seconds = parser.value()?.parse()?,
            Long("rate") => o.rate = parser.value()?.parse()?,
            Long("slow") => o.slow = parser.value()?.parse()?,
            Long("idle") => o.idle = parser.value()?.parse()?,
            Long("pipelined") => o.pipelined = parser.value()?.parse()?,
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(o)
}

/// A well-formed Access-Request (User-Name, a 16-byte User-Password,
/// Message-Authenticator) for the variants to spoil.
fn request(o: &Options, rng: &mut Rng, code: u8) -> Vec<u8> {
    let mut p = vec![code, rng.next() as u8, 0, 0];
    p.extend_from_slice(&rng.bytes(16));
    p.extend_from_slice(&[1, 6, b'n', b'e', b'm', b'o', 2, 18]);
    p.extend_from_slice(&rng.bytes(16));
    p.extend_from_slice(&[80, 18]);
    p.extend_from_slice(&[0; 16]);
    set_len(&mut p);
    let mut mac = Hmac::<Md5>::new_from_slice(&o.secret).expect("any key length");
    mac.update(&p);
    let at = p.len() - 16;
    p[at..].copy_from_slice(&mac.finalize().into_bytes());
    p
}

fn set_len(p: &mut [u8]) {
    let len = p.len() as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
}

/// The `n`th kind of malformed datagram (there are 12).
fn malformed(o: &Options, rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut p = request(o, rng, 1);
    let (len, pick) = (p.len(), rng.below(1 << 16));
    match n % 12 {
        0 => p = rng.bytes(pick % 4200),
        1 => p.truncate(rng.below(20)),
        2 => p[2..4].copy_from_slice(&(rng.below(20) as u16).to_be_bytes()),
        3 => p[2..4].copy_from_slice(&((4097 + rng.below(60000)) as u16).to_be_bytes()),
        4 => p[2..4].copy_from_slice(&((len + 1 + pick % 100) as u16).to_be_bytes()),
        5 => p[21] = rng.below(2) as u8, // User-Name of length 0 or 1
        6 => p[27] = 200,                // User-Password past the end
        7 => p[45] = [3, 17, 19, 0][rng.below(4)], // a Message-Authenticator of the wrong size
        8 => {
            let ma = p[44..].to_vec(); // two of them
            p.extend_from_slice(&ma);
            set_len(&mut p);
        }
        9 => p[50] ^= 1 << rng.below(8), // forged: only the signature is wrong
        10 => {
            p = request(o, rng, [4, 11, 12, 255][pick % 4]); // codes not served
            p.truncate(p.len() - 18); // and without Message-Authenticator
            set_len(&mut p);
        }
        _ => {
            p[27] = 2 + [1, 15, 17][rng.below(3)] as u8; // a password of a bad size
        }
    }
    p
}

#[derive(Default)]
struct Totals {
    datagrams: AtomicU64,
    answered: AtomicU64,
    connections: AtomicU64,
    /// Connections the server had to close and did in time.
    closed: AtomicU64,
    /// ... and those it did not.
    open: AtomicU64,
    slow_closed: AtomicU64,
    slow_open: AtomicU64,
    /// Replies to the client that did not read.
    pipelined: AtomicU64,
}

/// Sends malformed datagrams for `o.seconds` and counts any answer.
fn datagrams(o: &Options, t: &Totals) {
    let socket = UdpSocket::bind(SocketAddr::new(o.bind, 0)).expect("bind");
    socket.connect(o.server).expect("connect");
    socket.set_nonblocking(true).unwrap();
    let (mut rng, start, mut buf) = (Rng(0x2545_F491_4F6C_DD1D), Instant::now(), [0u8; 4096]);
    let mut n = 0;
    while start.elapsed().as_secs_f64() < o.seconds + 1.0 {
        if start.elapsed().as_secs_f64() < o.seconds
            && n as f64 <= start.elapsed().as_secs_f64() * o.rate
        {
            let _ = socket.send(&malformed(o, &mut rng, n));
            n += 1;
            t.datagrams.fetch_add(1, Relaxed);
            continue;
        }
        while let Ok(got) = socket.recv(&mut buf) {
            eprintln!("radius_hostile: answered: {:02x?}", &buf[..got.min(20)]);
            t.answered.fetch_add(1, Relaxed);
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Whether the server closes `stream` within `within`, reading (and
/// counting as answered) anything it sends.
fn closed_by_server(stream: &mut TcpStream, within: Duration, t: &Totals) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        let _ = stream.set_read_timeout(Some(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        ));
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {
                t.answered.fetch_add(1, Relaxed);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return true, // reset
        }
    }
    false
}

/// A connection to the server; with a small receive buffer, `tiny` (so
/// that the server's replies fill it soon).
fn connect(o: &Options, tiny: bool) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(o.server),
        socket2::Type::STREAM,
        None,
    )?;
    if tiny {
        socket.set_recv_buffer_size(4096)?;
    }
    socket.bind(&SocketAddr::new(o.bind, 0).into())?;
    socket.connect_timeout(&o.server.into(), Duration::from_secs(1))?;
    Ok(socket.into())
}

/// Opens connections that misbehave, one after another, for `o.seconds`.
fn connections(o: &Options, t: &Totals) {
    let (mut rng, start) = (Rng(0x9E37_79B9_7F4A_7C15), Instant::now());
    let mut n = 0usize;
    while start.elapsed().as_secs_f64() < o.seconds {
        let Ok(mut stream) = connect(o, false) else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        t.connections.fetch_add(1, Relaxed);
        let mut p = request(o, &mut rng, 1);
        match n % 3 {
            // Cut short, then closed by us: the server forgets it.
            0 => {
                p.truncate(4 + rng.below(p.len() - 5));
                let _ = stream.write_all(&p);
            }
            // A length it cannot frame: the server must close at once.
            1 => {
                let len = [0, 19, 4097, 65535][rng.below(4)] as u16;
                p[2..4].copy_from_slice(&len.to_be_bytes());
                let _ = stream.write_all(&p);
                let closed = closed_by_server(&mut stream, Duration::from_secs(2), t);
                (if closed { &t.closed } else { &t.open }).fetch_add(1, Relaxed);
            }
            // Random bytes: closed if they cannot be framed, else dropped.
            _ => {
                let len = 1 + rng.below(8000);
                let _ = stream.write_all(&rng.bytes(len));
            }
        }
        n += 1;
        thread::sleep(Duration::from_millis(5));
    }
}

/// Slow-loris connections: a header a byte at a time; each must be closed
/// by the server within its idle timeout plus a second.
fn slow_loris(o: &Options, t: &Totals) {
    let mut streams: Vec<(TcpStream, Instant, usize)> = (0..o.slow)
        .filter_map(|_| connect(o, false).ok())
        .map(|s| (s, Instant::now(), 0))
        .collect();
    t.connections.fetch_add(streams.len() as u64, Relaxed);
    let header = [1u8, 7, 0, 200];
    let limit = Duration::from_secs_f64(o.idle + 1.0);
    let mut buf = [0u8; 64];
    while !streams.is_empty() {
        thread::sleep(Duration::from_millis(200));
        streams.retain_mut(|(stream, opened, sent)| {
            let _ = stream.set_nonblocking(true);
            let closed = match stream.read(&mut buf) {
                Ok(0) => true,
                Ok(_) => {
                    t.answered.fetch_add(1, Relaxed);
                    false
                }
                Err(e) => e.kind() != ErrorKind::WouldBlock,
            };
            // The next byte of the header, then of an attribute, forever.
            let closed = closed
                || stream
                    .write(&[header.get(*sent).copied().unwrap_or(1)])
                    .is_err();
            *sent += 1;
            if closed {
                t.slow_closed.fetch_add(1, Relaxed);
            } else if opened.elapsed() > limit {
                t.slow_open.fetch_add(1, Relaxed);
            }
            !closed && opened.elapsed() <= limit
        });
    }
}

/// Sends `o.pipelined` requests on one connection and reads nothing until
/// the server stops taking them (no progress for 300 ms: its replies fill
/// the socket, so it stops reading) or for 1.5 s at most (within the idle
/// timeout), then reads every reply (within 20 s).
fn slow_reader(o: &Options, t: &Totals) {
    let Ok(stream) = connect(o, true) else {
        return;
    };
    t.connections.fetch_add(1, Relaxed);
    let mut rng = Rng(0x6A09_E667_F3BC_C909);
    let requests: Vec<u8> = (0..o.pipelined)
        .flat_map(|_| request(o, &mut rng, 1))
        .collect();
    let written = AtomicU64::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            for chunk in requests.chunks(1 << 14) {
                if (&stream).write_all(chunk).is_err() {
                    break;
                }
                written.fetch_add(chunk.len() as u64, Relaxed);
            }
        });
        let (start, mut seen, mut since) = (Instant::now(), 0, Instant::now());
        while start.elapsed() < Duration::from_millis(1500)
            && since.elapsed() < Duration::from_millis(300)
        {
            thread::sleep(Duration::from_millis(20));
            if written.load(Relaxed) != seen {
                (seen, since) = (written.load(Relaxed), Instant::now());
            }
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let (mut buf, mut filled, mut got) = (vec![0u8; 1 << 16], 0, 0);
        let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
        while got < o.pipelined && Instant::now() < deadline {
            match (&stream).read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue
                }
                Err(_) => break,
            }
            let mut at = 0;
            while filled - at >= 20 {
                let len = usize::from(u16::from_be_bytes([buf[at + 2], buf[at + 3]]));
                if len < 20 || filled - at < len {
                    break;
                }
                got += 1;
                at += len;
            }
            buf.copy_within(at..filled, 0);
            filled -= at;
        }
        t.pipelined.fetch_add(got as u64, Relaxed);
        // Done: close, so that the writer (if the server stopped reading)
        // gets an error rather than waiting.
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("radius_hostile: {e}");
            std::process::exit(2);
        }
    };
    let t = Totals::default();
    thread::scope(|s| {
        s.spawn(|| datagrams(&o, &t));
        s.spawn(|| connections(&o, &t));
        s.spawn(|| slow_loris(&o, &t));
        s.spawn(|| slow_reader(&o, &t));
    });
    let c = |a: &AtomicU64| a.load(Relaxed);
    println!(
        "radius_hostile: {} malformed datagrams, {} connections ({} closed by the server in time, \
         {} not), {} slow-loris closed in time, {} not; answered {}; the client that did not \
         read got {} replies of {}",
        c(&t.datagrams),
        c(&t.connections),
        c(&t.closed),
        c(&t.open),
        c(&t.slow_closed),
        c(&t.slow_open),
        c(&t.answered),
        c(&t.pipelined),
        o.pipelined,
    );
    if o.check
        && (c(&t.answered) > 0
            || c(&t.open) > 0
            || c(&t.slow_open) > 0
            || c(&t.slow_closed) < o.slow as u64
            || c(&t.pipelined) < o.pipelined as u64)
    {
        eprintln!(
            "radius_hostile: FAILED: garbage was answered, or a connection was not closed in time"
        );
        std::process::exit(1);
    }
}
