//! What a worker runs: the [`Handler`] trait, its two constructors, and the
//! [`RequestContext`] through which a running request sees its signals.

use core::fmt;
use core::future::{Future, Ready};
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::Ticket;
use crate::signal::{Action, Actions};

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
    /// raised on it (everything but [`Action::Cancel`], which drops the
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
/// synchronous handler. It can still look at the request's signals through
/// its context, say to stop a long loop on [`Action::Timeout`].
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
    F: FnMut(Req, &RequestContext) -> Rep + Send + 'static,
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
    F: FnMut(Req, &RequestContext) -> Rep + Send + 'static,
    Rep: Send + 'static,
{
    type Reply = Rep;
    type Future = Ready<Rep>;

    #[inline]
    fn call(&mut self, request: Req, cx: RequestContext) -> Ready<Rep> {
        core::future::ready((self.0)(request, &cx))
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

/// Where an executor leaves the actions it delivers to its requests: one
/// cell per signal entry, shared by the executor and the requests' contexts.
///
/// Only the executor's thread writes a cell (it delivers actions and starts
/// requests there) and the request's future, polled on that same thread,
/// reads it; the atomics are Relaxed because they only make the cells
/// `Sync` (a context is `Send`, so a future holding one can be), they order
/// nothing.
#[derive(Debug, Default)]
pub(crate) struct ContextCell {
    /// The generation of the request the actions belong to.
    generation: AtomicU64,
    /// Delivered, not yet taken.
    actions: AtomicU8,
}

impl ContextCell {
    /// Makes the cell the new request's, with the actions raised before it
    /// started.
    pub(crate) fn reset(&self, generation: u64, actions: Actions) {
        // ordering: Relaxed; see the type's docs.
        self.generation.store(generation, Ordering::Relaxed);
        self.actions.store(actions.bits(), Ordering::Relaxed);
    }

    /// Adds delivered actions for the request of `generation`.
    pub(crate) fn deliver(&self, generation: u64, actions: Actions) {
        // ordering: Relaxed; see the type's docs.
        debug_assert_eq!(self.generation.load(Ordering::Relaxed), generation);
        self.actions.fetch_or(actions.bits(), Ordering::Relaxed);
    }
}

/// What a running request knows about itself: its ticket, when it was
/// enqueued, and the actions raised on it. Passed to [`Handler::call`].
///
/// Actions arrive when the worker takes them from its signal table (it
/// looks before it starts new requests); the request sees them with
/// [`actions`](Self::actions), takes them with
/// [`take_actions`](Self::take_actions), or awaits them with
/// [`signalled`](Self::signalled), and the worker polls the request again
/// whenever it delivers some. [`Action::Cancel`] never arrives here: it
/// drops the request's future instead.
///
/// ```
/// use handoff::signal::Action;
/// use handoff::worker::{self, Outcome, Worker};
///
/// // Runs until it is told it is a duplicate, then says so.
/// let handler = worker::from_fn(|_: (), cx: worker::RequestContext| async move {
///     cx.signalled().await.contains(Action::Dup)
/// });
/// let mut w = Worker::spawn(Default::default(), handler)?;
/// let ticket = w.enqueue(()).unwrap();
/// w.signal(ticket, Action::Dup);
/// assert_eq!(w.reply_blocking().unwrap().outcome.done(), Some(true));
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Clone)]
pub struct RequestContext {
    cells: Arc<[ContextCell]>,
    ticket: Ticket,
    enqueued: Instant,
}

impl RequestContext {
    pub(crate) fn new(cells: Arc<[ContextCell]>, ticket: Ticket, enqueued: Instant) -> Self {
        Self {
            cells,
            ticket,
            enqueued,
        }
    }

    fn cell(&self) -> Option<&ContextCell> {
        let cell = &self.cells[self.ticket.key.index()];
        // ordering: Relaxed; see `ContextCell`. A context kept past its
        // request finds the entry's next request here and sees nothing.
        (cell.generation.load(Ordering::Relaxed) == self.ticket.key.generation()).then_some(cell)
    }

    /// The request's ticket, as [`enqueue`](super::Network::enqueue)
    /// returned it.
    pub fn ticket(&self) -> Ticket {
        self.ticket
    }

    /// When the request was enqueued.
    pub fn enqueued_at(&self) -> Instant {
        self.enqueued
    }

    /// The actions delivered to the request and not yet taken.
    pub fn actions(&self) -> Actions {
        self.cell().map_or(Actions::EMPTY, |cell| {
            // ordering: Relaxed; see `ContextCell`.
            Actions::from_bits(cell.actions.load(Ordering::Relaxed))
        })
    }

    /// Whether `action` was delivered and not yet taken.
    pub fn is_raised(&self, action: Action) -> bool {
        self.actions().contains(action)
    }

    /// Takes the delivered actions: later calls see only actions delivered
    /// after this one.
    pub fn take_actions(&self) -> Actions {
        self.cell().map_or(Actions::EMPTY, |cell| {
            // ordering: Relaxed; see `ContextCell`.
            Actions::from_bits(cell.actions.swap(0, Ordering::Relaxed))
        })
    }

    /// Waits until actions are delivered, and takes them.
    ///
    /// The worker polls a request again whenever it delivers actions to it,
    /// so await this in the request's own future (directly or in a
    /// `select`): it registers no waker, and awaited anywhere else it
    /// would not wake.
    pub fn signalled(&self) -> Signalled<'_> {
        Signalled { cx: self }
    }
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("ticket", &self.ticket)
            .field("actions", &self.actions())
            .finish()
    }
}

/// The future of [`RequestContext::signalled`]: ready with the actions once
/// any are delivered.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Signalled<'a> {
    cx: &'a RequestContext,
}

impl Future for Signalled<'_> {
    type Output = Actions;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Actions> {
        let actions = self.cx.take_actions();
        if actions.is_empty() {
            // The executor polls the request again when it delivers.
            Poll::Pending
        } else {
            Poll::Ready(actions)
        }
    }
}
