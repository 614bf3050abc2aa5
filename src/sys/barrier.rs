//! The store→load barrier pair of the wake protocol.
//!
//! A waiter announces that it is about to sleep (a store), then re-checks the
//! rings (loads); a producer publishes an item (a store), then checks the
//! announcement (a load). Each side needs its store ordered before its load
//! or both can miss the other and the wake-up is lost (Dekker's pattern).
//!
//! - [`light`] is what the producer runs on every push; [`heavy`] is what the
//!   waiter runs once before it sleeps.
//! - With an asymmetric barrier (Linux's
//!   `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, Windows's
//!   `FlushProcessWriteBuffers`), [`heavy`] makes every running thread of the
//!   process execute a full memory barrier, so [`light`] only has to stop
//!   the compiler from reordering: the push path pays nothing. This is the
//!   asymmetric barrier of folly's `asymmetricHeavyBarrier`, of userspace
//!   RCU and of .NET's runtime.
//! - Elsewhere (macOS and the BSDs, old kernels, Miri, when the program
//!   chose fences with `park::set_barrier`, or with
//!   `HANDOFF_NO_MEMBARRIER=1` in the environment) both sides run
//!   `fence(SeqCst)`.
//! - Under loom both are `fence(SeqCst)`, which loom models; the loom models
//!   fail when either is removed.
//!
//! # The mode, and how it is chosen
//!
//! One process-wide state word: `UNINIT`, then `BUSY` while one thread
//! registers the process for expedited membarrier, then `FENCES` or
//! `ASYMMETRIC` for good. A program may choose first ([`choose`], behind
//! `park::set_barrier`); otherwise every ring and parker calls [`init`] when it is
//! made, and `init` returns only once the mode is final, so every thread
//! that ever touches a ring sees the final mode (the ring reached it
//! through whatever handed it over, which orders it after `init`).
//!
//! `init` never blocks on a lock: a thread that finds another registering
//! waits a bounded time (yields, then 1 ms sleeps, [`INIT_PATIENCE`] in
//! all), then settles the mode as `FENCES` itself. That matters after
//! `fork()`: a child forked while a thread of the parent was registering
//! has no such thread, and must not wait for it forever (a `std::sync::Once`
//! would). The registering thread, if it is merely slow, then finds the
//! mode settled and leaves it; both sides fencing is always correct.
//!
//! # When the system's barrier fails
//!
//! It should not, but it can: `-ENOMEM` on kernels built with
//! `CPUMASK_OFFSTACK`, or a seccomp filter installed after the process
//! registered. Then no barrier reached the other threads, and sleeping on
//! that could lose a wake-up. [`heavy`] then hands the process over to
//! fences for good (the mode becomes `FENCES`, so every later push fences)
//! and reports the barrier as *not reached*; callers then sleep at most
//! [`DEGRADED_SLEEP`] and look again, never indefinitely. A push that read
//! the old mode just before the switch skipped its fence; its store→load
//! window lasts as long as a store sits in the CPU's store buffer
//! (nanoseconds, microseconds at worst, and a context switch drains it), so
//! `heavy` keeps reporting "not reached" for a [`HANDOVER`] of 100 ms after
//! the switch, far beyond any such window. After that both sides fence and
//! the protocol is the symmetric one. Nothing panics and nothing waits
//! without a bound.

use std::time::Duration;

/// How long a waiter whose barrier did not reach every thread sleeps at
/// most before it looks again.
pub(crate) const DEGRADED_SLEEP: Duration = Duration::from_millis(1);

/// How long after a failed membarrier [`heavy`] keeps reporting that its
/// barrier did not reach every thread (see the module docs).
#[allow(dead_code)] // only the Linux build switches modes
pub(crate) const HANDOVER: Duration = Duration::from_millis(100);

/// How long [`init`] waits for another thread's registration before it
/// settles the mode as fences.
#[allow(dead_code)] // only the Linux build registers
pub(crate) const INIT_PATIENCE: Duration = Duration::from_secs(1);

#[cfg(loom)]
mod imp {
    use loom::sync::atomic::{fence, Ordering::SeqCst};

    pub(crate) fn init() {}

    /// Whether the wake protocol is modelled: yes, unless the environment
    /// has `HANDOFF_LOOM_WAKE=off`.
    ///
    /// loom models a SeqCst fence as a global acquire-release (C++'s SC
    /// fences create no happens-before at all), so a fence on every push
    /// and pop would hide a weakened Release/Acquire of the rings from the
    /// ring models, and the protocol's extra loads multiply their
    /// interleavings. Those models register no parker, so the protocol has
    /// nothing to do in them: they turn it off, and loom checks the rings'
    /// own orderings alone. The parking models keep it.
    fn modelled() -> bool {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| std::env::var_os("HANDOFF_LOOM_WAKE").is_none_or(|v| v != "off"))
    }

    /// Returns whether the caller goes on to check for a sleeper (always,
    /// outside the ring models).
    #[inline(always)]
    pub(crate) fn light() -> bool {
        if !modelled() {
            return false;
        }
        fence(SeqCst); // the producer's side, modelled
        true
    }

    #[must_use = "a waiter whose barrier did not reach every thread must not sleep without a bound"]
    pub(crate) fn heavy() -> bool {
        fence(SeqCst); // the waiter's side, modelled
        true
    }

    pub(crate) fn asymmetric() -> bool {
        false
    }

    /// Under loom the pair is always modelled as fences.
    pub(crate) fn choose(asymmetric: bool) -> Result<(), super::Refused> {
        if asymmetric {
            Err(super::Refused::Unsupported)
        } else {
            Ok(())
        }
    }
}

/// The operating system's asymmetric barrier: Linux's
/// `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` (after registering the
/// process), Windows's `FlushProcessWriteBuffers`. Each runs a full memory
/// barrier on every thread of the process that is running.
#[cfg(all(not(loom), not(miri), target_os = "linux"))]
mod os {
    use rustix::thread::{membarrier, membarrier_query, MembarrierCommand, MembarrierQuery};

    /// Whether the barrier can be used from now on.
    pub(super) fn register() -> bool {
        membarrier_query().contains(MembarrierQuery::PRIVATE_EXPEDITED)
            && membarrier(MembarrierCommand::RegisterPrivateExpedited).is_ok()
    }

    /// One barrier; `false` if it did not run (it then reached nobody).
    pub(super) fn barrier() -> bool {
        membarrier(MembarrierCommand::PrivateExpedited).is_ok()
    }

    /// The monotonic clock in nanoseconds (no `Instant` base to initialise,
    /// so nothing here can block).
    pub(super) fn now_ns() -> u64 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        (t.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(t.tv_nsec as u64)
    }
}

#[cfg(all(not(loom), not(miri), windows))]
mod os {
    /// Always there (Windows Vista and later): nothing to register.
    pub(super) fn register() -> bool {
        true
    }

    /// One barrier. `FlushProcessWriteBuffers` cannot fail: it interrupts
    /// every processor running a thread of the process.
    pub(super) fn barrier() -> bool {
        // SAFETY: a system call with no arguments and no preconditions.
        unsafe { windows_sys::Win32::System::Threading::FlushProcessWriteBuffers() };
        true
    }

    /// A monotonic clock in nanoseconds, from `Instant` (on Windows it has
    /// no lazily initialised base to block on).
    pub(super) fn now_ns() -> u64 {
        use std::sync::OnceLock;
        use std::time::Instant;
        static BASE: OnceLock<Instant> = OnceLock::new();
        BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

#[cfg(all(not(loom), not(miri), any(target_os = "linux", windows)))]
mod imp {
    use std::sync::atomic::{compiler_fence, fence, AtomicU64, AtomicU8, Ordering};
    use std::time::Duration;

    use super::os;
    use super::{Refused, HANDOVER, INIT_PATIENCE};

    /// The process-wide mode: see the module docs. Goes `UNINIT` → `BUSY`
    /// → `FENCES` or `ASYMMETRIC` in `init` (or `choose`); later only
    /// `ASYMMETRIC` → `FENCES`, when the system's barrier fails (`heavy`).
    static STATE: AtomicU8 = AtomicU8::new(UNINIT);
    pub(crate) const UNINIT: u8 = 0;
    pub(crate) const BUSY: u8 = 1;
    pub(crate) const FENCES: u8 = 2;
    pub(crate) const ASYMMETRIC: u8 = 3;

    /// 0, or the monotonic clock (ns) at which the hand-over that followed
    /// a failed barrier ends.
    static HANDOVER_UNTIL: AtomicU64 = AtomicU64::new(0);

    /// Tests make the next barriers fail, as a seccomp filter would.
    #[cfg(test)]
    pub(crate) static FAIL_BARRIER: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);

    /// Settles the mode (see the module docs) if `choose` has not: the
    /// asymmetric barrier if the system has it and the environment does not
    /// say `HANDOFF_NO_MEMBARRIER`. Called when a ring or a parker is made;
    /// returns once the mode is final.
    pub(crate) fn init() {
        settle(&STATE, INIT_PATIENCE, || {
            let off = std::env::var_os("HANDOFF_NO_MEMBARRIER").is_some_and(|v| v != "0");
            if !off && os::register() {
                ASYMMETRIC
            } else {
                FENCES
            }
        });
    }

    /// Settles the mode as the caller chooses, or says why not: it was
    /// settled the other way already (a ring or parker exists, or an earlier
    /// choice), or the system has no asymmetric barrier.
    pub(crate) fn choose(asymmetric: bool) -> Result<(), Refused> {
        let mut unsupported = false;
        settle(&STATE, INIT_PATIENCE, || {
            if !asymmetric {
                FENCES
            } else if os::register() {
                ASYMMETRIC
            } else {
                unsupported = true;
                FENCES
            }
        });
        if unsupported {
            return Err(Refused::Unsupported);
        }
        // ordering: Acquire, as in `settle`.
        let now = STATE.load(Ordering::Acquire) == ASYMMETRIC;
        if now == asymmetric {
            Ok(())
        } else {
            Err(Refused::Settled { asymmetric: now })
        }
    }

    /// Moves `state` from `UNINIT` to what `register` says, or, if another
    /// thread is registering, waits for it at most `patience` and then
    /// settles `state` as `FENCES` itself (that thread may be one a `fork`
    /// left behind in the parent). Never blocks on a lock.
    pub(crate) fn settle(state: &AtomicU8, patience: Duration, register: impl FnOnce() -> u8) {
        // ordering: Acquire pairs with the Release that settled the mode.
        if state.load(Ordering::Acquire) >= FENCES {
            return;
        }
        // ordering: Acquire, as above, when another thread settled it.
        if state
            .compare_exchange(UNINIT, BUSY, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
        {
            let mode = register();
            // ordering: Release for the threads that wait for it (Acquire).
            // Fails only if a waiter ran out of patience and settled the
            // mode as FENCES: that stays (registration is harmless).
            let _ = state.compare_exchange(BUSY, mode, Ordering::Release, Ordering::Relaxed);
            return;
        }
        let start = os::now_ns();
        let patience = patience.as_nanos() as u64;
        let mut round = 0u32;
        // ordering: Acquire, as above.
        while state.load(Ordering::Acquire) == BUSY {
            if os::now_ns().saturating_sub(start) > patience {
                // ordering: AcqRel; Acquire if the registrant won the race.
                let _ = state.compare_exchange(BUSY, FENCES, Ordering::AcqRel, Ordering::Acquire);
                return;
            }
            if round < 64 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_millis(1));
            }
            round += 1;
        }
    }

    #[inline(always)]
    fn asymmetric_on() -> bool {
        // ordering: Relaxed; the mode is final before any ring exists (see
        // the module docs), except for the switch to FENCES after a
        // failure, whose hand-over `heavy` covers.
        STATE.load(Ordering::Relaxed) == ASYMMETRIC
    }

    /// The producer's side: free with the asymmetric barrier, a full fence
    /// without. Always `true`: go on and check for a sleeper.
    #[inline(always)]
    pub(crate) fn light() -> bool {
        if asymmetric_on() {
            // The heavy side's barrier orders our store before our load; we
            // only keep the compiler from swapping them.
            compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
        true
    }

    /// The waiter's side, run once before each sleep. Returns whether the
    /// barrier reached every thread; if not, the caller must not sleep
    /// longer than `DEGRADED_SLEEP` before it looks again.
    #[must_use = "a waiter whose barrier did not reach every thread must not sleep without a bound"]
    pub(crate) fn heavy() -> bool {
        // Our own store→load order first: the system call orders the
        // *other* threads, and the fence is noise next to it.
        fence(Ordering::SeqCst);
        if !asymmetric_on() {
            return !in_handover();
        }
        if barrier_works() {
            return true;
        }
        hand_over_to_fences();
        false
    }

    fn barrier_works() -> bool {
        #[cfg(test)]
        if FAIL_BARRIER.load(Ordering::Relaxed) {
            return false;
        }
        os::barrier()
    }

    /// The barrier failed: every push fences from now on, and waiters bound
    /// their sleeps until the hand-over ends (see the module docs).
    #[cold]
    fn hand_over_to_fences() {
        let until = os::now_ns()
            .saturating_add(HANDOVER.as_nanos() as u64)
            .max(1);
        // ordering: Relaxed; a deadline that only lengthens bounded sleeps.
        // The first failure sets it; later ones may push it out.
        HANDOVER_UNTIL.fetch_max(until, Ordering::Relaxed);
        // ordering: SeqCst; from here on, a push that reads the mode fences.
        STATE.store(FENCES, Ordering::SeqCst);
    }

    /// Whether a hand-over to fences is still under way.
    #[inline]
    fn in_handover() -> bool {
        // ordering: Relaxed; see `hand_over_to_fences`.
        let until = HANDOVER_UNTIL.load(Ordering::Relaxed);
        until != 0 && os::now_ns() < until
    }

    /// Whether the push path is barrier-free (the asymmetric barrier in
    /// use).
    pub(crate) fn asymmetric() -> bool {
        init();
        asymmetric_on()
    }
}

#[cfg(all(not(loom), any(miri, not(any(target_os = "linux", windows)))))]
mod imp {
    use std::sync::atomic::{fence, Ordering::SeqCst};

    pub(crate) fn init() {}

    /// Always `true`: go on and check for a sleeper.
    #[inline(always)]
    pub(crate) fn light() -> bool {
        fence(SeqCst);
        true
    }

    #[must_use = "a waiter whose barrier did not reach every thread must not sleep without a bound"]
    pub(crate) fn heavy() -> bool {
        fence(SeqCst);
        true
    }

    pub(crate) fn asymmetric() -> bool {
        false
    }

    /// Only fences here (no asymmetric barrier on this system, or Miri).
    pub(crate) fn choose(asymmetric: bool) -> Result<(), super::Refused> {
        if asymmetric {
            Err(super::Refused::Unsupported)
        } else {
            Ok(())
        }
    }
}

/// Why a barrier choice was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    any(loom, miri, not(any(target_os = "linux", windows))),
    allow(dead_code)
)]
pub(crate) enum Refused {
    /// The system has no asymmetric barrier.
    Unsupported,
    /// The mode was settled already, the other way.
    Settled { asymmetric: bool },
}

pub(crate) use imp::*;

#[cfg(all(test, not(loom), target_os = "linux", not(miri)))]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use super::imp::FAIL_BARRIER;
    use super::*;

    /// A child forked while a thread of the parent was registering finds
    /// the mode `BUSY` for good: its first ring waits a bounded time, then
    /// settles for fences, instead of waiting forever as it would behind a
    /// `std::sync::Once`.
    #[test]
    fn a_registration_nobody_finishes_is_waited_for_a_bounded_time() {
        use std::sync::atomic::AtomicU8;

        use super::imp::{settle, ASYMMETRIC, BUSY, FENCES, UNINIT};

        let left_behind = AtomicU8::new(BUSY);
        let start = Instant::now();
        settle(&left_behind, Duration::from_millis(50), || unreachable!());
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(left_behind.load(Ordering::SeqCst), FENCES);

        // A slow registrant that finds the mode settled leaves it.
        let slow = std::sync::Arc::new(AtomicU8::new(UNINIT));
        let registrant = {
            let slow = std::sync::Arc::clone(&slow);
            std::thread::spawn(move || {
                settle(&slow, Duration::from_secs(1), || {
                    std::thread::sleep(Duration::from_millis(100));
                    ASYMMETRIC
                })
            })
        };
        while slow.load(Ordering::SeqCst) == UNINIT {
            std::thread::yield_now();
        }
        settle(&slow, Duration::from_millis(10), || unreachable!());
        registrant.join().unwrap();
        assert_eq!(
            slow.load(Ordering::SeqCst),
            FENCES,
            "settled once, for good"
        );

        // And the usual case: the registrant finishes, the waiter takes its mode.
        let usual = std::sync::Arc::new(AtomicU8::new(UNINIT));
        let registrant = {
            let usual = std::sync::Arc::clone(&usual);
            std::thread::spawn(move || {
                settle(&usual, Duration::from_secs(1), || {
                    std::thread::sleep(Duration::from_millis(10));
                    ASYMMETRIC
                })
            })
        };
        while usual.load(Ordering::SeqCst) == UNINIT {
            std::thread::yield_now();
        }
        settle(&usual, Duration::from_secs(5), || unreachable!());
        assert_eq!(usual.load(Ordering::SeqCst), ASYMMETRIC);
        registrant.join().unwrap();
    }

    /// A membarrier that fails after registration (a seccomp filter, an
    /// `-ENOMEM`) neither panics nor lets a waiter sleep on it without a
    /// bound: the process hands over to fences, waiters sleep at most
    /// `DEGRADED_SLEEP` during the hand-over, and afterwards both sides
    /// fence. Wake-ups still arrive throughout. (This switches the test
    /// process to fences for good; every other test is correct either way.)
    #[test]
    fn a_failing_membarrier_hands_over_to_fences() {
        init();
        if !asymmetric() {
            eprintln!("membarrier is not in use here: nothing to hand over");
            return;
        }
        let (mut tx, mut rx) = crate::spsc::channel::<u32>(4);
        FAIL_BARRIER.store(true, Ordering::Relaxed);
        let start = Instant::now();
        assert!(!heavy(), "a failed membarrier must not count as a barrier");
        assert!(!asymmetric(), "pushes must fence after a failure");
        assert!(!heavy(), "still handing over");
        // A blocking pop across the hand-over: the producer's pushes wake it
        // (or the bounded sleeps find them).
        let producer = std::thread::spawn(move || {
            for i in 0..50 {
                std::thread::sleep(Duration::from_millis(3));
                tx.push_blocking(i).unwrap();
            }
        });
        for i in 0..50 {
            assert_eq!(rx.pop_blocking(), Some(i));
        }
        producer.join().unwrap();
        while start.elapsed() < HANDOVER + Duration::from_millis(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            heavy(),
            "after the hand-over both sides fence: a full barrier pair"
        );
        assert!(!asymmetric());
    }
}
