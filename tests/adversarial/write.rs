//! `write`: frames whose bytes change length between the context's looks
//! at them (an `AsRef` that is not stable), and writers that stall.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use handoff::write::{Status, WriteConfig, WriteContext};

/// A frame whose `as_ref()` returns all of its bytes on the first call, and
/// on later calls `later` of them (fewer: it shrank; all: it is stable).
struct Shifty {
    bytes: Vec<u8>,
    later: usize,
    calls: AtomicUsize,
}

impl AsRef<[u8]> for Shifty {
    fn as_ref(&self) -> &[u8] {
        if self.calls.fetch_add(1, Ordering::Relaxed) == 0 {
            &self.bytes
        } else {
            &self.bytes[..self.later.min(self.bytes.len())]
        }
    }
}

/// A frame that claims more bytes on every later call (it "grows"): backed
/// by a larger buffer than its first answer showed.
struct Growing {
    bytes: Vec<u8>,
    first: usize,
    calls: AtomicUsize,
}

impl AsRef<[u8]> for Growing {
    fn as_ref(&self) -> &[u8] {
        if self.calls.fetch_add(1, Ordering::Relaxed) == 0 {
            &self.bytes[..self.first]
        } else {
            &self.bytes
        }
    }
}

/// Writes at most `budget` bytes a call, into a shared buffer.
#[derive(Clone)]
struct Trickle {
    out: Arc<Mutex<Vec<u8>>>,
    budget: usize,
}

impl Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.budget);
        self.out.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Bug class: byte counts that drift. A frame whose `as_ref().len()`
/// changes after it was accepted used to leave the pending-byte count off
/// for good, after which every submit was refused `Full`. Each frame's
/// length is read once: the count returns to zero, and the context keeps
/// accepting frames.
#[test]
fn frames_that_change_length_do_not_make_the_byte_count_drift() {
    let out = Arc::new(Mutex::new(Vec::new()));
    let writer = Trickle {
        out: Arc::clone(&out),
        budget: 5,
    };
    let config = WriteConfig::default().max_pending_bytes(64);
    let ctx = WriteContext::with_config(writer, config).unwrap();
    let rounds = if cfg!(miri) { 20 } else { 2000 };
    for round in 0..rounds {
        let frame = Shifty {
            bytes: vec![round as u8; 12],
            later: round % 13, // shrinks to 0..=12 bytes (12: stable)
            calls: AtomicUsize::new(0),
        };
        let status = ctx
            .submit(frame)
            .unwrap_or_else(|_| panic!("round {round}: refused"));
        assert_eq!(status, Status::Written);
        assert_eq!(ctx.pending_bytes(), 0, "round {round}");
    }
    // Every frame wrote what its bytes held when written, up to its
    // recorded length: here the shrunk prefix.
    let expected: usize = (0..rounds).map(|r| r % 13).sum();
    assert_eq!(out.lock().unwrap().len(), expected);

    // A frame that grows is written up to the length it had when accepted.
    let grown = Growing {
        bytes: vec![7; 30],
        first: 10,
        calls: AtomicUsize::new(0),
    };
    out.lock().unwrap().clear();
    let writer = Trickle {
        out: Arc::clone(&out),
        budget: 3,
    };
    let ctx = WriteContext::with_config(writer, config).unwrap();
    assert_eq!(ctx.submit(grown).map_err(|_| ()), Ok(Status::Written));
    assert_eq!(out.lock().unwrap().len(), 10);
    assert_eq!(ctx.pending_bytes(), 0);
}
