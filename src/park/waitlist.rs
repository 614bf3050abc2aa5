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
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::policy::{time_left, Spun};
use super::SpinPolicy;
use crate::loom::{AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::sys::{barrier, Futex};

/// One waiting thread in `WaitList::waiting`.
const THREAD: usize = 1;
/// One waiting task in `WaitList::waiting`: the upper half of the word, so
/// that a notifier tells from one load whether it must take the lock.
const TASK: usize = 1 << (usize::BITS / 2);
/// The threads' half of `WaitList::waiting`.
const THREADS: usize = TASK - 1;

pub(crate) struct WaitList {
    /// How many waiters are announced: threads (counted in units of
    /// `THREAD`) between their announcement and their leaving, and tasks (in
    /// units of `TASK`) whose wakers are on `tasks` (the task half changes
    /// only under `tasks`' lock). Read on every notify: on its own line.
    ///
    /// Invariant: fewer than `TASK` threads and `TASK` tasks wait at once
    /// (2^32 each on 64-bit targets, 2^16 on 32-bit ones).
    waiting: CachePadded<AtomicUsize>,
    /// Bumped by every wake-up; sleeping threads wait for it to change.
    epoch: Futex,
    /// The wakers of pending tasks; taken whole by each wake-up. Only
    /// touched when a task waits, so that a notify with only threads
    /// waiting takes no lock and frees nothing (async-signal-safe).
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
    ///
    /// With only threads waiting this is a futex wake at most: no lock, no
    /// allocation, async-signal-safe. Waking tasks takes the wakers' lock
    /// and runs their `Waker`s, which is not.
    #[inline(always)]
    pub(crate) fn notify(&self) {
        if !barrier::light() {
            return;
        }
        // ordering: Relaxed; the barrier pair orders it after the caller's
        // publication (see the module docs).
        let waiting = self.waiting.load(Ordering::Relaxed);
        if waiting != 0 {
            self.wake_all(waiting);
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_all(&self, waiting: usize) {
        // Count before waking, so that a woken waiter that reads the
        // counter sees its own wake-up. ordering: Relaxed; a statistic.
        self.wakes.fetch_add(1, Ordering::Relaxed);
        // ordering: Release, so a waiter that reads the new epoch (Acquire)
        // also sees what our caller published before notifying.
        self.epoch.fetch_add(1, Ordering::Release);
        if waiting & THREADS != 0 {
            self.epoch.wake_all();
        }
        if waiting >= TASK {
            // A task pushes its waker under the lock before it counts
            // itself, and we read its count before we lock: so our lock
            // comes after its unlock (were it the other way round, our read
            // would happen before the increment it read), and the waker is
            // in the list. The mutex orders it; the count can be Relaxed.
            let tasks = {
                let mut list = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
                let tasks = core::mem::take(&mut *list);
                // ordering: Relaxed; under the lock that counted them.
                self.waiting
                    .fetch_sub(tasks.len() * TASK, Ordering::Relaxed);
                tasks
            };
            wake_each(tasks);
        }
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
            Spun::Now(r) | Spun::Ready(r, _) => return Some(r),
            Spun::Expired => return None,
            Spun::Sleep => {}
        }
        loop {
            let Some(timeout) = time_left(deadline) else {
                return ready();
            };
            // ordering: Relaxed; the heavy barrier below orders this store
            // before our re-check (the store→load edge of the protocol).
            let before = self.waiting.fetch_add(THREAD, Ordering::Relaxed);
            debug_assert!(before & THREADS < THREADS, "too many waiting threads");
            // ordering: Acquire pairs with `wake_all`'s Release bump: a bump
            // we see here carries its notifier's publication.
            let epoch = self.epoch.load(Ordering::Acquire);
            let reached = barrier::heavy();
            let found = ready();
            // A barrier that did not reach every thread: sleep a bounded
            // time (see `sys::barrier`).
            let sleep = if reached {
                timeout
            } else {
                Some(timeout.map_or(barrier::DEGRADED_SLEEP, |t| t.min(barrier::DEGRADED_SLEEP)))
            };
            let timed_out = found.is_none() && self.epoch.wait(epoch, sleep);
            // ordering: Relaxed; leaving only makes notifiers skip a wake.
            self.waiting.fetch_sub(THREAD, Ordering::Relaxed);
            if let Some(r) = found.or_else(&mut ready) {
                return Some(r);
            }
            if timed_out && sleep == timeout {
                return None;
            }
        }
    }

    /// One poll of a task waiting for `ready`: `Ready` with its value, or
    /// `Pending` with the task's waker on the list (once, however often it
    /// polls), to be woken by the next notify. Stateless: a task that stops
    /// polling leaves at most a stale waker behind, which the next wake-up
    /// takes (and wakes, spuriously).
    pub(crate) fn poll_wait<R>(
        &self,
        cx: &mut Context<'_>,
        mut ready: impl FnMut() -> Option<R>,
    ) -> Poll<R> {
        if let Some(r) = ready() {
            return Poll::Ready(r);
        }
        {
            let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
            if !tasks.iter().any(|w| w.will_wake(cx.waker())) {
                tasks.push(cx.waker().clone());
                // Counted while its waker is on the list; `wake_all` takes
                // the count off with the wakers, under the same lock.
                // ordering: Relaxed; the heavy barrier below orders it
                // before the re-check, as for threads, and the lock orders
                // the waker pushed above before a notifier that reads this
                // count (see `wake_all`).
                let before = self.waiting.fetch_add(TASK, Ordering::Relaxed);
                debug_assert!(before < usize::MAX - TASK, "too many waiting tasks");
            }
        }
        let reached = barrier::heavy();
        match ready() {
            Some(r) => Poll::Ready(r),
            None => {
                if !reached {
                    // A wake-up may be lost (see `sys::barrier`): be polled
                    // again soon instead.
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
        }
    }
}

/// Wakes every waker, also when one of them panics: the others are still
/// woken (none loses its wake-up), and the panic is contained here, so a
/// ring operation that notified still completes and returns its item.
/// A waker is executor code that should never panic; if one does, its
/// payload is disposed of without letting a panicking payload `Drop` out.
fn wake_each(tasks: Vec<Waker>) {
    for waker in tasks {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| waker.wake())) {
            crate::panic::dispose(payload);
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
