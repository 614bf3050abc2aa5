//! The write context: a queue of frames, a state word that says who may
//! write, and the writer itself, touched only by whoever holds the context.
//!
//! Over 500 lines on purpose: every method here reads or moves the one
//! state word, and the protocol is easiest to check with all of its
//! transitions on one page (about a third of the file is the public API's
//! doc examples). What the holder does with the writer is in `holder`.

use core::fmt;
use core::mem;
use std::collections::VecDeque;
use std::io::{self, Write};

use crossbeam_utils::CachePadded;

use super::holder::{Inner, Queued};
use super::{Status, SubmitError, WriteConfig, WriteStats};
use crate::loom::Ordering::{Acquire, Relaxed, Release};
use crate::loom::{AtomicU64, AtomicUsize, UnsafeCell};
use crate::{mpsc, CapacityError, PushError};

/// Somebody holds the context: that thread alone may touch `inner`, and it
/// writes everything queued before it lets go.
const HELD: usize = 1;
/// A frame was queued while the context was held or waiting for
/// writability. The holder's release fails while this is set, so it looks
/// at the queue again: no frame is left behind in an idle context.
const DIRTY: usize = 2;
/// The writer would block. Nobody holds the context, submitters only queue,
/// and the next `on_writable` takes it.
const WANT_WRITABLE: usize = 4;
/// An I/O error closed the context. Never cleared.
const CLOSED: usize = 8;

/// A connection's write side, shared by every thread that has replies for it.
///
/// Any thread [`submit`](Self::submit)s a frame: it is queued, and if nobody
/// holds the context the submitter takes it and writes everything queued, in
/// as few `write_vectored` calls as the writer allows, then lets go. If the
/// writer would block, the rest stays queued (a partly written frame resumes
/// at its exact byte) and the one caller told [`Status::WantsWritable`]
/// arranges for [`on_writable`](Self::on_writable) to run once the writer can
/// take more. No thread ever waits for another.
///
/// `W` is any [`Write`]: a non-blocking `TcpStream` or `UnixStream` (a
/// blocking one works too, but then the holder blocks while the peer does
/// not read), or a test sink. `F` is the frame type: anything that is
/// `AsRef<[u8]>`, such as `Vec<u8>`, `Box<[u8]>`, `Arc<[u8]>` or a
/// `bytes::Bytes`.
///
/// ```
/// use handoff::write::{Status, WriteContext};
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Clone, Default)]
/// struct Sink(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Sink {
///     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().extend_from_slice(buf);
///         Ok(buf.len())
///     }
///     fn flush(&mut self) -> std::io::Result<()> {
///         Ok(())
///     }
/// }
///
/// let sink = Sink::default();
/// let ctx = Arc::new(WriteContext::new(sink.clone()));
/// let workers: Vec<_> = (0..2u8)
///     .map(|w| {
///         let ctx = Arc::clone(&ctx);
///         std::thread::spawn(move || {
///             for i in 0..100u8 {
///                 // Whole frames, never interleaved; one thread's in order.
///                 let status = ctx.submit(vec![w, i, w, i]).unwrap();
///                 assert!(matches!(status, Status::Written | Status::Queued));
///             }
///         })
///     })
///     .collect();
/// for w in workers {
///     w.join().unwrap();
/// }
/// let bytes = sink.0.lock().unwrap().clone();
/// assert_eq!(bytes.len(), 2 * 100 * 4);
/// for w in 0..2u8 {
///     let mine: Vec<u8> = bytes.chunks(4).filter(|f| f[0] == w).map(|f| f[1]).collect();
///     assert_eq!(mine, (0..100).collect::<Vec<u8>>());
/// }
/// ```
pub struct WriteContext<W, F = Vec<u8>> {
    hot: CachePadded<Hot>,
    /// The submitters' side of the frame queue; the holder pops from
    /// `inner.queue`.
    queue: mpsc::Producer<Queued<F>>,
    /// What the holder writes: on a cache line of its own, so that its
    /// stores do not slow down the submitters' reads of `queue`.
    own: CachePadded<Own<W, F>>,
    /// Why the context closed.
    ///
    /// Invariant: written at most once, by the holder that closes the
    /// context, before the `Release` store that sets `CLOSED`; read only
    /// after `CLOSED` was seen with `Acquire`. `None` until then.
    error: UnsafeCell<Option<std::sync::Arc<io::Error>>>,
    max_pending: usize,
    /// Async submitters (`FrameSink`s) waiting for the context to have room:
    /// woken when the holder writes, or the context closes.
    #[cfg(feature = "futures")]
    space: crate::park::WaitList,
}

/// The holder's part of a context.
struct Own<W, F> {
    /// The writer, the queue's consumer and the frames popped but not yet
    /// written.
    ///
    /// Invariant: touched only by the thread that set `HELD` in
    /// `hot.state`, from its compare-and-swap (`Acquire`) until the store
    /// that clears it (`Release`); so one thread at a time, each seeing
    /// everything the one before it did.
    inner: UnsafeCell<Inner<W, F>>,
    /// `WriteStats`, copied from `inner` by each holder before it lets go.
    stats: [AtomicU64; 4],
}

/// The words every submitter touches.
struct Hot {
    /// `HELD | DIRTY | WANT_WRITABLE | CLOSED`. `HELD` and `WANT_WRITABLE`
    /// are never both set; while `HELD` is set only the holder clears it, and
    /// the others only set `DIRTY`.
    state: AtomicUsize,
    /// Bytes accepted and not yet written (an estimate while submits race:
    /// a refused submit adds its length and takes it back).
    pending: AtomicUsize,
}

// `&self` methods may run on many threads at once. `inner` (holding `W` and
// frames) is touched by one thread at a time, the holder, handed on with
// Release/Acquire on `hot.state`; `error` is written once before `CLOSED` is
// published and only read after (field invariants); the rest are atomics.
// SAFETY: so `W: Send` is needed and enough for `inner`, and the frame
// queue's producer is `Sync` for `F: Send`.
unsafe impl<W: Send, F: Send> Sync for WriteContext<W, F> {}

impl<W: Write, F: AsRef<[u8]> + Send> WriteContext<W, F> {
    /// A context for `writer` with the default [`WriteConfig`]: a queue of
    /// 1024 frames, at most 4 MiB pending.
    ///
    /// ```
    /// let ctx: handoff::write::WriteContext<Vec<u8>> = handoff::write::WriteContext::new(Vec::new());
    /// assert_eq!(ctx.pending_bytes(), 0);
    /// ```
    pub fn new(writer: W) -> Self {
        match Self::with_config(writer, WriteConfig::new()) {
            Ok(ctx) => ctx,
            Err(err) => panic!("the default write configuration is refused: {err}"),
        }
    }

    /// A context for `writer` with the given bounds.
    ///
    /// # Errors
    ///
    /// [`CapacityError`] when `config.queue_capacity` is 0 or too large to
    /// allocate.
    ///
    /// ```
    /// use handoff::write::{WriteConfig, WriteContext};
    /// use handoff::CapacityError;
    ///
    /// let refused = WriteContext::<_, Vec<u8>>::with_config(Vec::new(), WriteConfig::new().queue_capacity(0));
    /// assert_eq!(refused.unwrap_err(), CapacityError::Zero);
    /// ```
    pub fn with_config(writer: W, config: WriteConfig) -> Result<Self, CapacityError> {
        let (queue, consumer) = mpsc::try_channel(config.queue_capacity)?;
        Ok(Self {
            hot: CachePadded::new(Hot {
                state: AtomicUsize::new(0),
                pending: AtomicUsize::new(0),
            }),
            queue,
            own: CachePadded::new(Own {
                inner: UnsafeCell::new(Inner {
                    writer,
                    queue: consumer,
                    batch: VecDeque::with_capacity(16.min(config.queue_capacity)),
                    offset: 0,
                    stats: WriteStats::default(),
                }),
                stats: Default::default(),
            }),
            error: UnsafeCell::new(None),
            max_pending: config.max_pending_bytes,
            #[cfg(feature = "futures")]
            space: crate::park::WaitList::new(),
        })
    }

    /// Queues `frame`, and writes it (with everything queued before it) if
    /// nobody else holds the context: [`feed`](Self::feed) then
    /// [`flush`](Self::flush).
    ///
    /// Returns [`Status::Written`] when this call wrote everything,
    /// [`Status::Queued`] when another thread holds the context or it waits
    /// for writability, [`Status::WantsWritable`] when this call found the
    /// writer blocked (call [`on_writable`](Self::on_writable) when it can
    /// take more), and [`Status::Failed`] when the connection failed before
    /// the frame was written (it is kept for
    /// [`take_unsent`](Self::take_unsent)).
    ///
    /// A frame is written whole and contiguous, never interleaved with
    /// another; frames submitted by one thread are written in that order.
    /// Lock-free: it never waits for another thread.
    ///
    /// # Errors
    ///
    /// The frame comes back in [`SubmitError::Full`] when accepting it would
    /// take the pending bytes over [`WriteConfig::max_pending_bytes`], in
    /// [`SubmitError::QueueFull`] when the frame queue is full, and in
    /// [`SubmitError::Closed`] (with the error) when an earlier I/O error
    /// closed the context.
    ///
    /// ```
    /// use handoff::write::{Status, WriteContext};
    ///
    /// let ctx = WriteContext::new(Vec::new());
    /// assert_eq!(ctx.submit(b"one".to_vec()), Ok(Status::Written));
    /// assert_eq!(ctx.stats().bytes, 3);
    /// ```
    #[inline]
    pub fn submit(&self, frame: F) -> Result<Status, SubmitError<F>> {
        let state = self.enqueue(frame)?;
        Ok(self.flush_from(state))
    }

    /// Queues `frame` without writing it: the frame waits until a
    /// [`flush`](Self::flush) (or a [`submit`](Self::submit), or a holder
    /// that is writing anyway) picks it up. A thread with several replies for
    /// one connection feeds them and flushes once, so that one
    /// `write_vectored` call carries them all (as `Sink::feed` and
    /// `Sink::flush` do in `futures`).
    ///
    /// The caller must flush: a frame fed and never flushed may wait until
    /// the next submit, or until the context is dropped.
    ///
    /// # Errors
    ///
    /// As for [`submit`](Self::submit): [`SubmitError::Full`] and
    /// [`SubmitError::Closed`] hand the frame back.
    ///
    /// ```
    /// use handoff::write::{Status, WriteContext};
    ///
    /// let ctx = WriteContext::new(Vec::new());
    /// for reply in [&b"one"[..], b"two", b"three"] {
    ///     ctx.feed(reply.to_vec()).unwrap();
    /// }
    /// assert_eq!(ctx.pending_bytes(), 11);
    /// assert_eq!(ctx.flush(), Status::Written);
    /// assert_eq!(ctx.stats().writes, 1, "one call for the three frames");
    /// ```
    pub fn feed(&self, frame: F) -> Result<(), SubmitError<F>> {
        self.enqueue(frame).map(drop)
    }

    /// Queues `frame`; returns the state seen before, for `flush_from`.
    #[inline]
    fn enqueue(&self, frame: F) -> Result<usize, SubmitError<F>> {
        // ordering: Relaxed; `closed` reads the error after its own Acquire
        // load, and `flush_from`'s compare-and-swap acquires.
        let state = self.hot.state.load(Relaxed);
        if state & CLOSED != 0 {
            return Err(self.closed(frame));
        }
        let len = frame.as_ref().len();
        // ordering: Relaxed; a byte count, on whose strength no memory is
        // read.
        let before = self.hot.pending.fetch_add(len, Relaxed);
        let over = before
            .checked_add(len)
            .is_none_or(|after| after > self.max_pending);
        if before != 0 && over {
            // ordering: Relaxed, as above.
            self.hot.pending.fetch_sub(len, Relaxed);
            return Err(SubmitError::Full(frame));
        }
        if let Err(refused) = self.queue.push_unnotified(Queued { frame, len }) {
            debug_assert!(
                matches!(refused, PushError::Full(_)),
                "the context owns the queue's consumer"
            );
            // ordering: Relaxed, as above.
            self.hot.pending.fetch_sub(len, Relaxed);
            return Err(SubmitError::QueueFull(refused.into_inner().frame));
        }
        Ok(state)
    }

    /// Writes what is queued if nobody else holds the context: the second
    /// half of [`submit`](Self::submit), after [`feed`](Self::feed). The
    /// same [`Status`] as `submit`; [`Status::Written`] at once when there
    /// is nothing to write.
    ///
    /// ```
    /// use handoff::write::{Status, WriteContext};
    ///
    /// let ctx: WriteContext<Vec<u8>> = WriteContext::new(Vec::new());
    /// assert_eq!(ctx.flush(), Status::Written);
    /// ```
    pub fn flush(&self) -> Status {
        // ordering: Relaxed; `flush_from`'s compare-and-swap acquires.
        self.flush_from(self.hot.state.load(Relaxed))
    }

    /// `flush`, given a recent value of the state (`submit` passes the one
    /// it saw before queuing, which saves a load).
    #[inline]
    fn flush_from(&self, state: usize) -> Status {
        // The fast path: nobody held the context, so try to take it at once.
        // ordering: Acquire pairs with the last holder's releasing Release,
        // so its use of `inner` happens before ours.
        if state == 0
            && self
                .hot
                .state
                .compare_exchange(0, HELD, Acquire, Relaxed)
                .is_ok()
        {
            return self.run();
        }
        // ordering: Release publishes the frames queued before (by `feed`)
        // to the holder: its release compare-and-swap fails on `DIRTY`, and
        // its `fetch_and` reads this value (or a later one) with Acquire
        // before it looks at the queue again. A read-modify-write, so that
        // it is ordered against that release: a load here could miss it (and
        // the holder miss our frame).
        let state = self.hot.state.fetch_or(DIRTY, Release) | DIRTY;
        self.take(state, HELD | WANT_WRITABLE)
    }

    /// Resumes writing once the writer can take more: the event loop calls
    /// it when the connection is writable, after a call returned
    /// [`Status::WantsWritable`]. Any thread may call it; a call when nothing
    /// waits writes whatever is queued (nothing, usually) and returns
    /// [`Status::Written`], or [`Status::Queued`] if another thread holds the
    /// context. [`Status::Failed`] once the context is closed.
    ///
    /// ```
    /// use handoff::write::{Status, WriteContext};
    ///
    /// let ctx: WriteContext<Vec<u8>> = WriteContext::new(Vec::new());
    /// assert_eq!(ctx.on_writable(), Status::Written);
    /// ```
    pub fn on_writable(&self) -> Status {
        // ordering: Relaxed; `take`'s compare-and-swap acquires.
        let state = self.hot.state.load(Relaxed);
        self.take(state, HELD)
    }

    /// Takes the context from `state` unless a bit of `busy` (or `CLOSED`)
    /// is set, and writes.
    fn take(&self, mut state: usize, busy: usize) -> Status {
        loop {
            if state & CLOSED != 0 {
                return Status::Failed;
            }
            if state & busy != 0 {
                return Status::Queued;
            }
            // ordering: Acquire pairs with the last holder's Release, so its
            // use of `inner` happens before ours, and with the submitters'
            // Release `fetch_or`s, so their frames are visible in the queue.
            match self
                .hot
                .state
                .compare_exchange_weak(state, HELD, Acquire, Relaxed)
            {
                Ok(_) => return self.run(),
                Err(now) => state = now,
            }
        }
    }

    /// Writes until the queue is empty (then lets go), the writer would
    /// block (then waits for writability) or fails (then closes). The
    /// caller holds the context.
    fn run(&self) -> Status {
        debug_assert_eq!(
            // ordering: Relaxed; a check of our own bit.
            self.hot.state.load(Relaxed) & (HELD | WANT_WRITABLE),
            HELD,
            "only the holder writes"
        );
        let guard = Holding(self);
        let status = loop {
            let flushed = self.own.inner.with_mut(|inner| {
                // SAFETY: we set `HELD` and have not cleared it: `inner` is
                // ours alone (field invariant).
                let inner = unsafe { &mut *inner };
                let flushed = inner.flush(|bytes| self.unpend(bytes));
                self.report(inner.stats);
                flushed
            });
            match flushed {
                Ok(drained) => {
                    // ordering: Release hands `inner` to the next holder;
                    // Relaxed on failure, as the `fetch_and` below acquires.
                    match self.hot.state.compare_exchange(HELD, 0, Release, Relaxed) {
                        Ok(_) if drained => break Status::Written,
                        Ok(_) => break Status::Queued,
                        Err(now) => {
                            debug_assert_eq!(now, HELD | DIRTY, "only the holder clears HELD");
                            // ordering: Acquire pairs with the Release
                            // `fetch_or` of the submitter that set `DIRTY`
                            // (this reads it or a later value of the
                            // same release sequence), so its frame is
                            // visible in the queue. A read-modify-write, so
                            // that a `DIRTY` set after it makes the next
                            // release fail.
                            self.hot.state.fetch_and(!DIRTY, Acquire);
                        }
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    // ordering: Release hands `inner` to the `on_writable`
                    // caller, whose compare-and-swap acquires. Dropping a
                    // `DIRTY` is fine: that caller writes everything queued.
                    self.hot.state.swap(WANT_WRITABLE, Release);
                    break Status::WantsWritable;
                }
                Err(err) => {
                    self.close(err);
                    break Status::Failed;
                }
            }
        };
        mem::forget(guard);
        status
    }

    /// Closes the context with `err`. The caller holds it, and lets go here.
    fn close(&self, err: io::Error) {
        // SAFETY: we hold the context and `CLOSED` is not set yet, so nobody
        // reads `error` and nobody else writes it (field invariant).
        self.error.with_mut(|cell| unsafe {
            debug_assert!((*cell).is_none(), "a context closes once");
            *cell = Some(std::sync::Arc::new(err));
        });
        // ordering: Release publishes the error to those that see `CLOSED`
        // with Acquire, and hands `inner` to `take_unsent`.
        self.hot.state.swap(CLOSED, Release);
        // A waiting `FrameSink` wakes to see it closed.
        #[cfg(feature = "futures")]
        self.space.notify();
    }

    /// The refusal for a frame submitted after the context closed.
    fn closed(&self, frame: F) -> SubmitError<F> {
        let error = self
            .error()
            .unwrap_or_else(|| io::Error::other("write context closed"));
        SubmitError::Closed { frame, error }
    }

    /// The error that closed the context, or `None` while it is open. Each
    /// call returns a new `io::Error` of the original's kind, with the
    /// original as its source.
    ///
    /// ```
    /// use handoff::write::{Status, WriteContext};
    /// use std::io;
    ///
    /// struct Reset;
    /// impl io::Write for Reset {
    ///     fn write(&mut self, _: &[u8]) -> io::Result<usize> {
    ///         Err(io::ErrorKind::ConnectionReset.into())
    ///     }
    ///     fn flush(&mut self) -> io::Result<()> {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let ctx = WriteContext::new(Reset);
    /// assert!(ctx.error().is_none());
    /// assert_eq!(ctx.submit(b"x".to_vec()), Ok(Status::Failed));
    /// assert_eq!(ctx.error().unwrap().kind(), io::ErrorKind::ConnectionReset);
    /// assert!(ctx.is_closed());
    /// ```
    pub fn error(&self) -> Option<io::Error> {
        if !self.is_closed() {
            return None;
        }
        // SAFETY: `is_closed` saw `CLOSED` with Acquire, after the error was
        // written, and it is never written again (field invariant).
        let original = self.error.with(|cell| unsafe { (*cell).clone() })?;
        Some(io::Error::new(original.kind(), original))
    }

    /// Whether an I/O error (or a panic in the writer) closed the context.
    ///
    /// ```
    /// let ctx: handoff::write::WriteContext<Vec<u8>> = handoff::write::WriteContext::new(Vec::new());
    /// assert!(!ctx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        // ordering: Acquire pairs with the Release that set `CLOSED`, after
        // the error was written.
        self.hot.state.load(Acquire) & CLOSED != 0
    }

    /// Takes the frames a closed context never wrote, oldest first, so the
    /// caller can log them, retry them elsewhere or drop them. The first may
    /// have been written in part. Empty while the context is open (or while
    /// another thread takes them).
    ///
    /// ```
    /// use handoff::write::{Status, WriteContext};
    /// use std::io;
    ///
    /// struct Broken;
    /// impl io::Write for Broken {
    ///     fn write(&mut self, _: &[u8]) -> io::Result<usize> {
    ///         Err(io::ErrorKind::BrokenPipe.into())
    ///     }
    ///     fn flush(&mut self) -> io::Result<()> {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let ctx = WriteContext::new(Broken);
    /// assert_eq!(ctx.submit(b"lost?".to_vec()), Ok(Status::Failed));
    /// assert_eq!(ctx.take_unsent(), [b"lost?".to_vec()]);
    /// assert!(ctx.take_unsent().is_empty());
    /// ```
    pub fn take_unsent(&self) -> Vec<F> {
        // ordering: Relaxed; the compare-and-swap acquires.
        let mut state = self.hot.state.load(Relaxed);
        loop {
            if state & CLOSED == 0 || state & HELD != 0 {
                return Vec::new();
            }
            // ordering: Acquire pairs with the Release of the holder that
            // closed the context (or of the last `take_unsent`).
            match self
                .hot
                .state
                .compare_exchange_weak(state, state | HELD, Acquire, Relaxed)
            {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        let (unsent, bytes) = self.own.inner.with_mut(|inner| {
            // SAFETY: we set `HELD`: `inner` is ours alone (field invariant).
            unsafe { &mut *inner }.take_all()
        });
        // ordering: Relaxed; a byte count.
        self.hot.pending.fetch_sub(bytes, Relaxed);
        // ordering: Release hands `inner` to the next `take_unsent`.
        self.hot.state.fetch_and(!HELD, Release);
        unsent
    }
}

impl<W, F> WriteContext<W, F> {
    /// Takes `bytes` written (or retired) off the pending count.
    fn unpend(&self, bytes: usize) {
        // ordering: Relaxed; a byte count, on whose strength no memory is
        // read.
        self.hot.pending.fetch_sub(bytes, Relaxed);
        // Room for a waiting `FrameSink`.
        #[cfg(feature = "futures")]
        self.space.notify();
    }

    /// For `FrameSink`: `ready` until it returns `Some`, the task woken when
    /// the holder writes something (or the context closes) in between.
    #[cfg(feature = "futures")]
    pub(crate) fn poll_space<R>(
        &self,
        cx: &mut core::task::Context<'_>,
        ready: impl FnMut() -> Option<R>,
    ) -> core::task::Poll<R> {
        self.space.poll_wait(cx, ready)
    }

    /// Publishes the holder's statistics for [`stats`](Self::stats).
    fn report(&self, stats: WriteStats) {
        let s = stats;
        for (cell, value) in
            self.own
                .stats
                .iter()
                .zip([s.frames, s.bytes, s.writes, s.would_blocks])
        {
            // ordering: Relaxed; statistics, written only by the holder.
            cell.store(value, Relaxed);
        }
    }

    /// Bytes accepted and not yet written: queued, or waiting in a partly
    /// written frame.
    ///
    /// ```
    /// let ctx = handoff::write::WriteContext::new(Vec::new());
    /// ctx.submit(vec![0u8; 10]).unwrap();
    /// assert_eq!(ctx.pending_bytes(), 0);
    /// ```
    pub fn pending_bytes(&self) -> usize {
        // ordering: Relaxed; a snapshot.
        self.hot.pending.load(Relaxed)
    }

    /// Whether the context waits for [`on_writable`](WriteContext::on_writable):
    /// the writer would block and nobody has resumed it yet. An event loop
    /// can keep its writability interest while this holds.
    ///
    /// ```
    /// let ctx = handoff::write::WriteContext::new(Vec::new());
    /// ctx.submit(vec![1u8]).unwrap();
    /// assert!(!ctx.wants_writable());
    /// ```
    pub fn wants_writable(&self) -> bool {
        // ordering: Relaxed; a snapshot: nothing is read on its strength.
        self.hot.state.load(Relaxed) & WANT_WRITABLE != 0
    }

    /// What the context has written, as of the last time a holder let go.
    ///
    /// ```
    /// let ctx = handoff::write::WriteContext::new(Vec::new());
    /// ctx.submit(vec![1u8, 2]).unwrap();
    /// assert_eq!(ctx.stats().frames, 1);
    /// ```
    pub fn stats(&self) -> WriteStats {
        // ordering: Relaxed; statistics.
        let [frames, bytes, writes, would_blocks] =
            self.own.stats.each_ref().map(|c| c.load(Relaxed));
        WriteStats {
            frames,
            bytes,
            writes,
            would_blocks,
        }
    }
}

/// Closes the context if the writer (or a frame's `as_ref`) panics while a
/// thread holds it, so that it is not held forever.
struct Holding<'a, W: Write, F: AsRef<[u8]> + Send>(&'a WriteContext<W, F>);

impl<W: Write, F: AsRef<[u8]> + Send> Drop for Holding<'_, W, F> {
    fn drop(&mut self) {
        self.0
            .close(io::Error::other("the writer panicked while writing"));
    }
}

impl<W, F> fmt::Debug for WriteContext<W, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ordering: Relaxed; a snapshot for display.
        let state = self.hot.state.load(Relaxed);
        f.debug_struct("WriteContext")
            .field("held", &(state & HELD != 0))
            .field("wants_writable", &(state & WANT_WRITABLE != 0))
            .field("closed", &(state & CLOSED != 0))
            .field("pending_bytes", &self.pending_bytes())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
#[path = "tests.rs"]
mod tests;
