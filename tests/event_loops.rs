//! An `FdParker` in the event loops runtimes use: tokio's `AsyncFd` and
//! mio's `SourceFd`. A producer thread pushes with pauses; the loop arms,
//! sleeps in its reactor until the descriptor is readable, disarms and
//! pops: every item arrives, in order, and the loop really slept.
#![cfg(all(target_os = "linux", not(loom), not(miri)))]

use std::os::fd::AsRawFd;
use std::time::Duration;

use handoff::park::FdParker;
use handoff::spsc;

const N: u32 = 200;

fn producer(mut tx: spsc::Producer<u32>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for i in 0..N {
            if i % 20 == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
            tx.push_blocking(i).unwrap();
        }
    })
}

#[tokio::test]
async fn an_fd_parker_in_tokio_asyncfd() {
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    let parker = FdParker::new().unwrap();
    let (tx, mut rx) = spsc::channel(8);
    rx.register(&parker.unparker()).unwrap();
    // SAFETY: an FdParker owns its eventfd, open until the parker is
    // dropped, and `as_raw_fd` always returns that one: what tokio asks.
    let mut afd = unsafe { AsyncFd::register_with_interest(parker, Interest::READABLE) }
        .map_err(|e| e.into_parts().1)
        .unwrap();
    let t = producer(tx);
    let mut next = 0;
    while next < N {
        if let Some(v) = rx.pop() {
            assert_eq!(v, next);
            next += 1;
            continue;
        }
        if afd.get_mut().arm(|| !rx.is_empty()) {
            let mut guard = afd.readable_mut().await.unwrap();
            guard.get_inner_mut().disarm();
            guard.clear_ready();
        }
    }
    t.join().unwrap();
    assert!(
        afd.get_ref().stats().sleeps > 0,
        "the loop slept in tokio's reactor"
    );
}

#[test]
fn an_fd_parker_in_mio_sourcefd() {
    use mio::unix::SourceFd;
    use mio::{Events, Interest, Poll, Token};

    let mut parker = FdParker::new().unwrap();
    let (tx, mut rx) = spsc::channel(8);
    rx.register(&parker.unparker()).unwrap();
    let mut poll = Poll::new().unwrap();
    let fd = parker.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
        .unwrap();
    let mut events = Events::with_capacity(4);
    let t = producer(tx);
    let mut next = 0;
    while next < N {
        if let Some(v) = rx.pop() {
            assert_eq!(v, next);
            next += 1;
            continue;
        }
        if parker.arm(|| !rx.is_empty()) {
            poll.poll(&mut events, Some(Duration::from_secs(30)))
                .unwrap();
            assert!(!events.is_empty(), "woken by a push, not the timeout");
            parker.disarm();
        }
    }
    t.join().unwrap();
    assert!(parker.stats().sleeps > 0, "the loop slept in mio's poll");
}
