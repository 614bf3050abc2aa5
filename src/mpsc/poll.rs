//! Waiting on the ring from async code: poll-based calls for hand-written
//! futures and `Stream`/`Sink` adapters, and the futures built on them.
//!
//! The consumer registers its task's `Waker` on its own
//! [`Parker`](crate::park::Parker); producers register theirs on the ring's
//! wait list, which a pop that frees a slot wakes all at once.
//!
//! There is no `poll_reserve` here: reserving a slot in this ring means
//! claiming its position, and a claimed position not yet written holds up
//! the consumer (see the module's progress notes); a permit held across an
//! `.await` would do exactly that. [`Producer::poll_push`] keeps the value
//! in the caller's hands instead until it can go in.

use core::future::Future;
use core::task::{Context, Poll};
use std::future::poll_fn;

use super::{Consumer, Producer};
use crate::{Closed, PushError};

impl<T> Consumer<T> {
    /// Polls for the oldest item: `Ready(Some(item))`, `Ready(None)` once
    /// the ring is empty and every producer is gone, or `Pending` (the task
    /// is woken by the next push or by the last producer's drop).
    ///
    /// Cancel-safe: an item leaves the ring only when `Ready(Some)` returns
    /// it. The `futures` feature's `Stream` impl is built on it.
    ///
    /// # Panics
    ///
    /// If this consumer was [`register`](Self::register)ed with a parker:
    /// wait on that parker instead.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (tx, mut rx) = handoff::mpsc::channel(2);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(rx.poll_pop(&mut cx), Poll::Pending);
    /// tx.push(1).unwrap();
    /// assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(Some(1)));
    /// drop(tx);
    /// assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(None));
    /// ```
    #[track_caller]
    pub fn poll_pop(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut parker = self.own.take(&self.shared.rx_wake);
        let got = parker.poll_wait(cx, || self.pop_or_closed());
        self.own.put(parker);
        got
    }

    /// Pops the oldest item, waiting asynchronously while there is none;
    /// `None` once the ring is empty and every producer is gone.
    ///
    /// Cancel-safe: an item leaves the ring only in the poll that returns it.
    ///
    /// # Panics
    ///
    /// As [`poll_pop`](Self::poll_pop).
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::yield_now();
    /// #     }
    /// # }
    /// let (tx, mut rx) = handoff::mpsc::channel(2);
    /// tx.push(1).unwrap();
    /// drop(tx);
    /// assert_eq!(block_on(rx.pop_async()), Some(1));
    /// assert_eq!(block_on(rx.pop_async()), None);
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn pop_async(&mut self) -> impl Future<Output = Option<T>> + '_ {
        poll_fn(move |cx| self.poll_pop(cx))
    }

    /// Polls for up to `limit` items at once, appending them to `buf`:
    /// `Ready(n)` with `n > 0` items, `Ready(0)` once the ring is empty and
    /// every producer is gone (or at once if `limit` is 0), or `Pending`
    /// (tokio's `recv_many`).
    ///
    /// Cancel-safe: items leave the ring only in the poll that returns them.
    ///
    /// # Panics
    ///
    /// As [`poll_pop`](Self::poll_pop).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (tx, mut rx) = handoff::mpsc::channel(8);
    /// for i in 0..3 {
    ///     tx.push(i).unwrap();
    /// }
    /// let mut buf = Vec::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(rx.poll_pop_many(&mut cx, &mut buf, 10), Poll::Ready(3));
    /// assert_eq!(buf, [0, 1, 2]);
    /// ```
    #[track_caller]
    pub fn poll_pop_many(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let mut parker = self.own.take(&self.shared.rx_wake);
        let got = parker.poll_wait(cx, || {
            let before = buf.len();
            buf.extend(self.drain(limit));
            let n = buf.len() - before;
            if n > 0 {
                return Some(n);
            }
            // Closed means every push has finished: one more look.
            self.is_closed().then(|| {
                buf.extend(self.drain(limit));
                buf.len() - before
            })
        });
        self.own.put(parker);
        got
    }

    /// Pops up to `limit` items into `buf`, waiting asynchronously while
    /// there is none; returns how many, 0 once the ring is empty and every
    /// producer is gone. See [`poll_pop_many`](Self::poll_pop_many).
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::yield_now();
    /// #     }
    /// # }
    /// let (tx, mut rx) = handoff::mpsc::channel(8);
    /// tx.push(1).unwrap();
    /// drop(tx);
    /// let mut buf = Vec::new();
    /// assert_eq!(block_on(rx.pop_many(&mut buf, 10)), 1);
    /// assert_eq!(block_on(rx.pop_many(&mut buf, 10)), 0);
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn pop_many<'a>(
        &'a mut self,
        buf: &'a mut Vec<T>,
        limit: usize,
    ) -> impl Future<Output = usize> + 'a {
        poll_fn(move |cx| self.poll_pop_many(cx, buf, limit))
    }
}

impl<T> Producer<T> {
    /// Polls to push the value in `slot`: takes it and pushes it
    /// (`Ready(Ok)`), or leaves it there and arranges a wake-up when the
    /// ring is full (`Pending`: the next pop that frees a slot wakes every
    /// producer waiting), or leaves it there and returns `Ready(Err(Closed))`
    /// when the consumer is gone or closed the ring.
    ///
    /// Cancel-safe: the value is always either in `slot` or in the ring.
    /// The `futures` feature's `Sink` impl is built on it.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (tx, mut rx) = handoff::mpsc::channel(1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut slot = Some(1);
    /// assert_eq!(tx.poll_push(&mut cx, &mut slot), Poll::Ready(Ok(())));
    /// let mut slot = Some(2);
    /// assert!(tx.poll_push(&mut cx, &mut slot).is_pending());
    /// assert_eq!(slot, Some(2)); // still ours
    /// assert_eq!(rx.pop(), Some(1));
    /// assert_eq!(tx.poll_push(&mut cx, &mut slot), Poll::Ready(Ok(())));
    /// ```
    pub fn poll_push(
        &self,
        cx: &mut Context<'_>,
        slot: &mut Option<T>,
    ) -> Poll<Result<(), Closed>> {
        if slot.is_none() {
            return Poll::Ready(Ok(()));
        }
        self.shared
            .space
            .poll_wait(cx, || self.push_or_closed(slot))
            .map(|r| {
                r.map_err(|e| {
                    *slot = Some(e.into_inner());
                    Closed
                })
            })
    }

    /// Pushes `value`, waiting asynchronously while the ring is full. Fails
    /// only with [`PushError::Closed`].
    ///
    /// The value is pushed only in the poll that returns `Ready(Ok(()))`, so
    /// a dropped future never pushed it (and drops it with itself); to keep
    /// it, use [`poll_push`](Self::poll_push).
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::yield_now();
    /// #     }
    /// # }
    /// let (tx, mut rx) = handoff::mpsc::channel(1);
    /// block_on(tx.push_async(7)).unwrap();
    /// assert_eq!(rx.pop(), Some(7));
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn push_async(&self, value: T) -> impl Future<Output = Result<(), PushError<T>>> + '_ {
        let mut slot = Some(value);
        poll_fn(move |cx| {
            self.poll_push(cx, &mut slot).map(|r| {
                r.map_err(|Closed| PushError::Closed(slot.take().expect("the value is back")))
            })
        })
    }
}
