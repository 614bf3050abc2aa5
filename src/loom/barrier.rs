//! The store→load barrier pair of the wake protocol.
//!
//! A waiter announces that it is about to sleep (a store), then re-checks the
//! rings (loads); a producer publishes an item (a store), then checks the
//! announcement (a load). Each side needs its store ordered before its load
//! or both can miss the other and the wake-up is lost (Dekker's pattern).
//!
//! - [`light`] is what the producer runs on every push; [`heavy`] is what the
//!   waiter runs once before it sleeps.
//! - With Linux's `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, [`heavy`]
//!   makes every running thread of the process execute a full memory barrier,
//!   so [`light`] only has to stop the compiler from reordering: the push path
//!   pays nothing. This is the asymmetric barrier of folly's
//!   `asymmetricHeavyBarrier` and of userspace RCU.
//! - Elsewhere (other systems, old kernels, Miri, or with
//!   `HANDOFF_NO_MEMBARRIER=1` in the environment) both sides run
//!   `fence(SeqCst)`.
//! - Under loom both are `fence(SeqCst)`, which loom models; the loom models
//!   fail when either is removed.

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

    pub(crate) fn heavy() {
        fence(SeqCst); // the waiter's side, modelled
    }

    pub(crate) fn asymmetric() -> bool {
        false
    }
}

#[cfg(all(not(loom), target_os = "linux", not(miri)))]
mod imp {
    use std::sync::atomic::{compiler_fence, fence, AtomicU8, Ordering};
    use std::sync::Once;

    use rustix::thread::{membarrier, membarrier_query, MembarrierCommand, MembarrierQuery};

    /// `FENCES` until `init` registers the process for expedited membarrier,
    /// then `MEMBARRIER` for good.
    static MODE: AtomicU8 = AtomicU8::new(FENCES);
    const FENCES: u8 = 0;
    const MEMBARRIER: u8 = 1;
    static INIT: Once = Once::new();

    /// Registers the process for expedited membarrier once, if the kernel has
    /// it. Called when a ring or a parker is made, so that steady-state pushes
    /// take the cheap path.
    pub(crate) fn init() {
        INIT.call_once(|| {
            if std::env::var_os("HANDOFF_NO_MEMBARRIER").is_some_and(|v| v != "0") {
                return;
            }
            let wanted = MembarrierQuery::PRIVATE_EXPEDITED;
            if membarrier_query().contains(wanted)
                && membarrier(MembarrierCommand::RegisterPrivateExpedited).is_ok()
            {
                // ordering: Release is not needed for memory (nothing is
                // published by the mode), but costs nothing here; a light
                // side that still reads FENCES fences, which is always safe.
                MODE.store(MEMBARRIER, Ordering::Release);
            }
        });
    }

    #[inline(always)]
    fn membarrier_on() -> bool {
        // ordering: Relaxed; the mode only ever goes from FENCES to
        // MEMBARRIER, and both readings are safe for the light side. For the
        // heavy side, reading MEMBARRIER means registration succeeded.
        MODE.load(Ordering::Relaxed) == MEMBARRIER
    }

    /// The producer's side: free with membarrier, a full fence without.
    /// Always `true`: go on and check for a sleeper.
    #[inline(always)]
    pub(crate) fn light() -> bool {
        if membarrier_on() {
            // The heavy side's membarrier orders our store before our load;
            // we only keep the compiler from swapping them.
            compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
        true
    }

    /// The waiter's side, run once before each sleep.
    pub(crate) fn heavy() {
        // Our own store→load order first: membarrier orders the *other*
        // threads, and the fence is noise next to the system call.
        fence(Ordering::SeqCst);
        if membarrier_on() && membarrier(MembarrierCommand::PrivateExpedited).is_err() {
            // Registered, so this cannot fail; if it ever did, no barrier
            // reached the other threads and we must not sleep on that.
            panic!("membarrier(PRIVATE_EXPEDITED) failed after registration");
        }
    }

    /// Whether the push path is barrier-free (membarrier in use).
    pub(crate) fn asymmetric() -> bool {
        membarrier_on()
    }
}

#[cfg(all(not(loom), not(all(target_os = "linux", not(miri)))))]
mod imp {
    use std::sync::atomic::{fence, Ordering::SeqCst};

    pub(crate) fn init() {}

    /// Always `true`: go on and check for a sleeper.
    #[inline(always)]
    pub(crate) fn light() -> bool {
        fence(SeqCst);
        true
    }

    pub(crate) fn heavy() {
        fence(SeqCst);
    }

    pub(crate) fn asymmetric() -> bool {
        false
    }
}

pub(crate) use imp::*;
