//! The five designs of the server's write side, behind one trait.

mod mutex;
mod worker_pool;
mod write_context;
mod writer_thread;

use std::net::TcpStream;

use crossbeam_channel::Sender;

use crate::alarm::Note;
use crate::frame::Frame;
use crate::measure::{measure, Sample, WorkerReport};
use crate::plan::Plan;
use mutex::{MutexBatched, MutexServer};
use worker_pool::WorkerPool;
use write_context::{HandoffBatched, HandoffServer};
use writer_thread::ChannelServer;

/// One design of the server's write side.
pub trait Server: Send + Sync + Sized + 'static {
    /// Whether the workers call `end_batch` after every `Plan::batch`
    /// replies (and after their last).
    const BATCHED: bool = false;

    /// What a worker keeps between the replies of a batch.
    type Batch;

    /// Takes the server's ends of the connections.
    fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self;

    /// A worker's empty batch.
    fn batch(&self, conns: usize) -> Self::Batch;

    /// Hands `frame` to connection `conn`; whether it was accepted (only
    /// a `droppable` frame may be refused). Counts retries.
    fn deliver(
        &self,
        batch: &mut Self::Batch,
        conn: usize,
        frame: Frame,
        droppable: bool,
        retries: &mut u64,
    ) -> bool;

    /// Ends a worker's batch: writes (or flushes) what it accepted for
    /// each connection, timing each connection's call into `report`.
    fn end_batch(&self, _batch: &mut Self::Batch, _report: &mut WorkerReport) {}

    /// Once the workers are done: waits until everything accepted is
    /// written and closes every connection, so that each client sees the
    /// end after its last frame. `handoff`'s write statistics.
    fn finish(self) -> Option<Writes>;
}

/// `handoff`'s `WriteStats`, summed over the connections.
#[derive(Clone, Copy, Default)]
pub struct Writes {
    pub frames: u64,
    pub writes: u64,
    pub would_blocks: u64,
    /// `on_writable` calls by the event loop.
    pub wakeups: u64,
}

/// The designs, in table order.
pub const NAMES: [&str; DESIGNS] = [
    "handoff::write (submit)",
    "handoff::write, batched (feed + flush)",
    "writer thread + crossbeam-channel",
    "Mutex<TcpStream>",
    "Mutex<TcpStream>, batched",
    "handoff::worker pool (feed, flush at the end of each batch)",
];
pub const DESIGNS: usize = 6;
pub const HANDOFF: usize = 0;
pub const HANDOFF_BATCHED: usize = 1;
pub const WRITER_THREAD: usize = 2;
/// Replies go through a `handoff::worker` pool, which flushes at the end of
/// each of its batches.
pub const WORKER_POOL: usize = 5;
/// The peers of per-reply `handoff`: the writer thread and the `Mutex`
/// per reply.
pub const PER_REPLY_PEERS: [usize; 2] = [2, 3];
/// Every peer: those and the batched `Mutex`.
pub const ALL_PEERS: [usize; 3] = [2, 3, 4];

/// Whether `design` is one of `handoff`'s.
pub fn is_handoff(design: usize) -> bool {
    design == HANDOFF || design == HANDOFF_BATCHED || design == WORKER_POOL
}

/// Whether `design` runs in a scenario: the worker pool cannot refuse a
/// reply to the slow client, and at a fixed moderate load only the designs
/// whose batches adapt to the load (and the writer thread) are compared.
pub fn runs_in(design: usize, plan: Plan) -> bool {
    if plan.slow_frames > 0 {
        design != WORKER_POOL
    } else if plan.rate > 0 {
        [HANDOFF, WRITER_THREAD, WORKER_POOL].contains(&design)
    } else {
        true
    }
}

/// One measurement of `design`.
pub fn run(design: usize, plan: Plan, sndbuf: usize) -> Sample {
    let name = NAMES[design];
    match design {
        HANDOFF => measure::<HandoffServer>(name, plan, sndbuf),
        HANDOFF_BATCHED => measure::<HandoffBatched>(name, plan, sndbuf),
        WRITER_THREAD => measure::<ChannelServer>(name, plan, sndbuf),
        3 => measure::<MutexServer>(name, plan, sndbuf),
        4 => measure::<MutexBatched>(name, plan, sndbuf),
        _ => measure::<WorkerPool>(name, plan, sndbuf),
    }
}
