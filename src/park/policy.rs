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
/// waiter spins is taken without any system call on either side. But when
/// messages come further apart than the spin lasts, the spin is pure cost,
/// and worse: a thread that spins and yields before it sleeps tends to be
/// woken on the other CPU, which is slower than waking one that slept at
/// once.
///
/// So the default [adapts](Self::adaptive): it spins 6 rounds (127 hints,
/// about 1–4 µs on current x86) and yields 4 times only while spinning
/// pays. A [`Parker`](super::Parker) remembers how its last four waits
/// ended: each that was satisfied without a sleep, or whose sleep was
/// shorter than [`SHORT_SLEEP`](Self::SHORT_SLEEP) (the message came about
/// when a spin would have caught it), counts for spinning. When none of
/// the four does, the next wait sleeps at once; one that does turns the
/// spin back on. At saturation every wait is short, so the waiter spins
/// and makes no system call; with messages 50 µs apart every wait sleeps
/// long, so the waiter sleeps at once; in bursts the first wait of a burst
/// sleeps and the rest spin, one wake-up per burst. A policy made with
/// [`new`](Self::new) is fixed: it spins the same before every sleep. (So
/// does an `mpsc` producer waiting for room: it has no parker to remember
/// with.)
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
    /// Whether a parker skips the spin while its recent waits say that
    /// spinning does not pay.
    adaptive: bool,
}

impl SpinPolicy {
    /// Sleep as soon as the condition is false: no spinning, no yielding.
    pub const SLEEP_AT_ONCE: Self = Self::new(0, 0);

    /// A sleep shorter than this counts, for an
    /// [adaptive](Self::adaptive) policy, as a wait a spin would have
    /// caught: about what a sleep and a wake-up cost together on current
    /// Linux, a few times the default spin.
    pub const SHORT_SLEEP: Duration = Duration::from_micros(15);

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
            adaptive: false,
        }
    }

    /// This policy, adapting: a parker spins as it says only while one of
    /// its last four waits was short (see the type's docs); otherwise it
    /// sleeps at once. The default policy is `SpinPolicy::new(6,
    /// 4).adaptive()`.
    ///
    /// ```
    /// use handoff::park::SpinPolicy;
    ///
    /// assert!(SpinPolicy::default().is_adaptive());
    /// assert!(!SpinPolicy::new(6, 4).is_adaptive());
    /// assert_eq!(SpinPolicy::new(3, 0).adaptive().spin_steps(), 3);
    /// ```
    #[must_use]
    pub const fn adaptive(mut self) -> Self {
        self.adaptive = true;
        self
    }

    /// Whether the policy adapts (see [`adaptive`](Self::adaptive)).
    ///
    /// ```
    /// assert!(!handoff::park::SpinPolicy::SLEEP_AT_ONCE.is_adaptive());
    /// ```
    pub const fn is_adaptive(&self) -> bool {
        self.adaptive
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
            return Spun::Now(r);
        }
        // When the yields began: a wait that ends after yielding may have
        // lasted long (other threads ran), which an adaptive parker needs
        // to know. One clock read, beside a system call.
        let mut yielded_at = None;
        for step in self.steps() {
            if let (Step::Yield, None) = (step, yielded_at) {
                yielded_at = Some(Instant::now());
            }
            step.pause();
            if let Some(r) = ready() {
                return Spun::Ready(r, yielded_at);
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
    /// `Backoff::snooze`, [adapting](Self::adaptive).
    fn default() -> Self {
        if crate::loom::MODEL_CHECKING {
            // Each spin is a yield to loom: spinning only multiplies the
            // interleavings it explores, without finding anything new.
            Self::SLEEP_AT_ONCE
        } else {
            Self::new(6, 4).adaptive()
        }
    }
}

/// The last four waits of an [adaptive](SpinPolicy::adaptive) parker: one
/// bit each, newest lowest, set when the wait was short.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Recent(u8);

impl Default for Recent {
    /// A new parker spins (as if its waits had been short).
    fn default() -> Self {
        Self(0b1111)
    }
}

impl Recent {
    /// The waits that count: the last four; the last one under loom, so
    /// that a model of a few waits meets both decisions.
    const WINDOW: u8 = if crate::loom::MODEL_CHECKING {
        0b1
    } else {
        0b1111
    };

    /// Whether the next wait should spin before it sleeps.
    pub(crate) fn spins(self) -> bool {
        self.0 & Self::WINDOW != 0
    }

    /// Records how a wait ended.
    pub(crate) fn record(&mut self, short: bool) {
        self.0 = (self.0 << 1) | u8::from(short);
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
    /// The condition held at the first check: no wait at all.
    Now(R),
    /// The condition held after some spinning or yielding; when the
    /// yielding began, if it did.
    Ready(R, Option<Instant>),
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
    adaptive: core::sync::atomic::AtomicBool,
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
            adaptive: policy.adaptive.into(),
        }
    }

    pub(crate) fn get(&self) -> SpinPolicy {
        use core::sync::atomic::Ordering::Relaxed;
        // ordering: Relaxed; see the type's docs.
        SpinPolicy {
            spin_steps: self.spin_steps.load(Relaxed),
            yield_steps: self.yield_steps.load(Relaxed),
            adaptive: self.adaptive.load(Relaxed),
        }
    }

    pub(crate) fn set(&self, policy: SpinPolicy) {
        use core::sync::atomic::Ordering::Relaxed;
        // ordering: Relaxed; see the type's docs.
        self.spin_steps.store(policy.spin_steps, Relaxed);
        self.yield_steps.store(policy.yield_steps, Relaxed);
        self.adaptive.store(policy.adaptive, Relaxed);
    }
}
