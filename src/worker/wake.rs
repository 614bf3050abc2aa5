//! An entry's waker: what wakes a request's future from any thread.
//!
//! A waker marks its entry "woken" (one flag per entry) and, if the flag was
//! clear, pushes the entry's index onto an MPSC ring of the table's size,
//! which therefore never fills; the executor's parker is registered on it,
//! so a wake from another thread wakes a sleeping executor. A stale waker
//! (of a request that finished) wakes the entry's next request, if any: a
//! spurious poll, which futures allow.

use crate::loom::{spin_loop, AtomicBool, Ordering};
use crate::{mpsc, PushError};

/// An entry's waker: see the module docs.
pub(super) struct EntryWake {
    pub(super) entry: u32,
    /// Set by the wake that queues the entry, cleared by the executor when
    /// it pops it; the queue therefore holds each entry at most once.
    pub(super) queued: AtomicBool,
    pub(super) ring: mpsc::Producer<u32>,
}

impl std::task::Wake for EntryWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // ordering: AcqRel; Release hands whatever the waker did before
        // waking to the executor's swap that clears the flag, Acquire
        // orders our push after that executor's pop.
        if self.queued.swap(true, Ordering::AcqRel) {
            return; // queued already, and not yet polled
        }
        loop {
            match self.ring.push(self.entry) {
                Ok(()) | Err(PushError::Closed(_)) => return,
                // The ring holds each entry once, so it has room; only a
                // stale view of the executor's last pop says otherwise.
                Err(PushError::Full(_)) => spin_loop(),
            }
        }
    }
}
