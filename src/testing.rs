//! Helpers for the crate's own unit tests.

use std::sync::mpsc;
use std::time::Duration;

/// Runs `f` on another thread and returns its result, failing the test if
/// it does not return within a minute: for operations that must never wait
/// for another thread (the bug class these tests pin made some spin
/// forever, which would otherwise hang the test run instead of failing it).
pub(crate) fn returns<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the operation waited for a stalled thread")
}
