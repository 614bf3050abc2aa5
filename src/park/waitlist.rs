//! Any number of waiters on one condition: the producers of an `mpsc` ring
//! waiting for a free slot.
//!
//! An event count: a waiter counts itself in `waiting`, reads `epoch`, runs
//! the heavy barrier and re-checks its condition; then a thread sleeps on
//! `epoch` (a futex word) and a task leaves its `Waker` in `tasks`. A
//! notifier makes the condition true, runs the light barrier and reads
//! `waiting`; only if someone waits does it bump `epoch`, wake the futex and
//! the tasks. Waiters are woken all at once (the condition, "a slot is
//! free", may suit any of them; those that lose the race sleep again).

use core::fmt;
use core::task::{Context, Poll, Waker};
use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::policy::{time_left, Spun};
use super::SpinPolicy;
use crate::loom::{barrier, AtomicU64, AtomicUsize, Futex, Mutex, Ordering};

pub(crate) struct WaitList {
    /// How many waiters are announced: threads between their announcement
    /// and their leaving, tasks from their first `Pending` until their
    /// future completes or drops. Read on every notify: on its own line.
    waiting: CachePadded<AtomicUsize>,
    /// Bumped by every wake-up; sleeping threads wait for it to change.
    epoch: Futex,
    /// The wakers of pending tasks; taken whole by each wake-up.
    tasks: Mutex<Vec<Waker>>,
    /// Wake-ups issued.
    wakes: AtomicU64,
}

impl WaitList {
    pub(crate) fn new() -> Self {
        barrier::init();
        Self {
            waiting: CachePadded::new(AtomicUsize::new(0)),
            epoch: Futex::new(0),
            tasks: Mutex::new(Vec::new()),
            wakes: AtomicU64::new(0),
        }
    }

    /// Wakes every waiter if there is one. The caller has just made the
    /// condition true.
    #[inline(always)]
    pub(crate) fn notify(&self) {
        if !barrier::light() {
            return;
        }
        // ordering: Relaxed; the barrier pair orders it after the caller's
        // publication (see the module docs).
        if self.waiting.load(Ordering::Relaxed) != 0 {
            self.wake_all();
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_all(&self) {
        // ordering: Release, so a waiter that reads the new epoch (Acquire)
        // also sees what our caller published before notifying.
        self.epoch.fetch_add(1, Ordering::Release);
        self.epoch.wake_all();
        let tasks = core::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for waker in tasks {
            waker.wake();
        }
        // ordering: Relaxed; a statistic.
        self.wakes.fetch_add(1, Ordering::Relaxed);
    }

    /// Wake-ups issued so far.
    pub(crate) fn wakes(&self) -> u64 {
        // ordering: Relaxed; a statistic.
        self.wakes.load(Ordering::Relaxed)
    }

    /// Calls `ready` until it returns `Some` or `deadline` passes, sleeping
    /// in between after spinning as `policy` says.
    pub(crate) fn wait_until<R>(
        &self,
        policy: SpinPolicy,
        deadline: Option<Instant>,
        mut ready: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        match policy.spin(deadline, &mut ready) {
            Spun::Ready(r) => return Some(r),
            Spun::Expired => return None,
            Spun::Sleep => {}
        }
        loop {
            let Some(timeout) = time_left(deadline) else {
                return ready();
            };
            // ordering: Relaxed; the heavy barrier below orders this store
            // before our re-check (the store→load edge of the protocol).
            self.waiting.fetch_add(1, Ordering::Relaxed);
            // ordering: Acquire pairs with `wake_all`'s Release bump: a bump
            // we see here carries its notifier's publication.
            let epoch = self.epoch.load(Ordering::Acquire);
            barrier::heavy();
            let found = ready();
            let timed_out = found.is_none() && self.epoch.wait(epoch, timeout);
            // ordering: Relaxed; leaving only makes notifiers skip a wake.
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            if let Some(r) = found.or_else(&mut ready) {
                return Some(r);
            }
            if timed_out {
                return None;
            }
        }
    }

    /// One poll of a task waiting for `ready`. `counted` says whether the
    /// task is counted in `waiting`; it stays counted while it returns
    /// `Pending`, and the caller calls [`leave`](Self::leave) if it gives up.
    pub(crate) fn poll_wait<R>(
        &self,
        cx: &mut Context<'_>,
        counted: &mut bool,
        mut ready: impl FnMut() -> Option<R>,
    ) -> Poll<R> {
        if let Some(r) = ready() {
            self.leave(counted);
            return Poll::Ready(r);
        }
        {
            let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
            if !tasks.iter().any(|w| w.will_wake(cx.waker())) {
                tasks.push(cx.waker().clone());
            }
        }
        if !*counted {
            // ordering: Relaxed; ordered before the re-check by the heavy
            // barrier, as for threads.
            self.waiting.fetch_add(1, Ordering::Relaxed);
            *counted = true;
        }
        barrier::heavy();
        match ready() {
            Some(r) => {
                self.leave(counted);
                Poll::Ready(r)
            }
            None => Poll::Pending,
        }
    }

    /// Un-counts a task that stops waiting.
    pub(crate) fn leave(&self, counted: &mut bool) {
        if core::mem::take(counted) {
            // ordering: Relaxed; as for threads.
            self.waiting.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl fmt::Debug for WaitList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .field("wakes", &self.wakes())
            .finish_non_exhaustive()
    }
}
