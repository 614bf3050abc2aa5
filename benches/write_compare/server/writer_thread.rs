//! The usual design: a writer thread per connection, fed by a bounded
//! crossbeam-channel.

use std::io::Write;
use std::net::TcpStream;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender};

use super::{Server, Writes};
use crate::alarm::{join, Alarm, Note};
use crate::frame::{Frame, FRAME};
use crate::plan::CHANNEL_CAPACITY;

// Writer thread per connection, crossbeam-channel.

pub struct ChannelServer {
    senders: Vec<Sender<Frame>>,
    writers: Vec<JoinHandle<()>>,
}

fn channel_writer(conn: usize, mut stream: TcpStream, rx: &Receiver<Frame>, _alarm: Alarm) {
    let mut buf = Vec::with_capacity(CHANNEL_CAPACITY * FRAME);
    while let Ok(frame) = rx.recv() {
        buf.clear();
        buf.extend_from_slice(&frame);
        while buf.len() < buf.capacity() {
            match rx.try_recv() {
                Ok(frame) => buf.extend_from_slice(&frame),
                Err(_) => break,
            }
        }
        stream
            .write_all(&buf)
            .unwrap_or_else(|e| panic!("crossbeam: connection {conn}: write: {e}"));
    }
    // Every sender is gone and everything is written: dropping the
    // stream closes the connection.
}

impl Server for ChannelServer {
    type Batch = ();

    fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self {
        let mut senders = Vec::with_capacity(streams.len());
        let mut writers = Vec::with_capacity(streams.len());
        for (conn, stream) in streams.into_iter().enumerate() {
            let (tx, rx) = crossbeam_channel::bounded(CHANNEL_CAPACITY);
            let alarm = Alarm {
                tx: alarm.clone(),
                who: format!("crossbeam writer {conn}"),
            };
            writers.push(
                thread::Builder::new()
                    .name(format!("writer-{conn}"))
                    .spawn(move || channel_writer(conn, stream, &rx, alarm))
                    .expect("spawn a writer thread"),
            );
            senders.push(tx);
        }
        ChannelServer { senders, writers }
    }

    fn batch(&self, _: usize) {}

    fn deliver(&self, _: &mut (), conn: usize, frame: Frame, _: bool, _: &mut u64) -> bool {
        self.senders[conn]
            .send(frame)
            .expect("crossbeam: the writer thread is gone");
        true
    }

    fn finish(self) -> Option<Writes> {
        drop(self.senders);
        for writer in self.writers {
            join(writer);
        }
        None
    }
}
