//! Waiting on the ring from async code: poll-based calls for hand-written
//! futures and `Stream`/`Sink` adapters, the futures built on them, and the
//! [`Permit`] that reserves a slot.
//!
//! Every call here registers the task's `Waker` on the half's own
//! [`Parker`](crate::park::Parker) (made on first use), which the other
//! half's operations wake with no system call.

use core::fmt;
use core::future::Future;
use core::task::{Context, Poll};
use std::future::poll_fn;

use super::{Consumer, Producer};
use crate::{Closed, PushError};

impl<T> Consumer<T> {
    /// Polls for the oldest item: `Ready(Some(item))`, `Ready(None)` once
    /// the ring is empty and the producer is gone, or `Pending` (the task is
    /// woken by the next push or by the producer's drop).
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
    /// let (mut tx, mut rx) = handoff::spsc::channel(2);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(rx.poll_pop(&mut cx), Poll::Pending);
    /// tx.push(1).unwrap();
    /// assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(Some(1)));
    /// drop(tx);
    /// assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(None));
    /// ```
    #[track_caller]
    pub fn poll_pop(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut parker = self.own.take(&self.ring.shared.rx_wake);
        let got = parker.poll_wait(cx, || self.pop_or_closed());
        self.own.put(parker);
        got
    }

    /// Pops the oldest item, waiting asynchronously while the ring is empty;
    /// `None` once it is empty and the producer is gone.
    ///
    /// Cancel-safe: an item leaves the ring only in the poll that returns it,
    /// so dropping the future (in a `select!`, on a timeout) loses nothing.
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
    /// let (mut tx, mut rx) = handoff::spsc::channel(2);
    /// tx.push("hi").unwrap();
    /// drop(tx);
    /// block_on(async {
    ///     assert_eq!(rx.pop_async().await, Some("hi"));
    ///     assert_eq!(rx.pop_async().await, None);
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn pop_async(&mut self) -> impl Future<Output = Option<T>> + '_ {
        poll_fn(move |cx| self.poll_pop(cx))
    }

    /// Polls for up to `limit` items at once, appending them to `buf`:
    /// `Ready(n)` with `n > 0` items, `Ready(0)` once the ring is empty and
    /// the producer is gone (or at once if `limit` is 0), or `Pending`.
    /// The batch crosses with one index publication (tokio's `recv_many`).
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
    /// let (mut tx, mut rx) = handoff::spsc::channel(8);
    /// tx.push_slice(&[1, 2, 3]);
    /// let mut buf = Vec::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(rx.poll_pop_many(&mut cx, &mut buf, 2), Poll::Ready(2));
    /// assert_eq!(rx.poll_pop_many(&mut cx, &mut buf, 2), Poll::Ready(1));
    /// assert_eq!(buf, [1, 2, 3]);
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
        let mut parker = self.own.take(&self.ring.shared.rx_wake);
        let got = parker.poll_wait(cx, || {
            let before = buf.len();
            buf.extend(self.drain(limit));
            let n = buf.len() - before;
            if n > 0 {
                return Some(n);
            }
            // Closed means every item is published: one more look.
            self.is_closed().then(|| {
                buf.extend(self.drain(limit));
                buf.len() - before
            })
        });
        self.own.put(parker);
        got
    }

    /// Pops up to `limit` items into `buf`, waiting asynchronously while
    /// the ring is empty; returns how many, 0 once the ring is empty and
    /// the producer is gone. See [`poll_pop_many`](Self::poll_pop_many).
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
    /// let (mut tx, mut rx) = handoff::spsc::channel(8);
    /// tx.push_slice(&[1, 2, 3]);
    /// drop(tx);
    /// let mut buf = Vec::new();
    /// assert_eq!(block_on(rx.pop_many(&mut buf, 10)), 3);
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
    /// Polls for a free slot and reserves it: `Ready(Ok(permit))`, whose
    /// [`push`](Permit::push) cannot fail for want of room;
    /// `Ready(Err(Closed))` if the consumer is gone or closed the ring; or
    /// `Pending` (the task is woken by the next pop). The value moves only
    /// when the permit is used, so nothing is lost if the caller changes its
    /// mind (tokio's `Sender::reserve`).
    ///
    /// Cancel-safe: a dropped permit reserves nothing.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut tx, mut rx) = handoff::spsc::channel(1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let Poll::Ready(Ok(permit)) = tx.poll_reserve(&mut cx) else { unreachable!() };
    /// permit.push("the value moves in only now");
    /// assert!(tx.poll_reserve(&mut cx).is_pending()); // full
    /// assert_eq!(rx.pop(), Some("the value moves in only now"));
    /// ```
    pub fn poll_reserve(&mut self, cx: &mut Context<'_>) -> Poll<Result<Permit<'_, T>, Closed>> {
        let mut parker = self.own.take(&self.ring.shared.tx_wake);
        let got = parker.poll_wait(cx, || {
            if self.is_closed() {
                Some(Err(Closed))
            } else {
                (self.free_len() > 0).then_some(Ok(()))
            }
        });
        self.own.put(parker);
        got.map(|r| r.map(|()| Permit { producer: self }))
    }

    /// Waits asynchronously for a free slot and reserves it; see
    /// [`poll_reserve`](Self::poll_reserve).
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
    /// let (mut tx, mut rx) = handoff::spsc::channel(1);
    /// block_on(async { tx.reserve().await.unwrap().push(5) });
    /// assert_eq!(rx.pop(), Some(5));
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn reserve(&mut self) -> impl Future<Output = Result<Permit<'_, T>, Closed>> + '_ {
        let mut this = Some(self);
        poll_fn(move |cx| {
            let producer = this.take().expect("polled after completion");
            // A `Pending` poll returns the borrow; keep it for the next.
            let free = {
                let mut parker = producer.own.take(&producer.ring.shared.tx_wake);
                let got = parker.poll_wait(cx, || {
                    if producer.is_closed() {
                        Some(Err(Closed))
                    } else {
                        (producer.free_len() > 0).then_some(Ok(()))
                    }
                });
                producer.own.put(parker);
                got
            };
            match free {
                Poll::Ready(r) => Poll::Ready(r.map(|()| Permit { producer })),
                Poll::Pending => {
                    this = Some(producer);
                    Poll::Pending
                }
            }
        })
    }

    /// Polls to push the value in `slot`: takes it and pushes it
    /// (`Ready(Ok)`), or leaves it there and arranges a wake-up when the
    /// ring is full (`Pending`), or leaves it there and returns
    /// `Ready(Err(Closed))` when the consumer is gone.
    ///
    /// Cancel-safe: the value is always either in `slot` or in the ring.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut tx, mut rx) = handoff::spsc::channel(1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut slot = Some(1);
    /// assert_eq!(tx.poll_push(&mut cx, &mut slot), Poll::Ready(Ok(())));
    /// let mut slot = Some(2);
    /// assert!(tx.poll_push(&mut cx, &mut slot).is_pending());
    /// assert_eq!(slot, Some(2)); // still ours
    /// ```
    pub fn poll_push(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<T>,
    ) -> Poll<Result<(), Closed>> {
        if slot.is_none() {
            return Poll::Ready(Ok(()));
        }
        let mut parker = self.own.take(&self.ring.shared.tx_wake);
        let got = parker.poll_wait(cx, || self.push_or_closed(slot));
        self.own.put(parker);
        got.map(|r| {
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
    /// a dropped future never pushed it (and drops it with itself). To keep
    /// the value when a `select!` drops the future, use
    /// [`reserve`](Self::reserve) or [`poll_push`](Self::poll_push).
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
    /// let (mut tx, mut rx) = handoff::spsc::channel(1);
    /// block_on(tx.push_async(7)).unwrap();
    /// assert_eq!(rx.pop(), Some(7));
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn push_async(&mut self, value: T) -> impl Future<Output = Result<(), PushError<T>>> + '_ {
        let mut slot = Some(value);
        poll_fn(move |cx| {
            self.poll_push(cx, &mut slot).map(|r| {
                r.map_err(|Closed| PushError::Closed(slot.take().expect("the value is back")))
            })
        })
    }
}

/// A reserved slot in an [`spsc`](crate::spsc) ring: made by
/// [`Producer::reserve`] or [`Producer::poll_reserve`], used by
/// [`push`](Self::push). While it lives the producer is borrowed, so the
/// slot stays free.
#[must_use = "a permit reserves a slot only to push into it"]
pub struct Permit<'a, T> {
    producer: &'a mut Producer<T>,
}

impl<T> Permit<'_, T> {
    /// Pushes `value` into the reserved slot. It cannot fail for want of
    /// room; if the consumer has gone since the reservation, the value is
    /// dropped (nobody could read it), as tokio's `Permit::send` does.
    ///
    /// ```
    /// # use std::task::{Context, Poll, Waker};
    /// let (mut tx, mut rx) = handoff::spsc::channel(1);
    /// # let mut cx = Context::from_waker(Waker::noop());
    /// # let Poll::Ready(Ok(permit)) = tx.poll_reserve(&mut cx) else { unreachable!() };
    /// permit.push(3);
    /// assert_eq!(rx.pop(), Some(3));
    /// ```
    pub fn push(self, value: T) {
        match self.producer.push(value) {
            Ok(()) | Err(PushError::Closed(_)) => {}
            Err(PushError::Full(_)) => {
                unreachable!("a reserved slot was taken: only this producer pushes")
            }
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}
