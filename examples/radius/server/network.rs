//! A network thread: its UDP socket and TCP listener, its tables, the
//! time limits, and its sleep in `poll(2)`.

use std::io::ErrorKind::WouldBlock;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use handoff::signal::Action;
use handoff::worker::{EnqueueError, Network, Outcome};
use handoff::write::Status;
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use signal_hook::iterator::Handle;
use socket2::{Domain, Protocol, Socket, Type};

use crate::codec;
use crate::handler::{self, Answer, ReplyTo, Request, Shared};
use crate::tables::{Key, Limits, Peer, Tables};
use crate::tcp::Tcp;

/// A UDP socket and a TCP listener on `addr` that other threads' sockets
/// may share (`SO_REUSEPORT`: the kernel spreads the clients over them).
pub fn bind(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let udp = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    udp.set_reuse_port(true)?;
    udp.set_recv_buffer_size(4 << 20)?;
    udp.bind(&addr.into())?;
    let addr = udp.local_addr()?; // the port, if `addr` asked for any
    let tcp = Socket::new(
        Domain::for_address(addr.as_socket().expect("IP")),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    tcp.set_reuse_port(true)?;
    tcp.set_reuse_address(true)?;
    tcp.bind(&addr)?;
    tcp.listen(1024)?;
    tcp.set_nonblocking(true)?;
    udp.set_nonblocking(true)?;
    Ok((udp.into(), tcp.into()))
}

pub type Net = Network<Request, Answer>;

/// What every network thread is told.
#[derive(Clone, Copy)]
pub struct Config {
    /// This thread's share of the tables' limits.
    pub limits: Limits,
    pub deadline: Option<Instant>,
    /// How long to spin, at least, before sleeping (`--spin-us`).
    pub spin: Duration,
}

/// What became of a packet handed to [`Core::dispatch`].
pub enum Dispatched {
    /// Handed to a worker: an answer will come back.
    Enqueued,
    /// Answered from the tables, or dropped (and counted).
    Done,
    /// Not now: the in-flight table is full. Over UDP the packet is
    /// dropped (the client retransmits); a TCP connection stops reading
    /// until replies come back.
    Busy,
    /// Not now: every worker is full (back-pressure). Over UDP the network
    /// thread keeps the packet and stops reading its socket until
    /// [`Network::has_capacity`] says room is back (the kernel's buffer
    /// holds what comes meanwhile); a TCP connection stops reading, as for
    /// `Busy`.
    Full,
    /// Answered here, over TCP: what the write context said.
    Wrote(Status),
    /// The pool is gone.
    Stop,
}

/// The part of a network thread that handles packets, whatever their
/// transport.
pub struct Core<'a> {
    pub net: Net,
    pub shared: &'a Shared,
    pub udp: UdpSocket,
    pub tables: Tables,
    pub config: Config,
    /// The Status-Server reply being built.
    out: Vec<u8>,
    /// A datagram the workers had no room for: (packet, client, sender).
    /// While one is held, the UDP socket is not read.
    held: Option<(Vec<u8>, usize, SocketAddr)>,
}

impl Core<'_> {
    /// Hands a request from client `client` (an index into the clients)
    /// to the workers, or answers it here: a Status-Server, a duplicate of
    /// one in flight (`Dup`), or one already answered (the cached reply).
    pub fn dispatch(
        &mut self,
        packet: &[u8],
        client: usize,
        peer: Peer,
        reply_to: ReplyTo,
    ) -> Dispatched {
        let shared = self.shared;
        let c = &shared.counters;
        if packet.len() < codec::MIN_LEN {
            c.malformed.fetch_add(1, Relaxed);
            return Dispatched::Done;
        }
        match packet[0] {
            codec::ACCESS_REQUEST => {}
            codec::STATUS_SERVER => {
                if !handler::status(shared, &shared.clients[client], packet, &mut self.out) {
                    return Dispatched::Done;
                }
                return match reply_to {
                    ReplyTo::Udp { peer, .. } => {
                        let _ = self.udp.send_to(&self.out, peer);
                        Dispatched::Done
                    }
                    ReplyTo::Tcp(writer) => {
                        Dispatched::Wrote(handler::submit(&writer, self.out.clone(), c))
                    }
                };
            }
            _ => {
                c.malformed.fetch_add(1, Relaxed);
                return Dispatched::Done;
            }
        }
        let key: Key = (peer, packet[1], packet[4..20].try_into().expect("16 bytes"));
        if let Some(ticket) = self.tables.in_flight(&key) {
            c.duplicates.fetch_add(1, Relaxed);
            let _ = self.net.signal(ticket, Action::Dup);
            return Dispatched::Done;
        }
        if let (Some(reply), ReplyTo::Udp { peer, .. }) = (self.tables.cached(&key), &reply_to) {
            c.resent.fetch_add(1, Relaxed);
            let _ = self.udp.send_to(reply, *peer);
            return Dispatched::Done;
        }
        if !self.tables.has_room(&self.config.limits, packet.len()) {
            c.inflight_full.fetch_add(1, Relaxed);
            return Dispatched::Busy;
        }
        let request = Request {
            packet: packet.to_vec(),
            client,
            reply_to,
        };
        match self.net.enqueue(request) {
            Ok(ticket) => {
                self.tables.start(ticket, key, packet.len());
                Dispatched::Enqueued
            }
            Err(EnqueueError::Full(_)) => {
                c.refused.fetch_add(1, Relaxed);
                Dispatched::Full
            }
            Err(_) => Dispatched::Stop,
        }
    }
}

/// One network thread: reads datagrams (non-blocking, in bursts) and TCP
/// packets, hands them to [`Core::dispatch`], takes the workers' answers
/// (into the reply cache, or to the TCP connections that want to be
/// written), expires the reply cache, closes idle connections, and sleeps in `poll(2)` on its socket, its
/// connections and its reply descriptor when there is nothing to do.
pub fn network(
    net: Net,
    (udp, listener): (UdpSocket, TcpListener),
    shared: &Shared,
    config: Config,
    signals: &Handle,
) {
    let mut core = Core {
        net,
        shared,
        udp,
        tables: Tables::default(),
        config,
        out: Vec::with_capacity(codec::MAX_LEN),
        held: None,
    };
    let mut tcp = match Tcp::new(listener) {
        Ok(tcp) => tcp,
        Err(e) => {
            eprintln!("radius: epoll: {e}");
            shared.stop.store(true, Relaxed);
            signals.close();
            return;
        }
    };
    let c = &shared.counters;
    let mut buf = vec![0u8; codec::MAX_LEN];
    let mut last_scan = Instant::now();
    let mut idle = 0u32;
    let mut idle_since = Instant::now();
    'serve: loop {
        if shared.stop.load(Relaxed) || config.deadline.is_some_and(|d| Instant::now() >= d) {
            // Past the deadline: stop every network thread and wake the
            // main thread from its wait for signals.
            shared.stop.store(true, Relaxed);
            signals.close();
            break;
        }
        let mut progressed = take_answers(&mut core, &mut tcp);
        // Back-pressure: the datagram held while every worker was full
        // goes first, once there is room; until it has gone in, the socket
        // is not read.
        if let Some((packet, client, peer)) = core.held.take() {
            if core.net.has_capacity() {
                progressed = true;
                let reply_to = ReplyTo::Udp {
                    peer,
                    network: core.net.index(),
                };
                match core.dispatch(&packet, client, Peer::Udp(peer), reply_to) {
                    Dispatched::Stop => break 'serve,
                    Dispatched::Full => core.held = Some((packet, client, peer)),
                    _ => {}
                }
            } else {
                core.held = Some((packet, client, peer));
            }
        }
        for _ in 0..64 {
            if core.held.is_some() {
                break;
            }
            let (n, peer) = match core.udp.recv_from(&mut buf) {
                Ok(got) => got,
                Err(e) if e.kind() == WouldBlock => break,
                Err(e) => {
                    eprintln!("radius: recv: {e}");
                    break;
                }
            };
            progressed = true;
            c.requests.fetch_add(1, Relaxed);
            let Some(client) = shared.clients.find(peer.ip(), false) else {
                c.unknown.fetch_add(1, Relaxed);
                continue;
            };
            let reply_to = ReplyTo::Udp {
                peer,
                network: core.net.index(),
            };
            match core.dispatch(&buf[..n], client, Peer::Udp(peer), reply_to) {
                Dispatched::Stop => break 'serve,
                Dispatched::Full => core.held = Some((buf[..n].to_vec(), client, peer)),
                _ => {}
            }
        }
        let now = Instant::now();
        let scan = now - last_scan >= Duration::from_millis(1);
        if scan || tcp.is_active() {
            progressed |= tcp.poll(&mut core);
        }
        if scan {
            last_scan = now;
            core.tables.expire(&config.limits, now);
            tcp.tick(&mut core, now);
        }
        if progressed {
            idle = 0;
            continue;
        }
        idle += 1;
        // Spin a little first: at high rates the next datagram comes
        // sooner than a sleep and a wake-up would take.
        if idle == 1 {
            idle_since = now;
        }
        if idle < SPINS || now - idle_since < config.spin {
            std::hint::spin_loop();
            continue;
        }
        // Nothing for a while: sleep until a datagram (unless one is held
        // for want of room), a connection's event, a reply or room in the
        // workers (`arm` asks for that while they are full), or the next
        // 10 ms (for the time limits and the stop flag).
        if core.net.arm() {
            let mut fds = [
                PollFd::new(&core.net, PollFlags::IN),
                PollFd::new(tcp.epoll(), PollFlags::IN),
                PollFd::new(&core.udp, PollFlags::IN),
            ];
            let watched = if core.held.is_some() { 2 } else { 3 };
            // EINTR (a signal) only ends the sleep early.
            let _ = poll(&mut fds[..watched], Some(&POLL_TIMEOUT));
            core.net.disarm();
        }
        idle = 0;
    }
    tcp.close_all(&core);
    // Take the replies still owed, so that the pool can finish.
    while core.net.reply_blocking().is_some() {}
}

/// Takes the workers' answers: UDP replies into the cache, TCP ones to
/// their connections; then lets the connections that were waiting for
/// room read again. Whether there were any.
fn take_answers(core: &mut Core<'_>, tcp: &mut Tcp) -> bool {
    let shared = core.shared;
    let c = &shared.counters;
    let mut any = false;
    while let Some(reply) = core.net.try_reply() {
        any = true;
        let Some(done) = core.tables.finish(reply.ticket) else {
            continue;
        };
        match (reply.outcome, done.key.0) {
            (Outcome::Done(Answer::Sent(bytes)), Peer::Udp(_)) => {
                let evicted =
                    core.tables
                        .cache(&core.config.limits, done.key, bytes, Instant::now());
                c.evicted.fetch_add(evicted, Relaxed);
            }
            (outcome, peer) => {
                let status = match outcome {
                    Outcome::Done(Answer::Submitted(status)) => Some(status),
                    Outcome::Cancelled => {
                        c.cancels.fetch_add(1, Relaxed);
                        None
                    }
                    _ => None,
                };
                if let Peer::Tcp(id) = peer {
                    tcp.answered(core, id, status);
                }
            }
        }
    }
    if any {
        tcp.resume(core);
    }
    any
}

/// Empty polls of a network thread before it sleeps.
const SPINS: u32 = 64;

/// The longest sleep in `poll(2)`: the time limits and the stop flag are
/// checked at least this often.
const POLL_TIMEOUT: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 10_000_000,
};
