//! What the server counts, printed on exit and on SIGUSR1.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use handoff::worker::Pool;

use crate::handler::Request;

#[derive(Default)]
/// The server's counters, shared by the network threads and the workers.
pub struct Counters {
    pub requests: AtomicU64,
    pub replies: AtomicU64,
    pub accepts: AtomicU64,
    pub duplicates: AtomicU64,
    pub resent: AtomicU64,
    pub timeouts: AtomicU64,
    pub cancels: AtomicU64,
    pub malformed: AtomicU64,
    pub refused: AtomicU64,
}

impl Counters {
    /// Prints the counters (and the workers' sleeps and the context
    /// switches so far) on stderr.
    pub fn print(&self, pool: &Pool<Request, Option<Vec<u8>>>) {
        let c = |a: &AtomicU64| a.load(Relaxed);
        let stats = pool.stats();
        let sleeps: u64 = stats.iter().map(|s| s.sleeps).sum();
        let requests = c(&self.requests);
        let switches = context_switches();
        eprintln!(
            "radius: requests {requests}, replies {} ({} accepts), duplicates in flight {}, \
             cached replies resent {}, timeouts {}, cancels {}, malformed {}, refused (full) {}, \
             worker sleeps {sleeps}, context switches {switches} ({:.3}/request)",
            c(&self.replies),
            c(&self.accepts),
            c(&self.duplicates),
            c(&self.resent),
            c(&self.timeouts),
            c(&self.cancels),
            c(&self.malformed),
            c(&self.refused),
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
