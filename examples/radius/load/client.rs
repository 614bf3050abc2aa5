//! One client thread: its socket (or TCP connection), its window of
//! outstanding requests, the pacing of a fixed offered load, and the checks
//! of every reply.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};

use crate::packet::{self, Sign, Verdict};
use crate::rng::Rng;
use crate::{Options, Totals};

/// The way to the server: a UDP socket, or a TCP connection with the bytes
/// read and not yet framed (RFC 6613: framed by the length field).
enum Link {
    Udp(UdpSocket),
    Tcp { stream: TcpStream, buf: Vec<u8> },
}

impl Link {
    fn open(o: &Options) -> io::Result<Self> {
        let bind = SocketAddr::new(o.bind, 0);
        if !o.tcp {
            let socket = UdpSocket::bind(bind)?;
            socket.connect(o.server)?;
            socket.set_nonblocking(true)?;
            return Ok(Self::Udp(socket));
        }
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(o.server),
            socket2::Type::STREAM,
            None,
        )?;
        socket.bind(&bind.into())?;
        socket.connect(&o.server.into())?;
        let stream: TcpStream = socket.into();
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        Ok(Self::Tcp {
            stream,
            buf: Vec::with_capacity(8192),
        })
    }

    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Self::Udp(s) => s.as_fd(),
            Self::Tcp { stream, .. } => stream.as_fd(),
        }
    }

    /// Sends one packet; over TCP, waits while the socket is full.
    fn send(&mut self, packet: &[u8]) -> io::Result<()> {
        let stream = match self {
            Self::Udp(socket) => {
                // A full socket buffer loses the datagram; it is resent.
                let _ = socket.send(packet);
                return Ok(());
            }
            Self::Tcp { stream, .. } => stream,
        };
        let mut rest = packet;
        while !rest.is_empty() {
            match stream.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let mut fds = [PollFd::new(&*stream, PollFlags::OUT)];
                    poll(&mut fds, Some(&timespec(Duration::from_millis(100))))?;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The next packet received, into `out`, or `None` if none is there.
    fn recv(&mut self, out: &mut [u8]) -> io::Result<Option<usize>> {
        let (stream, buf) = match self {
            Self::Udp(socket) => {
                return match socket.recv(out) {
                    Ok(n) => Ok(Some(n)),
                    Err(e)
                        if matches!(
                            e.kind(),
                            ErrorKind::WouldBlock | ErrorKind::ConnectionRefused
                        ) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            }
            Self::Tcp { stream, buf } => (stream, buf),
        };
        loop {
            if buf.len() >= 4 {
                let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
                if !(20..=4096).contains(&len) {
                    return Err(io::Error::new(
                        ErrorKind::InvalidData,
                        "a reply that cannot be framed",
                    ));
                }
                if buf.len() >= len {
                    out[..len].copy_from_slice(&buf[..len]);
                    buf.drain(..len);
                    return Ok(Some(len));
                }
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(io::Error::new(
                        ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ))
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

struct Slot {
    auth: [u8; 16],
    sign: Sign,
    /// When it was (last) sent: retransmissions and losses count from
    /// here.
    sent_at: Instant,
    /// Its latency counts from here: when it was sent, or, at a fixed
    /// offered load, when it was due.
    due: Instant,
    tries: u32,
    busy: bool,
}

/// A request unanswered this long is retransmitted (over UDP), up to 3
/// times, then counted lost.
const RETRY: Duration = Duration::from_secs(1);

/// Runs one client until `stop` (or its share of `--count` is sent), then
/// until every request is answered or lost. Returns the latencies.
pub fn run(o: &Options, seed: u64, stop: &AtomicBool, t: &Totals) -> Vec<Duration> {
    let mut link = match Link::open(o) {
        Ok(link) => link,
        Err(e) => {
            eprintln!("radius_load: {}: {e}", o.server);
            t.lost.fetch_add(1, Relaxed);
            return Vec::new();
        }
    };
    let mut latencies = Vec::new();
    let mut rng = Rng(seed | 1);
    let mut slots: Vec<Slot> = (0..o.window)
        .map(|_| Slot {
            auth: [0; 16],
            sign: Sign::None,
            sent_at: Instant::now(),
            due: Instant::now(),
            tries: 0,
            busy: false,
        })
        .collect();
    let mut free: Vec<usize> = (0..o.window).rev().collect();
    let (mut out, mut buf) = (Vec::with_capacity(256), [0u8; 4096]);
    // At a fixed offered load, this thread's share, sent on schedule.
    let interval = o
        .rate
        .map(|r| Duration::from_secs_f64(o.threads as f64 / r));
    let mut due = Instant::now();
    let mut failed = false;
    loop {
        let stopping =
            failed || stop.load(Relaxed) || o.count.is_some_and(|n| t.sent.load(Relaxed) >= n);
        if stopping && (free.len() == slots.len() || o.expect_silence) {
            break;
        }
        // Send what is due: at once (a closed loop), or on schedule.
        let now = Instant::now();
        while !stopping && (interval.is_none() || now >= due) {
            let Some(id) = free.pop() else { break };
            if o.count.is_some_and(|n| t.sent.fetch_add(1, Relaxed) >= n) {
                t.sent.fetch_sub(1, Relaxed);
                free.push(id);
                break;
            }
            let slot = &mut slots[id];
            slot.auth[..8].copy_from_slice(&rng.next().to_le_bytes());
            slot.auth[8..].copy_from_slice(&rng.next().to_le_bytes());
            slot.sign = match () {
                _ if !o.sign => Sign::None,
                _ if rng.chance(o.forge) => Sign::Forged,
                _ => Sign::Good,
            };
            (slot.sent_at, slot.tries, slot.busy) = (Instant::now(), 1, true);
            slot.due = if interval.is_some() {
                due
            } else {
                slot.sent_at
            };
            packet::request(o, id as u8, &slot.auth, slot.sign, &mut out);
            failed |= link.send(&out).is_err();
            if o.count.is_none() {
                t.sent.fetch_add(1, Relaxed);
            }
            if slot.sign == Sign::Forged {
                t.forged.fetch_add(1, Relaxed);
            }
            if rng.chance(o.dups) {
                failed |= link.send(&out).is_err();
                t.dups_sent.fetch_add(1, Relaxed);
            }
            if let Some(interval) = interval {
                due += interval;
            }
        }
        // Wait for replies, or until the next request is due.
        let wait = match interval {
            Some(_) if !stopping && !free.is_empty() => {
                due.saturating_duration_since(Instant::now())
            }
            _ => Duration::from_millis(50),
        };
        let mut fds = [PollFd::from_borrowed_fd(link.fd(), PollFlags::IN)];
        let _ = poll(&mut fds, Some(&timespec(wait)));
        loop {
            let n = match link.recv(&mut buf) {
                Ok(Some(n)) => n,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("radius_load: {e}");
                    failed = true;
                    break;
                }
            };
            let id = usize::from(buf[1]);
            let Some(slot) = slots.get_mut(id).filter(|s| s.busy) else {
                t.repeated.fetch_add(1, Relaxed);
                continue;
            };
            let signed = match packet::verify(o, &buf[..n], &slot.auth) {
                // A reply to an older request with this identifier (a
                // retransmission answered twice) fails the check.
                Verdict::Bad => {
                    t.repeated.fetch_add(1, Relaxed);
                    continue;
                }
                Verdict::Good { signed } => signed,
            };
            t.answered.fetch_add(1, Relaxed);
            if !signed {
                t.unsigned.fetch_add(1, Relaxed);
            }
            match buf[0] {
                2 => t.accepts.fetch_add(1, Relaxed),
                3 => 0,
                _ => t.wrong.fetch_add(1, Relaxed),
            };
            if slot.sign == Sign::Forged {
                t.wrong.fetch_add(1, Relaxed); // a forged request answered
            }
            latencies.push(slot.due.elapsed());
            slot.busy = false;
            free.push(id);
            if rng.chance(o.late_dups) {
                // A retransmission after the reply: the server should
                // answer it from its cache (counted as repeated here).
                packet::request(o, id as u8, &slot.auth, slot.sign, &mut out);
                failed |= link.send(&out).is_err();
                t.late_dups_sent.fetch_add(1, Relaxed);
            }
        }
        // Retransmit over UDP; give up after 4 tries (forged requests,
        // which must stay unanswered, after the first).
        let now = Instant::now();
        for (id, slot) in slots.iter_mut().enumerate() {
            if !slot.busy || now - slot.sent_at <= RETRY {
                continue;
            }
            if slot.sign == Sign::Forged {
                t.forged_unanswered.fetch_add(1, Relaxed);
            } else if slot.tries >= 4 || o.tcp {
                t.lost.fetch_add(1, Relaxed);
            } else {
                slot.tries += 1;
                slot.sent_at = now;
                packet::request(o, id as u8, &slot.auth, slot.sign, &mut out);
                failed |= link.send(&out).is_err();
                t.retransmitted.fetch_add(1, Relaxed);
                continue;
            }
            slot.busy = false;
            free.push(id);
        }
    }
    let unanswered = slots.iter().filter(|s| s.busy).count();
    if !o.expect_silence {
        t.lost.fetch_add(unanswered as u64, Relaxed);
    }
    latencies
}
