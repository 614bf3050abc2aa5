//! Choosing the wake protocol's store→load barrier pair, process-wide (see
//! the module docs' *Which barrier*).

use core::fmt;

use crate::sys::barrier::{self, Refused};

/// Which store→load barrier pair the wake protocol uses: one choice for the
/// whole process, made before its first ring or parker.
///
/// | | a push or pop | a sleep |
/// |---|---|---|
/// | [`Asymmetric`](Self::Asymmetric) | no fence | one system call that interrupts every running thread of the process |
/// | [`Fences`](Self::Fences) | one full fence | one full fence |
///
/// `Asymmetric` is the default where the system has it (Linux's
/// `membarrier`, Windows's `FlushProcessWriteBuffers`): rings stay
/// fence-free while their consumers are busy, which is when speed matters.
/// `Fences` suits a process with many threads that each sleep often and
/// whose pushes are few (each sleep's barrier interrupts every running
/// thread, the host runtime's too; Linux also serialises them), or a
/// sandbox that forbids the system call. BENCHMARKS.md has the cost of a
/// sleep for 2 to 32 threads going idle at once, and of a push, under each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Barrier {
    /// The waiter pays a system call per sleep; pushes and pops pay nothing.
    Asymmetric,
    /// Both sides pay a full fence; sleeping costs no extra system call.
    Fences,
}

/// Why [`set_barrier`] refused.
///
/// ```
/// use handoff::park::{set_barrier, Barrier, BarrierError};
///
/// let _ = handoff::spsc::channel::<u8>(1); // the mode is settled now
/// match set_barrier(Barrier::Fences) {
///     Ok(()) => {} // it was settled as fences already
///     Err(BarrierError::AlreadySettled(current)) => assert_eq!(current, Barrier::Asymmetric),
///     Err(e) => panic!("{e}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BarrierError {
    /// The system has no asymmetric barrier (not Linux 4.14+ or Windows,
    /// or a sandbox forbids it, or under Miri or loom). The process uses
    /// fences.
    Unsupported,
    /// Too late: the mode was settled already, this way (a ring or parker
    /// exists, or an earlier choice).
    AlreadySettled(Barrier),
}

impl fmt::Display for BarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported => f.write_str("this system has no asymmetric barrier: fences are in use"),
            Self::AlreadySettled(current) => write!(
                f,
                "the wake barrier was settled already ({current:?}): choose it before the first ring or parker"
            ),
        }
    }
}

impl std::error::Error for BarrierError {}

/// Chooses the wake protocol's barrier for the whole process. Call it at
/// start-up, before any ring or parker exists (the first one settles the
/// mode, as [`barrier`] does); a later call that asks for the mode already
/// in use succeeds, one that asks for the other fails with
/// [`BarrierError::AlreadySettled`]. Asking for
/// [`Barrier::Asymmetric`] where the system has none settles fences and
/// fails with [`BarrierError::Unsupported`].
///
/// The `HANDOFF_NO_MEMBARRIER=1` environment variable, read when the mode
/// is settled without a choice, does the same as choosing
/// [`Barrier::Fences`].
///
/// ```
/// use handoff::park::{barrier, set_barrier, Barrier};
///
/// // At the top of `main`, before any ring exists:
/// if set_barrier(Barrier::Fences).is_ok() {
///     assert_eq!(barrier(), Barrier::Fences);
///     assert!(!handoff::park::fence_free_push());
/// }
/// ```
pub fn set_barrier(choice: Barrier) -> Result<(), BarrierError> {
    barrier::choose(choice == Barrier::Asymmetric).map_err(|refused| match refused {
        Refused::Unsupported => BarrierError::Unsupported,
        Refused::Settled { asymmetric } => BarrierError::AlreadySettled(if asymmetric {
            Barrier::Asymmetric
        } else {
            Barrier::Fences
        }),
    })
}

/// The barrier in use, settling it now (the default for this system) if
/// nothing has yet.
///
/// ```
/// use handoff::park::{barrier, Barrier};
/// let _ = handoff::spsc::channel::<u8>(1);
/// assert_eq!(barrier() == Barrier::Asymmetric, handoff::park::fence_free_push());
/// ```
pub fn barrier() -> Barrier {
    if barrier::asymmetric() {
        Barrier::Asymmetric
    } else {
        Barrier::Fences
    }
}
