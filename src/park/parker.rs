//! The waiting end ([`Parker`]).

use core::fmt;
use core::task::{Context, Poll};
use std::io;
use std::time::{Duration, Instant};

use super::policy::{time_left, Recent, Spun};
use super::unparker::{Inner, Unparker, EMPTY, NOTIFIED, PARKED_FD, PARKED_TASK, PARKED_THREAD};
use super::SpinPolicy;
use crate::loom::{Arc, Ordering};
use crate::sys::{barrier, EventFd};

/// The waiting end of the parking layer: one per waiting thread, task or
/// event loop. It sleeps until any of the rings (or other conditions) it
/// watches has work, and costs nothing to the producers while it is awake.
///
/// A `Parker` waits in one of three ways, all answering the same
/// [`Unparker`]:
///
/// - a thread: [`wait`](Self::wait), [`wait_timeout`](Self::wait_timeout)
///   (spin, then yield, then sleep on a futex on Linux, a condition variable
///   elsewhere);
/// - an async task: [`poll_wait`](Self::poll_wait) (the task's `Waker` is
///   woken);
/// - an event loop: an [`FdParker`](super::FdParker), this parker with a
///   descriptor that `epoll`, mio or tokio's `AsyncFd` sleep on (`arm`
///   before, `disarm` after).
///
/// Rings learn which parker to wake through
/// [`spsc::Consumer::register`](crate::spsc::Consumer::register) and
/// [`mpsc::Consumer::register`](crate::mpsc::Consumer::register); one parker
/// may be registered with any number of rings.
///
/// ```
/// use handoff::{park::Parker, spsc};
///
/// let mut parker = Parker::new();
/// let (mut tx_a, mut rx_a) = spsc::channel::<u32>(8);
/// let (mut tx_b, mut rx_b) = spsc::channel::<u32>(8);
/// rx_a.register(&parker.unparker()).unwrap();
/// rx_b.register(&parker.unparker()).unwrap();
///
/// let t = std::thread::spawn(move || {
///     tx_b.push(2).unwrap();
///     tx_a.push(1).unwrap();
/// });
/// let mut got = Vec::new();
/// while got.len() < 2 {
///     // Sleeps until a push to either ring.
///     let v = parker.wait(|| rx_a.pop().or_else(|| rx_b.pop()));
///     got.push(v);
/// }
/// t.join().unwrap();
/// got.sort();
/// assert_eq!(got, [1, 2]);
/// ```
pub struct Parker {
    pub(super) inner: Arc<Inner>,
    pub(super) policy: SpinPolicy,
    /// How its last waits ended, for an adaptive policy.
    recent: Recent,
}

/// What a [`Parker`] has done so far; see [`Parker::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParkStats {
    /// How many times the waiter went to sleep: futex waits, `Poll::Pending`
    /// returns, or armed event-loop sleeps. Each thread sleep is one system
    /// call.
    pub sleeps: u64,
    /// How many wake-ups were issued to it: futex wakes, `Waker` wakes or
    /// eventfd writes. Each futex wake or eventfd write is one system call.
    pub wakes: u64,
}

impl Default for Parker {
    fn default() -> Self {
        Self::new()
    }
}

impl Parker {
    /// A parker for a thread or a task, with the default [`SpinPolicy`].
    ///
    /// ```
    /// let parker = handoff::park::Parker::new();
    /// assert_eq!(parker.stats().sleeps, 0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner::new(None)),
            policy: SpinPolicy::default(),
            recent: Recent::default(),
        }
    }

    /// A parker that can also sleep in an event loop (see
    /// [`FdParker`](super::FdParker)).
    pub(crate) fn with_fd() -> io::Result<Self> {
        Ok(Self {
            inner: Arc::new(Inner::new(Some(EventFd::new()?))),
            policy: SpinPolicy::default(),
            recent: Recent::default(),
        })
    }

    /// Sets how long [`wait`](Self::wait) spins and yields before it sleeps.
    ///
    /// ```
    /// use handoff::park::{Parker, SpinPolicy};
    /// let parker = Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE);
    /// assert_eq!(parker.policy(), SpinPolicy::SLEEP_AT_ONCE);
    /// ```
    #[must_use]
    pub fn with_policy(mut self, policy: SpinPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The spin policy in use.
    ///
    /// ```
    /// use handoff::park::{Parker, SpinPolicy};
    /// assert_eq!(Parker::new().policy(), SpinPolicy::default());
    /// ```
    pub fn policy(&self) -> SpinPolicy {
        self.policy
    }

    /// A waking end for this parker; clone it freely.
    ///
    /// ```
    /// let parker = handoff::park::Parker::new();
    /// let unparker = parker.unparker();
    /// assert!(unparker.wakes(&parker));
    /// ```
    pub fn unparker(&self) -> Unparker {
        Unparker {
            inner: Arc::clone(&self.inner),
        }
    }

    /// How often this parker slept and was woken.
    ///
    /// ```
    /// let parker = handoff::park::Parker::new();
    /// let stats = parker.stats();
    /// assert_eq!((stats.sleeps, stats.wakes), (0, 0));
    /// ```
    pub fn stats(&self) -> ParkStats {
        ParkStats {
            // ordering: Relaxed; statistics.
            sleeps: self.inner.sleeps.load(Ordering::Relaxed),
            wakes: self.inner.wakes.load(Ordering::Relaxed),
        }
    }

    /// Calls `ready` until it returns `Some`, and returns that. Between
    /// calls it spins, then yields, then sleeps until an [`Unparker`] (a
    /// push to a registered ring) wakes it.
    ///
    /// `ready` must return `Some` once whatever the unparkers signal has
    /// happened (an item in a ring, a flag set): the parker calls it after
    /// announcing that it sleeps, so a wake-up cannot be lost between the
    /// check and the sleep. It may be called any number of times.
    ///
    /// ```
    /// use handoff::{park::Parker, spsc};
    ///
    /// let mut parker = Parker::new();
    /// let (mut tx, mut rx) = spsc::channel(4);
    /// rx.register(&parker.unparker()).unwrap();
    /// std::thread::spawn(move || tx.push("work").unwrap());
    /// assert_eq!(parker.wait(|| rx.pop()), "work");
    /// ```
    pub fn wait<R>(&mut self, mut ready: impl FnMut() -> Option<R>) -> R {
        loop {
            if let Some(r) = self.wait_until(None, &mut ready) {
                return r;
            }
        }
    }

    /// Like [`wait`](Self::wait), but gives up after `timeout`: returns
    /// `None` if `ready` still returns `None` then. Returns within the
    /// timeout plus the time a futex wait takes to notice it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut parker = handoff::park::Parker::new();
    /// let got: Option<()> = parker.wait_timeout(Duration::from_millis(1), || None);
    /// assert_eq!(got, None);
    /// ```
    pub fn wait_timeout<R>(
        &mut self,
        timeout: Duration,
        ready: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.wait_deadline(deadline, ready),
            None => Some(self.wait(ready)),
        }
    }

    /// Like [`wait`](Self::wait), but gives up at `deadline`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let mut parker = handoff::park::Parker::new();
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// assert_eq!(parker.wait_deadline(deadline, || None::<()>), None);
    /// assert!(Instant::now() >= deadline);
    /// ```
    pub fn wait_deadline<R>(
        &mut self,
        deadline: Instant,
        mut ready: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        self.wait_until(Some(deadline), &mut ready)
    }

    fn wait_until<R>(
        &mut self,
        deadline: Option<Instant>,
        ready: &mut impl FnMut() -> Option<R>,
    ) -> Option<R> {
        let adaptive = self.policy.is_adaptive();
        let policy = if !adaptive || self.recent.spins() {
            self.policy
        } else {
            SpinPolicy::SLEEP_AT_ONCE
        };
        match policy.spin(deadline, ready) {
            Spun::Now(r) => return Some(r),
            Spun::Ready(r, yielded_at) => {
                self.record_wait(adaptive, yielded_at);
                return Some(r);
            }
            Spun::Expired => return None,
            Spun::Sleep => {}
        }
        // The first sleep's start, for an adaptive policy's record (a clock
        // read beside a system call).
        let mut slept_at: Option<Instant> = None;
        loop {
            let Some(timeout) = time_left(deadline) else {
                return ready();
            };
            let bounded = match self.announce(PARKED_THREAD, ready) {
                Announced::Ready(r) => {
                    self.record_wait(adaptive, slept_at);
                    return Some(r);
                }
                Announced::Sleep { bounded } => bounded,
            };
            if adaptive && slept_at.is_none() {
                slept_at = Some(Instant::now());
            }
            self.count_sleep();
            let sleep = if bounded {
                Some(timeout.map_or(barrier::DEGRADED_SLEEP, |t| t.min(barrier::DEGRADED_SLEEP)))
            } else {
                timeout
            };
            let timed_out = self.inner.state.wait(PARKED_THREAD, sleep);
            self.clear();
            if let Some(r) = ready() {
                self.record_wait(adaptive, slept_at);
                return Some(r);
            }
            if timed_out && sleep == timeout {
                return None;
            }
            // A wake-up whose condition someone else consumed, a spurious
            // return, or a timeout: the loop re-checks the deadline.
        }
    }

    /// For an adaptive policy, records a wait that ended in success:
    /// short unless it slept or yielded (from `slept_at`) at least
    /// [`SHORT_SLEEP`](SpinPolicy::SHORT_SLEEP).
    fn record_wait(&mut self, adaptive: bool, slept_at: Option<Instant>) {
        if adaptive {
            let long = if crate::loom::MODEL_CHECKING {
                // loom replays interleavings: no decision may hang on the
                // clock. Any sleep counts as long there.
                slept_at.is_some()
            } else {
                slept_at.is_some_and(|t| t.elapsed() >= SpinPolicy::SHORT_SLEEP)
            };
            self.recent.record(!long);
        }
    }

    /// Whether the next [`wait`](Self::wait) spins before it sleeps (an
    /// adaptive policy may skip the spin).
    #[cfg(test)]
    pub(crate) fn spins_next(&self) -> bool {
        !self.policy.is_adaptive() || self.recent.spins()
    }

    /// Polls `ready` for an async task: `Poll::Ready` with its value, or
    /// `Poll::Pending` after arranging for `cx`'s waker to be woken by an
    /// [`Unparker`]. The same rules for `ready` as for
    /// [`wait`](Self::wait) apply.
    ///
    /// ```
    /// use std::future::{poll_fn, Future};
    /// use handoff::{park::Parker, spsc};
    ///
    /// async fn next(parker: &mut Parker, rx: &mut spsc::Consumer<u8>) -> u8 {
    ///     poll_fn(|cx| parker.poll_wait(cx, || rx.pop())).await
    /// }
    /// # let mut parker = Parker::new();
    /// # let (mut tx, mut rx) = spsc::channel(1);
    /// # rx.register(&parker.unparker()).unwrap();
    /// # tx.push(5).unwrap();
    /// # let mut fut = std::pin::pin!(next(&mut parker, &mut rx));
    /// # let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// # assert_eq!(fut.as_mut().poll(&mut cx), std::task::Poll::Ready(5));
    /// ```
    pub fn poll_wait<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut ready: impl FnMut() -> Option<R>,
    ) -> Poll<R> {
        self.clear();
        if let Some(r) = ready() {
            return Poll::Ready(r);
        }
        self.inner.waker.register(cx.waker());
        match self.announce(PARKED_TASK, &mut ready) {
            Announced::Ready(r) => return Poll::Ready(r),
            // The barrier did not reach every thread: a wake-up may be
            // lost, so have the task polled again soon instead.
            Announced::Sleep { bounded: true } => cx.waker().wake_by_ref(),
            Announced::Sleep { bounded: false } => {}
        }
        self.count_sleep();
        Poll::Pending
    }

    /// For an event loop: see [`FdParker::arm`](super::FdParker::arm).
    ///
    /// # Panics
    ///
    /// If the parker has no eventfd (not made by `Parker::with_fd`).
    pub(crate) fn arm(&mut self, mut has_work: impl FnMut() -> bool) -> bool {
        assert!(
            self.inner.fd.is_some(),
            "Parker::arm needs a parker with an eventfd"
        );
        // Forget an old announcement or wake-up first (an `arm` without a
        // `disarm`), so the descriptor is readable only for a wake-up of
        // this announcement.
        self.disarm();
        match self.announce(PARKED_FD, &mut || has_work().then_some(())) {
            Announced::Ready(()) => false,
            // The barrier did not reach every thread (see `sys::barrier`):
            // a wake-up may be lost, so the loop must look again instead of
            // sleeping.
            Announced::Sleep { bounded: true } => {
                self.clear();
                false
            }
            Announced::Sleep { bounded: false } => {
                self.count_sleep();
                true
            }
        }
    }

    /// Whether this parker has an eventfd.
    pub(crate) fn has_fd(&self) -> bool {
        self.inner.fd.is_some()
    }

    /// Ends an armed sleep: see [`FdParker::disarm`](super::FdParker::disarm).
    pub(crate) fn disarm(&mut self) {
        self.clear();
        if let Some(fd) = self.inner.fd.as_ref() {
            fd.drain();
        }
    }

    /// The eventfd, for a parker made by `Parker::with_fd`.
    #[cfg(target_os = "linux")]
    pub(crate) fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.inner.fd.as_ref().map(EventFd::as_fd)
    }

    /// Under loom, what `epoll_wait` on the descriptor does: returns once it
    /// is readable.
    #[cfg(loom)]
    pub(crate) fn wait_fd_readable(&self) {
        self.inner
            .fd
            .as_ref()
            .expect("a parker made by Parker::with_fd")
            .wait_readable();
    }

    /// The announcement: `mode` into the state, the heavy barrier, then one
    /// more `ready`. Returns its value (and withdraws the announcement) if
    /// it found one; otherwise the caller sleeps, for at most
    /// `barrier::DEGRADED_SLEEP` if the barrier did not reach every thread.
    fn announce<R>(&mut self, mode: u32, ready: &mut impl FnMut() -> Option<R>) -> Announced<R> {
        // ordering: Release publishes a registered `Waker` to the unparker
        // whose Acquire swap reads `mode`. The store→load order against
        // `ready`'s loads below is the heavy barrier's job.
        //
        // A swap, not a store: a stale `NOTIFIED` from an unparker that
        // raced our last wake-up must come before this announcement in the
        // word's modification order, or an unparker that runs after our
        // barrier could still read it and skip the wake. C++'s rules already
        // imply that order (a read-modify-write reads the latest value), but
        // loom models modification order only as far as a thread has seen
        // it, and finds the lost wake-up with a plain store.
        let old = self.inner.state.swap(mode, Ordering::Release);
        debug_assert!(old <= NOTIFIED, "announced twice (state {old})");
        let reached = barrier::heavy();
        match ready() {
            Some(r) => {
                self.clear();
                Announced::Ready(r)
            }
            None => Announced::Sleep { bounded: !reached },
        }
    }

    /// Back to awake, dropping any unanswered announcement or stale token.
    fn clear(&mut self) {
        // ordering: Acquire pairs with an unparker's Release swap; the
        // condition it made true is read through the rings' own Acquire
        // loads, so this is belt and braces.
        let old = self.inner.state.swap(EMPTY, Ordering::Acquire);
        debug_assert!(old <= PARKED_FD, "bad state {old}");
    }

    fn count_sleep(&self) {
        // ordering: Relaxed; a statistic only the waiter writes.
        let n = self.inner.sleeps.load(Ordering::Relaxed);
        self.inner.sleeps.store(n + 1, Ordering::Relaxed);
    }
}

impl Unparker {
    /// Whether this wakes `parker`.
    ///
    /// ```
    /// use handoff::park::Parker;
    /// let (a, b) = (Parker::new(), Parker::new());
    /// assert!(!a.unparker().wakes(&b));
    /// ```
    pub fn wakes(&self, parker: &Parker) -> bool {
        Arc::ptr_eq(&self.inner, &parker.inner)
    }
}

impl fmt::Debug for Parker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// What an announcement found.
enum Announced<R> {
    /// The condition held: the announcement is withdrawn.
    Ready(R),
    /// Nothing yet: sleep, for at most `barrier::DEGRADED_SLEEP` if
    /// `bounded` (the heavy barrier did not reach every thread).
    Sleep { bounded: bool },
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    use super::{Parker, SpinPolicy};

    /// A wait that sleeps long (its item comes 2 ms later).
    fn long_wait(parker: &mut Parker) {
        let flag = Arc::new(AtomicBool::new(false));
        let (f, unparker) = (Arc::clone(&flag), parker.unparker());
        let pusher = thread::spawn(move || {
            thread::sleep(Duration::from_millis(2));
            f.store(true, SeqCst);
            unparker.unpark();
        });
        parker.wait(|| flag.load(SeqCst).then_some(()));
        pusher.join().unwrap();
    }

    #[test]
    fn an_adaptive_parker_stops_spinning_after_long_waits_and_resumes_after_a_short_one() {
        let mut parker = Parker::new().with_policy(SpinPolicy::new(2, 1).adaptive());
        assert!(parker.spins_next(), "a new parker spins");
        // Four long waits in a row turn the spin off (a thread descheduled
        // past the 2 ms finds its item without sleeping, which counts as
        // short: retry a few times rather than rely on the schedule).
        let mut waits = 0;
        while parker.spins_next() {
            long_wait(&mut parker);
            waits += 1;
            assert!(waits <= 40, "still spinning after {waits} long waits");
        }
        assert!(waits >= 4, "stopped spinning after {waits} long waits");
        // A wait whose condition holds at its second check never sleeps:
        // short, so the spin comes back.
        let mut checks = 0;
        parker.wait(|| {
            checks += 1;
            (checks == 2).then_some(())
        });
        assert!(parker.spins_next(), "one short wait turns the spin back on");
        // A fixed policy always spins.
        let mut fixed = Parker::new().with_policy(SpinPolicy::new(2, 1));
        for _ in 0..4 {
            long_wait(&mut fixed);
        }
        assert!(fixed.spins_next());
    }
}
