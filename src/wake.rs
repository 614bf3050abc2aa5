//! What the rings need from the parking layer, in one place, so that they
//! build without it: with the `std` feature these are `park`'s types; without
//! it (`no_std`), stand-ins that do nothing, since nothing can wait there.

#[cfg(feature = "std")]
pub(crate) use crate::park::{OwnParker, PolicyCell, WaitList, WakeTarget};

#[cfg(not(feature = "std"))]
pub(crate) use stand_in::{OwnParker, PolicyCell, WaitList, WakeTarget};

#[cfg(not(feature = "std"))]
mod stand_in {
    /// No parker can register without `std`: notifying is a no-op.
    #[derive(Debug)]
    pub(crate) struct WakeTarget;

    impl WakeTarget {
        pub(crate) const fn new() -> Self {
            Self
        }

        #[inline(always)]
        pub(crate) fn notify(&self) {}
    }

    /// No producer can wait without `std`: notifying is a no-op.
    #[derive(Debug)]
    pub(crate) struct WaitList;

    impl WaitList {
        pub(crate) const fn new() -> Self {
            Self
        }

        #[inline(always)]
        pub(crate) fn notify(&self) {}
    }

    /// A ring half's own parker: nothing without `std`.
    #[derive(Debug, Default)]
    pub(crate) struct OwnParker(());

    /// The `mpsc` producer's spin policy: nothing without `std`.
    #[derive(Debug, Default, Clone)]
    pub(crate) struct PolicyCell(());
}
