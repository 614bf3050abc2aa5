//! A submitter stalled between claiming its place in the frame queue
//! and writing it (preempted, or interrupted by a signal handler that
//! submits to the same context), made on purpose with
//! `mpsc::Producer::stall`. Bug class: a submit that waits for another
//! thread, which `submit` and `feed` promise never to do.

use std::sync::Arc;

use super::*;
use crate::testing::returns;

/// What the stalled submitter had done: counted its bytes and claimed
/// a place in the queue, not yet written it.
fn stall(ctx: &WriteContext<Vec<u8>>, len: usize) -> mpsc::Stalled<Queued<Vec<u8>>> {
    ctx.hot.pending.fetch_add(len, Relaxed);
    ctx.queue.stall().expect("room in the queue")
}

#[test]
fn a_full_queue_whose_oldest_frame_is_claimed_but_unwritten_refuses_at_once() {
    let config = WriteConfig::new().queue_capacity(1);
    let ctx = Arc::new(WriteContext::with_config(Vec::new(), config).unwrap());
    let stalled = stall(&ctx, 3);
    let c = Arc::clone(&ctx);
    let refused = returns(move || c.submit(vec![9]).map_err(SubmitError::into_frame));
    assert_eq!(refused, Err(vec![9]));
    let c = Arc::clone(&ctx);
    assert_eq!(
        returns(move || c.feed(vec![8]).map_err(SubmitError::into_frame)),
        Err(vec![8])
    );
    // The stalled submitter resumes: it writes its frame and flushes.
    stalled.publish(Queued {
        frame: vec![1, 2, 3],
        len: 3,
    });
    assert_eq!(ctx.flush(), Status::Written);
    assert_eq!(ctx.pending_bytes(), 0);
}

#[test]
fn submits_behind_a_stalled_submitter_queue_and_are_written_after_it() {
    let ctx = Arc::new(WriteContext::with_config(Vec::new(), WriteConfig::new()).unwrap());
    let stalled = stall(&ctx, 2);
    for frame in [vec![3], vec![4, 5]] {
        let c = Arc::clone(&ctx);
        // The holder finds the head frame not yet written: it stops
        // there and leaves the rest to the stalled submitter.
        assert_eq!(returns(move || c.submit(frame)).ok(), Some(Status::Queued));
    }
    assert_eq!(ctx.pending_bytes(), 5);
    stalled.publish(Queued {
        frame: vec![1, 2],
        len: 2,
    });
    // What the stalled submit does next: try to take the context.
    assert_eq!(ctx.flush(), Status::Written);
    assert_eq!(ctx.pending_bytes(), 0);
    let ctx = Arc::into_inner(ctx).unwrap();
    let bytes = ctx.own.inner.with_mut(|inner| {
        // SAFETY: we own the context: nobody holds it.
        unsafe { mem::take(&mut (*inner).writer) }
    });
    assert_eq!(bytes, [1, 2, 3, 4, 5]);
}
