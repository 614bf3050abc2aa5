//! How a write context is configured.

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
    /// How many frames the queue holds; beyond it a submit is refused
    /// with [`SubmitError::QueueFull`](super::SubmitError::QueueFull). Up to
    /// 256 more may sit popped and partly written in the holder's batch.
    /// Default 1024: submitters that outpace the holder's `writev` (many
    /// small replies, a fast reader) should meet the byte bound first, not
    /// this one. The queue takes `16 + size_of::<F>()` bytes a frame (40 KiB
    /// for `Vec<u8>` frames at the default), allocated once, when the
    /// context is made: with many connections, size it down.
    pub queue_capacity: usize,
    /// The back-pressure bound: a frame is refused with
    /// [`SubmitError::Full`](super::SubmitError::Full) when the bytes accepted and not yet written
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
    /// The defaults: a queue of 1024 frames, at most 4 MiB pending.
    pub const fn new() -> Self {
        Self {
            queue_capacity: 1024,
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
