//! What the parking layer needs from the operating system, one concept per
//! file: the store→load [`barrier`] pair of the wake protocol, the
//! [`Futex`] word a thread sleeps on, and the [`EventFd`] an event loop
//! sleeps on.
//!
//! Each has a stand-in for the builds that cannot make the system call:
//! under loom a model the checker explores (loom's fence, mutex and
//! condition variable), under Miri and off Linux a portable fallback
//! (fences, `std`'s mutex and condition variable). The algorithm code in
//! `park` calls these and never asks which build it is.

pub(crate) mod barrier;
mod eventfd;
mod futex;

pub(crate) use eventfd::EventFd;
pub(crate) use futex::Futex;
