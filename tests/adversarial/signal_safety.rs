//! The crate's async-signal-safety claims, each tried with a real signal
//! handler that calls the operation in a loop while the thread it
//! interrupts is busy: allocating (so that it often holds the allocator's
//! lock) and using the other end of the same ring.
//!
//! Bug class: an operation documented as async-signal-safe that allocates
//! or takes a lock, which deadlocks (or corrupts the allocator) when the
//! handler interrupts a thread holding that lock. The test binary's
//! allocator counts every allocation made inside a handler: there must be
//! none. A deadlock shows as a handler that never returns.
//!
//! Claimed (see the crate docs, "Async-signal safety"): `spsc` `push`,
//! `pop`, `push_slice`, `pop_slice`, `drain`; `mpsc` `push` and `pop`,
//! `try_pop`, `pop_slice`, `drain` while no producer waits as an async
//! task; `Unparker::unpark`; `SignalTable::raise` and `Signaller::signal`
//! while the worker waits as a thread or an event loop.

#![cfg(all(target_os = "linux", not(miri)))]

use std::cell::{Cell, UnsafeCell};
use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use handoff::park::{Parker, Unparker};
use handoff::signal::Action;
use handoff::worker::{self, RequestContext, Signaller, Ticket, Worker};
use handoff::{mpsc, spsc};

thread_local! {
    /// Set while this thread runs the signal handler.
    static IN_HANDLER: Cell<bool> = const { Cell::new(false) };
}

/// Allocations made inside a handler.
pub static HANDLER_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting what signal handlers allocate.
pub struct Counting;

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if IN_HANDLER.with(Cell::get) {
            HANDLER_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if IN_HANDLER.with(Cell::get) {
            HANDLER_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

/// A value only the signal handler touches (signals to one thread are
/// handled one at a time: the handler never runs twice at once).
struct HandlerOwned<T>(UnsafeCell<Option<T>>);

// SAFETY: only the handler (one at a time, see above) dereferences it,
// after the test set it and before the test takes it back, both while no
// signal is in flight.
unsafe impl<T: Send> Sync for HandlerOwned<T> {}

impl<T> HandlerOwned<T> {
    const fn new() -> Self {
        Self(UnsafeCell::new(None))
    }

    /// # Safety
    /// No signal may be in flight, and no other reference may be alive.
    unsafe fn set(&self, value: Option<T>) -> Option<T> {
        // SAFETY: the caller's contract.
        unsafe { core::mem::replace(&mut *self.0.get(), value) }
    }

    /// # Safety
    /// Only from the handler.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self) -> Option<&mut T> {
        // SAFETY: the caller's contract.
        unsafe { (*self.0.get()).as_mut() }
    }
}

static SPSC_TX: HandlerOwned<spsc::Producer<u64>> = HandlerOwned::new();
static SPSC_RX: HandlerOwned<spsc::Consumer<u64>> = HandlerOwned::new();
static MPSC_TX: OnceLock<mpsc::Producer<u64>> = OnceLock::new();
static MPSC_RX: HandlerOwned<mpsc::Consumer<u64>> = HandlerOwned::new();
static UNPARKER: OnceLock<Unparker> = OnceLock::new();
static SIGNAL: OnceLock<(Signaller, Ticket)> = OnceLock::new();

/// Which operation the handler runs.
static OP: AtomicUsize = AtomicUsize::new(0);
static HANDLED: AtomicUsize = AtomicUsize::new(0);

const SPSC_PUSH: usize = 0;
const SPSC_POP: usize = 1;
const MPSC_PUSH: usize = 2;
const MPSC_POP: usize = 3;
const UNPARK: usize = 4;
const RAISE: usize = 5;

extern "C" fn handler(_: libc::c_int) {
    IN_HANDLER.with(|h| h.set(true));
    // SAFETY: we are the handler.
    unsafe {
        match OP.load(Ordering::Acquire) {
            SPSC_PUSH => {
                if let Some(tx) = SPSC_TX.get() {
                    let _ = tx.push(1);
                    let _ = tx.push_slice(&[2, 3]);
                }
            }
            SPSC_POP => {
                if let Some(rx) = SPSC_RX.get() {
                    let _ = rx.pop();
                    let mut buf = [0; 2];
                    let _ = rx.pop_slice(&mut buf);
                    let _ = rx.drain(2).count();
                }
            }
            MPSC_PUSH => {
                if let Some(tx) = MPSC_TX.get() {
                    let _ = tx.push(1);
                }
            }
            MPSC_POP => {
                if let Some(rx) = MPSC_RX.get() {
                    let _ = rx.pop();
                    let _ = rx.try_pop();
                    let mut buf = [0; 2];
                    let _ = rx.pop_slice(&mut buf);
                    let _ = rx.drain(2).count();
                }
            }
            UNPARK => {
                if let Some(u) = UNPARKER.get() {
                    u.unpark();
                }
            }
            RAISE => {
                if let Some((s, t)) = SIGNAL.get() {
                    let _ = s.signal(*t, Action::Dup);
                }
            }
            _ => {}
        }
    }
    IN_HANDLER.with(|h| h.set(false));
    HANDLED.fetch_add(1, Ordering::Release);
}

/// Sends `n` signals to `target`, one at a time (each handled before the
/// next), failing if a handler does not return.
fn interrupt(target: &JoinHandle<()>, n: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for _ in 0..n {
        let before = HANDLED.load(Ordering::Acquire);
        // SAFETY: the target thread runs until the test stops it.
        unsafe { libc::pthread_kill(target.as_pthread_t(), libc::SIGUSR1) };
        while HANDLED.load(Ordering::Acquire) == before {
            assert!(
                Instant::now() < deadline,
                "{what}: a handler never returned"
            );
            std::thread::yield_now();
        }
    }
}

/// Runs operation `op` in the handler `n` times, interrupting a thread
/// that allocates and frees in a loop and runs `step` each round.
fn case(op: usize, what: &str, n: usize, mut step: impl FnMut() + Send + 'static) {
    OP.store(op, Ordering::Release);
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    let busy = std::thread::spawn(move || {
        let mut keep = Vec::new();
        while !stop2.load(Ordering::Relaxed) {
            keep.push(vec![0u8; 64]);
            if keep.len() > 64 {
                keep.clear();
            }
            step();
        }
    });
    interrupt(&busy, n, what);
    stop.store(true, Ordering::Relaxed);
    busy.join().unwrap();
}

#[test]
fn claimed_async_signal_safe_operations_neither_allocate_nor_block() {
    super::install_handler(libc::SIGUSR1, handler);
    let n = 300;

    // spsc push from the handler; the interrupted thread is the consumer,
    // sleeping in pop_timeout (so pushes make futex wakes).
    let (tx, mut rx) = spsc::channel::<u64>(8);
    // SAFETY: no signal in flight yet.
    unsafe { SPSC_TX.set(Some(tx)) };
    case(SPSC_PUSH, "spsc push", n, move || {
        let _ = rx.pop_timeout(Duration::from_micros(200));
    });
    // SAFETY: the thread is gone: no signal can be in flight.
    drop(unsafe { SPSC_TX.set(None) });

    // spsc pop from the handler; the interrupted thread is the producer,
    // sleeping in push_timeout on a full ring (so pops make futex wakes).
    let (mut tx, rx) = spsc::channel::<u64>(2);
    // SAFETY: as above.
    unsafe { SPSC_RX.set(Some(rx)) };
    case(SPSC_POP, "spsc pop", n, move || {
        let _ = tx.push_timeout(7, Duration::from_micros(200));
    });
    // SAFETY: as above.
    drop(unsafe { SPSC_RX.set(None) });

    // mpsc push from the handler, onto the ring the interrupted thread
    // pushes to and pops from.
    let (tx, mut rx) = mpsc::channel::<u64>(2);
    assert!(MPSC_TX.set(tx.clone()).is_ok());
    case(MPSC_PUSH, "mpsc push", n, move || {
        let _ = tx.push(5);
        let _ = rx.pop();
    });

    // mpsc pop from the handler; the interrupted thread is a producer
    // sleeping in push_timeout on the full ring (a thread in the wait list:
    // the pop's wake is a futex wake, no lock).
    let (tx, rx) = mpsc::channel::<u64>(2);
    // SAFETY: as above.
    unsafe { MPSC_RX.set(Some(rx)) };
    case(MPSC_POP, "mpsc pop", n, move || {
        let _ = tx.push_timeout(9, Duration::from_micros(200));
    });
    // SAFETY: as above.
    drop(unsafe { MPSC_RX.set(None) });

    // unpark from the handler; the interrupted thread waits on the parker.
    let mut parker = Parker::new();
    assert!(UNPARKER.set(parker.unparker()).is_ok());
    case(UNPARK, "unpark", n, move || {
        parker.wait_timeout(Duration::from_micros(200), || None::<()>);
    });

    // signal from the handler, on a request of a worker that waits as a
    // thread; the interrupted thread is the network side, taking replies.
    let handler = worker::from_fn(|_: (), cx: RequestContext| async move {
        loop {
            cx.signalled().await;
        }
    });
    let mut w: Worker<(), ()> = Worker::spawn(Default::default(), handler).unwrap();
    let ticket = w.enqueue(()).unwrap();
    assert!(SIGNAL.set((w.signaller(), ticket)).is_ok());
    case(RAISE, "signal", n, move || {
        let _ = w.reply_timeout(Duration::from_micros(200));
    });

    assert_eq!(
        HANDLER_ALLOCATIONS.load(Ordering::SeqCst),
        0,
        "an operation claimed async-signal-safe allocated in a handler"
    );
}
