//! The one place that chooses between `std` and [`loom`] primitives.
//!
//! Algorithm code imports atomics, `Arc`, `UnsafeCell` and spin hints from
//! here and never mentions `cfg(loom)` itself. Building with
//! `RUSTFLAGS="--cfg loom"` swaps every item for loom's model-checked
//! stand-in, so a downstream runtime's own loom tests also explore our
//! internals. The operating system's part (barriers, futex, eventfd) is in
//! `crate::sys`, which has its own loom stand-ins.
//!
//! The `std` half offers loom's `UnsafeCell` API (`with` / `with_mut`), which
//! compiles down to a plain pointer access.
//!
//! # Deliberately not modelled
//!
//! These stay `std` even under loom, because loom has nothing to find in
//! them:
//!
//! - the signal table's id counter (`signal::table`): a `Relaxed` counter
//!   that only tells tables apart, never orders memory;
//! - the worker's request-context cells (`worker::handler::ContextCell`):
//!   written and read by one thread (the executor's); the atomics only
//!   make them `Sync`;
//! - the worker's statistics (`worker::reply::StatsCell`): `Relaxed`
//!   counters read for reporting;
//! - the `mpsc` producer's spin policy (`park::PolicyCell`): a tuning knob
//!   read with `Relaxed`;
//! - `sys::barrier`'s mode and hand-over words: process-wide settings,
//!   final before any ring exists (loom models the barrier itself as a
//!   SeqCst fence).
//!
//! [`loom`]: https://docs.rs/loom

/// Whether the crate is being model-checked (built with `--cfg loom`), for
/// the few defaults that differ (spinning is pointless under loom).
#[cfg(feature = "std")]
pub(crate) const MODEL_CHECKING: bool = cfg!(loom);

#[cfg(loom)]
mod imp {
    pub(crate) use ::loom::cell::UnsafeCell;
    pub(crate) use ::loom::sync::atomic::{
        AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
    };
    pub(crate) use ::loom::sync::{Arc, Mutex};
    pub(crate) use ::loom::thread::{yield_now, Builder as ThreadBuilder, JoinHandle};
    /// Loom runs every model thread on one OS thread: its thread-locals are
    /// per model thread, std's would be shared.
    pub(crate) use ::loom::thread_local;

    /// The `Waker` slot of a parked task: loom's model of atomic-waker.
    #[derive(Debug, Default)]
    pub(crate) struct AtomicWaker(::loom::future::AtomicWaker);

    impl AtomicWaker {
        pub(crate) fn register(&self, waker: &core::task::Waker) {
            self.0.register_by_ref(waker);
        }

        pub(crate) fn wake(&self) {
            self.0.wake();
        }
    }

    /// Backs off after a lost race (a failed compare-and-swap). Under loom it
    /// yields, so that the model checker schedules the winner.
    #[derive(Debug, Default)]
    pub(crate) struct Backoff;

    impl Backoff {
        pub(crate) fn new() -> Self {
            Self
        }

        pub(crate) fn spin(&self) {
            ::loom::thread::yield_now();
        }
    }

    /// Called in a spin loop. Under loom, spinning must yield so that the
    /// model checker can schedule the thread we are waiting for.
    #[inline]
    pub(crate) fn spin_loop() {
        ::loom::thread::yield_now();
    }
}

#[cfg(not(loom))]
mod imp {
    pub(crate) use alloc::sync::Arc;
    /// Exponential spinning after a lost race (a failed compare-and-swap).
    pub(crate) use crossbeam_utils::Backoff;
    // 64-bit atomics only where the target has them (not on the 32-bit
    // embedded targets the rings also build for): only `std` code uses them.
    #[cfg(all(feature = "std", target_has_atomic = "64"))]
    pub(crate) use core::sync::atomic::AtomicU64;
    pub(crate) use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    #[cfg(feature = "std")]
    pub(crate) use core::sync::atomic::{AtomicPtr, AtomicU32};
    #[cfg(feature = "std")]
    pub(crate) use std::sync::Mutex;
    #[cfg(feature = "std")]
    pub(crate) use std::thread::{yield_now, Builder as ThreadBuilder, JoinHandle};
    #[cfg(feature = "std")]
    pub(crate) use std::thread_local;

    /// The `Waker` slot of a parked task.
    #[cfg(feature = "std")]
    #[derive(Debug, Default)]
    pub(crate) struct AtomicWaker(atomic_waker::AtomicWaker);

    #[cfg(feature = "std")]
    impl AtomicWaker {
        #[inline]
        pub(crate) fn register(&self, waker: &core::task::Waker) {
            self.0.register(waker);
        }

        #[inline]
        pub(crate) fn wake(&self) {
            self.0.wake();
        }
    }

    /// `core::cell::UnsafeCell` with loom's closure-based API.
    /// `repr(transparent)`: laid out as a `T`, so a slice of cells can be
    /// copied into or out of as a slice of `T` (the rings' batch copies).
    #[derive(Debug)]
    #[repr(transparent)]
    pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        #[inline]
        pub(crate) const fn new(value: T) -> Self {
            Self(core::cell::UnsafeCell::new(value))
        }

        /// A mutable raw pointer to the contents of the cell `this` points
        /// to, as `core::cell::UnsafeCell::raw_get`.
        #[inline(always)]
        pub(crate) const fn raw_get(this: *const Self) -> *mut T {
            core::cell::UnsafeCell::raw_get(this.cast())
        }

        /// Runs `f` with a shared raw pointer to the contents.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a mutable raw pointer to the contents.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// Called in a spin loop: a CPU spin hint.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn spin_loop() {
        core::hint::spin_loop();
    }
}

#[allow(unused_imports)]
pub(crate) use imp::*;
