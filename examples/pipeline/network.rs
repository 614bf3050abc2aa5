//! A network thread: the load generator's event loop, which enqueues
//! requests, raises signals and checks every reply against its request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use handoff::signal::{Action, Raised};
use handoff::worker::{
    Enqueue, EnqueueError, Group, Network, NetworkStats, Outcome, Priority, Reply, Ticket,
};

use crate::histogram::Histogram;
use crate::options::Options;
use crate::requests::{kind_of, Answer, Fate, Kind, Request, Response};
use crate::{POISON, TIMEOUT};

/// A network thread's counters for the progress line: written only by that
/// thread (plain stores), read by the main thread.
#[derive(Default)]
#[repr(align(128))]
pub struct Progress {
    pub enqueued: AtomicU64,
    pub replied: AtomicU64,
    pub cancelled: AtomicU64,
}

/// The group of the requests whose connection closes at once.
const CLOSING: Group = Group(1);

/// What a network thread saw.
#[derive(Default)]
pub struct NetworkReport {
    pub enqueued: u64,
    pub refused_full: u64,
    pub computed: u64,
    pub timed_out: u64,
    pub duplicate: u64,
    pub cancelled: u64,
    pub panicked: u64,
    pub unstarted: u64,
    /// Signals this thread raised: delivered, already pending, stale.
    pub raised: [u64; 3],
    /// Requests its group cancels reached.
    pub group_cancelled: u64,
    /// The back-pressure loop: refusals, waits for room, room returned.
    pub stats: NetworkStats,
    pub quick: Option<Histogram>,
    pub yielding: Option<Histogram>,
    pub signalled: Option<Histogram>,
    /// Sleeps and wake-ups of this thread's parker.
    pub syscalls: u64,
    /// What did not add up.
    pub errors: Vec<String>,
}

impl NetworkReport {
    pub fn error(&mut self, message: String) {
        if self.errors.len() < 10 {
            self.errors.push(message);
        }
    }
}

pub fn raised_index(raised: Raised) -> usize {
    match raised {
        Raised::Delivered => 0,
        Raised::AlreadyPending => 1,
        Raised::Stale => 2,
    }
}

/// How a request of `kind` is enqueued: slow ones are urgent (a client
/// waits on them: high priority) and have a deadline (`TIMEOUT` from now;
/// for those that sleep through it, now, so that the cancel a grace period
/// later comes `TIMEOUT` after the enqueue), and those whose client goes
/// away are in the closing connection's group.
fn enqueue_options(kind: Kind) -> Enqueue {
    let urgent = Enqueue::new().priority(Priority::High);
    match kind {
        Kind::Slow(Fate::CancelNow) => urgent.group(CLOSING),
        Kind::Slow(Fate::TimeoutLater) => urgent.deadline(Instant::now() + TIMEOUT),
        Kind::Slow(Fate::CancelLater) => urgent.deadline(Instant::now()),
        Kind::Slow(Fate::DupNow) => urgent,
        _ => Enqueue::new(),
    }
}

/// One network thread: the load generator's event loop.
pub struct NetworkThread {
    pub net: Network<Request, Response>,
    pub progress: Arc<Progress>,
    /// The requests in flight, by executor and slot of their tickets: the
    /// exactly-once check.
    pub in_flight: Vec<Vec<Option<(Ticket, Request)>>>,
    pub report: NetworkReport,
    pub quick: Histogram,
    pub yielding: Histogram,
    pub signalled: Histogram,
}

impl NetworkThread {
    pub fn run(mut self, first_id: u64, options: &Options, start: &Barrier) -> NetworkReport {
        let interval =
            (options.rate > 0).then(|| Duration::from_secs_f64(1.0 / options.rate as f64));
        let mut next_id = first_id;
        start.wait();
        let mut next_due = Instant::now();
        let mut killed = false;
        loop {
            // Enqueue what is due while the window and the pool have room.
            let mut blocked = false;
            while !killed {
                if self.net.outstanding() >= options.window {
                    blocked = true;
                    break;
                }
                if let Some(interval) = interval {
                    let now = Instant::now();
                    if next_due > now {
                        break;
                    }
                    if now - next_due > 100 * interval.max(Duration::from_micros(100)) {
                        next_due = now; // fell far behind (descheduled): do not burst
                    }
                }
                if !self.net.has_capacity() {
                    // Every worker was full: read nothing new until room
                    // returns (`wait_ready` below wakes for it).
                    blocked = true;
                    break;
                }
                let request = Request {
                    id: next_id,
                    kind: kind_of(next_id),
                };
                match self
                    .net
                    .enqueue_with(request, enqueue_options(request.kind))
                {
                    Ok(ticket) => {
                        next_id += 1;
                        if let Some(interval) = interval {
                            next_due += interval;
                        }
                        self.sent(ticket, request);
                    }
                    Err(EnqueueError::Full(_)) => {
                        self.report.refused_full += 1;
                        blocked = true;
                        break;
                    }
                    Err(EnqueueError::Killed(_)) => killed = true,
                    Err(e @ EnqueueError::Closed(_)) => {
                        self.report.error(format!("enqueue: {e}"));
                        killed = true;
                    }
                }
            }

            // Take the replies that are there.
            let mut got = false;
            while let Some(reply) = self.net.try_reply() {
                got = true;
                self.received(reply);
            }
            self.publish();
            if killed && self.net.outstanding() == 0 {
                break;
            }
            if got {
                continue;
            }

            // Nothing to do: wait for a reply, or for the next send time.
            if killed || blocked || interval.is_none() {
                match self.net.reply_blocking() {
                    Some(reply) => self.received(reply),
                    None if killed => break,
                    // Full with nothing of ours outstanding: sleep until
                    // room returns (the back-pressure loop).
                    None => {
                        self.net.wait_ready(Some(Duration::from_millis(10)));
                    }
                }
            } else {
                let wait = next_due.saturating_duration_since(Instant::now());
                if self.net.outstanding() > 0 {
                    if let Some(reply) = self.net.reply_timeout(wait) {
                        self.received(reply);
                    }
                } else {
                    thread::sleep(wait);
                }
            }
        }
        self.publish();
        for (executor, slots) in self.in_flight.iter().enumerate() {
            for (slot, entry) in slots.iter().enumerate() {
                if let Some((_, request)) = entry {
                    self.report.error(format!(
                        "request {} (executor {executor}, slot {slot}) never got a reply",
                        request.id
                    ));
                }
            }
        }
        let stats = self.net.park_stats();
        self.report.syscalls = stats.sleeps + stats.wakes;
        self.report.stats = self.net.stats();
        self.report.quick = Some(self.quick);
        self.report.yielding = Some(self.yielding);
        self.report.signalled = Some(self.signalled);
        self.report
    }

    /// Books an enqueued request and raises the signals it is meant to get.
    fn sent(&mut self, ticket: Ticket, request: Request) {
        self.report.enqueued += 1;
        let entry = &mut self.in_flight[ticket.worker()][ticket.signal_key().index()];
        if let Some((_, old)) = entry.replace((ticket, request)) {
            self.report.error(format!(
                "request {} got the slot of request {}, which had no reply yet",
                request.id, old.id
            ));
        }
        let action = match request.kind {
            Kind::Slow(Fate::CancelNow) => {
                // The client's connection closed: cancel what it asked.
                self.report.group_cancelled += self.net.cancel_group(CLOSING) as u64;
                return;
            }
            Kind::Slow(Fate::DupNow) => Action::Dup,
            _ => return,
        };
        let raised = self.net.signal(ticket, action);
        self.report.raised[raised_index(raised)] += 1;
    }

    /// Checks a reply against the request it answers, and books it.
    fn received(&mut self, reply: Reply<Request, Response>) {
        let latency = reply.enqueued_at.elapsed().as_nanos() as u64;
        let ticket = reply.ticket;
        let entry = self
            .in_flight
            .get_mut(ticket.worker())
            .and_then(|slots| slots.get_mut(ticket.signal_key().index()));
        let request = match entry.and_then(Option::take) {
            Some((sent, request)) if sent == ticket => request,
            other => {
                self.report.error(format!(
                    "a reply for {ticket:?}, which had none owed ({other:?} there)"
                ));
                return;
            }
        };
        match reply.outcome {
            Outcome::Done(response) => {
                if response.id != request.id {
                    self.report.error(format!(
                        "request {} answered with request {}'s response",
                        request.id, response.id
                    ));
                }
                let expected = match request.kind {
                    Kind::Quick | Kind::Yielding => None,
                    Kind::Slow(Fate::DupNow) => Some(Answer::Duplicate),
                    Kind::Slow(Fate::TimeoutLater) => Some(Answer::TimedOut),
                    Kind::Slow(_) | Kind::Poison => {
                        self.report.error(format!(
                            "request {} ({:?}) was not to finish",
                            request.id, request.kind
                        ));
                        None
                    }
                };
                match response.answer {
                    Answer::Computed(_) => self.report.computed += 1,
                    Answer::TimedOut => self.report.timed_out += 1,
                    Answer::Duplicate => self.report.duplicate += 1,
                }
                if expected.is_some_and(|e| e != response.answer) {
                    self.report.error(format!(
                        "request {} ({:?}) answered {:?}",
                        request.id, request.kind, response.answer
                    ));
                }
            }
            Outcome::Cancelled => self.report.cancelled += 1,
            Outcome::Panicked(message) => {
                self.report.panicked += 1;
                if message != POISON {
                    self.report
                        .error(format!("request {} panicked: {message}", request.id));
                }
            }
            Outcome::Unstarted(_) => self.report.unstarted += 1,
        }
        match request.kind {
            Kind::Quick => self.quick.record(latency),
            Kind::Yielding => self.yielding.record(latency),
            Kind::Slow(_) => self.signalled.record(latency),
            Kind::Poison => {}
        }
    }

    fn publish(&self) {
        let replied = self.report.enqueued - self.net.outstanding() as u64;
        // ordering: Relaxed; progress reports, nothing depends on them.
        self.progress
            .enqueued
            .store(self.report.enqueued, Ordering::Relaxed);
        self.progress.replied.store(replied, Ordering::Relaxed);
        self.progress
            .cancelled
            .store(self.report.cancelled, Ordering::Relaxed);
    }
}
