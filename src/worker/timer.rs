//! The executor's timer: one binary heap of deadlines per executor, kept on
//! the executor's own thread. A request's [`Sleep`](super::Sleep) puts its
//! deadline in; so do requests' time limits (`Timeout`, then `Cancel`).
//! The executor fires what is due at each turn, against the clock it reads
//! anyway, and sleeps until the earliest deadline through its parker's
//! timed wait: no thread of its own, and no system call per timer.
//!
//! A timer of a request that has ended (or of a `Sleep` dropped early)
//! stays in the heap until it is due, and then does nothing: an entry names
//! the request by entry and generation.

use core::cmp::Ordering;
use core::task::Waker;
use std::collections::BinaryHeap;
use std::time::Instant;

/// What a due timer does.
pub(super) enum Fire {
    /// Wakes a sleeping request: its own entry (`None`), or the waker a
    /// `Sleep` was polled with inside the request (a sub-future's).
    Wake(Option<Waker>),
    /// The request's deadline: deliver `Action::Timeout`.
    Timeout,
    /// The deadline plus the grace period: cancel the request.
    Cancel,
}

pub(super) struct Timer {
    pub(super) at: Instant,
    /// Ties broken by insertion order.
    seq: u64,
    pub(super) entry: u32,
    pub(super) generation: u64,
    pub(super) fire: Fire,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Timer {}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timer {
    /// Reversed: `BinaryHeap` is a max-heap, we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// See the module docs.
pub(super) struct Timers {
    heap: BinaryHeap<Timer>,
    seq: u64,
}

impl Timers {
    /// Room for a timer per entry up front: the heap only grows if the
    /// requests keep more timers than that at once.
    pub(super) fn new(entries: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(entries),
            seq: 0,
        }
    }

    pub(super) fn push(&mut self, at: Instant, entry: usize, generation: u64, fire: Fire) {
        self.seq += 1;
        self.heap.push(Timer {
            at,
            seq: self.seq,
            entry: entry as u32,
            generation,
            fire,
        });
    }

    /// The earliest deadline.
    pub(super) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|t| t.at)
    }

    /// Takes the earliest timer if it is due at `now`.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        if self.heap.peek()?.at <= now {
            self.heap.pop()
        } else {
            None
        }
    }

    /// Takes every timer (the executor is going away).
    pub(super) fn drain(&mut self) -> impl Iterator<Item = Timer> + '_ {
        self.heap.drain()
    }
}
