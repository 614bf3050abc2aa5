//! Why a frame was refused.

use core::fmt;
use std::io;

/// A frame was refused and is handed back, so nothing is lost.
///
/// ```
/// use handoff::write::{SubmitError, WriteConfig, WriteContext};
///
/// # fn main() -> Result<(), handoff::CapacityError> {
/// # struct Stalled;
/// # impl std::io::Write for Stalled {
/// #     fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
/// #         Err(std::io::ErrorKind::WouldBlock.into())
/// #     }
/// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// # }
/// // `Stalled` is a writer that always returns `WouldBlock`.
/// let ctx = WriteContext::with_config(Stalled, WriteConfig::new().max_pending_bytes(8))?;
/// ctx.submit(vec![0; 8]).unwrap(); // pending: the writer would block
/// let err = ctx.submit(vec![1; 4]).unwrap_err();
/// assert_eq!(err.to_string(), "write context is full: too many bytes pending");
/// assert_eq!(err.into_frame(), [1; 4]);
/// # Ok(())
/// # }
/// ```
pub enum SubmitError<F> {
    /// Back-pressure on bytes: the pending bytes would exceed
    /// [`WriteConfig::max_pending_bytes`](super::WriteConfig::max_pending_bytes).
    /// The connection is alive; the caller may retry later or drop the
    /// reply.
    Full(F),
    /// Back-pressure on frames: the frame queue holds
    /// [`WriteConfig::queue_capacity`](super::WriteConfig::queue_capacity)
    /// frames already (many small frames faster than the writer takes
    /// them). As for `Full`, retry later or drop the reply.
    QueueFull(F),
    /// The context was closed by an earlier I/O error; the frame was not
    /// queued.
    Closed {
        /// The frame, untouched.
        frame: F,
        /// The error that closed the context (a new `io::Error` of the same
        /// kind, whose source is the original).
        error: io::Error,
    },
}

impl<F> SubmitError<F> {
    /// Returns the frame that was not queued.
    pub fn into_frame(self) -> F {
        match self {
            Self::Full(frame) | Self::QueueFull(frame) | Self::Closed { frame, .. } => frame,
        }
    }

    /// Whether this is back-pressure ([`Full`](Self::Full) or
    /// [`QueueFull`](Self::QueueFull)): a later submit may succeed.
    ///
    /// ```
    /// use handoff::write::SubmitError;
    /// assert!(SubmitError::QueueFull(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_) | Self::QueueFull(_))
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::QueueFull(_) => f.write_str("QueueFull(..)"),
            Self::Closed { error, .. } => f
                .debug_struct("Closed")
                .field("error", error)
                .finish_non_exhaustive(),
        }
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("write context is full: too many bytes pending"),
            Self::QueueFull(_) => f.write_str("write context is full: too many frames queued"),
            Self::Closed { error, .. } => write!(f, "write context is closed: {error}"),
        }
    }
}

impl<F> std::error::Error for SubmitError<F> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Full(_) | Self::QueueFull(_) => None,
            Self::Closed { error, .. } => Some(error),
        }
    }
}

impl<F: PartialEq> PartialEq for SubmitError<F> {
    /// Equal when the variant and frame are; for `Closed`, also the error's
    /// kind.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Full(a), Self::Full(b)) | (Self::QueueFull(a), Self::QueueFull(b)) => a == b,
            (Self::Closed { frame: a, error: x }, Self::Closed { frame: b, error: y }) => {
                a == b && x.kind() == y.kind()
            }
            _ => false,
        }
    }
}
