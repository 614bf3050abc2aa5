//! `mpsc`: zero-sized items through every operation, rings dropped with
//! items inside, items whose `Drop` panics, and a signal handler that
//! pushes on the very thread whose push it interrupted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use handoff::mpsc;

use super::common::block_on;
use super::quiet_panics;
use super::spsc::{zst_drops, Loud, Zst};

/// Bug class: as for `spsc`, a zero-sized item through every operation,
/// each dropped exactly once, also when refused and when the ring is
/// dropped with items inside.
#[test]
fn zero_sized_items_are_dropped_once_through_every_operation() {
    const K: usize = 1;
    let (tx, mut rx) = mpsc::channel::<Zst<K>>(4);
    let tx2 = tx.clone();
    let mut made = 0;
    for p in [&tx, &tx2] {
        p.push(Zst).map_err(|_| ()).unwrap();
        made += 1;
    }
    drop(rx.pop());
    assert!(rx.try_pop().is_ok());
    assert_eq!(zst_drops::<K>(), 2);
    for _ in 0..4 {
        tx.push(Zst).map_err(|_| ()).unwrap();
        made += 1;
    }
    drop(tx2.push(Zst).unwrap_err()); // full: handed back, dropped by us
    made += 1;
    assert_eq!(zst_drops::<K>(), 3);
    assert_eq!(rx.drain(2).count(), 2);
    assert!(rx.pop_blocking().is_some());
    assert!(rx.pop_timeout(Duration::from_millis(1)).is_ok());
    assert_eq!(zst_drops::<K>(), 7);
    tx.push_blocking(Zst).map_err(|_| ()).unwrap();
    tx.push_timeout(Zst, Duration::from_millis(1))
        .map_err(|_| ())
        .unwrap();
    block_on(tx.push_async(Zst)).map_err(|_| ()).unwrap();
    made += 3;
    assert!(block_on(rx.pop_async()).is_some());
    assert_eq!(zst_drops::<K>(), 8);
    // Two inside; the consumer goes first, then the producers.
    drop(rx);
    drop(tx.push(Zst).unwrap_err());
    made += 1;
    drop(tx);
    drop(tx2);
    assert_eq!(zst_drops::<K>(), made);
}

/// Bug class: a ring dropped with items inside, one of whose `Drop`
/// panics: the others are still dropped, each once.
#[test]
fn a_panicking_item_drop_does_not_leak_the_rest() {
    quiet_panics();
    let drops: Vec<AtomicUsize> = (0..5).map(|_| AtomicUsize::new(0)).collect();
    let (tx, rx) = mpsc::channel(8);
    for id in 0..5 {
        tx.push(Loud {
            id,
            panics: id == 0,
            drops: &drops,
        })
        .map_err(|_| ())
        .unwrap();
    }
    drop(tx);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx)));
    assert!(result.is_err(), "the item's panic goes on to the dropper");
    for (id, d) in drops.iter().enumerate() {
        assert_eq!(d.load(Ordering::SeqCst), 1, "item {id}");
    }
}

/// Bug class: a push that spins instead of returning `Full`. A signal
/// handler pushes onto a ring of capacity 1 from the thread whose own push
/// it interrupted; when that push had claimed the only slot and not yet
/// published it, the handler's push used to wait for it forever (the
/// interrupted push cannot resume until the handler returns). Every
/// handler must return.
#[cfg(all(unix, not(miri)))]
#[test]
fn a_signal_handler_pushing_on_the_interrupted_producers_thread_returns() {
    use std::os::unix::thread::JoinHandleExt;
    use std::sync::atomic::AtomicBool;
    use std::sync::OnceLock;
    use std::time::Instant;

    static RING: OnceLock<mpsc::Producer<u64>> = OnceLock::new();
    static HANDLED: AtomicUsize = AtomicUsize::new(0);
    static FULL: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn handler(_: libc::c_int) {
        if let Some(tx) = RING.get() {
            if tx.push(u64::MAX).is_err() {
                FULL.fetch_add(1, Ordering::Relaxed);
            }
        }
        HANDLED.fetch_add(1, Ordering::Release);
    }

    let (tx, mut rx) = mpsc::channel::<u64>(1);
    assert!(RING.set(tx.clone()).is_ok());
    super::install_handler(libc::SIGUSR2, handler);
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let stop2 = std::sync::Arc::clone(&stop);
    let pusher = std::thread::spawn(move || {
        let mut i = 0;
        while !stop2.load(Ordering::Relaxed) {
            if tx.push(i).is_ok() {
                i += 1;
            }
        }
    });
    let stop3 = std::sync::Arc::clone(&stop);
    let consumer = std::thread::spawn(move || {
        let mut n = 0u64;
        while !stop3.load(Ordering::Relaxed) {
            n += u64::from(rx.pop().is_some());
        }
        n
    });
    let signals = 3_000;
    let deadline = Instant::now() + Duration::from_secs(60);
    for k in 0..signals {
        // SAFETY: the pusher thread is alive until we stop it below.
        unsafe { libc::pthread_kill(pusher.as_pthread_t(), libc::SIGUSR2) };
        // One signal at a time: wait until this one was handled.
        while HANDLED.load(Ordering::Acquire) <= k {
            assert!(
                Instant::now() < deadline,
                "a handler's push never returned (after {k} signals)"
            );
            std::thread::yield_now();
        }
    }
    stop.store(true, Ordering::Relaxed);
    pusher.join().unwrap();
    let popped = consumer.join().unwrap();
    assert_eq!(HANDLED.load(Ordering::SeqCst), signals);
    assert!(popped > 0);
    eprintln!(
        "{signals} handler pushes, {} found the ring full",
        FULL.load(Ordering::Relaxed)
    );
}
