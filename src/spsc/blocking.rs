//! Waiting on the ring: blocking, timed and async pushes and pops, built on
//! the [`park`](crate::park) protocol.
//!
//! Each half makes its own [`Parker`](crate::park::Parker) the first time it
//! waits. A push wakes the consumer's parker and a pop the producer's, with
//! no system call unless that side really sleeps.

use core::future::Future;
use std::future::poll_fn;
use std::time::Duration;

use super::{Consumer, Producer};
use crate::park::{
    push_attempt, timed_pop, ParkStats, RegisterError, SpinPolicy, Unparker, WakeStats,
};
use crate::{PopError, PushError};

impl<T> Consumer<T> {
    /// Makes pushes to this ring (and the producer's `Drop`) wake `unparker`'s
    /// [`Parker`](crate::park::Parker), so that one parker can wait on many
    /// rings. A ring wakes one parker for good: registering another fails,
    /// and so do this consumer's own blocking and async pops (they panic).
    ///
    /// ```
    /// use handoff::{park::Parker, spsc};
    ///
    /// let mut parker = Parker::new();
    /// let (mut tx, mut rx) = spsc::channel(2);
    /// rx.register(&parker.unparker()).unwrap();
    /// std::thread::spawn(move || tx.push(1).unwrap());
    /// assert_eq!(parker.wait(|| rx.pop()), 1);
    /// ```
    pub fn register(&self, unparker: &Unparker) -> Result<(), RegisterError> {
        self.ring.shared.rx_wake.register(unparker)
    }

    /// Pops the oldest item, sleeping while the ring is empty. Returns `None`
    /// once the ring is empty and the producer is gone.
    ///
    /// Spins briefly first (see [`set_spin_policy`](Self::set_spin_policy)),
    /// then sleeps until a push wakes it.
    ///
    /// # Panics
    ///
    /// If this consumer was [`register`](Self::register)ed with a parker:
    /// wait on that parker instead.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(4);
    /// let t = std::thread::spawn(move || {
    ///     for i in 0..10 {
    ///         tx.push_blocking(i).unwrap();
    ///     }
    /// });
    /// let mut got = Vec::new();
    /// while let Some(v) = rx.pop_blocking() {
    ///     got.push(v);
    /// }
    /// t.join().unwrap();
    /// assert_eq!(got, (0..10).collect::<Vec<_>>());
    /// ```
    #[track_caller]
    pub fn pop_blocking(&mut self) -> Option<T> {
        let mut parker = self.own.take(&self.ring.shared.rx_wake);
        let got = parker.wait(|| self.pop_or_closed());
        self.own.put(parker);
        got
    }

    /// Like [`pop_blocking`](Self::pop_blocking), but gives up after
    /// `timeout`: [`PopError::Empty`] if the ring is still empty then,
    /// [`PopError::Closed`] once it is empty and the producer is gone.
    ///
    /// ```
    /// use std::time::Duration;
    /// use handoff::{spsc, PopError};
    ///
    /// let (tx, mut rx) = spsc::channel::<u8>(1);
    /// assert_eq!(rx.pop_timeout(Duration::from_millis(1)), Err(PopError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.pop_timeout(Duration::from_secs(60)), Err(PopError::Closed));
    /// ```
    #[track_caller]
    pub fn pop_timeout(&mut self, timeout: Duration) -> Result<T, PopError> {
        let mut parker = self.own.take(&self.ring.shared.rx_wake);
        let got = parker.wait_timeout(timeout, || self.pop_or_closed());
        self.own.put(parker);
        timed_pop(got)
    }

    /// Pops the oldest item, waiting asynchronously while the ring is empty;
    /// `None` once it is empty and the producer is gone.
    ///
    /// Cancel-safe: an item leaves the ring only in the poll that returns it,
    /// so dropping the future (in a `select!`, on a timeout) loses nothing.
    ///
    /// # Panics
    ///
    /// As [`pop_blocking`](Self::pop_blocking).
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
    pub fn pop_async(&mut self) -> impl Future<Output = Option<T>> + '_ {
        poll_fn(move |cx| {
            let mut parker = self.own.take(&self.ring.shared.rx_wake);
            let got = parker.poll_wait(cx, || self.pop_or_closed());
            self.own.put(parker);
            got
        })
    }

    /// Sets how long this consumer's blocking pops spin and yield before
    /// sleeping.
    ///
    /// ```
    /// use handoff::park::SpinPolicy;
    /// let (_tx, mut rx) = handoff::spsc::channel::<u8>(1);
    /// rx.set_spin_policy(SpinPolicy::SLEEP_AT_ONCE);
    /// assert_eq!(rx.spin_policy(), SpinPolicy::SLEEP_AT_ONCE);
    /// ```
    pub fn set_spin_policy(&mut self, policy: SpinPolicy) {
        self.own.set_policy(policy);
    }

    /// The spin policy of this consumer's blocking pops.
    ///
    /// ```
    /// let (_tx, rx) = handoff::spsc::channel::<u8>(1);
    /// assert_eq!(rx.spin_policy(), handoff::park::SpinPolicy::default());
    /// ```
    pub fn spin_policy(&self) -> SpinPolicy {
        self.own.policy()
    }

    /// How often this consumer's own blocking and async pops slept, and
    /// were woken: each thread sleep and each futex wake is a system call.
    ///
    /// ```
    /// let (mut tx, mut rx) = handoff::spsc::channel(1);
    /// tx.push(1).unwrap();
    /// assert_eq!(rx.pop_blocking(), Some(1));
    /// assert_eq!(rx.park_stats().sleeps, 0); // the item was there
    /// ```
    pub fn park_stats(&self) -> ParkStats {
        self.own.stats()
    }

    /// Items pushed so far and wake-ups they cost the consumer's parker.
    ///
    /// ```
    /// let (mut tx, rx) = handoff::spsc::channel(8);
    /// tx.push_slice(&[1, 2, 3]);
    /// assert_eq!(rx.wake_stats().messages, 3);
    /// assert_eq!(rx.wake_stats().wakes, 0);
    /// ```
    pub fn wake_stats(&self) -> WakeStats {
        self.ring.wake_stats()
    }

    /// `Some(Some(item))`, `Some(None)` when empty and closed, `None` when
    /// empty and open: what a waiter waits for.
    fn pop_or_closed(&mut self) -> Option<Option<T>> {
        if let Some(v) = self.pop() {
            return Some(Some(v));
        }
        // Closed means every item is published: pop once more.
        self.is_closed().then(|| self.pop())
    }
}

impl<T> Producer<T> {
    /// Pushes `value`, sleeping while the ring is full. Fails only with
    /// [`PushError::Closed`], handing the value back, if the consumer is (or
    /// goes) away.
    ///
    /// ```
    /// use handoff::{spsc, PushError};
    ///
    /// let (mut tx, mut rx) = spsc::channel(1);
    /// tx.push_blocking(1).unwrap();
    /// let t = std::thread::spawn(move || (rx.pop_blocking(), rx.pop_blocking()));
    /// tx.push_blocking(2).unwrap(); // waits for the first pop
    /// assert_eq!(t.join().unwrap(), (Some(1), Some(2)));
    /// assert_eq!(tx.push_blocking(3), Err(PushError::Closed(3)));
    /// ```
    pub fn push_blocking(&mut self, value: T) -> Result<(), PushError<T>> {
        let mut parker = self.own.take(&self.ring.shared.tx_wake);
        let mut value = Some(value);
        let done = parker.wait(|| self.push_or_closed(&mut value));
        self.own.put(parker);
        done
    }

    /// Like [`push_blocking`](Self::push_blocking), but gives up after
    /// `timeout`, handing the value back in [`PushError::Full`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use handoff::{spsc, PushError};
    ///
    /// let (mut tx, _rx) = spsc::channel(1);
    /// tx.push(1).unwrap();
    /// assert_eq!(tx.push_timeout(2, Duration::from_millis(1)), Err(PushError::Full(2)));
    /// ```
    pub fn push_timeout(&mut self, value: T, timeout: Duration) -> Result<(), PushError<T>> {
        let mut parker = self.own.take(&self.ring.shared.tx_wake);
        let mut value = Some(value);
        let done = parker.wait_timeout(timeout, || self.push_or_closed(&mut value));
        self.own.put(parker);
        match done {
            Some(done) => done,
            None => Err(PushError::Full(value.take().expect("an unpushed value"))),
        }
    }

    /// Pushes `value`, waiting asynchronously while the ring is full. Fails
    /// only with [`PushError::Closed`].
    ///
    /// Cancel-safe in the sense that matters: the value is pushed only in
    /// the poll that returns `Ready(Ok(()))`, so a dropped future never
    /// pushed it (and drops it). To keep the value when a `select!` drops
    /// the future, keep the future (or push with
    /// [`push`](Self::push) once [`free_len`](Self::free_len) is non-zero).
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
    pub fn push_async(&mut self, value: T) -> impl Future<Output = Result<(), PushError<T>>> + '_ {
        let mut value = Some(value);
        poll_fn(move |cx| {
            let mut parker = self.own.take(&self.ring.shared.tx_wake);
            let done = parker.poll_wait(cx, || self.push_or_closed(&mut value));
            self.own.put(parker);
            done
        })
    }

    /// Sets how long this producer's blocking pushes spin and yield before
    /// sleeping.
    ///
    /// ```
    /// use handoff::park::SpinPolicy;
    /// let (mut tx, _rx) = handoff::spsc::channel::<u8>(1);
    /// tx.set_spin_policy(SpinPolicy::new(2, 0));
    /// assert_eq!(tx.spin_policy(), SpinPolicy::new(2, 0));
    /// ```
    pub fn set_spin_policy(&mut self, policy: SpinPolicy) {
        self.own.set_policy(policy);
    }

    /// The spin policy of this producer's blocking pushes.
    ///
    /// ```
    /// let (tx, _rx) = handoff::spsc::channel::<u8>(1);
    /// assert_eq!(tx.spin_policy(), handoff::park::SpinPolicy::default());
    /// ```
    pub fn spin_policy(&self) -> SpinPolicy {
        self.own.policy()
    }

    /// How often this producer's own blocking and async pushes slept, and
    /// were woken.
    ///
    /// ```
    /// let (mut tx, _rx) = handoff::spsc::channel(1);
    /// tx.push_blocking(1).unwrap();
    /// assert_eq!(tx.park_stats().sleeps, 0); // there was room
    /// ```
    pub fn park_stats(&self) -> ParkStats {
        self.own.stats()
    }

    /// Items pushed so far and wake-ups they cost the consumer's parker.
    ///
    /// ```
    /// let (mut tx, _rx) = handoff::spsc::channel(8);
    /// tx.push(1).unwrap();
    /// assert_eq!(tx.wake_stats().messages, 1);
    /// ```
    pub fn wake_stats(&self) -> WakeStats {
        self.ring.wake_stats()
    }

    /// One attempt of a blocking push (see [`push_attempt`]).
    fn push_or_closed(&mut self, value: &mut Option<T>) -> Option<Result<(), PushError<T>>> {
        push_attempt(value, |v| self.push(v))
    }
}
