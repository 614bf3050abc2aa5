//! The SPSC rings compared, seen through one minimal non-blocking API:
//! this crate's, rtrb, ringbuf and crossbeam's `ArrayQueue`.

use std::sync::Arc;

use crossbeam_queue::ArrayQueue;
use ringbuf::traits::{Consumer as _, Producer as _, Split as _};

/// One SPSC queue implementation, seen through a minimal non-blocking API.
pub trait Ring {
    /// Name shown in reports.
    const NAME: &'static str;
    /// The producing half.
    type Tx: Send + 'static;
    /// The consuming half.
    type Rx: Send + 'static;
    /// Creates a queue holding at least `capacity` items.
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Pushes `value`; `false` if the queue is full.
    fn try_push(tx: &mut Self::Tx, value: u64) -> bool;
    /// Pops the oldest item, if any.
    fn try_pop(rx: &mut Self::Rx) -> Option<u64>;
}

/// A [`Ring`] with a batch API.
pub trait BatchRing: Ring {
    /// Name shown in reports for the batch scenario (says which API is used).
    const BATCH_NAME: &'static str;
    /// Pushes a prefix of `items` (as many as fit); returns its length.
    fn push_slice(tx: &mut Self::Tx, items: &[u64]) -> usize;
    /// Pops up to `out.len()` items into a prefix of `out`; returns how many.
    fn pop_slice(rx: &mut Self::Rx, out: &mut [u64]) -> usize;
}

/// This crate's ring.
pub struct Handoff;

impl Ring for Handoff {
    const NAME: &'static str = "handoff";
    type Tx = handoff::spsc::Producer<u64>;
    type Rx = handoff::spsc::Consumer<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        handoff::spsc::channel(capacity)
    }

    #[inline]
    fn try_push(tx: &mut Self::Tx, value: u64) -> bool {
        tx.push(value).is_ok()
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop()
    }
}

impl BatchRing for Handoff {
    const BATCH_NAME: &'static str = "handoff (push_slice/pop_slice)";

    #[inline]
    fn push_slice(tx: &mut Self::Tx, items: &[u64]) -> usize {
        tx.push_slice(items)
    }

    #[inline]
    fn pop_slice(rx: &mut Self::Rx, out: &mut [u64]) -> usize {
        rx.pop_slice(out)
    }
}

/// `rtrb` 0.4.
pub struct Rtrb;

impl Ring for Rtrb {
    const NAME: &'static str = "rtrb";
    type Tx = rtrb::Producer<u64>;
    type Rx = rtrb::Consumer<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        rtrb::RingBuffer::new(capacity)
    }

    #[inline]
    fn try_push(tx: &mut Self::Tx, value: u64) -> bool {
        tx.push(value).is_ok()
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop().ok()
    }
}

impl BatchRing for Rtrb {
    const BATCH_NAME: &'static str = "rtrb (push_partial_slice/pop_partial_slice)";

    // For `T: Copy`, rtrb's docs point to the slice calls: each copies into
    // (or out of) the two halves of one chunk with `copy_from_slice`, and
    // re-reads the other side's index only when its cached view is short.
    #[inline]
    fn push_slice(tx: &mut Self::Tx, items: &[u64]) -> usize {
        tx.push_partial_slice(items).0.len()
    }

    #[inline]
    fn pop_slice(rx: &mut Self::Rx, out: &mut [u64]) -> usize {
        rx.pop_partial_slice(out).0.len()
    }
}

/// `ringbuf` 0.6 (`HeapRb`, caching halves; `push_slice`/`pop_slice` for
/// batches, as its docs recommend).
pub struct Ringbuf;

impl Ring for Ringbuf {
    const NAME: &'static str = "ringbuf";
    type Tx = ringbuf::HeapProd<u64>;
    type Rx = ringbuf::HeapCons<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        ringbuf::HeapRb::new(capacity).split()
    }

    #[inline]
    fn try_push(tx: &mut Self::Tx, value: u64) -> bool {
        tx.try_push(value).is_ok()
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.try_pop()
    }
}

impl BatchRing for Ringbuf {
    const BATCH_NAME: &'static str = "ringbuf (push_slice/pop_slice)";

    #[inline]
    fn push_slice(tx: &mut Self::Tx, items: &[u64]) -> usize {
        tx.push_slice(items)
    }

    #[inline]
    fn pop_slice(rx: &mut Self::Rx, out: &mut [u64]) -> usize {
        rx.pop_slice(out)
    }
}

/// `crossbeam_queue::ArrayQueue` (an MPMC queue), shared through an `Arc`.
pub struct CrossbeamArrayQueue;

impl Ring for CrossbeamArrayQueue {
    const NAME: &'static str = "crossbeam ArrayQueue";
    type Tx = Arc<ArrayQueue<u64>>;
    type Rx = Arc<ArrayQueue<u64>>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        let queue = Arc::new(ArrayQueue::new(capacity));
        (Arc::clone(&queue), queue)
    }

    #[inline]
    fn try_push(tx: &mut Self::Tx, value: u64) -> bool {
        tx.push(value).is_ok()
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop()
    }
}
