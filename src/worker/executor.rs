//! The executor: runs the requests of one worker (or of one network thread
//! in inline mode) as futures, delivers their signals, and produces their
//! replies.
//!
//! Everything is allocated when the executor is made, sized by its signal
//! table: a task per entry (the entry of a request's key is its task), a
//! context cell per entry, and a waker per entry. Starting, polling, waking
//! and answering a request allocate nothing. How a waker reaches the
//! executor from another thread is in `super::wake`.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::control::NOW;
use super::handler::{ContextCell, Handler, RequestContext};
use super::reply::{bump, Outcome, Reply, StatsCell};
use super::wake::EntryWake;
use super::Ticket;
use crate::loom::{AtomicBool, Ordering};
use crate::panic::{catch, contain};
use crate::park::{RegisterError, Unparker};
use crate::signal::{self, Action, Actions, Signals};
use crate::{mpsc, CapacityError};

/// A request on its way to an executor.
pub(crate) struct Envelope<Req> {
    pub(crate) key: signal::Key,
    pub(crate) request: Req,
    pub(crate) enqueued: Instant,
}

/// One entry's request while it runs here.
struct Task<F> {
    /// The request's key while it is in flight here; `None` otherwise.
    key: Option<signal::Key>,
    /// The request's future. Invariant: `Some` only while `key` is, and
    /// pinned: the tasks live in a boxed slice that is never reallocated,
    /// and a future is only ever dropped in place (`drop_future`), never
    /// moved out.
    future: Option<F>,
    /// The link (network thread) to reply to.
    origin: u32,
    enqueued: Instant,
    waited: Duration,
    /// Time spent polling it so far.
    service: Duration,
    /// Actions taken from the table before the request reached us (it was
    /// still in a ring), with their generation.
    early: Option<(u64, Actions)>,
}

/// Runs one executor's requests; see the module docs.
pub(crate) struct Executor<Req, H: Handler<Req>> {
    /// The worker's index, for tickets.
    index: u32,
    handler: H,
    signals: Signals,
    /// One per entry of the signal table.
    tasks: Box<[Task<H::Future>]>,
    cells: std::sync::Arc<[ContextCell]>,
    wakes: Box<[std::sync::Arc<EntryWake>]>,
    wakers: Box<[Waker]>,
    woken: mpsc::Consumer<u32>,
    in_flight: usize,
    busy: Duration,
    /// When the last poll ended, while the executor works without a break
    /// (`None` after `pause`): the next poll starts then, which saves a
    /// clock read per request. The gap in between (taking the next request
    /// from its ring) is counted as the next request's service time.
    clock: Option<Instant>,
    stats: std::sync::Arc<StatsCell>,
    _requests: core::marker::PhantomData<fn(Req)>,
}

/// Where finished requests go: the link to reply on, and the reply.
pub(crate) type Sink<'a, Req, Rep> = &'a mut dyn FnMut(u32, Reply<Req, Rep>);

impl<Req, H: Handler<Req>> Executor<Req, H> {
    pub(crate) fn new(
        index: u32,
        handler: H,
        signals: Signals,
        stats: std::sync::Arc<StatsCell>,
    ) -> Result<Self, CapacityError> {
        let entries = signals.table().capacity();
        let (ring, woken) = mpsc::try_channel(entries)?;
        let now = Instant::now();
        let tasks = (0..entries)
            .map(|_| Task {
                key: None,
                future: None,
                origin: 0,
                enqueued: now,
                waited: Duration::ZERO,
                service: Duration::ZERO,
                early: None,
            })
            .collect();
        let wakes: Box<[_]> = (0..entries)
            .map(|entry| {
                std::sync::Arc::new(EntryWake {
                    entry: entry as u32,
                    queued: AtomicBool::new(false),
                    ring: ring.clone(),
                })
            })
            .collect();
        let wakers = wakes
            .iter()
            .map(|w| Waker::from(std::sync::Arc::clone(w)))
            .collect();
        Ok(Self {
            index,
            handler,
            signals,
            tasks,
            cells: (0..entries).map(|_| ContextCell::default()).collect(),
            wakes,
            wakers,
            woken,
            in_flight: 0,
            busy: Duration::ZERO,
            clock: None,
            stats,
            _requests: core::marker::PhantomData,
        })
    }

    /// Makes signals and wakes unpark `unparker`.
    pub(crate) fn register(&self, unparker: &Unparker) -> Result<(), RegisterError> {
        self.signals.register(unparker)?;
        self.woken.register(unparker)
    }

    /// Whether a signal or a wake is waiting to be handled now.
    ///
    /// Only entries that can be popped count: a raiser or a waker preempted
    /// between claiming its place in a queue and writing it does not make
    /// the executor spin. It pushes and notifies when it runs again, which
    /// wakes the executor; until then the entries queued behind it wait
    /// too (the queues are FIFO).
    pub(crate) fn has_work(&self) -> bool {
        self.woken.is_ready() || self.signals.has_ready()
    }

    /// Requests started here and not yet answered.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub(crate) fn stats(&self) -> &StatsCell {
        &self.stats
    }

    /// Admits a request that came from link `origin`: calls the handler
    /// and polls the future once (unless the request was cancelled while
    /// it was queued).
    pub(crate) fn admit(
        &mut self,
        envelope: Envelope<Req>,
        origin: u32,
        sink: Sink<'_, Req, H::Reply>,
    ) {
        bump(&self.stats.requests, 1);
        // A cancel raised while the request waited in its ring (and while
        // the requests before it ran) must stop it before it runs. Looking
        // at the signal queue's length reads a line only raises write.
        if self.signals.has_pending() {
            self.run_signals(sink);
        }
        let key = envelope.key;
        let entry = key.index();
        let started = self.now();
        let task = &mut self.tasks[entry];
        debug_assert!(task.key.is_none(), "entry {entry} started twice");
        debug_assert!(
            task.future.is_none(),
            "entry {entry} has a future but no request"
        );
        let actions = match task.early.take() {
            Some((generation, actions)) if generation == key.generation() => actions,
            _ => Actions::EMPTY,
        };
        task.key = Some(key);
        task.origin = origin;
        task.enqueued = envelope.enqueued;
        task.waited = started.saturating_duration_since(envelope.enqueued);
        task.service = Duration::ZERO;
        self.in_flight += 1;
        if actions.contains(Action::Cancel) {
            self.finish(entry, Outcome::Cancelled, sink);
            // Answered already; a panicking `Drop` of the request must not
            // take the worker (and the other requests' replies) down.
            contain(|| drop(envelope.request));
            return;
        }
        self.cells[entry].reset(key.generation(), actions);
        let cx = RequestContext::new(
            std::sync::Arc::clone(&self.cells),
            Ticket {
                executor: self.index,
                key,
            },
            envelope.enqueued,
        );
        let handler = &mut self.handler;
        match catch(|| handler.call(envelope.request, cx)) {
            Ok(future) => {
                // Not `Some` before (checked above), so nothing pinned is
                // overwritten.
                self.tasks[entry].future = Some(future);
                self.poll(entry, started, sink);
            }
            Err(message) => {
                self.account(entry, started);
                self.finish(entry, Outcome::Panicked(message), sink);
            }
        }
    }

    /// Answers a request that never started (`Kill::Now` found it queued).
    pub(crate) fn hand_back(
        &mut self,
        envelope: Envelope<Req>,
        origin: u32,
        sink: Sink<'_, Req, H::Reply>,
    ) {
        bump(&self.stats.unstarted, 1);
        let reply = Reply {
            ticket: Ticket {
                executor: self.index,
                key: envelope.key,
            },
            outcome: Outcome::Unstarted(envelope.request),
            enqueued_at: envelope.enqueued,
            waited: envelope.enqueued.elapsed(),
            service: Duration::ZERO,
            busy: self.busy,
        };
        sink(origin, reply);
    }

    /// Takes every raised signal: cancels, or delivers and polls. Returns
    /// whether there was any.
    pub(crate) fn run_signals(&mut self, sink: Sink<'_, Req, H::Reply>) -> bool {
        let mut any = false;
        while let Some((key, actions)) = self.signals.pop() {
            any = true;
            let entry = key.index();
            let task = &mut self.tasks[entry];
            if task.key == Some(key) {
                if actions.contains(Action::Cancel) {
                    self.finish(entry, Outcome::Cancelled, sink);
                } else {
                    self.cells[entry].deliver(key.generation(), actions);
                    self.poll(entry, self.now(), sink);
                }
            } else if task.key.is_none() {
                // Still in a ring (or answered and not yet retired, when
                // the generation never starts here again): keep them for
                // `admit`.
                let generation = key.generation();
                task.early = Some(match task.early {
                    Some((g, earlier)) if g == generation => (g, earlier | actions),
                    _ => (generation, actions),
                });
            }
            // Otherwise the entry runs a later request: the signal was for
            // an older one, already answered.
        }
        any
    }

    /// Polls the requests whose wakers fired, each once. Returns whether
    /// there was any.
    pub(crate) fn run_woken(&mut self, sink: Sink<'_, Req, H::Reply>) -> bool {
        let mut any = false;
        // At most one round of the entries: a future that wakes itself at
        // every poll must not starve the rings.
        for _ in 0..self.tasks.len() {
            let Some(entry) = self.woken.pop() else {
                break;
            };
            any = true;
            let entry = entry as usize;
            // ordering: AcqRel; Acquire takes what the waker did before
            // waking, Release lets its next wake push the entry again.
            self.wakes[entry].queued.swap(false, Ordering::AcqRel);
            self.poll(entry, self.now(), sink);
        }
        any
    }

    /// Cancels every request in flight (`Kill::Now`).
    pub(crate) fn cancel_all(&mut self, sink: Sink<'_, Req, H::Reply>) {
        for entry in 0..self.tasks.len() {
            if self.tasks[entry].key.is_some() {
                self.finish(entry, Outcome::Cancelled, sink);
            }
        }
        debug_assert_eq!(self.in_flight, 0);
    }

    /// Polls the future of `entry` (if it still has one), counting the time
    /// from `since`.
    fn poll(&mut self, entry: usize, since: Instant, sink: Sink<'_, Req, H::Reply>) {
        let Some(future) = self.tasks[entry].future.as_mut() else {
            return; // answered already: a stale wake
        };
        // SAFETY: the future lives in `self.tasks`, a boxed slice that is
        // never reallocated, and is only dropped in place (`drop_future`);
        // it never moves while it is `Some`, as `Pin` requires.
        let future = unsafe { Pin::new_unchecked(future) };
        let mut cx = Context::from_waker(&self.wakers[entry]);
        let polled = catch(|| future.poll(&mut cx));
        self.account(entry, since);
        match polled {
            Ok(Poll::Pending) => {}
            Ok(Poll::Ready(reply)) => self.finish(entry, Outcome::Done(reply), sink),
            Err(message) => self.finish(entry, Outcome::Panicked(message), sink),
        }
    }

    /// The time now, or when the last poll ended if the executor has not
    /// paused since.
    fn now(&self) -> Instant {
        self.clock.unwrap_or_else(Instant::now)
    }

    /// Tells the executor it is about to wait: the next poll reads the
    /// clock again.
    pub(crate) fn pause(&mut self) {
        self.clock = None;
    }

    /// Adds the time since `since` to the request's and the worker's.
    fn account(&mut self, entry: usize, since: Instant) {
        let end = Instant::now();
        self.clock = Some(end);
        let spent = end.saturating_duration_since(since);
        self.tasks[entry].service += spent;
        self.busy += spent;
        bump(&self.stats.busy_ns, spent.as_nanos() as u64);
    }

    /// Ends the request of `entry`: drops its future in place and replies.
    fn finish(
        &mut self,
        entry: usize,
        outcome: Outcome<Req, H::Reply>,
        sink: Sink<'_, Req, H::Reply>,
    ) {
        let counter = match outcome {
            Outcome::Done(_) => &self.stats.completed,
            Outcome::Cancelled => &self.stats.cancelled,
            Outcome::Panicked(_) => &self.stats.panicked,
            Outcome::Unstarted(_) => &self.stats.unstarted,
        };
        bump(counter, 1);
        let task = &mut self.tasks[entry];
        let key = task
            .key
            .take()
            .expect("finishing a request that is in flight");
        drop_future(&mut task.future);
        self.in_flight -= 1;
        let reply = Reply {
            ticket: Ticket {
                executor: self.index,
                key,
            },
            outcome,
            enqueued_at: task.enqueued,
            waited: task.waited,
            service: task.service,
            busy: self.busy,
        };
        sink(task.origin, reply);
    }
}

/// Drops a pinned future in place and leaves `None`, also when its `Drop`
/// panics, and whatever that panic's payload does when it is dropped: the
/// entry is `None` before anything that can unwind, so the future is never
/// seen (or dropped) again. The panic is swallowed: the request is
/// answered already, and a panicking drop must not take the worker down.
fn drop_future<F>(entry: &mut Option<F>) {
    let Some(future) = entry.as_mut() else {
        return;
    };
    let future: *mut F = future;
    // SAFETY: `future` points to a live, pinned `F` that nobody else
    // borrows. It is dropped exactly once, where it is: `catch_unwind`
    // returns whether or not its `Drop` panicked (the unwinding drop glue
    // counts a panicking drop as done), and nothing can unwind between it
    // and the write below.
    let drop_it = || unsafe { core::ptr::drop_in_place(future) };
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(drop_it));
    // SAFETY: the `F` inside was dropped above; writing `None` over it
    // without dropping the old value is what must happen next.
    unsafe { core::ptr::write(entry, None) };
    if let Err(payload) = dropped {
        // Only now, with the entry cleared: the payload's own `Drop` may
        // panic too.
        crate::panic::dispose(payload);
    }
}

impl<Req, H: Handler<Req>> Drop for Executor<Req, H> {
    /// Drops the futures still in flight (the pool was dropped with requests
    /// running, say), each in place and each once, containing their panics:
    /// one panicking `Drop` must not stop the others from being dropped, nor
    /// abort the process with a second panic during unwinding.
    fn drop(&mut self) {
        for task in self.tasks.iter_mut() {
            drop_future(&mut task.future);
        }
    }
}

/// The inline mode's executor, behind a trait object so that [`Network`]
/// does not name the handler's type.
pub(crate) trait Inline<Req, Rep>: Send {
    fn admit(&mut self, envelope: Envelope<Req>, sink: Sink<'_, Req, Rep>);
    /// Handles signals and wakes (and under `Kill::Now`, cancels all);
    /// returns whether there was anything.
    fn run(&mut self, mode: u32, sink: Sink<'_, Req, Rep>) -> bool;
    fn has_work(&self) -> bool;
    fn in_flight(&self) -> usize;
}

impl<Req, H> Inline<Req, H::Reply> for Executor<Req, H>
where
    Req: Send,
    H: Handler<Req>,
{
    // The network thread does other things between calls: each reads the
    // clock afresh.
    fn admit(&mut self, envelope: Envelope<Req>, sink: Sink<'_, Req, H::Reply>) {
        self.pause();
        Executor::admit(self, envelope, 0, sink);
    }

    fn run(&mut self, mode: u32, sink: Sink<'_, Req, H::Reply>) -> bool {
        self.pause();
        if mode == NOW {
            let any = self.in_flight() > 0;
            self.cancel_all(sink);
            return any;
        }
        let signalled = self.run_signals(sink);
        self.run_woken(sink) | signalled
    }

    fn has_work(&self) -> bool {
        Executor::has_work(self)
    }

    fn in_flight(&self) -> usize {
        Executor::in_flight(self)
    }
}

impl<Req, H: Handler<Req>> core::fmt::Debug for Executor<Req, H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Executor")
            .field("index", &self.index)
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}
