//! The back-pressure loop: a network thread that every worker refused
//! ([`EnqueueError::Full`](super::EnqueueError::Full)) stops taking new
//! work and sleeps; whoever frees room wakes it, on its parker (so its
//! reply descriptor too).
//!
//! Room comes back when a network thread takes a reply (which frees an
//! entry of that worker's table) or a worker takes requests from a ring.
//! Both are hot paths, so they pay only a load of one word, `waiting`, which
//! is zero unless a network thread sleeps for room:
//!
//! ```text
//! full network:  waiting |= bit(n);  (its parker announces: heavy barrier)
//!                re-check: a ring with room and a table with a free entry?
//! freer:         free an entry / pop a ring;  light barrier;
//!                if waiting != 0: take it, set each one's `room`, unpark it
//! ```
//!
//! Dekker's pattern again (the crate's store→load barrier pair, see
//! `crate::sys::barrier`): either the network's re-check sees the room, or
//! the freer sees its bit and wakes it. The light barrier is a compiler
//! fence where `membarrier` is available, so a freer pays one load. More
//! than 64 network threads share bits (`n % 64`): a freer then wakes a few
//! that did not ask, which look and sleep again.

use crossbeam_utils::CachePadded;

use crate::loom::{AtomicBool, AtomicU64, Ordering};
use crate::park::Unparker;
use crate::sys::barrier;

/// See the module docs.
pub(crate) struct Pressure {
    /// Bit `n % 64`: network thread `n` sleeps until room returns.
    waiting: CachePadded<AtomicU64>,
    /// Per network thread: room returned since it asked.
    room: Box<[CachePadded<AtomicBool>]>,
    /// The network threads' parkers.
    unparkers: Box<[Unparker]>,
}

fn bit(n: usize) -> u64 {
    1 << (n % 64)
}

impl Pressure {
    pub(crate) fn new(unparkers: Vec<Unparker>) -> Self {
        Self {
            waiting: CachePadded::new(AtomicU64::new(0)),
            room: unparkers
                .iter()
                .map(|_| CachePadded::new(AtomicBool::new(false)))
                .collect(),
            unparkers: unparkers.into_boxed_slice(),
        }
    }

    /// Network thread `n`, full, is about to sleep: wake it when room
    /// returns. It must re-check for room after its parker's announcement
    /// (whose heavy barrier orders this store before that re-check).
    pub(crate) fn want(&self, n: usize) {
        // ordering: Relaxed; the parker's heavy barrier orders it before
        // the re-check, and a freer's light barrier before its load.
        self.waiting.fetch_or(bit(n), Ordering::Relaxed);
    }

    /// Whether room returned for network thread `n` since it asked.
    pub(crate) fn has_room(&self, n: usize) -> bool {
        // ordering: Relaxed; the flag only says "look again": the room
        // itself is handed over by the table's and the ring's own orderings
        // (`claim`'s Acquire, the ring's head) when the enqueue retries.
        self.room[n].load(Ordering::Relaxed)
    }

    /// Network thread `n` tried its luck: the next wake-up is for room
    /// freed from now on.
    pub(crate) fn clear(&self, n: usize) {
        // ordering: Relaxed; the next `want` and the parker's barrier order
        // what follows. A swap, not a store (so is the `true` in `wake`):
        // the two must take their places in the flag's modification order
        // as they happen. C++'s coherence rules already give that, but
        // loom orders plain stores only as far as a thread has seen them,
        // and finds a lost wake-up with two plain stores (the model
        // `a_full_network_is_woken_when_room_returns`).
        self.room[n].swap(false, Ordering::Relaxed);
    }

    /// Room was freed (an entry retired, requests taken from a ring):
    /// wakes the network threads that wait for it.
    #[inline]
    pub(crate) fn freed(&self) {
        barrier::light();
        // ordering: Relaxed; the barrier pair orders it after the freeing
        // store (see the module docs).
        if self.waiting.load(Ordering::Relaxed) != 0 {
            self.wake();
        }
    }

    #[cold]
    fn wake(&self) {
        // ordering: Relaxed; the `room` flags carry the hand-over.
        let bits = self.waiting.swap(0, Ordering::Relaxed);
        for (n, unparker) in self.unparkers.iter().enumerate() {
            if bits & bit(n) != 0 {
                // ordering: Relaxed; see `has_room`. A swap: see `clear`.
                self.room[n].swap(true, Ordering::Relaxed);
                unparker.unpark();
            }
        }
    }
}
