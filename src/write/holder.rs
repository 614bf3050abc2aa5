//! What the holder of a context does: pops frames into its batch and writes
//! them with `write_vectored`, resuming at the exact byte; and the guard
//! that closes the context if the writer panics meanwhile.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

use super::WriteStats;

/// How many frames one `write_vectored` call offers at most.
const MAX_IOV: usize = 256;
use crate::mpsc;

pub(super) struct Inner<W, F> {
    pub(super) writer: W,
    pub(super) queue: mpsc::Consumer<Queued<F>>,
    /// Frames popped from the queue, oldest first, at most `MAX_IOV`. The
    /// first `offset` bytes of the front frame are written.
    pub(super) batch: VecDeque<Queued<F>>,
    pub(super) offset: usize,
    pub(super) stats: WriteStats,
}

/// A frame and its length, read once when it was accepted: every byte count
/// (pending bytes, what a write retires) uses this length, so a frame whose
/// `as_ref()` changes length later cannot make the counts drift. Its bytes
/// are written up to that length; if it has grown, the rest is not written,
/// and if it has shrunk, the missing tail counts as written.
pub(super) struct Queued<F> {
    pub(super) frame: F,
    pub(super) len: usize,
}

impl<F: AsRef<[u8]>> Queued<F> {
    /// The bytes still to write after the first `offset`.
    pub(super) fn rest(&self, offset: usize) -> &[u8] {
        let bytes = self.frame.as_ref();
        bytes.get(offset..self.len.min(bytes.len())).unwrap_or(&[])
    }
}

impl<W: Write, F: AsRef<[u8]>> Inner<W, F> {
    /// Writes the batch and the queue until both are empty or the writer
    /// refuses. `Ok(true)` when nothing is left; `Ok(false)` when the queue
    /// stops at a push still under way (that push's submitter writes it and
    /// what follows it: it will see the context idle or `DIRTY`).
    ///
    /// `unpend` takes written (or retired) bytes off the context's pending
    /// count as they go; the caller publishes `stats` afterwards.
    pub(super) fn flush(&mut self, unpend: impl Fn(usize)) -> io::Result<bool> {
        let result = loop {
            while self.batch.len() < MAX_IOV {
                match self.queue.pop() {
                    Some(frame) => self.batch.push_back(frame),
                    None => break,
                }
            }
            // Frames with nothing left to write (empty ones) go first, so
            // that a write of zero bytes means the writer is stuck.
            let retired = self.advance(0);
            if retired != 0 {
                unpend(retired);
            }
            if self.batch.is_empty() {
                // Not empty but nothing to pop: a push is under way.
                break Ok(self.queue.is_empty());
            }
            debug_assert!(self.batch.len() <= MAX_IOV);
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            for (slice, queued) in iov.iter_mut().zip(&self.batch) {
                *slice = IoSlice::new(queued.rest(0));
            }
            let first = self.batch.front().map_or(&[][..], |q| q.rest(self.offset));
            iov[0] = IoSlice::new(first);
            let written = self.writer.write_vectored(&iov[..self.batch.len()]);
            self.stats.writes += 1;
            match written {
                Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    let done = self.advance(n);
                    unpend(done);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    if err.kind() == io::ErrorKind::WouldBlock {
                        self.stats.would_blocks += 1;
                    }
                    break Err(err);
                }
            }
        };
        result
    }

    /// Marks `n` more bytes of the batch written, retiring the frames they
    /// finish (and empty frames after them). Returns how many bytes that
    /// takes off the pending count: what of the frames' recorded lengths is
    /// now written, so a retired frame whose bytes shrank below its recorded
    /// length takes its missing tail off too, and a frame's bytes are taken
    /// off exactly once in all.
    pub(super) fn advance(&mut self, n: usize) -> usize {
        let mut left = n;
        let mut done = 0;
        while let Some(front) = self.batch.front() {
            let rest = front.rest(self.offset).len();
            if left < rest {
                self.offset += left;
                done += left;
                left = 0;
                break;
            }
            left -= rest;
            debug_assert!(self.offset <= front.len);
            done += front.len - self.offset;
            self.batch.pop_front();
            self.offset = 0;
            self.stats.frames += 1;
        }
        debug_assert_eq!(left, 0, "the writer wrote more than it was given");
        self.stats.bytes += (n - left) as u64;
        done
    }

    /// Empties the batch and the queue: the frames and their unwritten
    /// bytes.
    pub(super) fn take_all(&mut self) -> (Vec<F>, usize) {
        while let Some(queued) = self.queue.pop() {
            self.batch.push_back(queued);
        }
        let bytes = self.batch.iter().map(|q| q.len).sum::<usize>() - self.offset;
        self.offset = 0;
        (self.batch.drain(..).map(|q| q.frame).collect(), bytes)
    }
}
