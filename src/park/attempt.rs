//! What the rings' blocking layers (`spsc::blocking`, `mpsc::blocking`)
//! share: turning one attempt, or the end of a wait, into their results.

use crate::{PopTimeoutError, PushError, PushTimeoutError};

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

/// What a timed push returns for what its wait ended with: a result, or
/// (`None`) the time ran out with the value still in `value`.
pub(crate) fn timed_push<T>(
    got: Option<Result<(), PushError<T>>>,
    value: &mut Option<T>,
) -> Result<(), PushTimeoutError<T>> {
    match got {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => Err(PushTimeoutError::Closed(e.into_inner())),
        None => Err(PushTimeoutError::Timeout(
            value.take().expect("an unpushed value"),
        )),
    }
}

/// What a timed pop returns for what its wait ended with: an item, "empty
/// and closed" (`Some(None)`), or the time ran out (`None`).
pub(crate) fn timed_pop<T>(got: Option<Option<T>>) -> Result<T, PopTimeoutError> {
    match got {
        Some(Some(v)) => Ok(v),
        Some(None) => Err(PopTimeoutError::Closed),
        None => Err(PopTimeoutError::Timeout),
    }
}
