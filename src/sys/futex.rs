//! A 32-bit atomic word a thread can sleep on until another thread changes
//! it: the Linux futex, a mutex and condition variable elsewhere (and under
//! Miri, which cannot follow rustix's futex call under strict provenance),
//! loom's mutex and condition variable under loom.
//!
//! `wait(expected, timeout)` sleeps only if the word still holds `expected`
//! (checked atomically with going to sleep), and may return early for any
//! reason (a wake, a signal, spuriously): callers re-check. It returns
//! `true` when the timeout expired.

use core::ops::Deref;
use std::time::Duration;

use crate::loom::AtomicU32;

/// The word and, where there is no futex, what sleeping on it takes.
#[derive(Debug)]
pub(crate) struct Futex {
    word: AtomicU32,
    #[cfg(any(loom, miri, not(target_os = "linux")))]
    sleepers: Sleepers,
}

impl Deref for Futex {
    type Target = AtomicU32;

    #[inline(always)]
    fn deref(&self) -> &AtomicU32 {
        &self.word
    }
}

#[cfg(all(not(loom), not(miri), target_os = "linux"))]
impl Futex {
    pub(crate) fn new(value: u32) -> Self {
        Self {
            word: AtomicU32::new(value),
        }
    }

    /// Sleeps while the word is `expected`, for at most `timeout`; `true` if
    /// the timeout expired.
    pub(crate) fn wait(&self, expected: u32, timeout: Option<Duration>) -> bool {
        use rustix::thread::futex;
        let timespec = timeout.map(|d| futex::Timespec {
            tv_sec: d.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: d.subsec_nanos().into(),
        });
        // EAGAIN (the word changed) and EINTR mean "return and let the
        // caller re-check"; ETIMEDOUT also that the time is up.
        let result = futex::wait(
            &self.word,
            futex::Flags::PRIVATE,
            expected,
            timespec.as_ref(),
        );
        result == Err(rustix::io::Errno::TIMEDOUT)
    }

    /// Wakes one thread sleeping on the word.
    pub(crate) fn wake_one(&self) {
        let _ = rustix::thread::futex::wake(&self.word, rustix::thread::futex::Flags::PRIVATE, 1);
    }

    /// Wakes every thread sleeping on the word.
    pub(crate) fn wake_all(&self) {
        let _ = rustix::thread::futex::wake(
            &self.word,
            rustix::thread::futex::Flags::PRIVATE,
            i32::MAX as u32,
        );
    }
}

#[cfg(any(loom, miri, not(target_os = "linux")))]
use imp_condvar::Sleepers;

/// A mutex and condition variable standing in for the kernel's futex queue.
/// Changing the word and waking take the mutex, so a waiter that checked the
/// word under the mutex cannot miss the wake.
#[cfg(any(loom, miri, not(target_os = "linux")))]
mod imp_condvar {
    #[cfg(loom)]
    pub(super) use loom::sync::{Condvar, Mutex};
    #[cfg(not(loom))]
    pub(super) use std::sync::{Condvar, Mutex};

    #[derive(Debug, Default)]
    pub(crate) struct Sleepers {
        pub(super) lock: Mutex<()>,
        pub(super) cond: Condvar,
    }
}

#[cfg(any(loom, miri, not(target_os = "linux")))]
impl Futex {
    pub(crate) fn new(value: u32) -> Self {
        Self {
            word: AtomicU32::new(value),
            sleepers: Sleepers::default(),
        }
    }

    /// Sleeps while the word is `expected`, for at most `timeout`; `true` if
    /// the timeout expired. Under loom a timed wait returns at once, timed
    /// out: loom has no clock.
    pub(crate) fn wait(&self, expected: u32, timeout: Option<Duration>) -> bool {
        let guard = self.sleepers.lock.lock().unwrap_or_else(|e| e.into_inner());
        // ordering: Relaxed; the mutex orders this check against a waker that
        // changes the word before taking the mutex to notify.
        if self.word.load(crate::loom::Ordering::Relaxed) != expected {
            return false;
        }
        match timeout {
            None => {
                drop(self.sleepers.cond.wait(guard));
                false
            }
            Some(_) if cfg!(loom) => true,
            Some(d) => match self.sleepers.cond.wait_timeout(guard, d) {
                Ok((_, result)) => result.timed_out(),
                Err(e) => e.into_inner().1.timed_out(),
            },
        }
    }

    /// Wakes one thread sleeping on the word.
    pub(crate) fn wake_one(&self) {
        let _guard = self.sleepers.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.sleepers.cond.notify_one();
    }

    /// Wakes every thread sleeping on the word.
    pub(crate) fn wake_all(&self) {
        let _guard = self.sleepers.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.sleepers.cond.notify_all();
    }
}
