//! What a write context is configured with and what it reports.

use core::fmt;
use std::io;

/// How a [`WriteContext`](super::WriteContext) bounds what waits to be
/// written.
///
/// ```
/// use handoff::write::WriteConfig;
///
/// let config = WriteConfig::new().queue_capacity(64).max_pending_bytes(256 << 10);
/// assert_eq!(config.queue_capacity, 64);
/// assert_eq!(config.max_pending_bytes, 256 << 10);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteConfig {
    /// How many frames the queue holds. Up to 256 more may sit popped and
    /// partly written in the holder's batch. Default 256. The queue takes
    /// `8 + size_of::<F>()` bytes a frame (8 KiB for `Vec<u8>` frames by
    /// default), allocated once, when the context is made.
    pub queue_capacity: usize,
    /// The back-pressure bound: a frame is refused with
    /// [`SubmitError::Full`] when the bytes accepted and not yet written
    /// would exceed this. A frame is always accepted when nothing is pending,
    /// however large, so that a frame larger than the bound can still be
    /// sent. Default 4 MiB.
    pub max_pending_bytes: usize,
}

impl Default for WriteConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl WriteConfig {
    /// The defaults: a queue of 256 frames, at most 4 MiB pending.
    pub const fn new() -> Self {
        Self {
            queue_capacity: 256,
            max_pending_bytes: 4 << 20,
        }
    }

    /// Sets [`queue_capacity`](Self::queue_capacity).
    pub const fn queue_capacity(mut self, frames: usize) -> Self {
        self.queue_capacity = frames;
        self
    }

    /// Sets [`max_pending_bytes`](Self::max_pending_bytes).
    pub const fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.max_pending_bytes = bytes;
        self
    }
}

/// What became of an accepted frame, or of an
/// [`on_writable`](super::WriteContext::on_writable) call.
///
/// ```
/// use handoff::write::{Status, WriteContext};
///
/// let ctx = WriteContext::new(Vec::new());
/// assert_eq!(ctx.submit(b"hello".to_vec()), Ok(Status::Written));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// This call held the context and wrote everything that was queued,
    /// the frame included, then released it.
    Written,
    /// The frame is queued, and somebody else is responsible for it: another
    /// thread holds the context and will write it before it lets go, the
    /// context is waiting for writability that an earlier
    /// [`WantsWritable`](Self::WantsWritable) asked for, or (rarely) this
    /// call wrote what it could but the queue stopped at a frame another
    /// thread was still in the middle of queuing, and that thread will
    /// write the rest. Nothing to do.
    Queued,
    /// This call held the context, and the writer would block (or wrote only
    /// part of a frame). The rest is kept, the context is released, and the
    /// caller is now the one responsible: arrange for
    /// [`on_writable`](super::WriteContext::on_writable) to be called once
    /// the writer can take more (typically: register for `EPOLLOUT`). Exactly
    /// one call sees this per stall.
    WantsWritable,
    /// The connection failed: an I/O error closed the context, during this
    /// call or before this call's frame could be written. Frames not written
    /// are kept for [`take_unsent`](super::WriteContext::take_unsent), and
    /// [`error`](super::WriteContext::error) tells what happened.
    Failed,
}

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
    /// Back-pressure: the pending bytes would exceed
    /// [`WriteConfig::max_pending_bytes`], or the queue is full. The
    /// connection is alive; the caller may retry later or drop the reply.
    Full(F),
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
            Self::Full(frame) | Self::Closed { frame, .. } => frame,
        }
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
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
            Self::Closed { error, .. } => write!(f, "write context is closed: {error}"),
        }
    }
}

impl<F> std::error::Error for SubmitError<F> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Full(_) => None,
            Self::Closed { error, .. } => Some(error),
        }
    }
}

impl<F: PartialEq> PartialEq for SubmitError<F> {
    /// Equal when the variant and frame are; for `Closed`, also the error's
    /// kind.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Full(a), Self::Full(b)) => a == b,
            (Self::Closed { frame: a, error: x }, Self::Closed { frame: b, error: y }) => {
                a == b && x.kind() == y.kind()
            }
            _ => false,
        }
    }
}

/// What a write context has done: totals since it was made, brought up to
/// date each time a holder releases it.
///
/// ```
/// use handoff::write::WriteContext;
///
/// let ctx = WriteContext::new(Vec::new());
/// ctx.submit(b"abc".to_vec()).unwrap();
/// let stats = ctx.stats();
/// assert_eq!((stats.frames, stats.bytes, stats.writes), (1, 3, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteStats {
    /// Frames written completely.
    pub frames: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Calls to the writer's `write_vectored` (system calls, for a socket),
    /// counting those that failed or would block.
    pub writes: u64,
    /// Calls that returned `WouldBlock`.
    pub would_blocks: u64,
}
