//! A `Mutex<TcpStream>` per connection, locked per reply or per batch.

use std::io::Write;
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Instant;

use crossbeam_channel::Sender;

use super::{Server, Writes};
use crate::alarm::Note;
use crate::frame::Frame;
use crate::measure::WorkerReport;
use crate::plan::FAST;

// Mutex<TcpStream> per connection.

pub struct MutexServer(Vec<Mutex<TcpStream>>);

impl Server for MutexServer {
    type Batch = ();

    fn start(streams: Vec<TcpStream>, _: &Sender<Note>) -> Self {
        MutexServer(streams.into_iter().map(Mutex::new).collect())
    }

    fn batch(&self, _: usize) {}

    fn deliver(&self, _: &mut (), conn: usize, frame: Frame, _: bool, _: &mut u64) -> bool {
        let mut stream = self.0[conn].lock().expect("mutex: poisoned");
        stream
            .write_all(&frame)
            .unwrap_or_else(|e| panic!("mutex: connection {conn}: write: {e}"));
        true
    }

    fn finish(self) -> Option<Writes> {
        drop(self); // closes every connection; everything is written
        None
    }
}

// Mutex<TcpStream> per connection, batched: one lock and one write_all
// per connection and batch.

pub struct MutexBatched(MutexServer);

impl Server for MutexBatched {
    const BATCHED: bool = true;
    /// This batch's replies for each connection, concatenated.
    type Batch = Vec<Vec<u8>>;

    fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self {
        MutexBatched(MutexServer::start(streams, alarm))
    }

    fn batch(&self, conns: usize) -> Vec<Vec<u8>> {
        vec![Vec::new(); conns]
    }

    fn deliver(
        &self,
        batch: &mut Vec<Vec<u8>>,
        conn: usize,
        frame: Frame,
        _: bool,
        _: &mut u64,
    ) -> bool {
        batch[conn].extend_from_slice(&frame);
        true
    }

    fn end_batch(&self, batch: &mut Vec<Vec<u8>>, report: &mut WorkerReport) {
        for (conn, buf) in batch.iter_mut().enumerate() {
            if buf.is_empty() {
                continue;
            }
            let started = Instant::now();
            self.0 .0[conn]
                .lock()
                .expect("mutex: poisoned")
                .write_all(buf)
                .unwrap_or_else(|e| panic!("mutex batched: connection {conn}: write: {e}"));
            report.record(conn == FAST, started.elapsed());
            buf.clear();
        }
    }

    fn finish(self) -> Option<Writes> {
        self.0.finish()
    }
}
