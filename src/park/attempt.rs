//! What the rings' blocking layers (`spsc::blocking`, `mpsc::blocking`)
//! share: turning one attempt, or the end of a wait, into their results.

use crate::{PopError, PushError};

/// One attempt of a waiting push: `Some(result)` once `value` went in or
/// the ring is closed, `None` while it is full (the value stays in `value`
/// for the next attempt).
pub(crate) fn push_attempt<T>(
    value: &mut Option<T>,
    push: impl FnOnce(T) -> Result<(), PushError<T>>,
) -> Option<Result<(), PushError<T>>> {
    match push(value.take().expect("a value to push")) {
        Ok(()) => Some(Ok(())),
        Err(PushError::Full(v)) => {
            *value = Some(v);
            None
        }
        Err(closed) => Some(Err(closed)),
    }
}

/// What `pop_timeout` returns for what its wait ended with: an item,
/// "empty and closed" (`Some(None)`), or the time ran out (`None`).
pub(crate) fn timed_pop<T>(got: Option<Option<T>>) -> Result<T, PopError> {
    match got {
        Some(Some(v)) => Ok(v),
        Some(None) => Err(PopError::Closed),
        None => Err(PopError::Empty),
    }
}
