//! Waiting on the ring: blocking, timed and deadline pushes and pops, built
//! on the [`park`](crate::park) protocol (the async and poll-based ones are
//! in `poll`).
//!
//! Each half makes its own [`Parker`](crate::park::Parker) the first time it
//! waits. A push wakes the consumer's parker and a pop the producer's, with
//! no system call unless that side really sleeps.

use std::time::{Duration, Instant};

use super::{Consumer, Producer};
use crate::park::{
    push_attempt, timed_pop, timed_push, ParkStats, RegisterError, SpinPolicy, Unparker, WakeStats,
};
use crate::{PopTimeoutError, PushError, PushTimeoutError};

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
    /// `timeout`: [`PopTimeoutError::Timeout`] if the ring is still empty
    /// then, [`PopTimeoutError::Closed`] once it is empty and the producer
    /// is gone.
    ///
    /// # Panics
    ///
    /// As [`pop_blocking`](Self::pop_blocking).
    ///
    /// ```
    /// use std::time::Duration;
    /// use handoff::{spsc, PopTimeoutError};
    ///
    /// let (tx, mut rx) = spsc::channel::<u8>(1);
    /// assert_eq!(rx.pop_timeout(Duration::from_millis(1)), Err(PopTimeoutError::Timeout));
    /// drop(tx);
    /// assert_eq!(rx.pop_timeout(Duration::from_secs(60)), Err(PopTimeoutError::Closed));
    /// ```
    #[track_caller]
    pub fn pop_timeout(&mut self, timeout: Duration) -> Result<T, PopTimeoutError> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.pop_deadline(deadline),
            None => self.pop_blocking().ok_or(PopTimeoutError::Closed),
        }
    }

    /// Like [`pop_timeout`](Self::pop_timeout), but gives up at `deadline`.
    ///
    /// # Panics
    ///
    /// As [`pop_blocking`](Self::pop_blocking).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use handoff::{spsc, PopTimeoutError};
    ///
    /// let (mut tx, mut rx) = spsc::channel(1);
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// tx.push(1).unwrap();
    /// assert_eq!(rx.pop_deadline(deadline), Ok(1));
    /// assert_eq!(rx.pop_deadline(deadline), Err(PopTimeoutError::Timeout));
    /// ```
    #[track_caller]
    pub fn pop_deadline(&mut self, deadline: Instant) -> Result<T, PopTimeoutError> {
        let mut parker = self.own.take(&self.ring.shared.rx_wake);
        let got = parker.wait_deadline(deadline, || self.pop_or_closed());
        self.own.put(parker);
        timed_pop(got)
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
    pub(super) fn pop_or_closed(&mut self) -> Option<Option<T>> {
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
    /// `timeout`, handing the value back in [`PushTimeoutError::Timeout`]
    /// (or [`PushTimeoutError::Closed`] if the consumer goes away).
    ///
    /// ```
    /// use std::time::Duration;
    /// use handoff::{spsc, PushTimeoutError};
    ///
    /// let (mut tx, _rx) = spsc::channel(1);
    /// tx.push(1).unwrap();
    /// assert_eq!(tx.push_timeout(2, Duration::from_millis(1)), Err(PushTimeoutError::Timeout(2)));
    /// ```
    pub fn push_timeout(&mut self, value: T, timeout: Duration) -> Result<(), PushTimeoutError<T>> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.push_deadline(value, deadline),
            None => self
                .push_blocking(value)
                .map_err(|e| PushTimeoutError::Closed(e.into_inner())),
        }
    }

    /// Like [`push_timeout`](Self::push_timeout), but gives up at
    /// `deadline`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use handoff::{spsc, PushTimeoutError};
    ///
    /// let (mut tx, mut rx) = spsc::channel(1);
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert_eq!(tx.push_deadline(1, deadline), Ok(()));
    /// assert_eq!(tx.push_deadline(2, deadline), Err(PushTimeoutError::Timeout(2)));
    /// assert_eq!(rx.pop(), Some(1));
    /// ```
    pub fn push_deadline(
        &mut self,
        value: T,
        deadline: Instant,
    ) -> Result<(), PushTimeoutError<T>> {
        let mut parker = self.own.take(&self.ring.shared.tx_wake);
        let mut value = Some(value);
        let got = parker.wait_deadline(deadline, || self.push_or_closed(&mut value));
        self.own.put(parker);
        timed_push(got, &mut value)
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
    pub(super) fn push_or_closed(
        &mut self,
        value: &mut Option<T>,
    ) -> Option<Result<(), PushError<T>>> {
        push_attempt(value, |v| self.push(v))
    }
}

impl<T> super::Ring<T> {
    /// Items pushed so far and the wake-ups pushes issued.
    fn wake_stats(&self) -> WakeStats {
        WakeStats {
            // ordering: Relaxed; a statistic. Positions start at 0, so the
            // tail counts the pushes (modulo 2^32 on 32-bit targets).
            messages: self.shared.tail.load(crate::loom::Ordering::Relaxed) as u64,
            wakes: self.shared.rx_wake.wakes(),
        }
    }
}
