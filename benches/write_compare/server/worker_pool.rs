//! `handoff::worker` + `handoff::write`: the bench's worker threads are a
//! pool's network threads; each reply is a request to a pool of
//! `WORKERS` workers, whose handler `feed`s the frame to its connection's
//! write context and asks for a flush at the end of the worker's batch
//! (`RequestContext::flush_at_end`). A saturated worker writes each
//! connection once per batch; a lone reply is written at once.
//!
//! The pool's workers make the frames (their own sequence numbers, the
//! network thread's stamp), so the clients check each pool worker's frames
//! for order. Replies to the slow client cannot be refused here (the
//! handler runs after `deliver` returned): this design runs without one.

use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use handoff::worker::{
    self, EnqueueError, Flush, Network, Pool, PoolConfig, RequestContext, WorkerConfig,
};
use handoff::write::SubmitError;

use super::write_context::HandoffServer;
use super::{Server, Writes};
use crate::alarm::Note;
use crate::frame::{encode, Frame};
use crate::plan::{STALL_LIMIT, WORKERS};

/// A connection's flush at the end of a worker's batch.
struct ConnFlush {
    server: Arc<HandoffServer>,
    conn: usize,
}

impl Flush for ConnFlush {
    fn flush(&self) {
        self.server.flush(self.conn);
    }
}

/// A request: the connection, and the stamp of its production.
type Request = (usize, u64);

pub struct WorkerPool {
    server: Arc<HandoffServer>,
    pool: Mutex<Option<Pool<Request, ()>>>,
    networks: Mutex<Vec<Network<Request, ()>>>,
}

fn stamp_of(frame: &Frame) -> u64 {
    u64::from_le_bytes(frame[8..16].try_into().expect("8 bytes"))
}

impl Server for WorkerPool {
    type Batch = Network<Request, ()>;

    fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self {
        let conns = streams.len();
        let server = Arc::new(HandoffServer::start(streams, alarm));
        let flushes: Vec<Arc<ConnFlush>> = (0..conns)
            .map(|conn| {
                Arc::new(ConnFlush {
                    server: Arc::clone(&server),
                    conn,
                })
            })
            .collect();
        let s = Arc::clone(&server);
        // Cloned for each worker: its own sequence numbers.
        let mut seqs = vec![0u64; conns];
        let handler = worker::from_sync_fn(move |(conn, stamp): Request, cx: RequestContext| {
            let ctx = s.context(conn);
            let mut frame = encode(seqs[conn], stamp, cx.ticket().worker(), conn);
            let since = Instant::now();
            loop {
                match ctx.feed(frame) {
                    Ok(()) => break,
                    Err(SubmitError::Full(back)) => {
                        // Write what is queued, then try again.
                        s.flush(conn);
                        assert!(
                            since.elapsed() < STALL_LIMIT,
                            "worker pool: connection {conn} stayed full"
                        );
                        frame = back;
                        thread::yield_now();
                    }
                    Err(e) => panic!("worker pool: connection {conn}: {e}"),
                }
            }
            seqs[conn] += 1;
            cx.flush_at_end(&flushes[conn]);
        });
        let config = PoolConfig::new(WORKERS, WORKERS).worker(WorkerConfig::new().name("pool"));
        let (pool, networks) = Pool::spawn(config, handler).expect("spawn the pool");
        WorkerPool {
            server,
            pool: Mutex::new(Some(pool)),
            networks: Mutex::new(networks),
        }
    }

    fn batch(&self, _: usize) -> Network<Request, ()> {
        self.networks
            .lock()
            .unwrap()
            .pop()
            .expect("a network thread per worker")
    }

    fn deliver(
        &self,
        net: &mut Network<Request, ()>,
        conn: usize,
        frame: Frame,
        droppable: bool,
        retries: &mut u64,
    ) -> bool {
        assert!(!droppable, "the worker pool runs without a slow client");
        let mut request = (conn, stamp_of(&frame));
        let since = Instant::now();
        loop {
            match net.enqueue(request) {
                Ok(_) => break,
                Err(EnqueueError::Full(back)) => {
                    *retries += 1;
                    request = back;
                    while net.try_reply().is_some() {}
                    assert!(
                        since.elapsed() < STALL_LIMIT,
                        "worker pool: full for {STALL_LIMIT:?}"
                    );
                    net.wait_ready(Some(Duration::from_millis(10)));
                }
                Err(e) => panic!("worker pool: enqueue: {e}"),
            }
        }
        while net.try_reply().is_some() {}
        true
    }

    fn finish(self) -> Option<Writes> {
        // The network threads' handles went with their batches: the
        // workers write everything queued, then exit.
        if let Some(pool) = self.pool.lock().unwrap().take() {
            pool.join();
        }
        let server = Arc::try_unwrap(self.server)
            .ok()
            .expect("the handler is gone with the pool");
        server.finish()
    }
}
