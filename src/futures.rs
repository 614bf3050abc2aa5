//! The `futures` feature: [`Stream`] for the rings' consumers, [`Sink`] for
//! their producers and, through [`WriteContext::sink`], for write
//! contexts. Each is a thin layer over the poll-based calls
//! ([`spsc::Consumer::poll_pop`], [`spsc::Producer::poll_reserve`],
//! [`mpsc::Producer::poll_push`], …), with their cancel safety.
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop {
//! #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
//! #         std::thread::yield_now();
//! #     }
//! # }
//! use futures::{SinkExt, StreamExt};
//!
//! let (mut tx, mut rx) = handoff::spsc::channel::<u32>(8);
//! block_on(async {
//!     tx.send(1).await.unwrap();
//!     tx.send(2).await.unwrap();
//!     drop(tx);
//!     let got: Vec<u32> = rx.collect().await;
//!     assert_eq!(got, [1, 2]);
//! });
//! ```
//!
//! In tokio (the README's example):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use futures::StreamExt;
//!
//! let (tx, mut rx) = handoff::mpsc::channel::<u32>(64);
//! tokio::spawn(async move { tx.push_async(7).await.unwrap() });
//! while let Some(x) = rx.next().await {
//!     assert_eq!(x, 7);
//! }
//! # }
//! ```

use core::pin::Pin;
use core::task::{Context, Poll};
use std::io::{self, Write};

use futures_core::Stream;
use futures_sink::Sink;

use crate::write::{Status, SubmitError, WriteContext};
use crate::{mpsc, spsc, Closed, PushError};

impl<T> Stream for spsc::Consumer<T> {
    type Item = T;

    /// [`poll_pop`](spsc::Consumer::poll_pop): the items, then `None` once
    /// the producer is gone.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_pop(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

impl<T> Stream for mpsc::Consumer<T> {
    type Item = T;

    /// [`poll_pop`](mpsc::Consumer::poll_pop): the items, then `None` once
    /// every producer is gone.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_pop(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

/// `poll_ready` waits for a free slot ([`poll_reserve`]); the slot stays
/// free for `start_send`, since this is the only producer. Items are
/// visible to the consumer as soon as they are sent: flushing and closing
/// have nothing to wait for (dropping the producer closes the ring).
///
/// [`poll_reserve`]: spsc::Producer::poll_reserve
impl<T> Sink<T> for spsc::Producer<T> {
    type Error = Closed;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.get_mut().poll_reserve(cx).map(|r| r.map(drop))
    }

    /// # Panics
    ///
    /// If `poll_ready` did not say `Ready(Ok)` first and the ring is full.
    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Closed> {
        match self.get_mut().push(item) {
            Ok(()) => Ok(()),
            Err(PushError::Closed(_)) => Err(Closed),
            Err(PushError::Full(_)) => panic!("Sink::start_send without a ready poll_ready"),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        Poll::Ready(Ok(()))
    }
}

/// Several producers share the ring, so a slot seen free in `poll_ready`
/// may be taken by another before `start_send`: the producer then keeps
/// the item (one, in the handle) and `poll_ready` and `poll_flush` push it
/// as room appears ([`poll_push`](mpsc::Producer::poll_push)). An item
/// refused because the consumer is gone is dropped, and the error says so.
impl<T> Sink<T> for mpsc::Producer<T> {
    type Error = Closed;

    /// `Ready(Ok)` once no item is held (the held one pushed), so that
    /// `start_send` can take one.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.poll_flush(cx)
    }

    /// # Panics
    ///
    /// If `poll_ready` did not say `Ready(Ok)` first (an item is held).
    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Closed> {
        let this = self.get_mut();
        assert!(
            this.sink_item.is_none(),
            "Sink::start_send without a ready poll_ready"
        );
        match this.push(item) {
            Ok(()) => Ok(()),
            Err(PushError::Full(item)) => {
                this.sink_item = Some(item);
                Ok(())
            }
            Err(PushError::Closed(_)) => Err(Closed),
        }
    }

    /// Pushes the held item, if any; an item refused because the consumer
    /// is gone is dropped.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let this = self.get_mut();
        let mut held = this.sink_item.take();
        let polled = this.poll_push(cx, &mut held);
        if polled.is_pending() {
            this.sink_item = held;
        }
        polled
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.poll_flush(cx)
    }
}

impl<W: Write, F: AsRef<[u8]> + Send> WriteContext<W, F> {
    #[cfg_attr(docsrs, doc(cfg(feature = "futures")))]
    /// A [`Sink`] of frames into this context, for async code: it holds at
    /// most one frame while the context is full (back-pressure, woken when
    /// the holder has written some), [`feed`](Self::feed)s the rest, and
    /// [`flush`](Self::flush)es on `poll_flush`. As with `flush`, if the
    /// writer would block the context waits for writability: the event
    /// loop's [`on_writable`](Self::on_writable) writes the rest (see
    /// [`wants_writable`](Self::wants_writable)); the sink reports the
    /// frames handed over. An I/O error that closed the context is the
    /// sink's error; frames not written are in
    /// [`take_unsent`](Self::take_unsent).
    ///
    /// ```
    /// # fn block_on<Fut: std::future::Future>(f: Fut) -> Fut::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::yield_now();
    /// #     }
    /// # }
    /// use futures::SinkExt;
    /// use handoff::write::WriteContext;
    ///
    /// let ctx = WriteContext::new(Vec::new());
    /// block_on(async {
    ///     let mut sink = ctx.sink();
    ///     sink.feed(b"ab".to_vec()).await.unwrap();
    ///     sink.send(b"cd".to_vec()).await.unwrap(); // feeds, then flushes
    /// });
    /// assert_eq!(ctx.stats().bytes, 4);
    /// ```
    pub fn sink(&self) -> FrameSink<'_, W, F> {
        FrameSink {
            ctx: self,
            held: None,
        }
    }
}

/// A [`Sink`] of frames into a [`WriteContext`]: see
/// [`WriteContext::sink`].
#[must_use = "sinks do nothing unless frames are sent into them"]
pub struct FrameSink<'a, W, F> {
    ctx: &'a WriteContext<W, F>,
    /// A frame the context refused for back-pressure, to feed again.
    held: Option<F>,
}

impl<W: Write, F: AsRef<[u8]> + Send> FrameSink<'_, W, F> {
    /// Feeds the held frame if there is one: `Ready(Ok)` once it is in (or
    /// there was none), `Pending` while the context is full.
    fn feed_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let ctx = self.ctx;
        let held = &mut self.held;
        ctx.poll_space(cx, || {
            let Some(frame) = held.take() else {
                return Some(Ok(()));
            };
            match ctx.feed(frame) {
                Ok(()) => Some(Ok(())),
                Err(SubmitError::Closed { error, .. }) => Some(Err(error)),
                Err(full) => {
                    *held = Some(full.into_frame());
                    None
                }
            }
        })
    }
}

impl<W: Write, F: AsRef<[u8]> + Send> Unpin for FrameSink<'_, W, F> {}

impl<W: Write, F: AsRef<[u8]> + Send> Sink<F> for FrameSink<'_, W, F> {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().feed_held(cx)
    }

    /// # Panics
    ///
    /// If `poll_ready` did not say `Ready(Ok)` first (a frame is held).
    fn start_send(self: Pin<&mut Self>, frame: F) -> io::Result<()> {
        let this = self.get_mut();
        assert!(
            this.held.is_none(),
            "Sink::start_send without a ready poll_ready"
        );
        match this.ctx.feed(frame) {
            Ok(()) => Ok(()),
            Err(SubmitError::Closed { error, .. }) => Err(error),
            Err(full) => {
                this.held = Some(full.into_frame());
                Ok(())
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.feed_held(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        match this.ctx.flush() {
            Status::Written | Status::Queued | Status::WantsWritable => Poll::Ready(Ok(())),
            Status::Failed => Poll::Ready(Err(this
                .ctx
                .error()
                .unwrap_or_else(|| io::Error::other("the write context failed")))),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<W, F> core::fmt::Debug for FrameSink<'_, W, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FrameSink")
            .field("holds_a_frame", &self.held.is_some())
            .finish_non_exhaustive()
    }
}
