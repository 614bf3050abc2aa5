//! A network thread: its socket, its duplicate tables and reply cache,
//! the time limits, and its sleep in `poll(2)`.

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use handoff::signal::Action;
use handoff::worker::{EnqueueError, Network, Outcome, Ticket};
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use signal_hook::iterator::Handle;
use socket2::{Domain, Protocol, Socket, Type};

use crate::handler::{Request, Shared};

/// A UDP socket on `addr` that other threads' sockets may share
/// (`SO_REUSEPORT`: the kernel spreads the clients over them).
pub fn bind(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_port(true)?;
    socket.set_recv_buffer_size(4 << 20)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// Who a request is: a retransmission repeats all three.
type Key = (SocketAddr, u8, [u8; 16]);

/// A request being worked on.
struct InFlight {
    key: Key,
    since: Instant,
    /// 0, then 1 once sent `Timeout`, 2 once sent `Cancel`.
    stage: u8,
}

pub type Net = Network<Request, Option<Vec<u8>>>;

/// One network thread: reads datagrams (non-blocking, in bursts),
/// answers retransmissions from its tables, enqueues the rest, takes the
/// workers' replies into the cache, raises `Timeout` and `Cancel` on
/// requests over their limit, and sleeps in `poll(2)` on its socket and
/// its reply descriptor when there is nothing to do.
pub fn network(
    mut net: Net,
    socket: UdpSocket,
    shared: &Shared,
    limit: Duration,
    deadline: Option<Instant>,
    signals: &Handle,
) {
    socket.set_nonblocking(true).unwrap();
    let c = &shared.counters;
    // In flight, by ticket and by key; answered, by key, expiring in
    // the order they were answered.
    let mut inflight: HashMap<Ticket, InFlight> = HashMap::new();
    let mut by_key: HashMap<Key, Ticket> = HashMap::new();
    let mut cache: HashMap<Key, (Vec<u8>, Instant)> = HashMap::new();
    let mut expiry: VecDeque<(Instant, Key)> = VecDeque::new();
    let mut buf = [0u8; 4096];
    let mut last_scan = Instant::now();
    let mut idle = 0u32;
    loop {
        if shared.stop.load(Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
            // Past the deadline: stop every network thread and wake the
            // main thread from its wait for signals.
            shared.stop.store(true, Relaxed);
            signals.close();
            break;
        }
        let mut progressed = false;
        while let Some(reply) = net.try_reply() {
            progressed = true;
            let Some(done) = inflight.remove(&reply.ticket) else {
                continue;
            };
            by_key.remove(&done.key);
            match reply.outcome {
                Outcome::Done(Some(bytes)) => {
                    let now = Instant::now();
                    cache.insert(done.key, (bytes, now));
                    expiry.push_back((now, done.key));
                }
                Outcome::Cancelled => {
                    c.cancels.fetch_add(1, Relaxed);
                }
                _ => {}
            }
        }
        for _ in 0..64 {
            let (n, peer) = match socket.recv_from(&mut buf) {
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    eprintln!("radius: recv: {e}");
                    break;
                }
            };
            progressed = true;
            c.requests.fetch_add(1, Relaxed);
            if n < 20 {
                c.malformed.fetch_add(1, Relaxed);
                continue;
            }
            let key: Key = (peer, buf[1], buf[4..20].try_into().unwrap());
            if let Some(&ticket) = by_key.get(&key) {
                c.duplicates.fetch_add(1, Relaxed);
                let _ = net.signal(ticket, Action::Dup);
                continue;
            }
            if let Some((reply, _)) = cache.get(&key) {
                c.resent.fetch_add(1, Relaxed);
                let _ = socket.send_to(reply, peer);
                continue;
            }
            let request = Request {
                datagram: buf[..n].to_vec(),
                peer,
                network: net.index(),
            };
            match net.enqueue(request) {
                Ok(ticket) => {
                    by_key.insert(key, ticket);
                    inflight.insert(
                        ticket,
                        InFlight {
                            key,
                            since: Instant::now(),
                            stage: 0,
                        },
                    );
                }
                // Back-pressure: the client retransmits.
                Err(EnqueueError::Full(_)) => {
                    c.refused.fetch_add(1, Relaxed);
                }
                Err(_) => return,
            }
        }
        let now = Instant::now();
        if now - last_scan >= Duration::from_millis(1) {
            last_scan = now;
            // Timeout at the limit, Cancel at twice it.
            for (ticket, f) in inflight.iter_mut() {
                let age = now - f.since;
                if age >= 2 * limit && f.stage < 2 {
                    f.stage = 2;
                    let _ = net.signal(*ticket, Action::Cancel);
                } else if age >= limit && f.stage < 1 {
                    f.stage = 1;
                    let _ = net.signal(*ticket, Action::Timeout);
                }
            }
            while let Some(&(at, key)) = expiry.front() {
                if now - at < CACHE_FOR {
                    break;
                }
                expiry.pop_front();
                if cache.get(&key).is_some_and(|(_, t)| *t == at) {
                    cache.remove(&key);
                }
            }
        }
        if progressed {
            idle = 0;
            continue;
        }
        idle += 1;
        // Spin a little first: at high rates the next datagram comes
        // sooner than a sleep and a wake-up would take.
        if idle < SPINS {
            std::hint::spin_loop();
            continue;
        }
        // Nothing for a while: sleep until a datagram, a reply, or the
        // next 10 ms (for the time limits and the stop flag).
        if net.arm() {
            let mut fds = [
                PollFd::new(&socket, PollFlags::IN),
                PollFd::new(&net, PollFlags::IN),
            ];
            // EINTR (a signal) only ends the sleep early.
            let _ = poll(&mut fds, Some(&POLL_TIMEOUT));
            net.disarm();
        }
        idle = 0;
    }
    // Take the replies still owed, so that the pool can finish.
    while net.reply_blocking().is_some() {}
}
/// Empty polls of a network thread before it sleeps.
const SPINS: u32 = 64;

/// The longest sleep in `poll(2)`: the time limits and the stop flag are
/// checked at least this often.
const POLL_TIMEOUT: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 10_000_000,
};

/// How long a reply stays cached for retransmissions.
const CACHE_FOR: Duration = Duration::from_secs(5);
