//! Running user code that may panic, without letting the panic (or its
//! payload) escape where it would leave the crate's state half-updated.
//!
//! Two rules, learnt the hard way (a future dropped twice, see the
//! changelog): clear whatever refers to a value *before* anything that can
//! unwind, and never drop a panic payload where its own `Drop` may panic
//! out (`std::panic::panic_any` takes any type, including one whose `Drop`
//! panics). [`catch`] and [`dispose`] are the two helpers.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; a panic becomes `Err` with its message (the payload is
/// disposed of safely).
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = message(&*payload);
        dispose(payload);
        message
    })
}

/// Runs `f` (a `Drop`, typically) and swallows a panic it raises, after
/// disposing of its payload safely. For drops of user values whose owner
/// is already answered for: the panic has nowhere useful to go.
pub(crate) fn contain(f: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
        dispose(payload);
    }
}

/// Drops a panic payload without letting its `Drop` panic out: if it
/// panics, that panic's payload is dropped the same way, and so on; after
/// a few rounds of payloads that all panic when dropped, the last one is
/// leaked rather than dropped (it could go on forever).
pub(crate) fn dispose(payload: Box<dyn Any + Send>) {
    let mut payload = payload;
    for _ in 0..8 {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(again) => payload = again,
        }
    }
    core::mem::forget(payload);
}

/// The message of a caught panic.
pub(crate) fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
