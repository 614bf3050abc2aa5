//! A sequential model of a write context over a scripted writer, shared by
//! the proptest (`tests/write_model.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/write.rs`).
//!
//! The writer takes at most `chunk` bytes a call and `budget` bytes in all
//! before it returns `WouldBlock` (partial writes and stalls), and can be
//! told to fail or be interrupted on its next call. The model predicts,
//! for every operation, the status or error, the byte stream written (whole
//! frames in submission order, resumed at the exact byte after a stall),
//! the pending bytes, which frames come back from `take_unsent`, and the
//! frame and byte counts in `stats`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::sync::{Arc, Mutex};

use handoff::write::{Status, SubmitError, WriteConfig, WriteContext};

/// One step.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// Submit a frame of `len % 48 + 1` bytes.
    Submit(u8),
    /// Feed one (queue it without writing).
    Feed(u8),
    /// Write what was fed.
    Flush,
    /// The writer takes this many more bytes before it would block
    /// (`None`: any number).
    Budget(Option<u16>),
    /// The writer takes at most `n % 16 + 1` bytes a call.
    Chunk(u8),
    /// The writer's next call fails with `ConnectionReset`.
    FailNext,
    /// The writer's next call returns `Interrupted`.
    InterruptNext,
    OnWritable,
    TakeUnsent,
}

impl Op {
    /// Decodes one operation from two bytes (for the fuzzer).
    pub fn from_bytes(a: u8, b: u8) -> Self {
        match a % 16 {
            0..=4 => Self::Submit(b),
            5 => Self::Feed(b),
            6 => Self::Flush,
            7 | 8 => Self::Budget(Some(u16::from(b))),
            9 => Self::Budget(None),
            10 => Self::Chunk(b),
            11 => Self::FailNext,
            12 => Self::InterruptNext,
            13 | 14 => Self::OnWritable,
            _ => Self::TakeUnsent,
        }
    }
}

/// The writer's script, shared with the driver.
#[derive(Debug)]
struct Script {
    out: Vec<u8>,
    budget: Option<usize>,
    chunk: usize,
    fail_next: bool,
    interrupt_next: bool,
}

#[derive(Clone)]
struct Scripted(Arc<Mutex<Script>>);

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut s = self.0.lock().unwrap();
        assert!(
            bufs.iter().any(|b| !b.is_empty()),
            "the context asked to write nothing"
        );
        if std::mem::take(&mut s.interrupt_next) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        if std::mem::take(&mut s.fail_next) {
            return Err(io::ErrorKind::ConnectionReset.into());
        }
        let mut room = s.chunk.min(s.budget.unwrap_or(usize::MAX));
        if room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut n = 0;
        for buf in bufs {
            let take = buf.len().min(room);
            s.out.extend_from_slice(&buf[..take]);
            room -= take;
            n += take;
        }
        if let Some(budget) = &mut s.budget {
            *budget -= n;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Idle,
    WantsWritable,
    Closed,
}

/// The model: what the context holds and what the writer has.
struct Model {
    state: State,
    /// Accepted frames not yet written, oldest first; `offset` bytes of the
    /// first are written.
    pending: VecDeque<Vec<u8>>,
    offset: usize,
    /// Frames the context had popped into its batch when it stalled (the
    /// rest are in its queue).
    batch: usize,
    out: Vec<u8>,
    budget: Option<usize>,
    fail_next: bool,
    interrupt_next: bool,
    frames: u64,
    bytes: u64,
}

const MAX_IOV: usize = 256;

impl Model {
    fn pending_bytes(&self) -> usize {
        self.pending.iter().map(Vec::len).sum::<usize>() - self.offset
    }

    /// What the context's flush does with the writer as scripted.
    fn flush(&mut self) -> Status {
        while let Some(front) = self.pending.front() {
            if std::mem::take(&mut self.interrupt_next) {
                continue;
            }
            if std::mem::take(&mut self.fail_next) {
                self.state = State::Closed;
                return Status::Failed;
            }
            let rest = &front[self.offset..];
            let take = rest.len().min(self.budget.unwrap_or(usize::MAX));
            if take == 0 {
                self.state = State::WantsWritable;
                self.batch = self.pending.len().min(MAX_IOV);
                return Status::WantsWritable;
            }
            self.out.extend_from_slice(&rest[..take]);
            self.bytes += take as u64;
            if let Some(budget) = &mut self.budget {
                *budget -= take;
            }
            if take == rest.len() {
                self.pending.pop_front();
                self.offset = 0;
                self.frames += 1;
            } else {
                self.offset += take;
            }
        }
        self.state = State::Idle;
        self.batch = 0;
        Status::Written
    }
}

/// Runs `ops` on a context with a queue of `capacity` frames and at most
/// `limit` pending bytes, against the model.
pub fn run(capacity: usize, limit: usize, ops: &[Op]) {
    let script = Arc::new(Mutex::new(Script {
        out: Vec::new(),
        budget: None,
        chunk: usize::MAX,
        fail_next: false,
        interrupt_next: false,
    }));
    let config = WriteConfig::new()
        .queue_capacity(capacity)
        .max_pending_bytes(limit);
    let ctx = WriteContext::with_config(Scripted(Arc::clone(&script)), config).unwrap();
    let mut m = Model {
        state: State::Idle,
        pending: VecDeque::new(),
        offset: 0,
        batch: 0,
        out: Vec::new(),
        budget: None,
        fail_next: false,
        interrupt_next: false,
        frames: 0,
        bytes: 0,
    };
    let mut next_id = 0u8;
    for (i, &op) in ops.iter().enumerate() {
        match op {
            Op::Submit(len) | Op::Feed(len) => {
                let id = next_id;
                next_id = next_id.wrapping_add(1);
                let frame: Vec<u8> = (0..usize::from(len % 48) + 1)
                    .map(|k| id.wrapping_mul(61).wrapping_add(k as u8))
                    .collect();
                let submit = matches!(op, Op::Submit(_));
                let got = if submit {
                    ctx.submit(frame.clone())
                } else {
                    ctx.feed(frame.clone()).map(|()| Status::Queued)
                };
                let before = m.pending_bytes();
                if m.state == State::Closed {
                    match got {
                        Err(SubmitError::Closed { frame: back, error }) => {
                            assert_eq!(back, frame, "op {i}: the frame comes back");
                            assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
                        }
                        other => panic!("op {i}: closed context gave {other:?}"),
                    }
                } else if before != 0 && before + frame.len() > limit {
                    assert_eq!(got, Err(SubmitError::Full(frame)), "op {i}");
                } else if m.pending.len() - m.batch == capacity {
                    assert_eq!(got, Err(SubmitError::QueueFull(frame)), "op {i}");
                } else {
                    m.pending.push_back(frame);
                    let want = match (submit, m.state) {
                        (false, _) | (true, State::WantsWritable) => Status::Queued,
                        _ => m.flush(),
                    };
                    assert_eq!(got, Ok(want), "op {i}");
                }
            }
            Op::Flush => {
                let want = match m.state {
                    State::Closed => Status::Failed,
                    State::WantsWritable => Status::Queued,
                    State::Idle => m.flush(),
                };
                assert_eq!(ctx.flush(), want, "op {i}");
            }
            Op::Budget(b) => {
                let b = b.map(usize::from);
                script.lock().unwrap().budget = b;
                m.budget = b;
            }
            Op::Chunk(n) => script.lock().unwrap().chunk = usize::from(n % 16) + 1,
            Op::FailNext => {
                script.lock().unwrap().fail_next = true;
                m.fail_next = true;
            }
            Op::InterruptNext => {
                script.lock().unwrap().interrupt_next = true;
                m.interrupt_next = true;
            }
            Op::OnWritable => {
                let want = match m.state {
                    State::Closed => Status::Failed,
                    State::Idle | State::WantsWritable => m.flush(),
                };
                assert_eq!(ctx.on_writable(), want, "op {i}");
            }
            Op::TakeUnsent => {
                let got = ctx.take_unsent();
                if m.state == State::Closed {
                    assert_eq!(got, Vec::from(std::mem::take(&mut m.pending)), "op {i}");
                    m.offset = 0;
                } else {
                    assert!(got.is_empty(), "op {i}: unsent frames from an open context");
                }
            }
        }
        assert_eq!(
            ctx.pending_bytes(),
            m.pending_bytes(),
            "op {i}: pending bytes"
        );
        assert_eq!(ctx.is_closed(), m.state == State::Closed, "op {i}");
        assert_eq!(
            ctx.wants_writable(),
            m.state == State::WantsWritable,
            "op {i}"
        );
        let stats = ctx.stats();
        assert_eq!(
            (stats.frames, stats.bytes),
            (m.frames, m.bytes),
            "op {i}: stats"
        );
    }
    assert_eq!(script.lock().unwrap().out, m.out, "the byte stream");
    if m.state == State::Closed {
        assert_eq!(ctx.take_unsent(), Vec::from(m.pending));
    }
}
