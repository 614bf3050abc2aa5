//! How a measurement's threads report to the main thread: a fast client
//! that has everything, or a thread that panicked.

use std::thread::{self, JoinHandle};
use std::time::Instant;

use crossbeam_channel::Sender;

/// What the measurement's threads tell the main thread.
pub enum Note {
    /// A fast client got all its frames, at this instant.
    FastDone(Instant),
    /// A thread panicked.
    Panicked(String),
}

/// Tells the main thread when the thread holding it panics, so that a
/// measurement fails at once instead of waiting for the stall limit.
pub struct Alarm {
    pub tx: Sender<Note>,
    pub who: String,
}

impl Drop for Alarm {
    fn drop(&mut self) {
        if thread::panicking() {
            let _ = self.tx.send(Note::Panicked(self.who.clone()));
        }
    }
}

/// Joins `handle`, passing its panic on.
pub fn join<T>(handle: JoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
