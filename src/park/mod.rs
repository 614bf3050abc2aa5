//! Parking and waking: sleep on many rings at once, with no system call
//! while the waiter is awake.
//!
//! A [`Parker`] belongs to one waiter: a thread, an async task, or an event
//! loop that sleeps in `epoll`/`mio` on the parker's file descriptor. Its
//! [`Unparker`]s, and the rings it is registered with
//! ([`spsc::Consumer::register`](crate::spsc::Consumer::register),
//! [`mpsc::Consumer::register`](crate::mpsc::Consumer::register)), wake it.
//! The rings' own blocking and async operations (`pop_blocking`,
//! `push_timeout`, `pop_async`, …) are built on the same protocol.
//!
//! ```
//! use handoff::{park::Parker, spsc};
//!
//! // A worker with one inbound ring per network thread sleeps on all of them.
//! let mut parker = Parker::new();
//! let mut inbound = Vec::new();
//! let mut threads = Vec::new();
//! for n in 0..3u32 {
//!     let (mut tx, rx) = spsc::channel(64);
//!     rx.register(&parker.unparker()).unwrap();
//!     inbound.push(rx);
//!     threads.push(std::thread::spawn(move || {
//!         for i in 0..100 {
//!             tx.push_blocking(n * 1000 + i).unwrap();
//!         }
//!     }));
//! }
//! let mut total = 0;
//! while total < 300 {
//!     let v = parker.wait(|| inbound.iter_mut().find_map(|rx| rx.pop()));
//!     assert!(v % 1000 < 100);
//!     total += 1;
//! }
//! threads.into_iter().for_each(|t| t.join().unwrap());
//! ```
//!
//! # The protocol
//!
//! A waiter that found nothing to do *announces* that it sleeps (a store to
//! its parker's state word), runs the **heavy barrier**, checks its rings
//! once more, and only then sleeps. A producer *publishes* an item (a store
//! into the ring), runs the **light barrier**, and reads the state word; only
//! if the waiter is announced does it swap the word to "notified" and issue
//! the one wake-up (futex wake, `Waker::wake`, or an eventfd write). The two
//! barriers order each side's store before its load, so at least one side
//! sees the other: the producer sees the announcement and wakes the waiter,
//! or the waiter's re-check sees the item. Without them both can read the
//! old value and the wake-up is lost; the loom models fail exactly then.
//!
//! **Which barrier.** On Linux the heavy barrier is
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which makes every running
//! thread of the process execute a full memory barrier; the light barrier is
//! then only a compiler fence, and a push pays one read of a cache line that
//! nobody writes while the waiter is awake. Where membarrier is missing (other
//! systems, old kernels, Miri, or `HANDOFF_NO_MEMBARRIER=1` in the
//! environment) both sides use `fence(SeqCst)`: an `mfence` on every push.
//! The waiter pays the membarrier system call (a few microseconds of
//! inter-processor interrupts) once per sleep, never while it is busy.
//!
//! **Wake suppression.** A waiter that finds work while spinning never
//! announces itself, so producers make no system call at all. Once it
//! sleeps, the first producer to see the announcement takes it (a swap) and
//! makes the one system call; every later push sees "notified" and makes
//! none. So a busy consumer costs no system calls per message and an idle
//! one at most one wake per burst (plus its own sleep). [`Parker::stats`]
//! counts sleeps and wakes; the rings' `wake_stats` count, per ring, items
//! pushed and wake-ups issued.
//!
//! **Who sleeps where.** Each ring side wakes one parker for good, set by
//! `register` or, for a half that blocks on its own, by its first blocking
//! call; MPSC producers waiting for space share an event count instead (a
//! count of waiters and a futex epoch). On Linux a thread sleeps on a futex
//! and an event loop on an eventfd; elsewhere threads sleep on a mutex and
//! condition variable, and [`FdParker::new`] returns `Unsupported`.
//!
//! # Guarantees
//!
//! - **No lost wake-up**: a waiter whose condition becomes true (after the
//!   producer's notify) is woken, whichever mode it waits in.
//! - **Timeouts**: `*_timeout` calls return once the time is up, within the
//!   delay of the futex or condition-variable wait noticing it.
//! - **Closing wakes everyone**: dropping the last half on one side wakes
//!   every waiter on the other, which then sees `Closed`.
//! - **Async-signal safety**: [`Unparker::unpark`] (and so a ring `push`)
//!   makes at most a futex wake or an eventfd write, both async-signal-safe,
//!   when the waiter is a thread or an event loop. Waking an async task runs
//!   the executor's `Waker`, which is not.
//! - Waiting allocates nothing, except an async `mpsc` producer's `Waker`
//!   clone while the ring is full.
//! - **A failing barrier is not a lost wake-up.** If `membarrier` fails
//!   after the process registered for it (`-ENOMEM`, a seccomp filter
//!   installed later), nothing panics: the process switches to fences on
//!   both sides for good, and for the 100 ms hand-over every waiter sleeps
//!   at most 1 ms at a time (a task asks to be polled again, an event loop
//!   is told not to sleep), so a wake-up missed in the switch costs at most
//!   that millisecond.
//! - **A panicking `Waker`** (executor code) is contained in the wake-up
//!   that runs it: the push or pop completes and returns its item, and the
//!   other waiters are still woken.

mod attempt;
mod barrier;
mod fd;
mod own;
mod parker;
mod policy;
mod target;
mod unparker;
mod waitlist;

use core::fmt;

pub(crate) use attempt::{push_attempt, timed_pop, timed_push};
pub use barrier::{barrier, set_barrier, Barrier, BarrierError};
pub use fd::FdParker;
pub(crate) use own::OwnParker;
pub use parker::{ParkStats, Parker};
pub(crate) use policy::PolicyCell;
pub use policy::SpinPolicy;
pub(crate) use target::WakeTarget;
pub use unparker::Unparker;
pub(crate) use waitlist::WaitList;

/// Whether pushes run no fence for the wake protocol: `true` when the waiter
/// side uses Linux `membarrier` (the usual case on Linux 4.14 and later),
/// `false` when both sides use `fence(SeqCst)`. Decided once per process,
/// when the first ring or parker is made (or this is called).
///
/// ```
/// let _ = handoff::spsc::channel::<u8>(1);
/// if cfg!(all(target_os = "linux", not(miri))) {
///     // Unless the kernel lacks membarrier or HANDOFF_NO_MEMBARRIER is set.
///     println!("fence-free pushes: {}", handoff::park::fence_free_push());
/// } else {
///     assert!(!handoff::park::fence_free_push());
/// }
/// ```
pub fn fence_free_push() -> bool {
    crate::sys::barrier::init();
    crate::sys::barrier::asymmetric()
}

/// A ring half is already registered with a different [`Parker`]: each ring
/// side wakes one parker.
///
/// ```
/// use handoff::{park::{Parker, RegisterError}, spsc};
///
/// let (_tx, rx) = spsc::channel::<u8>(1);
/// let (a, b) = (Parker::new(), Parker::new());
/// rx.register(&a.unparker()).unwrap();
/// rx.register(&a.unparker()).unwrap(); // the same parker again is fine
/// assert_eq!(rx.register(&b.unparker()), Err(RegisterError));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisterError;

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this ring side already wakes a different parker")
    }
}

impl std::error::Error for RegisterError {}

/// What a ring side's notifications cost: see the rings' `wake_stats`.
///
/// ```
/// use std::time::Duration;
/// let (mut tx, mut rx) = handoff::spsc::channel(4);
/// for i in 0..3 {
///     tx.push(i).unwrap();
/// }
/// assert_eq!(rx.pop_timeout(Duration::from_secs(1)), Ok(0));
/// let stats = rx.wake_stats();
/// assert_eq!(stats.messages, 3);
/// assert_eq!(stats.wakes, 0); // nobody slept: no system call
/// assert_eq!(stats.suppressed(), 3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WakeStats {
    /// Items pushed into the ring so far.
    pub messages: u64,
    /// Wake-ups issued to the consumer's parker by pushes and closes.
    pub wakes: u64,
}

impl WakeStats {
    /// Messages whose push issued no wake-up.
    ///
    /// ```
    /// let s = handoff::park::WakeStats::default();
    /// assert_eq!(s.suppressed(), 0);
    /// ```
    pub fn suppressed(&self) -> u64 {
        self.messages.saturating_sub(self.wakes)
    }

    /// Wake-ups per message: 0 for a busy consumer, about 1 per burst for
    /// an idle one.
    ///
    /// ```
    /// let s = handoff::park::WakeStats::default();
    /// assert_eq!(s.wakes_per_message(), 0.0);
    /// ```
    pub fn wakes_per_message(&self) -> f64 {
        if self.messages == 0 {
            0.0
        } else {
            self.wakes as f64 / self.messages as f64
        }
    }
}
