//! What a running request reaches through its [`RequestContext`]: the
//! actions delivered to it, the worker's clock and timer, and the flushes
//! at the end of the worker's batch.
//!
//! # How a context finds its worker
//!
//! A context is `Copy`: a ticket and a time stamp, no pointer and no
//! reference count (starting a request costs no atomic operation for it).
//! While an executor runs its requests it puts a pointer to its [`Running`]
//! state in a thread-local (see [`enter`]); a context looks there, and
//! finds its own request by the entry and generation of its ticket. So
//! everything a context does works wherever it is used inside its request
//! (its future, a sub-future, a `select`, a `join`) on its worker; used
//! anywhere else (another thread, after the request ended) the plain
//! accessors see nothing and the futures ([`Signalled`], [`Sleep`]) panic
//! with a message that names the misuse, rather than never waking.

use core::cell::{Cell, RefCell};
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::timer::{Fire, Timers};
use super::Ticket;
use crate::signal::{Action, Actions, Key};

/// Something a worker flushes once at the end of its batch: typically a
/// connection that owns a [`WriteContext`](crate::write::WriteContext),
/// whose `flush` calls [`WriteContext::flush`](crate::write::WriteContext::flush)
/// and arranges for `on_writable` if it returns
/// [`Status::WantsWritable`](crate::write::Status::WantsWritable). See
/// [`RequestContext::flush_at_end`].
pub trait Flush: Send + Sync {
    /// Writes what the batch's requests fed. Called once per batch that
    /// asked for it, on the worker's thread, after the batch's last
    /// request ran; a panic here is contained (the batch's other flushes
    /// still run).
    fn flush(&self);
}

/// One entry's part of [`Running`].
pub(super) struct ContextCell {
    /// The request that holds the entry here (queued or started).
    pub(super) key: Cell<Option<Key>>,
    /// Delivered, not yet taken.
    pub(super) actions: Cell<Actions>,
    pub(super) deadline: Cell<Option<Instant>>,
    /// The waker a [`Signalled`] was last polled with, when it is not the
    /// entry's own (a sub-future's): woken when actions are delivered.
    pub(super) waiter: RefCell<Option<Waker>>,
}

impl ContextCell {
    fn new() -> Self {
        Self {
            key: Cell::new(None),
            actions: Cell::new(Actions::EMPTY),
            deadline: Cell::new(None),
            waiter: RefCell::new(None),
        }
    }
}

/// What an executor shares with the requests it runs, on its own thread
/// only: the executor reaches it through its own pointer, the requests
/// through the thread-local that [`enter`] sets. Every field is a `Cell`
/// or a `RefCell`: both only ever take shared references.
pub(super) struct Running {
    pub(super) cells: Box<[ContextCell]>,
    /// Each entry's waker (the executor polls with them): a `Sleep` or a
    /// `Signalled` polled with one of these needs no waker of its own.
    pub(super) wakers: Box<[Waker]>,
    pub(super) timers: RefCell<Timers>,
    /// What to flush at the end of the batch.
    pub(super) flushes: RefCell<Vec<Arc<dyn Flush>>>,
    /// The executor's clock: when the poll under way started.
    pub(super) now: Cell<Instant>,
}

impl Running {
    pub(super) fn new(wakers: Box<[Waker]>) -> Self {
        let entries = wakers.len();
        Self {
            cells: (0..entries).map(|_| ContextCell::new()).collect(),
            wakers,
            timers: RefCell::new(Timers::new(entries)),
            flushes: RefCell::new(Vec::with_capacity(16)),
            now: Cell::new(Instant::now()),
        }
    }
}

crate::loom::thread_local! {
    /// The `Running` of the executor running requests on this thread, or
    /// null. Not a `const` initializer: loom's `thread_local!` does not
    /// take one (its `expr` fragment rejects a `const` block).
    #[allow(clippy::missing_const_for_thread_local)]
    static CURRENT: Cell<*const Running> = Cell::new(core::ptr::null());
}

/// Runs `f` with `running` as this thread's current executor state, and
/// puts the previous one back after (also when `f` unwinds).
///
/// While the thread's locals are being destroyed (an inline network kept
/// in a thread-local, dropped at thread exit), it runs `f` without: the
/// requests' contexts then see nothing, as outside their request.
pub(super) fn enter<R>(running: &Running, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<*const Running>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(previous) = self.0 {
                let _ = CURRENT.try_with(|c| c.set(previous));
            }
        }
    }
    let previous = CURRENT.try_with(|c| c.replace(running)).ok();
    let _restore = Restore(previous);
    f()
}

/// Runs `f` on the current executor's state and the cell of `key`'s
/// request, if that request is running on this thread's executor.
fn with_request<R>(key: Key, f: impl FnOnce(&Running, &ContextCell) -> R) -> Option<R> {
    let running = CURRENT.try_with(Cell::get).ok()?;
    if running.is_null() {
        return None;
    }
    // SAFETY: the pointer is non-null only inside `enter`, which holds a
    // shared reference to the `Running` for as long as it is set; `f` runs
    // inside that (on this thread, within the call that set it), and the
    // reference does not outlive `f`. Every access to `Running` is through
    // shared references (its fields are `Cell`s and `RefCell`s).
    let running = unsafe { &*running };
    let cell = running.cells.get(key.index())?;
    (cell.key.get() == Some(key)).then(|| f(running, cell))
}

/// What a running request knows about itself and reaches of its worker:
/// its ticket and enqueue time, the actions raised on it, the worker's
/// clock and timer ([`sleep`](Self::sleep)), and the flushes at the end of
/// the worker's batch ([`flush_at_end`](Self::flush_at_end)). Passed to
/// [`Handler::call`](super::Handler::call), by value: it is `Copy`.
///
/// Actions arrive when the worker takes them from its signal table (it
/// looks before it runs anything else), or when the request's deadline
/// passes ([`Action::Timeout`]); the request sees them with
/// [`actions`](Self::actions), takes them with
/// [`take_actions`](Self::take_actions), or awaits them with
/// [`signalled`](Self::signalled). [`Action::Cancel`] never arrives here:
/// it drops the request's future instead (or, before the request started,
/// the request itself: the handler is never called).
///
/// A context works inside its own request, on its worker: in the
/// request's future and in anything that future polls. Used elsewhere
/// (kept past the request, or sent to another thread), the accessors see
/// no actions and the futures panic, naming the misuse.
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
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestContext {
    ticket: Ticket,
    enqueued: Instant,
}

impl RequestContext {
    pub(super) fn new(ticket: Ticket, enqueued: Instant) -> Self {
        Self { ticket, enqueued }
    }

    fn with<R>(&self, f: impl FnOnce(&Running, &ContextCell) -> R) -> Option<R> {
        with_request(self.ticket.key, f)
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

    /// The request's deadline (see [`Enqueue::deadline`](super::Enqueue::deadline)),
    /// if it has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.with(|_, cell| cell.deadline.get()).flatten()
    }

    /// The worker's clock: when the current poll of the request started.
    /// Costs no clock read (the worker reads the clock once per poll
    /// anyway); outside the request it reads the clock.
    ///
    /// ```
    /// use handoff::worker::{self, Worker};
    /// let handler = worker::from_sync_fn(|(), cx| cx.now() >= cx.enqueued_at());
    /// let mut w = Worker::spawn(Default::default(), handler)?;
    /// w.enqueue(()).unwrap();
    /// assert_eq!(w.reply_blocking().unwrap().outcome.done(), Some(true));
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn now(&self) -> Instant {
        self.with(|running, _| running.now.get())
            .unwrap_or_else(Instant::now)
    }

    /// The actions delivered to the request and not yet taken.
    pub fn actions(&self) -> Actions {
        self.with(|_, cell| cell.actions.get())
            .unwrap_or(Actions::EMPTY)
    }

    /// Whether `action` was delivered and not yet taken.
    pub fn is_raised(&self, action: Action) -> bool {
        self.actions().contains(action)
    }

    /// Takes the delivered actions: later calls see only actions delivered
    /// after this one.
    pub fn take_actions(&self) -> Actions {
        self.with(|_, cell| cell.actions.replace(Actions::EMPTY))
            .unwrap_or(Actions::EMPTY)
    }

    /// Waits until actions are delivered, and takes them. Await it anywhere
    /// inside the request: it registers the waker it is polled with.
    ///
    /// # Panics
    ///
    /// When polled outside its request (on another thread, or after the
    /// request ended), where no delivery could ever wake it.
    pub fn signalled(&self) -> Signalled {
        Signalled { cx: *self }
    }

    /// Waits until `deadline`, on the worker's own timer: the worker sleeps
    /// until the earliest deadline of its requests when it has nothing else
    /// to do, and costs no system call per timer while it is busy.
    ///
    /// # Panics
    ///
    /// The future panics when polled outside its request (on another
    /// thread, or after the request ended).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use handoff::worker::{self, Worker};
    ///
    /// let handler = worker::from_fn(|ms: u64, cx: worker::RequestContext| async move {
    ///     let start = Instant::now();
    ///     cx.sleep_until(start + Duration::from_millis(ms)).await;
    ///     start.elapsed()
    /// });
    /// let mut w = Worker::spawn(Default::default(), handler)?;
    /// w.enqueue(5).unwrap();
    /// let slept = w.reply_blocking().unwrap().outcome.done().unwrap();
    /// assert!(slept >= Duration::from_millis(5));
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep {
            cx: *self,
            deadline,
            registered: Registered::No,
        }
    }

    /// [`sleep_until`](Self::sleep_until) the worker's clock
    /// ([`now`](Self::now)) plus `duration`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use handoff::worker::{self, Worker};
    ///
    /// let handler = worker::from_fn(|(), cx: worker::RequestContext| async move {
    ///     cx.sleep(Duration::from_millis(1)).await;
    ///     "rested"
    /// });
    /// let mut w = Worker::spawn(Default::default(), handler)?;
    /// w.enqueue(()).unwrap();
    /// assert_eq!(w.reply_blocking().unwrap().outcome.done(), Some("rested"));
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn sleep(&self, duration: Duration) -> Sleep {
        let now = self.now();
        // A duration beyond the clock's range: a century is forever enough.
        let deadline = now
            .checked_add(duration)
            .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
            .unwrap_or(now);
        self.sleep_until(deadline)
    }

    /// Has the worker call `target`'s [`Flush::flush`] once at the end of
    /// its current batch (or when it goes idle), however many of the
    /// batch's requests ask: feed replies into a connection's
    /// [`WriteContext`](crate::write::WriteContext) with
    /// [`feed`](crate::write::WriteContext::feed), then call this, and a
    /// saturated worker makes one `writev` per connection per batch while a
    /// lone reply is still written at once (its batch ends right after it).
    /// Outside its request it flushes at once.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use handoff::worker::{self, Flush, Worker};
    /// use handoff::write::WriteContext;
    ///
    /// /// A connection: its write context, and what a real server would do
    /// /// when the socket is full (register for writability).
    /// struct Conn(WriteContext<Vec<u8>>);
    /// impl Flush for Conn {
    ///     fn flush(&self) {
    ///         let _ = self.0.flush(); // WantsWritable: arm EPOLLOUT here
    ///     }
    /// }
    ///
    /// let conn = Arc::new(Conn(WriteContext::new(Vec::new())));
    /// let c = Arc::clone(&conn);
    /// let handler = worker::from_sync_fn(move |n: u8, cx| {
    ///     c.0.feed(vec![n]).unwrap();
    ///     cx.flush_at_end(&c);
    /// });
    /// let mut w = Worker::spawn(Default::default(), handler)?;
    /// for n in 0..3 {
    ///     w.enqueue(n).unwrap();
    /// }
    /// while w.reply_blocking().is_some() {}
    /// assert_eq!(conn.0.stats().frames, 3);
    /// assert!(conn.0.stats().writes <= 3);
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn flush_at_end<T: Flush + 'static>(&self, target: &Arc<T>) {
        let queued = self.with(|running, _| {
            let mut flushes = running.flushes.borrow_mut();
            // A batch usually feeds a few connections, each many times in
            // a row: look at the last few, and flush a rare duplicate twice.
            let ptr = Arc::as_ptr(target).cast::<()>();
            let known = flushes
                .iter()
                .rev()
                .take(8)
                .any(|f| Arc::as_ptr(f).cast::<()>() == ptr);
            if !known {
                flushes.push(Arc::clone(target) as Arc<dyn Flush>);
            }
        });
        if queued.is_none() {
            target.flush();
        }
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

/// Whether `waker` is the executor's own waker of `key`'s entry.
fn is_own(running: &Running, key: Key, waker: &Waker) -> bool {
    running.wakers[key.index()].will_wake(waker)
}

/// The future of [`RequestContext::signalled`]: ready with the actions once
/// any are delivered.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Signalled {
    cx: RequestContext,
}

impl Future for Signalled {
    type Output = Actions;

    fn poll(self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<Actions> {
        let key = self.cx.ticket.key;
        let polled = self.cx.with(|running, cell| {
            let actions = cell.actions.replace(Actions::EMPTY);
            if !actions.is_empty() {
                return Poll::Ready(actions);
            }
            // The executor polls the request itself when it delivers; a
            // sub-future's waker must be woken by name.
            let waker = (!is_own(running, key, task.waker())).then(|| task.waker().clone());
            let old = cell.waiter.replace(waker);
            drop(old);
            Poll::Pending
        });
        match polled {
            Some(poll) => poll,
            None => panic!(
                "RequestContext::signalled polled outside its request \
                 (on another thread, or after the request ended): nothing would wake it"
            ),
        }
    }
}

/// Which waker a [`Sleep`] registered its timer with.
enum Registered {
    No,
    /// The entry's own.
    Own,
    /// A sub-future's.
    Other(Waker),
}

/// The future of [`RequestContext::sleep_until`] and
/// [`sleep`](RequestContext::sleep): ready once the worker's clock reaches
/// its deadline. Dropping it early is fine (the timer fires into nothing).
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    cx: RequestContext,
    deadline: Instant,
    registered: Registered,
}

impl Sleep {
    /// When it is ready.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let key = this.cx.ticket.key;
        let deadline = this.deadline;
        let registered = &mut this.registered;
        let polled = this.cx.with(|running, _| {
            if running.now.get() >= deadline {
                return Poll::Ready(());
            }
            let own = is_own(running, key, task.waker());
            let current = match registered {
                Registered::No => false,
                Registered::Own => own,
                Registered::Other(w) => w.will_wake(task.waker()),
            };
            if !current {
                let waker = (!own).then(|| task.waker().clone());
                *registered = match &waker {
                    None => Registered::Own,
                    Some(w) => Registered::Other(w.clone()),
                };
                running.timers.borrow_mut().push(
                    deadline,
                    key.index(),
                    key.generation(),
                    Fire::Wake(waker),
                );
            }
            Poll::Pending
        });
        match polled {
            Some(poll) => poll,
            None => panic!(
                "RequestContext::sleep polled outside its request \
                 (on another thread, or after the request ended): no timer would wake it"
            ),
        }
    }
}
