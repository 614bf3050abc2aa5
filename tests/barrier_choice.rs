//! The programmatic barrier switch, chosen at start-up: one test, alone in
//! its process (the choice is process-wide and settled once), so that no
//! other test's ring settles it first.
#![cfg(not(loom))]

use std::time::Duration;

use handoff::park::{barrier, fence_free_push, set_barrier, Barrier, BarrierError};
use handoff::spsc;

#[test]
fn fences_chosen_before_any_ring_stay_chosen_and_work() {
    assert_eq!(set_barrier(Barrier::Fences), Ok(()));
    assert_eq!(
        set_barrier(Barrier::Fences),
        Ok(()),
        "the same choice again is fine"
    );
    // Under Miri there is no asymmetric barrier at all: it says so first.
    let too_late = if cfg!(miri) {
        BarrierError::Unsupported
    } else {
        BarrierError::AlreadySettled(Barrier::Fences)
    };
    assert_eq!(
        set_barrier(Barrier::Asymmetric),
        Err(too_late),
        "too late for the other one"
    );
    assert_eq!(barrier(), Barrier::Fences);
    assert!(!fence_free_push());
    // The protocol still wakes sleepers: a consumer that sleeps at once,
    // woken by pushes from another thread, many times.
    let n = if cfg!(miri) { 20 } else { 2_000 };
    let (mut tx, mut rx) = spsc::channel::<u32>(1);
    rx.set_spin_policy(handoff::park::SpinPolicy::SLEEP_AT_ONCE);
    let producer = std::thread::spawn(move || {
        for i in 0..n {
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_micros(200));
            }
            tx.push_blocking(i).unwrap();
        }
    });
    for i in 0..n {
        assert_eq!(rx.pop_blocking(), Some(i));
    }
    producer.join().unwrap();
    assert!(
        rx.park_stats().sleeps > 0,
        "the consumer slept and was woken"
    );
}
