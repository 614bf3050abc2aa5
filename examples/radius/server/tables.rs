//! A network thread's memory of requests: those in flight (for duplicates
//! and time limits) and the replies already sent (for retransmissions),
//! each bounded by a count and by bytes, so that no flood of distinct
//! requests can grow them without bound.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use handoff::worker::Ticket;

/// Where a request came from: a UDP peer, or a TCP connection (by the
/// network thread's number for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    Udp(SocketAddr),
    Tcp(u64),
}

/// Who a request is: a retransmission repeats all three.
pub type Key = (Peer, u8, [u8; 16]);

/// What an entry costs besides its packet: its buckets in the maps (80 to
/// 90 bytes each), counted twice because a map that keeps removing and
/// inserting fills with tombstones and then doubles rather than rehashing
/// while more than half full; its key in the expiry queue; the packet's
/// allocation header. An estimate on the high side: with 160, the maps of
/// the 10^6-request test doubled in some runs and not in others (a peak
/// RSS of 26 to 44 MiB); with 320 they stay under the doubling point.
const ENTRY_OVERHEAD: usize = 320;

/// The bounds, for one network thread.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub inflight: usize,
    pub inflight_bytes: usize,
    pub cache: usize,
    pub cache_bytes: usize,
    /// How long a reply stays cached (if not evicted first).
    pub cache_for: Duration,
}

impl Limits {
    /// The server's limits split evenly over `networks` threads.
    pub fn split(self, networks: usize) -> Self {
        let n = networks.max(1);
        Self {
            inflight: (self.inflight / n).max(1),
            inflight_bytes: self.inflight_bytes / n,
            cache: self.cache / n,
            cache_bytes: self.cache_bytes / n,
            ..self
        }
    }
}

/// A request being worked on.
pub struct InFlight {
    pub key: Key,
    bytes: usize,
}

#[derive(Default)]
pub struct Tables {
    inflight: HashMap<Ticket, InFlight>,
    by_key: HashMap<Key, Ticket>,
    inflight_bytes: usize,
    /// Replies sent, by key, with when they were cached; `expiry` holds the
    /// keys in that order (each key once: a key is cached only when its
    /// request finishes, and a request whose key is cached is not run).
    cache: HashMap<Key, (Vec<u8>, Instant)>,
    expiry: VecDeque<Key>,
    cache_bytes: usize,
}

impl Tables {
    /// The ticket of the request with `key` in flight.
    pub fn in_flight(&self, key: &Key) -> Option<Ticket> {
        self.by_key.get(key).copied()
    }

    /// Whether a request of `len` bytes fits in the in-flight table.
    pub fn has_room(&self, limits: &Limits, len: usize) -> bool {
        self.inflight.len() < limits.inflight
            && self.inflight_bytes + len + ENTRY_OVERHEAD <= limits.inflight_bytes
    }

    pub fn start(&mut self, ticket: Ticket, key: Key, len: usize) {
        let bytes = len + ENTRY_OVERHEAD;
        self.inflight_bytes += bytes;
        self.by_key.insert(key, ticket);
        let entry = InFlight { key, bytes };
        self.inflight.insert(ticket, entry);
    }

    /// Forgets the request with `ticket` (its reply came).
    pub fn finish(&mut self, ticket: Ticket) -> Option<InFlight> {
        let done = self.inflight.remove(&ticket)?;
        self.by_key.remove(&done.key);
        self.inflight_bytes -= done.bytes;
        Some(done)
    }

    /// The cached reply to the request with `key`.
    pub fn cached(&self, key: &Key) -> Option<&[u8]> {
        self.cache.get(key).map(|(reply, _)| &reply[..])
    }

    /// Caches `reply`, evicting the oldest replies as the limits require;
    /// returns how many were evicted.
    pub fn cache(&mut self, limits: &Limits, key: Key, reply: Vec<u8>, now: Instant) -> u64 {
        let bytes = reply.len() + ENTRY_OVERHEAD;
        let mut evicted = 0;
        if limits.cache == 0 || bytes > limits.cache_bytes {
            return 0;
        }
        if self.cache.contains_key(&key) {
            debug_assert!(false, "a request whose reply is cached was run again");
            return 0;
        }
        while !self.expiry.is_empty()
            && (self.expiry.len() + 1 > limits.cache
                || self.cache_bytes + bytes > limits.cache_bytes)
        {
            self.pop_oldest();
            evicted += 1;
        }
        self.cache_bytes += bytes;
        self.cache.insert(key, (reply, now));
        self.expiry.push_back(key);
        evicted
    }

    fn pop_oldest(&mut self) {
        if let Some(key) = self.expiry.pop_front() {
            let (reply, _) = self
                .cache
                .remove(&key)
                .expect("every key in `expiry` is cached");
            self.cache_bytes -= reply.len() + ENTRY_OVERHEAD;
        }
    }

    /// Drops the replies cached longer than `limits.cache_for`.
    pub fn expire(&mut self, limits: &Limits, now: Instant) {
        while let Some(key) = self.expiry.front() {
            if now - self.cache[key].1 < limits.cache_for {
                break;
            }
            self.pop_oldest();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Key {
        (Peer::Tcp(7), n, [n; 16])
    }

    #[test]
    fn the_cache_is_bounded_by_count_and_bytes() {
        let limits = Limits {
            inflight: 1,
            inflight_bytes: 1,
            cache: 3,
            cache_bytes: 3 * (20 + ENTRY_OVERHEAD),
            cache_for: Duration::from_secs(5),
        };
        let (mut t, now) = (Tables::default(), Instant::now());
        let evicted: u64 = (0..10)
            .map(|n| t.cache(&limits, key(n), vec![n; 20], now))
            .sum();
        assert_eq!(evicted, 7, "by count: the oldest go");
        assert!(t.cached(&key(6)).is_none());
        assert_eq!(t.cached(&key(9)), Some(&[9; 20][..]));
        // A large reply evicts as many as its bytes need.
        assert_eq!(t.cache(&limits, key(10), vec![0; 40], now), 2);
        assert_eq!((t.cache.len(), t.expiry.len()), (2, 2));
        // Too large to cache at all: not kept, nothing evicted for it.
        assert_eq!(t.cache(&limits, key(11), vec![0; 4096], now), 0);
        assert_eq!(t.cache.len(), 2);
        // Expiry by age.
        t = Tables::default();
        t.cache(&limits, key(12), vec![0; 20], now);
        t.expire(&limits, now + Duration::from_secs(4));
        assert!(t.cached(&key(12)).is_some());
        t.expire(&limits, now + Duration::from_secs(5));
        assert!(t.cached(&key(12)).is_none());
        assert_eq!(t.cache_bytes, 0);
    }
}
