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
//! - `sys::barrier`'s mode and hand-over words: process-wide settings,
//!   final before any ring exists (loom models the barrier itself as a
//!   SeqCst fence).
//!
//! [`loom`]: https://docs.rs/loom

/// Whether the crate is being model-checked (built with `--cfg loom`), for
/// the few defaults that differ (spinning is pointless under loom).
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
    /// Exponential spinning after a lost race (a failed compare-and-swap).
    pub(crate) use crossbeam_utils::Backoff;
    pub(crate) use std::sync::atomic::{
        AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
    };
    pub(crate) use std::sync::{Arc, Mutex};
    pub(crate) use std::thread::{yield_now, Builder as ThreadBuilder, JoinHandle};
    pub(crate) use std::thread_local;

    /// The `Waker` slot of a parked task.
    #[derive(Debug, Default)]
    pub(crate) struct AtomicWaker(atomic_waker::AtomicWaker);

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
    #[derive(Debug)]
    #[repr(transparent)]
    pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        #[inline]
        pub(crate) const fn new(value: T) -> Self {
            Self(core::cell::UnsafeCell::new(value))
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
    #[inline]
    pub(crate) fn spin_loop() {
        core::hint::spin_loop();
    }
}

#[allow(unused_imports)]
pub(crate) use imp::*;
