//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Long enough for anything that should happen, short enough that a hang
/// fails the test instead of the CI job.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Spins (yielding) until `done`, or panics after [`PATIENCE`].
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

/// Counts its own drop: a future holding one tells when (and that only
/// once) the future was dropped.
pub struct DropGuard(pub Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts how many times values made by one [`Drops`] were dropped, and
/// checks that none is dropped twice.
#[derive(Clone, Debug, Default)]
pub struct Drops(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

impl Drops {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new tracked value carrying `id`.
    pub fn item(&self, id: u64) -> Tracked {
        self.0.made.fetch_add(1, Ordering::Relaxed);
        Tracked {
            id,
            alive: true,
            owner: Arc::clone(&self.0),
        }
    }

    pub fn made(&self) -> usize {
        self.0.made.load(Ordering::SeqCst)
    }

    pub fn dropped(&self) -> usize {
        self.0.dropped.load(Ordering::SeqCst)
    }

    /// Values made and not yet dropped.
    pub fn alive(&self) -> usize {
        self.made() - self.dropped()
    }
}

/// A value whose drop is counted; dropping it twice panics.
#[derive(Debug)]
pub struct Tracked {
    pub id: u64,
    alive: bool,
    owner: Arc<Inner>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        assert!(self.alive, "item {} dropped twice", self.id);
        self.alive = false;
        self.owner.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// `n` scaled down under Miri, where every step is thousands of times slower.
pub fn scaled(n: u64, miri: u64) -> u64 {
    if cfg!(miri) {
        miri
    } else {
        n
    }
}

/// Runs a future to completion on this thread, sleeping (thread park) while
/// it is pending: a minimal executor whose waker really wakes.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// A waker that counts its wakes.
#[derive(Debug, Default)]
pub struct CountingWaker(AtomicUsize);

impl CountingWaker {
    pub fn waker(self: &Arc<Self>) -> std::task::Waker {
        std::task::Waker::from(Arc::clone(self))
    }

    pub fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
