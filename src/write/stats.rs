//! What a write context has done.

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
