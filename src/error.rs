//! Error types shared by the rings.
//!
//! Every error that refuses a value hands it back, implements
//! [`Display`](fmt::Display) and [`Error`](core::error::Error), and has a `Debug`
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

impl core::error::Error for CapacityError {}

/// A push was refused; the value is handed back, so nothing is lost.
///
/// Returned by [`spsc::Producer::push`](crate::spsc::Producer::push) and
/// [`mpsc::Producer::push`](crate::mpsc::Producer::push).
///
/// ```
/// use handoff::{spsc, PushError};
///
/// let (mut tx, rx) = spsc::channel(1);
/// tx.push(String::from("a")).unwrap();
/// let err = tx.push(String::from("b")).unwrap_err();
/// assert_eq!(err.to_string(), "ring is full");
/// assert_eq!(err.into_inner(), "b");
///
/// drop(rx);
/// let err = tx.push(String::from("c")).unwrap_err();
/// assert!(matches!(err, PushError::Closed(_)));
/// assert_eq!(err.to_string(), "ring is closed: its consumer is gone");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushError<T> {
    /// Every slot is occupied; the value was not pushed.
    Full(T),
    /// The consumer is gone, so nothing pushed would ever be read; the value
    /// was not pushed.
    Closed(T),
}

impl<T> PushError<T> {
    /// Returns the value that was not pushed.
    #[inline]
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(value) | Self::Closed(value) => value,
        }
    }

    /// Whether the push failed because the ring was full (it may succeed
    /// later), rather than closed (it never will).
    #[inline]
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }
}

impl<T> fmt::Debug for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("ring is full"),
            Self::Closed(_) => f.write_str("ring is closed: its consumer is gone"),
        }
    }
}

impl<T> core::error::Error for PushError<T> {}

/// Why [`mpsc::Consumer::try_pop`](crate::mpsc::Consumer::try_pop) returned
/// no item.
///
/// ```
/// use handoff::{mpsc, PopError};
///
/// let (tx, mut rx) = mpsc::channel::<u8>(4);
/// assert_eq!(rx.try_pop(), Err(PopError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_pop(), Err(PopError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopError {
    /// No item is in the ring and no push is under way.
    Empty,
    /// The next item's slot has been claimed by a producer that has not
    /// finished writing it: an item is coming, and no later item can be
    /// popped before it (the ring is FIFO).
    Pending,
    /// The ring is empty and every producer is gone: nothing more will come.
    Closed,
}

impl fmt::Display for PopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "ring is empty",
            Self::Pending => "ring's next item is still being written by its producer",
            Self::Closed => "ring is empty and closed: every producer is gone",
        })
    }
}

impl core::error::Error for PopError {}

/// A timed or deadline push gave up; the value is handed back.
///
/// Returned by the rings' `push_timeout` and `push_deadline`.
///
/// ```
/// use std::time::Duration;
/// use handoff::{spsc, PushTimeoutError};
///
/// let (mut tx, rx) = spsc::channel(1);
/// tx.push(1).unwrap();
/// let err = tx.push_timeout(2, Duration::from_millis(1)).unwrap_err();
/// assert_eq!(err, PushTimeoutError::Timeout(2));
/// assert_eq!(err.to_string(), "timed out waiting for room in the ring");
/// drop(rx);
/// assert_eq!(tx.push_timeout(3, Duration::from_secs(1)), Err(PushTimeoutError::Closed(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushTimeoutError<T> {
    /// The ring stayed full until the time was up.
    Timeout(T),
    /// The consumer is gone (or closed the ring).
    Closed(T),
}

impl<T> PushTimeoutError<T> {
    /// Returns the value that was not pushed.
    #[inline]
    pub fn into_inner(self) -> T {
        match self {
            Self::Timeout(value) | Self::Closed(value) => value,
        }
    }

    /// Whether the time ran out (a later push may succeed), rather than the
    /// ring being closed.
    #[inline]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }
}

impl<T> fmt::Debug for PushTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("Timeout(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for PushTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("timed out waiting for room in the ring"),
            Self::Closed(_) => f.write_str("ring is closed: its consumer is gone"),
        }
    }
}

impl<T> core::error::Error for PushTimeoutError<T> {}

/// A timed or deadline pop gave up.
///
/// Returned by the rings' `pop_timeout` and `pop_deadline`.
///
/// ```
/// use std::time::Duration;
/// use handoff::{mpsc, PopTimeoutError};
///
/// let (tx, mut rx) = mpsc::channel::<u8>(1);
/// assert_eq!(rx.pop_timeout(Duration::from_millis(1)), Err(PopTimeoutError::Timeout));
/// drop(tx);
/// assert_eq!(rx.pop_timeout(Duration::from_secs(1)), Err(PopTimeoutError::Closed));
/// assert_eq!(PopTimeoutError::Timeout.to_string(), "timed out waiting for an item");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopTimeoutError {
    /// No item arrived before the time was up (also when a push was under
    /// way: its item will be there for a later pop).
    Timeout,
    /// The ring is empty and every producer is gone: nothing more will come.
    Closed,
}

impl fmt::Display for PopTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Timeout => "timed out waiting for an item",
            Self::Closed => "ring is empty and closed: every producer is gone",
        })
    }
}

impl core::error::Error for PopTimeoutError {}

/// The other side of a ring is gone (or closed it): nothing sent will ever
/// be read, or nothing more will come.
///
/// The error of the poll-based calls that take no value, such as
/// [`spsc::Producer::poll_reserve`](crate::spsc::Producer::poll_reserve).
///
/// ```
/// assert_eq!(handoff::Closed.to_string(), "the other side of the ring is gone");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the other side of the ring is gone")
    }
}

impl core::error::Error for Closed {}
