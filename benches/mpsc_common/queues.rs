//! The MPSC queues compared, seen through one minimal non-blocking API:
//! this crate's, crossbeam's `ArrayQueue`, concurrent-queue,
//! crossbeam-channel, kanal, flume and std's `sync_channel`.

use std::sync::{mpsc as std_mpsc, Arc};

use concurrent_queue::ConcurrentQueue;
use crossbeam_queue::ArrayQueue;

/// One MPSC queue implementation, seen through a minimal non-blocking API.
pub trait Queue {
    /// Name shown in reports.
    const NAME: &'static str;
    /// The producing half; one clone per producer thread.
    type Tx: Clone + Send + 'static;
    /// The consuming half.
    type Rx: Send + 'static;
    /// Creates a queue holding `capacity` items.
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Pushes `value`; `false` if the queue is full. Panics if it is closed.
    fn try_push(tx: &Self::Tx, value: u64) -> bool;
    /// Pops the oldest item, if any. Panics if the queue is closed.
    fn try_pop(rx: &mut Self::Rx) -> Option<u64>;
}

/// A [`Queue`] whose consumer can pop many items per call.
pub trait BatchPop: Queue {
    /// Name shown in reports for the batch-pop case (says which API is used).
    const BATCH_NAME: &'static str;
    /// Pops up to `out.len()` items into a prefix of `out`; returns how many.
    fn pop_slice(rx: &mut Self::Rx, out: &mut [u64]) -> usize;
}

#[cold]
#[inline(never)]
fn closed(name: &str) -> ! {
    panic!("{name}: the queue reported itself closed while both halves were alive");
}

/// This crate's ring.
pub struct Handoff;

impl Queue for Handoff {
    const NAME: &'static str = "handoff";
    type Tx = handoff::mpsc::Producer<u64>;
    type Rx = handoff::mpsc::Consumer<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        handoff::mpsc::channel(capacity)
    }

    #[inline]
    fn try_push(tx: &Self::Tx, value: u64) -> bool {
        match tx.push(value) {
            Ok(()) => true,
            Err(handoff::PushError::Full(_)) => false,
            Err(handoff::PushError::Closed(_)) => closed(Self::NAME),
        }
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop()
    }
}

impl BatchPop for Handoff {
    const BATCH_NAME: &'static str = "handoff, batch pop (pop_slice, 256)";

    #[inline]
    fn pop_slice(rx: &mut Self::Rx, out: &mut [u64]) -> usize {
        rx.pop_slice(out)
    }
}

/// `crossbeam_queue::ArrayQueue` (an MPMC queue), shared through an `Arc`.
pub struct CrossbeamArrayQueue;

impl Queue for CrossbeamArrayQueue {
    const NAME: &'static str = "crossbeam ArrayQueue";
    type Tx = Arc<ArrayQueue<u64>>;
    type Rx = Arc<ArrayQueue<u64>>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        let queue = Arc::new(ArrayQueue::new(capacity));
        (Arc::clone(&queue), queue)
    }

    #[inline]
    fn try_push(tx: &Self::Tx, value: u64) -> bool {
        tx.push(value).is_ok()
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop()
    }
}

/// `concurrent_queue::ConcurrentQueue::bounded` (an MPMC queue), shared
/// through an `Arc`.
pub struct ConcurrentQueueBounded;

impl Queue for ConcurrentQueueBounded {
    const NAME: &'static str = "concurrent-queue (bounded)";
    type Tx = Arc<ConcurrentQueue<u64>>;
    type Rx = Arc<ConcurrentQueue<u64>>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        let queue = Arc::new(ConcurrentQueue::bounded(capacity));
        (Arc::clone(&queue), queue)
    }

    #[inline]
    fn try_push(tx: &Self::Tx, value: u64) -> bool {
        match tx.push(value) {
            Ok(()) => true,
            Err(concurrent_queue::PushError::Full(_)) => false,
            Err(concurrent_queue::PushError::Closed(_)) => closed(Self::NAME),
        }
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        match rx.pop() {
            Ok(value) => Some(value),
            Err(concurrent_queue::PopError::Empty) => None,
            Err(concurrent_queue::PopError::Closed) => closed(Self::NAME),
        }
    }
}

/// `crossbeam_channel::bounded` (MPMC channel).
pub struct CrossbeamChannel;

impl Queue for CrossbeamChannel {
    const NAME: &'static str = "crossbeam-channel (bounded)";
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(capacity)
    }

    #[inline]
    fn try_push(tx: &Self::Tx, value: u64) -> bool {
        match tx.try_send(value) {
            Ok(()) => true,
            Err(crossbeam_channel::TrySendError::Full(_)) => false,
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => closed(Self::NAME),
        }
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        match rx.try_recv() {
            Ok(value) => Some(value),
            Err(crossbeam_channel::TryRecvError::Empty) => None,
            Err(crossbeam_channel::TryRecvError::Disconnected) => closed(Self::NAME),
        }
    }
}

/// `kanal::bounded` (MPMC channel; default features off: no async API).
pub struct Kanal;

impl Queue for Kanal {
    const NAME: &'static str = "kanal (bounded)";
    type Tx = kanal::Sender<u64>;
    type Rx = kanal::Receiver<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded(capacity)
    }

    #[inline]
    fn try_push(tx: &Self::Tx, value: u64) -> bool {
        // `Ok(false)`: full (the value is dropped, a `u64` we still have).
        match tx.try_send(value) {
            Ok(sent) => sent,
            Err(_) => closed(Self::NAME),
        }
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        match rx.try_recv() {
            Ok(value) => value,
            Err(_) => closed(Self::NAME),
        }
    }
}

/// `flume::bounded` (MPMC channel; default features off: no async or select
/// API).
pub struct Flume;

impl Queue for Flume {
    const NAME: &'static str = "flume (bounded)";
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(capacity)
    }

    #[inline]
    fn try_push(tx: &Self::Tx, value: u64) -> bool {
        match tx.try_send(value) {
            Ok(()) => true,
            Err(flume::TrySendError::Full(_)) => false,
            Err(flume::TrySendError::Disconnected(_)) => closed(Self::NAME),
        }
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        match rx.try_recv() {
            Ok(value) => Some(value),
            Err(flume::TryRecvError::Empty) => None,
            Err(flume::TryRecvError::Disconnected) => closed(Self::NAME),
        }
    }
}

/// `std::sync::mpsc::sync_channel` (bounded MPSC channel).
pub struct StdSyncChannel;

impl Queue for StdSyncChannel {
    const NAME: &'static str = "std sync_channel";
    type Tx = std_mpsc::SyncSender<u64>;
    type Rx = std_mpsc::Receiver<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        std_mpsc::sync_channel(capacity)
    }

    #[inline]
    fn try_push(tx: &Self::Tx, value: u64) -> bool {
        match tx.try_send(value) {
            Ok(()) => true,
            Err(std_mpsc::TrySendError::Full(_)) => false,
            Err(std_mpsc::TrySendError::Disconnected(_)) => closed(Self::NAME),
        }
    }

    #[inline]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        match rx.try_recv() {
            Ok(value) => Some(value),
            Err(std_mpsc::TryRecvError::Empty) => None,
            Err(std_mpsc::TryRecvError::Disconnected) => closed(Self::NAME),
        }
    }
}
