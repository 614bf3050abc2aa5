//! `park`: wakers that panic when woken. A waker is executor code, but a
//! ring must not lose an item, nor another waiter its wake-up, because one
//! of them misbehaves.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use handoff::{mpsc, spsc};

use super::common::CountingWaker;
use super::{quiet_panics, DELIBERATE};

/// A waker that panics when woken, after counting.
#[derive(Default)]
struct PanickingWaker(AtomicUsize);

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("{DELIBERATE}: a waker panics");
    }
}

/// Bug class: a panicking `Waker::wake` inside a wait list (producers
/// waiting for room in a full `mpsc` ring). The pop that frees the room
/// wakes them all: the panicking one must not stop the others from being
/// woken, nor the pop from returning its item.
#[test]
fn a_panicking_waker_in_a_wait_list_loses_no_wake_and_no_item() {
    quiet_panics();
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.push(1).unwrap();
    let bad = Arc::new(PanickingWaker::default());
    let good = Arc::new(CountingWaker::default());
    let bad_waker = Waker::from(Arc::clone(&bad));
    let good_waker = good.waker();
    let mut push_bad = pin!(tx.push_async(2));
    let mut push_good = pin!(tx.push_async(3));
    assert!(push_bad
        .as_mut()
        .poll(&mut Context::from_waker(&bad_waker))
        .is_pending());
    assert!(push_good
        .as_mut()
        .poll(&mut Context::from_waker(&good_waker))
        .is_pending());
    // The pop wakes both: the first panics, the second is still woken, and
    // the item comes out.
    assert_eq!(rx.pop(), Some(1));
    assert_eq!(bad.0.load(Ordering::SeqCst), 1, "the bad waker was woken");
    assert_eq!(good.wakes(), 1, "the good waker was woken too");
    assert_eq!(
        push_good
            .as_mut()
            .poll(&mut Context::from_waker(&good_waker)),
        Poll::Ready(Ok(()))
    );
    assert_eq!(rx.pop(), Some(3));
}

/// Bug class: the same in the parker's task mode: a consumer task whose
/// waker panics when a push wakes it. The push still succeeds and the item
/// is in the ring.
#[test]
fn a_panicking_consumer_waker_does_not_fail_the_push() {
    quiet_panics();
    let (mut tx, mut rx) = spsc::channel::<u32>(2);
    let bad = Arc::new(PanickingWaker::default());
    let waker = Waker::from(Arc::clone(&bad));
    {
        let mut pop = pin!(rx.pop_async());
        assert!(pop
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        assert_eq!(tx.push(7), Ok(()), "the push succeeds despite the waker");
        assert_eq!(bad.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            pop.as_mut().poll(&mut Context::from_waker(&waker)),
            Poll::Ready(Some(7))
        );
    }
    assert_eq!(rx.pop(), None);
}
