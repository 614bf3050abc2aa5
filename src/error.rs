//! Error types shared by the rings.
//!
//! Every error that refuses a value hands it back, implements
//! [`Display`](fmt::Display) and [`std::error::Error`], and has a `Debug`
//! that does not require `T: Debug`.

use core::fmt;

/// A ring could not be built with the requested capacity.
///
/// Returned by [`spsc::try_channel`](crate::spsc::try_channel);
/// [`spsc::channel`](crate::spsc::channel) panics with this error's message
/// instead.
///
/// ```
/// use handoff::{spsc, CapacityError};
///
/// assert_eq!(spsc::try_channel::<u8>(0).unwrap_err(), CapacityError::Zero);
/// assert!(matches!(
///     spsc::try_channel::<u64>(usize::MAX / 2).unwrap_err(),
///     CapacityError::TooLarge { .. }
/// ));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityError {
    /// A capacity of zero was requested; a ring must hold at least one item.
    Zero,
    /// The ring's memory would overflow the address space or could not be
    /// allocated.
    TooLarge {
        /// The capacity that was requested.
        requested: usize,
    },
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zero => f.write_str("ring capacity must be at least 1, got 0"),
            Self::TooLarge { requested } => write!(
                f,
                "ring capacity {requested} is too large: its memory overflows or cannot be allocated"
            ),
        }
    }
}

impl std::error::Error for CapacityError {}

/// [`spsc::Producer::push`](crate::spsc::Producer::push) found the ring full.
///
/// The value is handed back, so nothing is lost:
///
/// ```
/// use handoff::{spsc, PushError};
///
/// let (mut tx, _rx) = spsc::channel(1);
/// tx.push(String::from("a")).unwrap();
/// let err = tx.push(String::from("b")).unwrap_err();
/// assert_eq!(err.to_string(), "ring is full");
/// assert_eq!(err.into_inner(), "b");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushError<T> {
    /// Every slot is occupied; the value was not pushed.
    Full(T),
}

impl<T> PushError<T> {
    /// Returns the value that was not pushed.
    #[inline]
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(value) => value,
        }
    }
}

impl<T> fmt::Debug for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
        }
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("ring is full"),
        }
    }
}

impl<T> std::error::Error for PushError<T> {}
