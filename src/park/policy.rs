//! How long a waiter spins and yields before it sleeps.

use std::time::{Duration, Instant};

use crate::loom::{spin_loop, yield_now};

/// How long [`Parker::wait`](super::Parker::wait) (and the rings' blocking
/// operations) keep checking before they sleep: first `spin_steps` rounds of
/// CPU spin hints, doubling each round (1, 2, 4, … hints, as crossbeam's
/// `Backoff` does), then `yield_steps` rounds of giving the CPU to another
/// thread, then sleep.
///
/// Spinning buys latency with CPU time: a message that arrives while the
/// waiter spins is taken without any system call on either side. The
/// default spins 6 rounds (127 hints, about 1–4 µs on current x86) and
/// yields 4 times, which keeps an idle waiter's CPU use low while catching
/// bursts.
///
/// ```
/// use handoff::park::SpinPolicy;
///
/// let eager = SpinPolicy::new(10, 0); // spin longer, never yield
/// assert_eq!(eager.spin_steps(), 10);
/// assert_eq!(SpinPolicy::SLEEP_AT_ONCE.spin_steps(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpinPolicy {
    spin_steps: u32,
    yield_steps: u32,
}

impl SpinPolicy {
    /// Sleep as soon as the condition is false: no spinning, no yielding.
    pub const SLEEP_AT_ONCE: Self = Self::new(0, 0);

    /// The most spin steps allowed: 2^20 hints in the last round.
    pub const MAX_SPIN_STEPS: u32 = 20;

    /// A policy of `spin_steps` doubling rounds of spin hints, then
    /// `yield_steps` yields.
    ///
    /// # Panics
    ///
    /// If `spin_steps` exceeds [`MAX_SPIN_STEPS`](Self::MAX_SPIN_STEPS): a
    /// longer spin is a busy loop, and should be written as one.
    ///
    /// ```should_panic
    /// handoff::park::SpinPolicy::new(64, 0);
    /// ```
    #[track_caller]
    pub const fn new(spin_steps: u32, yield_steps: u32) -> Self {
        assert!(
            spin_steps <= Self::MAX_SPIN_STEPS,
            "SpinPolicy: spin_steps must be at most MAX_SPIN_STEPS (20)"
        );
        Self {
            spin_steps,
            yield_steps,
        }
    }

    /// Rounds of spinning before yielding.
    ///
    /// ```
    /// assert_eq!(handoff::park::SpinPolicy::default().spin_steps(), 6);
    /// ```
    pub const fn spin_steps(&self) -> u32 {
        self.spin_steps
    }

    /// Yields before sleeping.
    ///
    /// ```
    /// assert_eq!(handoff::park::SpinPolicy::default().yield_steps(), 4);
    /// ```
    pub const fn yield_steps(&self) -> u32 {
        self.yield_steps
    }

    /// The spin phase of a wait: checks `ready` before and after each pause.
    pub(crate) fn spin<R>(
        self,
        deadline: Option<Instant>,
        ready: &mut impl FnMut() -> Option<R>,
    ) -> Spun<R> {
        if let Some(r) = ready() {
            return Spun::Ready(r);
        }
        for step in self.steps() {
            step.pause();
            if let Some(r) = ready() {
                return Spun::Ready(r);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Spun::Expired;
            }
        }
        Spun::Sleep
    }

    /// The pauses between checks, in order.
    pub(crate) fn steps(self) -> impl Iterator<Item = Step> {
        let spins = (0..self.spin_steps).map(Step::Spin);
        spins.chain((0..self.yield_steps).map(|_| Step::Yield))
    }
}

impl Default for SpinPolicy {
    /// Six doubling spin rounds, then four yields, like crossbeam's
    /// `Backoff::snooze`.
    fn default() -> Self {
        if crate::loom::MODEL_CHECKING {
            // Each spin is a yield to loom: spinning only multiplies the
            // interleavings it explores, without finding anything new.
            Self::SLEEP_AT_ONCE
        } else {
            Self::new(6, 4)
        }
    }
}

/// One pause between two checks of a waiter's condition.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    /// `2^n` spin hints.
    Spin(u32),
    /// One `yield_now`.
    Yield,
}

impl Step {
    pub(crate) fn pause(self) {
        match self {
            Self::Spin(n) => {
                for _ in 0..1u32 << n {
                    spin_loop();
                }
            }
            Self::Yield => yield_now(),
        }
    }
}

/// How the spin phase of a wait ended.
pub(crate) enum Spun<R> {
    /// The condition held.
    Ready(R),
    /// The deadline passed.
    Expired,
    /// Neither: go to sleep.
    Sleep,
}

/// How long the next sleep of a wait may last: `Some(None)` without limit,
/// `Some(Some(d))` at most `d`, `None` if the deadline has passed.
pub(crate) fn time_left(deadline: Option<Instant>) -> Option<Option<Duration>> {
    match deadline {
        None => Some(None),
        Some(d) => match d.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Some(Some(left)),
            _ => None,
        },
    }
}

/// A [`SpinPolicy`] that handles shared by reference can change: the `mpsc`
/// producer's, whose pushes (and so its setter) take `&self`.
///
/// Plain `std` atomics even under loom (see `crate::loom`'s list): a tuning
/// knob, read with `Relaxed`; a reader racing a writer may see one field
/// old and one new, which is still a valid policy.
#[derive(Debug)]
pub(crate) struct PolicyCell {
    spin_steps: core::sync::atomic::AtomicU32,
    yield_steps: core::sync::atomic::AtomicU32,
}

impl Default for PolicyCell {
    fn default() -> Self {
        Self::new(SpinPolicy::default())
    }
}

impl Clone for PolicyCell {
    fn clone(&self) -> Self {
        Self::new(self.get())
    }
}

impl PolicyCell {
    pub(crate) fn new(policy: SpinPolicy) -> Self {
        Self {
            spin_steps: policy.spin_steps.into(),
            yield_steps: policy.yield_steps.into(),
        }
    }

    pub(crate) fn get(&self) -> SpinPolicy {
        use core::sync::atomic::Ordering::Relaxed;
        // ordering: Relaxed; see the type's docs.
        SpinPolicy::new(
            self.spin_steps.load(Relaxed),
            self.yield_steps.load(Relaxed),
        )
    }

    pub(crate) fn set(&self, policy: SpinPolicy) {
        use core::sync::atomic::Ordering::Relaxed;
        // ordering: Relaxed; see the type's docs.
        self.spin_steps.store(policy.spin_steps, Relaxed);
        self.yield_steps.store(policy.yield_steps, Relaxed);
    }
}
