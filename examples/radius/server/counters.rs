//! What the server counts, printed on exit and on SIGUSR1.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use handoff::worker::Pool;

use crate::handler::{Answer, Request};

#[derive(Default)]
/// The server's counters, shared by the network threads and the workers.
pub struct Counters {
    /// Datagrams and TCP packets received.
    pub requests: AtomicU64,
    pub replies: AtomicU64,
    pub accepts: AtomicU64,
    /// Status-Server packets answered.
    pub status: AtomicU64,
    pub duplicates: AtomicU64,
    pub resent: AtomicU64,
    pub timeouts: AtomicU64,
    pub cancels: AtomicU64,
    pub malformed: AtomicU64,
    /// From a source that is no client (or not over this transport).
    pub unknown: AtomicU64,
    /// Dropped for a wrong Message-Authenticator.
    pub forged: AtomicU64,
    /// Dropped for a missing Message-Authenticator the client must send.
    pub unsigned: AtomicU64,
    /// Refused: every worker was full (back-pressure).
    pub refused: AtomicU64,
    /// Refused: the in-flight table was at its count or byte limit.
    pub inflight_full: AtomicU64,
    /// Cached replies evicted before their time, for the cache's limits.
    pub evicted: AtomicU64,
    pub tcp_accepted: AtomicU64,
    /// Closed by the client, or failed.
    pub tcp_closed: AtomicU64,
    /// Closed by the server: no request for the client's `idle_timeout`,
    /// or past its `lifetime`.
    pub tcp_idle: AtomicU64,
    /// Closed by the server: a packet that could not be framed or parsed,
    /// or failed its Message-Authenticator.
    pub tcp_malformed: AtomicU64,
    /// Closed at once: the client's `max_connections`, or no such client.
    pub tcp_refused: AtomicU64,
    /// Replies lost to a connection whose client does not read (none, if
    /// the back-pressure works).
    pub tcp_unsent: AtomicU64,
    /// Times a connection's socket was full, and its write context waited
    /// for the network thread's `on_writable`.
    pub tcp_stalls: AtomicU64,
}

impl Counters {
    /// Prints the counters (and the workers' sleeps and the context
    /// switches so far) on stderr, on one line.
    pub fn print(&self, pool: &Pool<Request, Answer>) {
        let c = |a: &AtomicU64| a.load(Relaxed);
        let stats = pool.stats();
        let sleeps: u64 = stats.iter().map(|s| s.sleeps).sum();
        let requests = c(&self.requests);
        let switches = context_switches();
        eprintln!(
            "radius: requests {requests}, replies {} ({} accepts), status {}, \
             duplicates in flight {}, cached replies resent {}, timeouts {}, cancels {}, \
             malformed {}, unknown clients {}, forged {}, unsigned {}, refused (full) {}, \
             in-flight full {}, cache evictions {}, tcp accepted {}, tcp closed {}, \
             tcp idle {}, tcp malformed {}, tcp refused {}, tcp unsent {}, tcp stalls {}, \
             worker sleeps {sleeps}, context switches {switches} ({:.3}/request)",
            c(&self.replies),
            c(&self.accepts),
            c(&self.status),
            c(&self.duplicates),
            c(&self.resent),
            c(&self.timeouts),
            c(&self.cancels),
            c(&self.malformed),
            c(&self.unknown),
            c(&self.forged),
            c(&self.unsigned),
            c(&self.refused),
            c(&self.inflight_full),
            c(&self.evicted),
            c(&self.tcp_accepted),
            c(&self.tcp_closed),
            c(&self.tcp_idle),
            c(&self.tcp_malformed),
            c(&self.tcp_refused),
            c(&self.tcp_unsent),
            c(&self.tcp_stalls),
            switches as f64 / requests.max(1) as f64,
        );
    }
}

/// Voluntary and involuntary context switches of all the process's
/// threads so far (0 where `/proc` cannot tell).
fn context_switches() -> u64 {
    let threads = crate::context_switches::by_thread();
    threads.values().map(|t| t.voluntary + t.involuntary).sum()
}
