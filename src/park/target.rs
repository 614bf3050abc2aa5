//! A ring's link to the one parker that waits on it.

use core::fmt;
use core::ptr;

use super::unparker::Inner;
use super::{RegisterError, Unparker};
use crate::loom::{Arc, AtomicPtr, AtomicU64, Ordering};
use crate::sys::barrier;

/// Where a ring finds the parker to wake: null until a parker registers,
/// then that parker for good.
pub(crate) struct WakeTarget {
    /// Null, or a pointer from `Arc::into_raw` of the registered parker's
    /// `Inner`. Invariant: goes from null to non-null once (by
    /// compare-and-swap in `register`) and never changes again; the target
    /// owns that strong count and gives it back in `Drop`, so the pointer is
    /// valid for as long as the target is.
    target: AtomicPtr<Inner>,
    /// Wake-ups issued through this target. Written only on the slow path,
    /// next to a system call, so sharing `target`'s cache line costs nothing
    /// that matters; keeping `target` next to the ring's closed flags (which
    /// every push reads) is what saves a cache miss per push.
    wakes: AtomicU64,
}

impl WakeTarget {
    pub(crate) fn new() -> Self {
        barrier::init();
        Self {
            target: AtomicPtr::new(ptr::null_mut()),
            wakes: AtomicU64::new(0),
        }
    }

    /// Registers `unparker`'s parker, unless another one is registered.
    pub(crate) fn register(&self, unparker: &Unparker) -> Result<(), RegisterError> {
        let new = Arc::into_raw(Arc::clone(&unparker.inner)).cast_mut();
        // ordering: Release publishes the parker's initialised `Inner` to
        // notifiers that load the pointer with Acquire; Acquire on failure
        // for the comparison with the registered one.
        match self.target.compare_exchange(
            ptr::null_mut(),
            new,
            Ordering::Release,
            Ordering::Acquire,
        ) {
            Ok(_) => Ok(()),
            Err(old) => {
                // SAFETY: `new` came from `Arc::into_raw` above and was not
                // stored, so we still own that count.
                drop(unsafe { Arc::from_raw(new) });
                if ptr::eq(old, Arc::as_ptr(&unparker.inner)) {
                    Ok(())
                } else {
                    Err(RegisterError)
                }
            }
        }
    }

    /// Wakes the registered parker if it sleeps. The caller has just made
    /// the parker's condition true (published an item, a free slot, or a
    /// close). No system call unless the parker really sleeps.
    #[inline(always)]
    pub(crate) fn notify(&self) {
        if !barrier::light() {
            return;
        }
        // ordering: Acquire pairs with `register`'s Release, so the `Inner`
        // behind the pointer is initialised. Whether we see the pointer at
        // all is the barrier pair's business: a parker registers before it
        // announces a sleep.
        let target = self.target.load(Ordering::Acquire);
        if target.is_null() {
            return;
        }
        // SAFETY: non-null means registered, and the target keeps the `Inner`
        // alive while `self` is borrowed (field invariant).
        let inner = unsafe { &*target };
        if inner.is_parked() {
            self.wake(inner);
        }
    }

    #[cold]
    #[inline(never)]
    fn wake(&self, inner: &Inner) {
        inner.wake(Some(&self.wakes));
    }

    /// Wake-ups issued through this target so far.
    pub(crate) fn wakes(&self) -> u64 {
        // ordering: Relaxed; a statistic.
        self.wakes.load(Ordering::Relaxed)
    }
}

impl Drop for WakeTarget {
    fn drop(&mut self) {
        // ordering: Relaxed; `&mut self` means every other user is gone
        // (the ring's `Arc` synchronised with them).
        let target = self.target.load(Ordering::Relaxed);
        if !target.is_null() {
            // SAFETY: a non-null target holds the strong count `register`
            // leaked into it (field invariant); nobody can load it any more.
            drop(unsafe { Arc::from_raw(target.cast_const()) });
        }
    }
}

impl fmt::Debug for WakeTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakeTarget")
            .field(
                "registered",
                &!self.target.load(Ordering::Relaxed).is_null(),
            )
            .field("wakes", &self.wakes())
            .finish()
    }
}
