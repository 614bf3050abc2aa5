//! The shape of a measurement: workers, clients, how slow the slow one is,
//! how many replies go where, and the loopback connections they use.

use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use socket2::SockRef;

/// Worker threads producing replies.
pub const WORKERS: usize = 2;
/// Fast client connections; the slow client, when there is one, is
/// connection `FAST`.
pub const FAST: usize = 4;
/// A fast client's `BufReader`.
pub const FAST_READ: usize = 64 << 10;
/// The slow client reads this much, then pauses.
pub const SLOW_READ: usize = 4 << 10;
pub const SLOW_PAUSE: Duration = Duration::from_millis(10);
/// The slow client's `SO_RCVBUF` (the kernel doubles it), fixed so that
/// autotuning does not make it absorb more in some runs than in others.
pub const SLOW_RCVBUF: usize = 32 << 10;
/// A worker addresses the slow client with every `SLOW_EVERY`th reply
/// until its share is sent.
pub const SLOW_EVERY: u64 = 5;
pub const FAST_SAMPLE_EVERY: u64 = 64;
pub const SLOW_SAMPLE_EVERY: u64 = 8;
/// The crossbeam channel per connection, and the most its writer thread
/// writes at once: the capacity of a write context's queue.
pub const CHANNEL_CAPACITY: usize = 1024;
/// A measurement with no progress for this long has lost a frame or a
/// thread: it panics instead of hanging.
pub const STALL_LIMIT: Duration = Duration::from_secs(120);

/// The replies of one measurement.
#[derive(Clone, Copy)]
pub struct Plan {
    /// To the fast clients, a multiple of `WORKERS * FAST`.
    pub fast_frames: u64,
    /// To the slow client (none if 0), a multiple of `WORKERS`.
    pub slow_frames: u64,
    /// Replies per batch in the batched designs, at least 1.
    pub batch: u64,
    /// Replies per second from all workers together; 0: as fast as the
    /// write side takes them.
    pub rate: u64,
}

impl Plan {
    /// Rounds `fast` down to a multiple of `WORKERS * FAST`, and `slow`
    /// to a multiple of `WORKERS`, at most a quarter of `fast` (so that
    /// every fifth reply can go to the slow client until its share is
    /// sent).
    pub fn new(fast: u64, slow: u64, batch: u64) -> Plan {
        let unit = (WORKERS * FAST) as u64;
        let fast_frames = (fast / unit).max(1) * unit;
        let slow = slow.min(fast_frames / (SLOW_EVERY - 1));
        Plan {
            fast_frames,
            slow_frames: slow / WORKERS as u64 * WORKERS as u64,
            batch: batch.max(1),
            rate: 0,
        }
    }

    /// The same replies at a fixed `rate` per second (0: unpaced).
    pub fn paced(self, rate: u64) -> Plan {
        Plan { rate, ..self }
    }

    pub fn conns(self) -> usize {
        FAST + usize::from(self.slow_frames > 0)
    }

    pub fn fast_per_conn(self) -> u64 {
        self.fast_frames / FAST as u64
    }
}

/// `conns` loopback connections: the clients' ends and the server's.
pub fn connect(conns: usize, sndbuf: usize) -> (Vec<TcpStream>, Vec<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback listener");
    let addr = listener.local_addr().expect("the listener's address");
    let mut clients = Vec::with_capacity(conns);
    let mut servers = Vec::with_capacity(conns);
    for conn in 0..conns {
        let client = TcpStream::connect(addr).expect("connect");
        if conn == FAST {
            SockRef::from(&client)
                .set_recv_buffer_size(SLOW_RCVBUF)
                .expect("SO_RCVBUF");
        }
        let (server, peer) = listener.accept().expect("accept");
        assert_eq!(peer, client.local_addr().expect("the client's address"));
        server.set_nodelay(true).expect("TCP_NODELAY");
        if sndbuf > 0 {
            SockRef::from(&server)
                .set_send_buffer_size(sndbuf)
                .expect("SO_SNDBUF");
        }
        clients.push(client);
        servers.push(server);
    }
    (clients, servers)
}

/// The server sockets' `SO_SNDBUF` as the reports print it.
pub fn sndbuf_label(sndbuf: usize) -> String {
    if sndbuf > 0 {
        format!("{sndbuf}")
    } else {
        "autotuned".into()
    }
}
