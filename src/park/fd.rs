//! The parker an event loop sleeps on: [`FdParker`], a [`Parker`] with a
//! file descriptor (an eventfd) that a registered ring's push makes
//! readable.

use core::fmt;
use core::ops::{Deref, DerefMut};
use std::io;

use super::Parker;

/// A [`Parker`] that can also sleep in an event loop (`epoll`, `mio`,
/// tokio's `AsyncFd`, …): its descriptor (`std::os::fd::AsFd`)
/// becomes readable when a registered ring has work, after an
/// [`arm`](Self::arm). Linux only (an eventfd); elsewhere [`new`](Self::new)
/// returns an [`Unsupported`](io::ErrorKind::Unsupported) error.
///
/// It is a [`Parker`] too (it dereferences to one), so the same waiter can
/// also wait as a thread or a task. Only this type has a descriptor: a
/// plain `Parker` cannot be put in an event loop by mistake.
///
/// In tokio, hand it to `AsyncFd::register_with_interest(parker,
/// Interest::READABLE)`: that is sound, since an `FdParker` owns its eventfd
/// until it is dropped and `AsRawFd::as_raw_fd`
/// always returns it. In mio, register `SourceFd(&parker.as_raw_fd())` for
/// `Interest::READABLE`. Either way: [`arm`](Self::arm), await or poll
/// readiness, [`disarm`](Self::disarm), take the work
/// (`tests/event_loops.rs` does both).
///
/// This is also the mode for async runtimes whose `Waker`s must not be woken
/// from another thread (monoio without its `sync` feature, some
/// thread-per-core designs): a push from another thread then writes to the
/// eventfd, which the runtime's own reactor watches, instead of waking a
/// task's `Waker` there.
///
/// A plain `Parker` has no descriptor and cannot be armed:
///
/// ```compile_fail
/// use std::os::fd::AsRawFd;
/// let parker = handoff::park::Parker::new();
/// parker.as_raw_fd(); // only an FdParker has one
/// ```
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// use std::os::fd::AsRawFd;
/// use handoff::{park::FdParker, spsc};
///
/// let mut parker = FdParker::new()?;
/// assert!(parker.as_raw_fd() >= 0);
/// let (mut tx, mut rx) = spsc::channel(4);
/// rx.register(&parker.unparker()).unwrap();
/// assert!(parker.arm(|| !rx.is_empty())); // nothing yet: sleep in epoll
/// tx.push(1).unwrap(); // makes the descriptor readable
/// // ... epoll_wait returns ...
/// parker.disarm();
/// assert_eq!(rx.pop(), Some(1));
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct FdParker {
    parker: Parker,
}

impl FdParker {
    /// A parker with an eventfd.
    ///
    /// # Errors
    ///
    /// [`Unsupported`](io::ErrorKind::Unsupported) off Linux; the system's
    /// error if it refuses an eventfd (too many open files, …).
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            parker: Parker::with_fd()?,
        })
    }

    /// For an event loop: announces that the caller is about to sleep until
    /// this parker's descriptor is readable, then checks `has_work` once
    /// more. Returns `true` if the caller may sleep (the next wake-up makes
    /// the descriptor readable), `false` if `has_work` found work (do it and
    /// call `arm` again later). Call [`disarm`](Self::disarm) when the loop
    /// wakes, whatever woke it.
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// let mut parker = handoff::park::FdParker::new()?;
    /// assert!(!parker.arm(|| true)); // work found: don't sleep
    /// assert!(parker.arm(|| false)); // nothing: sleep until readable
    /// parker.disarm();
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn arm(&mut self, has_work: impl FnMut() -> bool) -> bool {
        self.parker.arm(has_work)
    }

    /// Ends an [`arm`](Self::arm)ed sleep: makes the descriptor unreadable
    /// and the parker awake again. Harmless when not armed.
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// let mut parker = handoff::park::FdParker::new()?;
    /// parker.disarm();
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn disarm(&mut self) {
        self.parker.disarm();
    }

    /// Under loom, what `epoll_wait` on the descriptor does: returns once it
    /// is readable.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn wait_fd_readable(&self) {
        self.parker.wait_fd_readable();
    }
}

impl Deref for FdParker {
    type Target = Parker;

    fn deref(&self) -> &Parker {
        &self.parker
    }
}

impl DerefMut for FdParker {
    fn deref_mut(&mut self) -> &mut Parker {
        &mut self.parker
    }
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
impl std::os::fd::AsFd for FdParker {
    /// The eventfd: readable while an armed sleep has been woken.
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.parker.fd().expect("an FdParker has an eventfd")
    }
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
impl std::os::fd::AsRawFd for FdParker {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsFd::as_fd(self).as_raw_fd()
    }
}

impl fmt::Debug for FdParker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FdParker").field(&self.parker).finish()
    }
}
