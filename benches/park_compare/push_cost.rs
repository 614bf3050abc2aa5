//! What being wakeable costs a push: `handoff::spsc` with spinning halves,
//! with and without a parker registered, and rtrb for scale.

use std::hint::spin_loop;
use std::thread;
use std::time::Instant;

use handoff::park::{Parker, SpinPolicy};

use crate::CAPACITY;

/// `handoff::spsc` with spinning halves: `n` items, with or without a
/// parker registered (and awake) on the consumer side.
pub fn push_cost_handoff(n: u64, registered: bool) -> f64 {
    let (mut tx, mut rx) = handoff::spsc::channel::<u64>(CAPACITY);
    let parker = Parker::new().with_policy(SpinPolicy::default());
    if registered {
        rx.register(&parker.unparker()).unwrap();
    }
    let producer = thread::spawn(move || {
        for i in 0..n {
            let mut v = i;
            while let Err(e) = tx.push(v) {
                v = e.into_inner();
                spin_loop();
            }
        }
    });
    let start = Instant::now();
    for i in 0..n {
        let v = loop {
            if let Some(v) = rx.pop() {
                break v;
            }
            spin_loop();
        };
        assert_eq!(v, i);
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    producer.join().unwrap();
    assert_eq!(rx.wake_stats().wakes, 0, "an awake consumer is never woken");
    drop(parker);
    ns
}

/// The same with rtrb, which has no wake-up support.
pub fn push_cost_rtrb(n: u64) -> f64 {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(CAPACITY);
    let producer = thread::spawn(move || {
        for i in 0..n {
            while tx.push(i).is_err() {
                spin_loop();
            }
        }
    });
    let start = Instant::now();
    for i in 0..n {
        let v = loop {
            if let Ok(v) = rx.pop() {
                break v;
            }
            spin_loop();
        };
        assert_eq!(v, i);
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    producer.join().unwrap();
    ns
}
