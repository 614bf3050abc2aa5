//! RADIUS over TCP (RFC 6613) on a network thread: the listener and the
//! connections in an epoll set, each stream framed by the packets' length
//! field, the requests handed to the same workers as UDP's, and the replies
//! written through each connection's [`WriteContext`]: the worker that has
//! a reply submits it, and writes it itself unless the socket is full; then
//! the worker's answer asks this thread to call `on_writable` when the
//! socket can take more.
//!
//! A connection is closed when its client closes it, when a packet cannot
//! be framed (a length outside 20..=4096), when for the client's
//! `idle_timeout` no whole packet came, none of its requests was in flight
//! and it took none of its replies off a full socket (so a slow-loris
//! client that trickles bytes is closed, and so is one that stops reading),
//! and past its `lifetime`. Each is counted.
//!
//! Back-pressure: a connection stops reading (and TCP's own flow control
//! stops its client) while its requests find the workers or the in-flight
//! table full, while it has [`MAX_INFLIGHT`] requests in flight, or while
//! more than [`PAUSE_BYTES`] of replies wait for a client that does not
//! read; it reads again once replies come back or the socket drains. So
//! the replies owed to it always fit in its write context, and nothing it
//! sent is dropped.
//!
//! [`WriteContext`]: handoff::write::WriteContext

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use handoff::write::{Status, WriteConfig, WriteContext};
use rustix::buffer::spare_capacity;
use rustix::event::epoll::{self, CreateFlags, Event, EventData, EventFlags};
use rustix::event::Timespec;

use crate::codec;
use crate::counters::Counters;
use crate::handler::{ReplyTo, Writer};
use crate::network::{Core, Dispatched};
use crate::tables::Peer;

/// The listener's token in the epoll set; connections have their numbers.
const LISTENER: u64 = u64::MAX;

/// What a write context may hold for a client that does not read.
const WRITE_CONFIG: WriteConfig = WriteConfig::new()
    .queue_capacity(1024)
    .max_pending_bytes(64 << 10);

/// A connection's requests in flight at most.
const MAX_INFLIGHT: usize = 256;

/// A connection stops reading while more than this waits in its write
/// context. Then what can still come, one reply per request in flight,
/// always fits: frames (of 20 bytes at least) 8192 / 20 + 256 < 1024, and
/// bytes (our replies are under 100) 8 KiB + 256 × 100 < 64 KiB. So no
/// submit is refused.
const PAUSE_BYTES: usize = 8 << 10;

/// A network thread's TCP side.
pub struct Tcp {
    listener: TcpListener,
    epoll: OwnedFd,
    conns: HashMap<u64, Conn>,
    next: u64,
    /// Connections that stopped reading for back-pressure.
    paused: Vec<u64>,
    events: Vec<Event>,
}

/// Why a connection is closed.
enum Close {
    /// By the client, or it failed.
    Peer,
    Idle,
    Malformed,
    /// The server stops.
    Shutdown,
}

struct Conn {
    /// The read side; `writer` holds a clone of the socket.
    stream: TcpStream,
    writer: Arc<Writer>,
    client: usize,
    /// Bytes of the stream not framed yet: less than one packet, unless
    /// paused.
    buf: Box<[u8]>,
    filled: usize,
    opened: Instant,
    /// When it last sent a whole packet, or took replies off a full socket:
    /// the idle timeout counts from here.
    last_active: Instant,
    /// Requests handed to the workers whose answers have not come back.
    inflight: usize,
    /// A write would block: call `on_writable` when the socket is writable.
    wants_writable: bool,
    /// Not reading: the workers or the in-flight table were full.
    paused: bool,
    /// The events the epoll set waits for.
    registered: EventFlags,
}

impl Conn {
    fn interest(&self) -> EventFlags {
        let mut flags = EventFlags::empty();
        if !self.paused {
            flags |= EventFlags::IN;
        }
        if self.wants_writable {
            flags |= EventFlags::OUT;
        }
        flags
    }

    /// Takes in what a write context said.
    fn wrote(&mut self, status: Status, c: &Counters) -> Result<(), Close> {
        match status {
            Status::WantsWritable => {
                c.tcp_stalls.fetch_add(1, Relaxed);
                self.wants_writable = true;
            }
            Status::Failed => return Err(Close::Peer),
            Status::Written | Status::Queued => {}
        }
        Ok(())
    }

    /// Reads what the socket has (a bounded number of times, to be fair to
    /// the other connections) and hands each whole packet on.
    fn read(&mut self, core: &mut Core<'_>, id: u64) -> Result<(), Close> {
        for _ in 0..16 {
            self.frames(core, id)?;
            if self.paused {
                return Ok(());
            }
            debug_assert!(
                self.filled < self.buf.len(),
                "a whole packet is framed at once"
            );
            match (&self.stream).read(&mut self.buf[self.filled..]) {
                Ok(0) => return Err(Close::Peer),
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(Close::Peer),
            }
        }
        self.frames(core, id)
    }

    /// Hands on every whole packet in the buffer, until one finds no room.
    fn frames(&mut self, core: &mut Core<'_>, id: u64) -> Result<(), Close> {
        let c = &core.shared.counters;
        while !self.paused {
            let len = match codec::frame_len(&self.buf[..self.filled]) {
                Err(_) => return Err(Close::Malformed),
                Ok(Some(len)) if len <= self.filled => len,
                Ok(_) => return Ok(()),
            };
            if self.inflight >= MAX_INFLIGHT || self.writer.pending_bytes() > PAUSE_BYTES {
                self.paused = true;
                return Ok(());
            }
            let reply_to = ReplyTo::Tcp(Arc::clone(&self.writer));
            match core.dispatch(&self.buf[..len], self.client, Peer::Tcp(id), reply_to) {
                Dispatched::Busy | Dispatched::Full => {
                    self.paused = true;
                    return Ok(());
                }
                Dispatched::Stop => return Err(Close::Shutdown),
                Dispatched::Wrote(status) => self.wrote(status, c)?,
                Dispatched::Enqueued => self.inflight += 1,
                Dispatched::Done => {}
            }
            c.requests.fetch_add(1, Relaxed);
            self.buf.copy_within(len..self.filled, 0);
            self.filled -= len;
            self.last_active = Instant::now();
        }
        Ok(())
    }
}

impl Tcp {
    pub fn new(listener: TcpListener) -> io::Result<Self> {
        let epoll = epoll::create(CreateFlags::CLOEXEC)?;
        epoll::add(
            &epoll,
            &listener,
            EventData::new_u64(LISTENER),
            EventFlags::IN,
        )?;
        Ok(Self {
            listener,
            epoll,
            conns: HashMap::new(),
            next: 0,
            paused: Vec::new(),
            events: Vec::with_capacity(64),
        })
    }

    /// The epoll set, readable when a connection or the listener has an
    /// event: for the network thread's `poll(2)`.
    pub fn epoll(&self) -> &OwnedFd {
        &self.epoll
    }

    /// Whether there are connections, whose events the thread should look
    /// at on each turn (the listener alone waits for the 1 ms scan).
    pub fn is_active(&self) -> bool {
        !self.conns.is_empty()
    }

    /// Handles the events there are now, without waiting; whether any.
    pub fn poll(&mut self, core: &mut Core<'_>) -> bool {
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        let now = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        if epoll::wait(&self.epoll, spare_capacity(&mut events), Some(&now)).is_err() {
            self.events = events;
            return false;
        }
        for event in &events {
            let (id, flags) = (event.data.u64(), event.flags);
            if id == LISTENER {
                self.accept(core);
                continue;
            }
            if flags.intersects(EventFlags::HUP | EventFlags::ERR) {
                // Reset, or shut down both ways: no reply can reach the
                // client any more (and a paused connection, not reading,
                // would see this event again and again).
                self.update(core, id, |_, _| Err(Close::Peer));
                continue;
            }
            if flags.contains(EventFlags::OUT) {
                self.update(core, id, |conn, core| {
                    // The client reads: not idle, however slowly it does.
                    conn.last_active = Instant::now();
                    match conn.writer.on_writable() {
                        Status::WantsWritable => Ok(()),
                        status => {
                            conn.wants_writable = false;
                            conn.wrote(status, &core.shared.counters)
                        }
                    }
                });
                // Drained: it may read again.
                self.resume(core);
            }
            if flags.contains(EventFlags::IN) {
                self.update(core, id, |conn, core| conn.read(core, id));
            }
        }
        let any = !events.is_empty();
        self.events = events;
        any
    }

    /// A worker's answer for connection `id`: what its submit said, if it
    /// replied.
    pub fn answered(&mut self, core: &mut Core<'_>, id: u64, status: Option<Status>) {
        self.update(core, id, |conn, core| {
            conn.inflight -= 1;
            status.map_or(Ok(()), |status| conn.wrote(status, &core.shared.counters))
        });
    }

    /// Lets the paused connections read again (after replies came back,
    /// or on the periodic scan).
    pub fn resume(&mut self, core: &mut Core<'_>) {
        for id in std::mem::take(&mut self.paused) {
            self.update(core, id, |conn, core| {
                conn.paused = false;
                conn.frames(core, id)
            });
        }
    }

    /// Closes the connections idle for their client's `idle_timeout` (and
    /// with nothing in flight: the wait would be the server's) or past its
    /// `lifetime`, and lets the paused ones try again.
    pub fn tick(&mut self, core: &mut Core<'_>, now: Instant) {
        let clients = &core.shared.clients;
        let expired: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, conn)| {
                let client = &clients[conn.client];
                let idle = client
                    .idle_timeout
                    .is_some_and(|t| now - conn.last_active >= t);
                (idle && conn.inflight == 0)
                    || client.lifetime.is_some_and(|t| now - conn.opened >= t)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            if let Some(conn) = self.conns.remove(&id) {
                self.close(core, conn, Close::Idle);
            }
        }
        self.resume(core);
    }

    pub fn close_all(&mut self, core: &Core<'_>) {
        for (_, conn) in std::mem::take(&mut self.conns) {
            self.close(core, conn, Close::Shutdown);
        }
    }

    /// Runs `f` on connection `id`, then puts it back (registering the
    /// events it now waits for), or closes it if `f` says so.
    fn update(
        &mut self,
        core: &mut Core<'_>,
        id: u64,
        f: impl FnOnce(&mut Conn, &mut Core<'_>) -> Result<(), Close>,
    ) {
        let Some(mut conn) = self.conns.remove(&id) else {
            return; // closed meanwhile
        };
        if let Err(why) = f(&mut conn, core) {
            return self.close(core, conn, why);
        }
        if conn.paused && !self.paused.contains(&id) {
            self.paused.push(id);
        }
        let interest = conn.interest();
        if interest != conn.registered {
            let data = EventData::new_u64(id);
            if epoll::modify(&self.epoll, &conn.stream, data, interest).is_err() {
                return self.close(core, conn, Close::Peer);
            }
            conn.registered = interest;
        }
        self.conns.insert(id, conn);
    }

    /// Accepts every waiting connection from a client that may use TCP and
    /// is under its `max_connections`; closes the others at once.
    fn accept(&mut self, core: &Core<'_>) {
        let shared = core.shared;
        let c = &shared.counters;
        loop {
            let (stream, peer) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Out of descriptors, say: the next scan tries again.
                    eprintln!("radius: accept: {e}");
                    return;
                }
            };
            let Some(client) = shared.clients.find(peer.ip(), true) else {
                c.unknown.fetch_add(1, Relaxed);
                c.tcp_refused.fetch_add(1, Relaxed);
                continue;
            };
            let limit = shared.clients[client].max_connections;
            let open = shared.clients[client].connections.fetch_add(1, Relaxed);
            if limit > 0 && open >= limit {
                shared.clients[client].connections.fetch_sub(1, Relaxed);
                c.tcp_refused.fetch_add(1, Relaxed);
                continue;
            }
            if let Err(e) = self.open(stream, client) {
                eprintln!("radius: a TCP connection from {peer}: {e}");
                shared.clients[client].connections.fetch_sub(1, Relaxed);
                continue;
            }
            c.tcp_accepted.fetch_add(1, Relaxed);
        }
    }

    fn open(&mut self, stream: TcpStream, client: usize) -> io::Result<()> {
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        let writer =
            WriteContext::with_config(stream.try_clone()?, WRITE_CONFIG).expect("a valid capacity");
        let id = self.next;
        self.next += 1;
        epoll::add(&self.epoll, &stream, EventData::new_u64(id), EventFlags::IN)?;
        let now = Instant::now();
        let conn = Conn {
            stream,
            writer: Arc::new(writer),
            client,
            buf: vec![0; codec::MAX_LEN].into_boxed_slice(),
            filled: 0,
            opened: now,
            last_active: now,
            inflight: 0,
            wants_writable: false,
            paused: false,
            registered: EventFlags::IN,
        };
        self.conns.insert(id, conn);
        Ok(())
    }

    fn close(&mut self, core: &Core<'_>, conn: Conn, why: Close) {
        let c = &core.shared.counters;
        let _ = epoll::delete(&self.epoll, &conn.stream);
        // The workers may hold the writer (and so the socket) a while
        // longer: shut it down now, so that the client sees the close and
        // their writes fail.
        let _ = conn.stream.shutdown(Shutdown::Both);
        core.shared.clients[conn.client]
            .connections
            .fetch_sub(1, Relaxed);
        match why {
            Close::Peer => c.tcp_closed.fetch_add(1, Relaxed),
            Close::Idle => c.tcp_idle.fetch_add(1, Relaxed),
            Close::Malformed => c.tcp_malformed.fetch_add(1, Relaxed),
            Close::Shutdown => 0,
        };
    }
}
