//! loom models of the write context: two submitters and an `on_writable`
//! caller racing over a writer that would block, write in part, or fail at
//! chosen calls.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test
//! loom_write`. The models set their own preemption bound: `WRITE_BOUND`,
//! default 2 (about 30 s a model; 3 takes many minutes).
//!
//! Thread A submits frames `A1` then `A2`, thread B submits `B1`, thread C
//! calls `on_writable` once. Whatever the interleaving:
//! - when they are done, nothing is stranded: either nothing is pending,
//!   or the context waits for writability and some call was told
//!   `WantsWritable` (so somebody is responsible for `on_writable`);
//! - after that one more `on_writable` (the event loop's) writes the rest;
//! - a submit told `Written` finds its frame written;
//! - the bytes written are whole frames, each once, `A1` before `A2`;
//! - with a failing writer, every frame is written once, refused with its
//!   frame handed back, or returned by `take_unsent`: never lost.
#![cfg(loom)]

use handoff::write::{Status, SubmitError, WriteConfig, WriteContext};
use loom::sync::Arc;
use loom::thread;
use std::io::{self, IoSlice, Write};
use std::sync::Mutex;

/// What the writer does on its `n`th call.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Call {
    /// Takes at most this many bytes.
    Take(usize),
    WouldBlock,
    Fail,
}

/// A writer that follows a script, then takes everything; records the bytes.
struct Sink {
    script: Vec<Call>,
    calls: usize,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let call = self
            .script
            .get(self.calls)
            .copied()
            .unwrap_or(Call::Take(usize::MAX));
        self.calls += 1;
        let mut room = match call {
            Call::Take(n) => n,
            Call::WouldBlock => return Err(io::ErrorKind::WouldBlock.into()),
            Call::Fail => return Err(io::ErrorKind::ConnectionReset.into()),
        };
        let mut out = self.out.lock().unwrap();
        let mut n = 0;
        for buf in bufs {
            let take = buf.len().min(room);
            out.extend_from_slice(&buf[..take]);
            room -= take;
            n += take;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const A1: u8 = 1;
const A2: u8 = 2;
const B1: u8 = 3;
const LEN: usize = 3;

fn frame(id: u8) -> Vec<u8> {
    vec![id; LEN]
}

/// What one thread saw: statuses, and frames handed back.
#[derive(Default)]
struct Seen {
    statuses: Vec<Status>,
    refused: Vec<u8>,
}

fn submit(ctx: &WriteContext<Sink>, out: &Mutex<Vec<u8>>, id: u8, seen: &mut Seen) {
    match ctx.submit(frame(id)) {
        Ok(status) => {
            if status == Status::Written {
                // Written means written: the frame is in the writer already.
                let out = out.lock().unwrap();
                assert!(out.chunks(LEN).any(|c| c == frame(id)), "{id} said written");
            }
            seen.statuses.push(status);
        }
        Err(SubmitError::Closed { frame: back, .. }) => {
            assert_eq!(back, frame(id), "the refused frame comes back whole");
            seen.refused.push(id);
        }
        Err(SubmitError::Full(_) | SubmitError::QueueFull(_)) => {
            panic!("no bound is reached in these models")
        }
    }
}

fn model(script: &[Call]) {
    let script = script.to_vec();
    let mut builder = loom::model::Builder::new();
    // A bound of its own (default 2), like the worker models: these have
    // three threads and up to six writer calls each.
    builder.preemption_bound = Some(
        std::env::var("WRITE_BOUND")
            .ok()
            .and_then(|b| b.parse().ok())
            .unwrap_or(2),
    );
    builder.check(move || {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink {
            script: script.clone(),
            calls: 0,
            out: Arc::clone(&out),
        };
        let config = WriteConfig::new().queue_capacity(4);
        let ctx = Arc::new(WriteContext::with_config(sink, config).unwrap());

        let a = {
            let ctx = Arc::clone(&ctx);
            let out = Arc::clone(&out);
            thread::spawn(move || {
                let mut seen = Seen::default();
                submit(&ctx, &out, A1, &mut seen);
                submit(&ctx, &out, A2, &mut seen);
                seen
            })
        };
        let b = {
            let ctx = Arc::clone(&ctx);
            let out = Arc::clone(&out);
            thread::spawn(move || {
                let mut seen = Seen::default();
                submit(&ctx, &out, B1, &mut seen);
                seen
            })
        };
        let c = {
            let ctx = Arc::clone(&ctx);
            thread::spawn(move || Seen {
                statuses: vec![ctx.on_writable()],
                refused: Vec::new(),
            })
        };
        let seen: Vec<Seen> = [a, b, c].into_iter().map(|t| t.join().unwrap()).collect();
        let statuses: Vec<Status> = seen.iter().flat_map(|s| s.statuses.clone()).collect();
        let mut refused: Vec<u8> = seen.iter().flat_map(|s| s.refused.clone()).collect();

        if ctx.is_closed() {
            assert!(
                statuses.contains(&Status::Failed),
                "a close was reported: {statuses:?}"
            );
        } else {
            assert!(refused.is_empty(), "frames refused by an open context");
            // Nothing stranded: idle with nothing pending, or waiting for a
            // writability that somebody was asked to watch for.
            if ctx.wants_writable() {
                assert!(
                    statuses.contains(&Status::WantsWritable),
                    "waiting for writability nobody was told about: {statuses:?}"
                );
            } else {
                assert_eq!(ctx.pending_bytes(), 0, "a frame stranded: {statuses:?}");
            }
            // The event loop's call, once the writer can take more.
            let mut rounds = 0;
            while ctx.on_writable() == Status::WantsWritable {
                rounds += 1;
                assert!(rounds < 8, "the writer never drained");
            }
            assert_eq!(ctx.pending_bytes(), 0);
        }

        let unsent: Vec<u8> = ctx.take_unsent().iter().map(|f| f[0]).collect();
        let bytes = out.lock().unwrap().clone();
        // Whole frames, none interleaved, each once, A1 before A2. With a
        // failing writer the last frame written may be cut short.
        let mut written = Vec::new();
        for chunk in bytes.chunks(LEN) {
            let id = chunk[0];
            assert!(
                chunk.iter().all(|&b| b == id),
                "interleaved bytes: {bytes:?}"
            );
            if chunk.len() == LEN {
                written.push(id);
            } else {
                assert!(ctx.is_closed(), "a frame cut short: {bytes:?}");
                assert_eq!(unsent.first(), Some(&id), "the cut frame is unsent");
            }
        }
        let mut all = written.clone();
        all.extend(&unsent);
        all.append(&mut refused);
        all.sort_unstable();
        assert_eq!(all, [A1, A2, B1], "written {written:?}, unsent {unsent:?}");
        let a1 = written.iter().position(|&id| id == A1);
        let a2 = written.iter().position(|&id| id == A2);
        if let (Some(a1), Some(a2)) = (a1, a2) {
            assert!(a1 < a2, "A's frames out of order: {written:?}");
        }
    });
}

/// A partial write, then a stall: resumption at the exact byte.
#[test]
fn partial_then_would_block() {
    model(&[Call::Take(2), Call::WouldBlock]);
}

/// The connection fails after a partial write.
#[test]
fn fail_after_partial() {
    model(&[Call::Take(4), Call::Fail]);
}
