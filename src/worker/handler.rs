//! What a worker runs: the [`Handler`] trait and its two constructors.

use core::fmt;
use core::future::{Future, Ready};

use super::RequestContext;

/// Processes requests: turns each into a future whose output is the reply.
///
/// A worker calls [`call`](Self::call) once per request, on the worker's
/// thread (or, in inline mode, on the network thread that enqueued it), and
/// polls the future there until it completes. One worker interleaves every
/// request whose future waits on something, so a handler that awaits I/O or
/// a timer does not hold up the others. A synchronous handler is the
/// trivial case: see [`from_sync_fn`].
///
/// Usually made with [`from_fn`] or [`from_sync_fn`]; implement it by hand
/// for a handler that owns state and is cloned for each worker of a pool.
///
/// ```
/// use std::future::{ready, Ready};
/// use handoff::worker::{Handler, RequestContext};
///
/// #[derive(Clone)]
/// struct Double;
///
/// impl Handler<u64> for Double {
///     type Reply = u64;
///     type Future = Ready<u64>;
///     fn call(&mut self, request: u64, _cx: RequestContext) -> Ready<u64> {
///         ready(request * 2)
///     }
/// }
/// # let mut w = handoff::worker::Worker::spawn(Default::default(), Double).unwrap();
/// # w.enqueue(4).unwrap();
/// # assert_eq!(w.reply_blocking().unwrap().outcome.done(), Some(8));
/// ```
pub trait Handler<Req>: Send + 'static {
    /// What a request produces.
    type Reply: Send + 'static;
    /// The request being processed. `Send` because in inline mode it lives
    /// in a [`Network`](super::Network), which may move between threads.
    type Future: Future<Output = Self::Reply> + Send + 'static;

    /// Starts processing `request`; `cx` tells the future which actions were
    /// raised on it (everything but
    /// [`Action::Cancel`](crate::signal::Action::Cancel), which drops the
    /// future instead).
    fn call(&mut self, request: Req, cx: RequestContext) -> Self::Future;
}

/// A [`Handler`] made from an async closure; see [`from_fn`].
#[derive(Clone)]
pub struct FnHandler<F>(F);

/// A [`Handler`] made from a plain closure; see [`from_sync_fn`].
#[derive(Clone)]
pub struct SyncFnHandler<F>(F);

/// Makes a [`Handler`] from a closure that returns a future: the async
/// handler, which may await (and be cancelled while it waits).
///
/// ```
/// use handoff::worker::{self, Worker};
///
/// let handler = worker::from_fn(|name: String, _cx| async move { format!("hello, {name}") });
/// let mut w = Worker::spawn(Default::default(), handler)?;
/// w.enqueue("world".to_string()).unwrap();
/// assert_eq!(w.reply_blocking().unwrap().outcome.done().unwrap(), "hello, world");
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
pub fn from_fn<Req, F, Fut>(f: F) -> FnHandler<F>
where
    F: FnMut(Req, RequestContext) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    FnHandler(f)
}

/// Makes a [`Handler`] from a closure that computes the reply at once: the
/// synchronous handler. It gets the same [`RequestContext`] as
/// [`from_fn`]'s closure (by value: it is `Copy`), and can still look at
/// the request's signals through it, say to stop a long loop on
/// [`Action::Timeout`](crate::signal::Action::Timeout).
///
/// ```
/// use handoff::worker::{self, Worker};
///
/// let mut w = Worker::spawn(Default::default(), worker::from_sync_fn(|n: u32, _cx| n + 1))?;
/// w.enqueue(41).unwrap();
/// assert_eq!(w.reply_blocking().unwrap().outcome.done(), Some(42));
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
pub fn from_sync_fn<Req, Rep, F>(f: F) -> SyncFnHandler<F>
where
    F: FnMut(Req, RequestContext) -> Rep + Send + 'static,
    Rep: Send + 'static,
{
    SyncFnHandler(f)
}

impl<Req, F, Fut> Handler<Req> for FnHandler<F>
where
    F: FnMut(Req, RequestContext) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    type Reply = Fut::Output;
    type Future = Fut;

    #[inline]
    fn call(&mut self, request: Req, cx: RequestContext) -> Fut {
        (self.0)(request, cx)
    }
}

impl<Req, Rep, F> Handler<Req> for SyncFnHandler<F>
where
    F: FnMut(Req, RequestContext) -> Rep + Send + 'static,
    Rep: Send + 'static,
{
    type Reply = Rep;
    type Future = Ready<Rep>;

    #[inline]
    fn call(&mut self, request: Req, cx: RequestContext) -> Ready<Rep> {
        core::future::ready((self.0)(request, cx))
    }
}

impl<F> fmt::Debug for FnHandler<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnHandler(..)")
    }
}

impl<F> fmt::Debug for SyncFnHandler<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SyncFnHandler(..)")
    }
}
