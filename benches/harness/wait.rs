//! Waiting threads: the spin-then-yield [`Backoff`], and [`run_timed`], which
//! starts the helper threads of a measurement, times it and joins them.

use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A wait with no progress for this long means an item was lost (or a
/// thread died): the run panics instead of hanging.
const STALL_LIMIT: Duration = Duration::from_secs(60);

/// The wait policy of a waiting thread: [`snooze`](Self::snooze) after each
/// failed attempt, a fresh `Backoff` for each operation (and after each bit
/// of progress).
///
/// The first `SPINS` snoozes are one `spin_loop()` each; after that each is a
/// `yield_now()`. A wait normally ends within a few hundred nanoseconds; it
/// runs out of spins only when the thread waited for has lost its core, and
/// yielding then hands the core back instead of spinning through the rest of
/// a scheduler time slice (milliseconds of pure noise). How many spins that
/// takes depends on the threads per core, so each ring's module picks its
/// own `SPINS` (its `SPINS_BEFORE_YIELD`). A wait that has been yielding
/// for [`STALL_LIMIT`] panics: an item was lost, and the run would hang.
#[derive(Default)]
pub struct Backoff<const SPINS: u32> {
    spins: u32,
    yields: u32,
    /// When the first yield happened, for the stall check.
    yielding_since: Option<Instant>,
}

impl<const SPINS: u32> Backoff<SPINS> {
    #[inline]
    pub fn new() -> Self {
        Backoff {
            spins: 0,
            yields: 0,
            yielding_since: None,
        }
    }

    /// Waits a little: `spin_loop()`, or `yield_now()` once the spins run
    /// out.
    #[inline]
    pub fn snooze(&mut self) {
        if self.spins < SPINS {
            self.spins += 1;
            spin_loop();
        } else {
            self.yield_now();
        }
    }

    /// Waits until `done()` returns `true`, snoozing after each `false`.
    #[inline]
    pub fn until(mut done: impl FnMut() -> bool) {
        let mut backoff = Self::new();
        while !done() {
            backoff.snooze();
        }
    }

    /// Waits until `attempt()` returns a value, snoozing after each `None`,
    /// and returns that value.
    #[inline]
    pub fn until_some<T>(mut attempt: impl FnMut() -> Option<T>) -> T {
        let mut backoff = Self::new();
        loop {
            if let Some(value) = attempt() {
                return value;
            }
            backoff.snooze();
        }
    }

    #[inline(never)]
    fn yield_now(&mut self) {
        if self.yields.is_multiple_of(1024) {
            let since = *self.yielding_since.get_or_insert_with(Instant::now);
            if since.elapsed() > STALL_LIMIT {
                panic!("no progress for {STALL_LIMIT:?}: an item was lost or a thread died");
            }
        }
        self.yields = self.yields.wrapping_add(1);
        thread::yield_now();
    }
}

/// A helper thread's work.
pub type Helper = Box<dyn FnOnce() + Send + 'static>;

/// Runs each of `helpers` on a new thread and `main` on this one, timing
/// `main` from the moment all threads are running, so that thread start-up is
/// not timed. The helpers are joined (and a panic, if any, propagated) before
/// the time is returned, with what `main` returned. While starting, threads
/// wait with a [`Backoff<SPINS>`](Backoff).
pub fn run_timed<const SPINS: u32, M>(
    helpers: Vec<Helper>,
    main: impl FnOnce() -> M,
) -> (Duration, M) {
    #[derive(Default)]
    struct Gate {
        ready: AtomicUsize,
        go: AtomicBool,
    }
    let gate = Arc::new(Gate::default());
    let count = helpers.len();
    let handles: Vec<_> = helpers
        .into_iter()
        .map(|helper| {
            let gate = Arc::clone(&gate);
            thread::spawn(move || {
                gate.ready.fetch_add(1, Ordering::Release);
                Backoff::<SPINS>::until(|| gate.go.load(Ordering::Acquire));
                helper();
            })
        })
        .collect();
    Backoff::<SPINS>::until(|| gate.ready.load(Ordering::Acquire) == count);
    let start = Instant::now();
    gate.go.store(true, Ordering::Release);
    let result = main();
    let elapsed = start.elapsed();
    for handle in handles {
        handle.join().expect("benchmark helper thread panicked");
    }
    (elapsed, result)
}
