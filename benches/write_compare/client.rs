//! The clients: one reader thread per connection, checking every frame.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use crate::alarm::{Alarm, Note};
use crate::frame::{decode, FRAME};
use crate::plan::{
    FAST_READ, FAST_SAMPLE_EVERY, SLOW_PAUSE, SLOW_READ, SLOW_SAMPLE_EVERY, WORKERS,
};

pub struct ClientRole {
    pub name: &'static str,
    pub conn: usize,
    pub slow: bool,
    /// Frames a fast client gets in all.
    pub expected: u64,
    pub base: Instant,
    pub drain: Arc<AtomicBool>,
    pub alarm: Alarm,
}

pub struct ClientReport {
    /// Frames received from each worker.
    pub per_worker: [u64; WORKERS],
    /// Sampled latencies, ns.
    pub latencies: Vec<u64>,
}

pub fn run_client(stream: TcpStream, role: ClientRole) -> ClientReport {
    let ClientRole {
        name,
        conn,
        slow,
        expected,
        base,
        ref drain,
        ref alarm,
    } = role;
    let mut reader = BufReader::with_capacity(if slow { SLOW_READ } else { FAST_READ }, stream);
    let sample_every = if slow {
        SLOW_SAMPLE_EVERY
    } else {
        FAST_SAMPLE_EVERY
    };
    let per_pause = (SLOW_READ / FRAME) as u64;
    let mut next = [0u64; WORKERS];
    let mut frames = 0u64;
    let mut latencies = Vec::new();
    let mut frame = [0u8; FRAME];
    loop {
        let buffered = reader
            .fill_buf()
            .unwrap_or_else(|e| panic!("{name}: connection {conn}: read: {e}"));
        if buffered.is_empty() {
            break; // the server closed the connection
        }
        reader
            .read_exact(&mut frame)
            .unwrap_or_else(|e| panic!("{name}: connection {conn}: a torn frame at the end ({e})"));
        let d = decode(&frame, conn, name);
        if d.seq != next[d.worker] {
            panic!(
                "{name}: connection {conn} got frame {} of worker {}, expected {}",
                d.seq, d.worker, next[d.worker]
            );
        }
        next[d.worker] += 1;
        frames += 1;
        let draining = slow && drain.load(Ordering::Acquire);
        if frames.is_multiple_of(sample_every) && !draining {
            let now = base.elapsed().as_nanos() as u64;
            latencies.push(now.saturating_sub(d.stamp));
        }
        if !slow && frames == expected {
            let _ = alarm.tx.send(Note::FastDone(Instant::now()));
        }
        if slow && frames.is_multiple_of(per_pause) && !draining {
            thread::sleep(SLOW_PAUSE);
        }
    }
    ClientReport {
        per_worker: next,
        latencies,
    }
}
