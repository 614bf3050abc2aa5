//! What a submit or a flush did.

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
