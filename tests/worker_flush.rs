//! Batched writes: handlers `feed` write contexts and ask the worker to
//! flush them at the end of its batch (`RequestContext::flush_at_end`): a
//! lone reply is written at once, a batch makes one `writev` per
//! connection, frames stay whole and in order, and each is dropped once.
//! Threaded and inline mode alike.

#![cfg(not(loom))]

mod common;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{scaled, wait_until, Drops, Tracked, PATIENCE};
use handoff::worker::{self, Flush, Pool, PoolConfig, RequestContext, WorkerConfig};
use handoff::write::{Status, WriteContext};

/// A frame that counts its drops.
struct Frame {
    bytes: [u8; 8],
    _tracked: Tracked,
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// A socket stand-in: keeps the bytes, counts the calls.
#[derive(Clone, Default)]
struct Sink {
    bytes: Arc<Mutex<Vec<u8>>>,
    calls: Arc<AtomicUsize>,
}

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut bytes = self.bytes.lock().unwrap();
        let mut n = 0;
        for b in bufs {
            bytes.extend_from_slice(b);
            n += b.len();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A connection: its write context; a real server would arm `EPOLLOUT`
/// on `WantsWritable`.
struct Conn {
    ctx: WriteContext<Sink, Frame>,
    sink: Sink,
    flushes: AtomicUsize,
}

impl Flush for Conn {
    fn flush(&self) {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        assert_eq!(self.ctx.flush(), Status::Written);
    }
}

fn conns(n: usize) -> Vec<Arc<Conn>> {
    (0..n)
        .map(|_| {
            let sink = Sink::default();
            Arc::new(Conn {
                ctx: WriteContext::new(sink.clone()),
                sink,
                flushes: AtomicUsize::new(0),
            })
        })
        .collect()
}

/// Frames of each connection, in the order written: `(conn, seq)`.
fn written(conn: &Conn) -> Vec<(u8, u32)> {
    conn.sink
        .bytes
        .lock()
        .unwrap()
        .chunks(8)
        .map(|f| (f[0], u32::from_le_bytes([f[4], f[5], f[6], f[7]])))
        .collect()
}

#[test]
fn a_batch_makes_one_write_per_connection_and_a_lone_reply_is_written_at_once() {
    for workers in [1, 0] {
        let drops = Drops::new();
        let conns = conns(2);
        let gate = Arc::new(AtomicBool::new(workers == 0));
        let running = Arc::new(AtomicBool::new(false));
        let (cs, g, r) = (conns.clone(), Arc::clone(&gate), Arc::clone(&running));
        // Request `t` replies on connection `t.id % 2`; request 0 holds
        // the worker until the gate opens (threaded mode).
        let handler = worker::from_sync_fn(move |t: Tracked, cx: RequestContext| {
            r.store(true, Ordering::SeqCst);
            while t.id == 0 && !g.load(Ordering::SeqCst) {
                thread::yield_now();
            }
            let conn = &cs[(t.id % 2) as usize];
            let mut bytes = [(t.id % 2) as u8, 0, 0, 0, 0, 0, 0, 0];
            bytes[4..].copy_from_slice(&(t.id as u32).to_le_bytes());
            let frame = Frame { bytes, _tracked: t };
            assert!(conn.ctx.feed(frame).is_ok());
            cx.flush_at_end(conn);
        });
        // One turn for the whole batch: no time budget cuts it (under Miri
        // a request takes longer than the default 1 ms).
        let worker = WorkerConfig::new()
            .max_requests(256)
            .time_budget(Duration::from_secs(3600));
        let config = PoolConfig::new(1, workers).worker(worker);
        let (pool, mut nets) = Pool::spawn(config, handler).unwrap();
        let net = &mut nets[0];

        // A lone request: its frame is written at the end of its batch,
        // which is right after it.
        net.enqueue(drops.item(1)).unwrap();
        assert!(net.reply_timeout(PATIENCE).is_some());
        wait_until("the lone frame", || conns[1].ctx.stats().frames == 1);

        // A batch of many: one write per connection.
        let n = scaled(64, 8);
        net.enqueue(drops.item(0)).unwrap();
        if workers > 0 {
            wait_until("request 0 to hold the worker", || {
                running.load(Ordering::SeqCst)
            });
        }
        for id in 2..2 + n {
            net.enqueue(drops.item(id)).unwrap();
        }
        let writes_before: Vec<u64> = conns.iter().map(|c| c.ctx.stats().writes).collect();
        gate.store(true, Ordering::SeqCst);
        while net.reply_timeout(PATIENCE).is_some() {}
        for (k, conn) in conns.iter().enumerate() {
            // Conn 0: request 0 and the even ones; conn 1: the lone one and
            // the odd ones.
            let frames = n / 2 + 1;
            wait_until("every frame", || conn.ctx.stats().frames == frames);
            let writes = conn.ctx.stats().writes - writes_before[k];
            // Threaded: request 0's own batch, then one for the rest (two
            // if the time budget cut it). Inline: one.
            assert!(
                writes <= 3,
                "mode {workers}: {writes} writes for {frames} frames"
            );
            let seqs: Vec<u32> = written(conn)
                .iter()
                .map(|&(c, s)| {
                    assert_eq!(c as usize, k, "a frame on the wrong connection");
                    s
                })
                .collect();
            let mut sorted = seqs.clone();
            sorted.sort_unstable();
            assert_eq!(seqs, sorted, "mode {workers}: one worker's frames in order");
        }
        drop(nets);
        pool.join();
        drop(conns);
        assert_eq!(drops.alive(), 0, "every frame dropped once");
    }
}

#[test]
fn many_requests_of_many_workers_write_every_frame_once() {
    let drops = Drops::new();
    let conns = conns(3);
    let cs = conns.clone();
    let handler = worker::from_fn(move |t: Tracked, cx: RequestContext| {
        let conn = Arc::clone(&cs[(t.id % 3) as usize]);
        async move {
            let mut bytes = [(t.id % 3) as u8, 0, 0, 0, 0, 0, 0, 0];
            bytes[4..].copy_from_slice(&(t.id as u32).to_le_bytes());
            let mut frame = Frame { bytes, _tracked: t };
            loop {
                match conn.ctx.feed(frame) {
                    Ok(()) => break,
                    Err(e) => {
                        // Full: write what is queued, then try again.
                        let back = match e {
                            handoff::write::SubmitError::Full(back) => back,
                            other => panic!("{other}"),
                        };
                        conn.flush();
                        frame = back;
                    }
                }
            }
            cx.flush_at_end(&conn);
        }
    });
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 2), handler).unwrap();
    let net = &mut nets[0];
    let n = scaled(3000, 30);
    let mut next = 0;
    while next < n || net.outstanding() > 0 {
        if next < n && net.has_capacity() && net.enqueue(drops.item(next)).is_ok() {
            next += 1;
            continue;
        }
        while net.try_reply().is_some() {}
        net.wait_ready(Some(Duration::from_millis(10)));
    }
    drop(nets);
    pool.join();
    let mut all: Vec<u32> = Vec::new();
    for (k, conn) in conns.iter().enumerate() {
        assert_eq!(conn.ctx.pending_bytes(), 0);
        let frames = written(conn);
        assert!(frames.iter().all(|&(c, _)| c as usize == k));
        all.extend(frames.iter().map(|&(_, s)| s));
        assert!(conn.flushes.load(Ordering::SeqCst) as u64 <= n);
    }
    all.sort_unstable();
    assert_eq!(
        all,
        (0..n as u32).collect::<Vec<_>>(),
        "every frame written once"
    );
    drop(conns);
    assert_eq!(drops.alive(), 0);
}
