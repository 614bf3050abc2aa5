//! The word a waiter and its wakers share, and the waking end
//! ([`Unparker`]).

use core::fmt;

use crossbeam_utils::CachePadded;

use crate::loom::{Arc, AtomicU64, AtomicWaker, Ordering};
use crate::sys::{barrier, EventFd, Futex};

/// The waiter is awake (or has not said otherwise since it last woke).
pub(super) const EMPTY: u32 = 0;
/// An unparker saw the waiter announced and took the wake-up on itself.
pub(super) const NOTIFIED: u32 = 1;
/// Announced: about to sleep on the futex word itself.
pub(super) const PARKED_THREAD: u32 = 2;
/// Announced: about to return `Poll::Pending` with a registered `Waker`.
pub(super) const PARKED_TASK: u32 = 3;
/// Announced: about to sleep in an event loop on the eventfd.
pub(super) const PARKED_FD: u32 = 4;

/// What a [`Parker`](super::Parker) and its [`Unparker`]s share.
pub(crate) struct Inner {
    /// `EMPTY`, `NOTIFIED` or one of the `PARKED_*` values.
    ///
    /// Invariant: only the waiter stores `EMPTY` or `PARKED_*`; an unparker
    /// only swaps in `NOTIFIED`, and issues the wake-up (futex wake, `Waker`
    /// wake, eventfd write) exactly when its swap returns a `PARKED_*` value,
    /// so each announcement gets at most one wake-up. Read on every push
    /// while the waiter is awake, written only around sleeps: on its own
    /// cache line, which stays shared between the cores while nobody sleeps.
    pub(super) state: CachePadded<Futex>,
    /// The task to wake when `state` is `PARKED_TASK`.
    pub(super) waker: AtomicWaker,
    /// The descriptor to make readable when `state` is `PARKED_FD`; `Some`
    /// exactly for [`FdParker`](super::FdParker)s.
    pub(super) fd: Option<EventFd>,
    /// How many times the waiter went to sleep. Written only by the waiter.
    pub(super) sleeps: AtomicU64,
    /// How many wake-ups unparkers issued.
    pub(super) wakes: AtomicU64,
}

impl Inner {
    pub(super) fn new(fd: Option<EventFd>) -> Self {
        barrier::init();
        Self {
            state: CachePadded::new(Futex::new(EMPTY)),
            waker: AtomicWaker::default(),
            fd,
            sleeps: AtomicU64::new(0),
            wakes: AtomicU64::new(0),
        }
    }

    /// Whether the waiter has announced a sleep that nobody has answered.
    /// The caller has made its condition true and run `barrier::light`.
    #[inline(always)]
    pub(crate) fn is_parked(&self) -> bool {
        // ordering: Relaxed; the barrier pair, not this load, orders it after
        // the caller's publication (see the module's protocol).
        self.state.load(Ordering::Relaxed) >= PARKED_THREAD
    }

    /// Wakes the waiter if it is still announced; returns whether this call
    /// issued the wake-up. `also` is another counter of issued wake-ups (a
    /// ring's). Async-signal-safe unless the waiter is a task (waking a
    /// `Waker` runs the executor's code).
    #[cold]
    #[inline(never)]
    pub(crate) fn wake(&self, also: Option<&AtomicU64>) -> bool {
        // ordering: Acquire pairs with the waiter's Release announcement, so
        // the `Waker` it registered before announcing is the one we wake;
        // Release is for the waiter's Acquire when it clears the state.
        let old = self.state.swap(NOTIFIED, Ordering::AcqRel);
        if old < PARKED_THREAD {
            debug_assert!(old == EMPTY || old == NOTIFIED, "bad state {old}");
            return false;
        }
        // Count before waking, so that a woken waiter that reads the
        // counters sees its own wake-up. ordering: Relaxed; statistics.
        self.wakes.fetch_add(1, Ordering::Relaxed);
        if let Some(counter) = also {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        match old {
            PARKED_THREAD => self.state.wake_one(),
            // A panicking `Waker` is executor code gone wrong; contained
            // here, so the push or pop that notified still completes and
            // returns its item.
            PARKED_TASK => crate::panic::contain(|| self.waker.wake()),
            _ => {
                debug_assert_eq!(old, PARKED_FD, "bad state {old}");
                let fd = self.fd.as_ref();
                debug_assert!(fd.is_some(), "PARKED_FD announced without an eventfd");
                if let Some(fd) = fd {
                    fd.notify();
                }
            }
        }
        true
    }
}

/// The waking end of a [`Parker`](super::Parker): `Clone`, `Send` and `Sync`, held by
/// whoever may have work for the waiter. Rings hold one once registered.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use handoff::park::Parker;
///
/// let mut parker = Parker::new();
/// let unparker = parker.unparker();
/// let stop = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&stop);
/// let t = std::thread::spawn(move || {
///     flag.store(true, Ordering::Release);
///     unparker.unpark(); // after making the condition true
/// });
/// parker.wait(|| stop.load(Ordering::Acquire).then_some(()));
/// t.join().unwrap();
/// ```
#[derive(Clone)]
pub struct Unparker {
    pub(crate) inner: Arc<Inner>,
}

impl Unparker {
    /// Wakes the parker if it sleeps (or is about to); otherwise does
    /// nothing and costs no system call. Call it after making true whatever
    /// the parker's `ready` checks.
    ///
    /// Async-signal-safe when the parker waits as a thread or an event loop
    /// (a futex wake or an eventfd write at most), not when it waits as a
    /// task (waking a `Waker` runs the executor's code).
    ///
    /// ```
    /// let parker = handoff::park::Parker::new();
    /// parker.unparker().unpark(); // nobody sleeps: nothing happens
    /// assert_eq!(parker.stats().wakes, 0);
    /// ```
    #[inline]
    pub fn unpark(&self) {
        if !barrier::light() {
            return;
        }
        if self.inner.is_parked() {
            self.inner.wake(None);
        }
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.load(Ordering::Relaxed) {
            EMPTY => "awake",
            NOTIFIED => "notified",
            PARKED_THREAD => "parked (thread)",
            PARKED_TASK => "parked (task)",
            _ => "parked (fd)",
        };
        f.debug_struct("Parker")
            .field("state", &state)
            .field("fd", &self.fd.is_some())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Unparker").field(&self.inner).finish()
    }
}
