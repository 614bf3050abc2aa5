//! The executor: takes the requests of one worker (or of one network thread
//! in inline mode), runs them as futures in priority order, delivers their
//! signals and time limits, fires their timers, flushes what they fed at
//! the end of each batch, and produces their replies.
//!
//! Everything is allocated when the executor is made, sized by its signal
//! table: a task per entry (the entry of a request's key is its task), a
//! run queue link, a context cell and a waker per entry, and a timer heap
//! with room for a timer per entry. Taking, starting, polling, waking and
//! answering a request allocate nothing. How a waker reaches the executor
//! from another thread is in `super::wake`; what a request reaches of the
//! executor, in `super::context`.
//!
//! Over 500 lines: the task's life (accepted, started, answered) touches
//! every method here, and is easiest to check on one page.
//!
//! # A turn
//!
//! [`Executor::run`] is one batch: the signals first (a `Cancel` answers
//! its request at once, started or not), then the timers that are due,
//! then the requests woken since the last turn; then it runs the runnable
//! requests in the run queue's order until none is left or the turn has
//! used its time budget, and flushes what they fed. A request taken from a
//! ring ([`Executor::accept`]) waits in the run queue; its handler is
//! called when its turn comes, so a `Cancel` raised before that means the
//! handler never runs, in both modes.

use core::future::Future;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::context::{enter, Running};
use super::control::NOW;
use super::handler::Handler;
use super::options::Priority;
use super::reply::{bump, Outcome, Reply, StatsCell};
use super::runqueue::RunQueue;
use super::timer::{Fire, Timer};
use super::wake::EntryWake;
use super::{RequestContext, Ticket};
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
    pub(crate) priority: Priority,
    pub(crate) deadline: Option<Instant>,
}

/// The time limits and the budget of a turn, from the worker's config.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    /// Added to the enqueue time for requests without a deadline.
    pub(crate) request_timeout: Option<Duration>,
    /// From `Timeout` to `Cancel`.
    pub(crate) grace: Duration,
    /// How long a turn runs requests before it looks at its inputs again.
    pub(crate) budget: Duration,
}

/// One entry's request while it is here.
struct Task<Req, F> {
    /// The request's key while it is here; `None` otherwise.
    key: Option<signal::Key>,
    /// The request, from `accept` until it starts. Invariant: `Some` only
    /// while `key` is, and never together with `future`.
    request: Option<Req>,
    /// The request's future, once started. Invariant: `Some` only while
    /// `key` is, and pinned: the tasks live in a boxed slice that is never
    /// reallocated, and a future is only ever dropped in place
    /// (`drop_future`), never moved out.
    future: Option<F>,
    /// The link (network thread) to reply to.
    origin: u32,
    enqueued: Instant,
    waited: Duration,
    /// Time spent polling it so far.
    service: Duration,
    priority: Priority,
    /// Actions taken from the table before the request reached us (it was
    /// still in a ring), with their generation.
    early: Option<(u64, Actions)>,
}

/// The executor's `Running`, on the heap, reached through a raw pointer so
/// that the executor's `&mut self` asserts nothing about it while a
/// request holds a shared reference to it (see `super::context`).
struct Home(NonNull<Running>);

// SAFETY: `Running` is only ever touched by the thread that owns the
// executor: through `Home` (the executor's own methods) or through the
// thread-local that `enter` sets while the executor runs requests on that
// thread and clears before it returns. Moving the executor (with its
// `Running`) to another thread is therefore fine: `Running`'s contents
// (wakers, `Arc<dyn Flush>`, timers) are `Send`.
unsafe impl Send for Home {}

impl Home {
    fn get(&self) -> &Running {
        // SAFETY: allocated by `Box::into_raw` in `Executor::new`, freed only
        // in `Executor::drop`; only shared references are ever made.
        unsafe { self.0.as_ref() }
    }
}

/// Runs one executor's requests; see the module docs.
pub(crate) struct Executor<Req, H: Handler<Req>> {
    /// The worker's index, for tickets.
    index: u32,
    handler: H,
    signals: Signals,
    /// One per entry of the signal table.
    tasks: Box<[Task<Req, H::Future>]>,
    running: Home,
    wakes: Box<[std::sync::Arc<EntryWake>]>,
    woken: mpsc::Consumer<u32>,
    queue: RunQueue,
    /// Requests accepted (queued or started) and not yet answered.
    in_flight: usize,
    /// Order of acceptance, for "oldest first".
    accepted: u64,
    busy: Duration,
    /// When the last poll ended, while the executor works without a break
    /// (`None` after `pause`): the next poll starts then, which saves a
    /// clock read per request. The gap in between (taking the next request
    /// from the queue) is counted as the next request's service time.
    clock: Option<Instant>,
    timing: Timing,
    stats: std::sync::Arc<StatsCell>,
}

/// Where finished requests go: the link to reply on, and the reply.
pub(crate) type Sink<'a, Req, Rep> = &'a mut dyn FnMut(u32, Reply<Req, Rep>);

impl<Req, H: Handler<Req>> Executor<Req, H> {
    pub(crate) fn new(
        index: u32,
        handler: H,
        signals: Signals,
        timing: Timing,
        stats: std::sync::Arc<StatsCell>,
    ) -> Result<Self, CapacityError> {
        let entries = signals.table().capacity();
        let (ring, woken) = mpsc::try_channel(entries)?;
        let now = Instant::now();
        let tasks = (0..entries)
            .map(|_| Task {
                key: None,
                request: None,
                future: None,
                origin: 0,
                enqueued: now,
                waited: Duration::ZERO,
                service: Duration::ZERO,
                priority: Priority::Normal,
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
        let running = Box::new(Running::new(wakers));
        Ok(Self {
            index,
            handler,
            signals,
            tasks,
            running: Home(NonNull::from(Box::leak(running))),
            wakes,
            woken,
            queue: RunQueue::new(entries),
            in_flight: 0,
            accepted: 0,
            busy: Duration::ZERO,
            clock: None,
            timing,
            stats,
        })
    }

    /// Makes signals and wakes unpark `unparker`.
    pub(crate) fn register(&self, unparker: &Unparker) -> Result<(), RegisterError> {
        self.signals.register(unparker)?;
        self.woken.register(unparker)
    }

    /// Whether a signal or a wake is waiting to be handled now, or a
    /// request to be run.
    ///
    /// Only entries that can be popped count: a raiser or a waker preempted
    /// between claiming its place in a queue and writing it does not make
    /// the executor spin. It pushes and notifies when it runs again, which
    /// wakes the executor; until then the entries queued behind it wait
    /// too (the queues are FIFO).
    pub(crate) fn has_work(&self) -> bool {
        !self.queue.is_empty() || self.woken.is_ready() || self.signals.has_ready()
    }

    /// Requests accepted here and not yet answered.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// When the executor's earliest timer is due.
    pub(crate) fn next_timer(&self) -> Option<Instant> {
        self.running.get().timers.borrow().next()
    }

    pub(crate) fn stats(&self) -> &StatsCell {
        &self.stats
    }

    pub(crate) fn stats_cell(&self) -> std::sync::Arc<StatsCell> {
        std::sync::Arc::clone(&self.stats)
    }

    /// Takes a request that came from link `origin`: queues it to run (or
    /// answers it at once, if it was cancelled while it waited in its
    /// ring), and sets its time limits.
    pub(crate) fn accept(
        &mut self,
        envelope: Envelope<Req>,
        origin: u32,
        sink: Sink<'_, Req, H::Reply>,
    ) {
        bump(&self.stats.requests, 1);
        let Envelope {
            key,
            request,
            enqueued,
            priority,
            deadline,
        } = envelope;
        let entry = key.index();
        let task = &mut self.tasks[entry];
        debug_assert!(task.key.is_none(), "entry {entry} accepted twice");
        debug_assert!(task.future.is_none() && task.request.is_none());
        let actions = match task.early.take() {
            Some((generation, actions)) if generation == key.generation() => actions,
            _ => Actions::EMPTY,
        };
        task.key = Some(key);
        task.request = Some(request);
        task.origin = origin;
        task.enqueued = enqueued;
        task.waited = Duration::ZERO;
        task.service = Duration::ZERO;
        task.priority = priority;
        self.in_flight += 1;
        self.accepted += 1;
        let deadline = deadline.or_else(|| {
            self.timing
                .request_timeout
                .and_then(|t| enqueued.checked_add(t))
        });
        let cell = &self.running.get().cells[entry];
        cell.key.set(Some(key));
        cell.actions.set(actions);
        cell.deadline.set(deadline);
        if actions.contains(Action::Cancel) {
            self.finish(entry, Outcome::Cancelled, sink);
            return;
        }
        if let Some(deadline) = deadline {
            let now = self.now();
            let cancel_at = deadline.checked_add(self.timing.grace).unwrap_or(deadline);
            if cancel_at <= now {
                bump(&self.stats.timeouts, 1);
                self.finish(entry, Outcome::Cancelled, sink);
                return;
            }
            let running = self.running.get();
            let mut timers = running.timers.borrow_mut();
            if deadline <= now {
                bump(&self.stats.timeouts, 1);
                running.cells[entry].actions.set(actions | Action::Timeout);
                timers.push(cancel_at, entry, key.generation(), Fire::Cancel);
            } else {
                timers.push(deadline, entry, key.generation(), Fire::Timeout);
            }
        }
        self.queue.push_new(entry, priority, self.accepted);
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
            ticket: self.ticket(envelope.key),
            outcome: Outcome::Unstarted(envelope.request),
            enqueued_at: envelope.enqueued,
            waited: envelope.enqueued.elapsed(),
            service: Duration::ZERO,
            busy: self.busy,
        };
        sink(origin, reply);
    }

    fn ticket(&self, key: signal::Key) -> Ticket {
        Ticket {
            executor: self.index,
            key,
        }
    }

    /// One turn (see the module docs). Returns whether there was anything
    /// to do.
    pub(crate) fn run(&mut self, sink: Sink<'_, Req, H::Reply>) -> bool {
        let running: *const Running = self.running.get();
        // SAFETY: `running` stays allocated for as long as `self` (it is
        // freed in `drop`), and only shared references to it are made.
        enter(unsafe { &*running }, || self.turn(sink))
    }

    fn turn(&mut self, sink: Sink<'_, Req, H::Reply>) -> bool {
        let mut any = self.run_signals(sink);
        any |= self.fire_timers(sink);
        any |= self.take_woken();
        // The budget counts from the clock the polls read anyway: no read
        // of its own.
        let mut start = self.clock;
        while let Some(entry) = self.queue.pop() {
            any = true;
            if self.tasks[entry].future.is_some() {
                self.poll(entry, self.now(), sink);
            } else {
                // A signal raised while it waited, even during this turn
                // (while the requests before it ran), reaches it before
                // its start: a `Cancel` means its handler never runs.
                if self.signals.has_ready() {
                    self.run_signals(sink);
                }
                if self.tasks[entry].request.is_some() {
                    self.start(entry, sink);
                }
            }
            if let Some(now) = self.clock {
                let start = *start.get_or_insert(now);
                if now.saturating_duration_since(start) >= self.timing.budget {
                    break;
                }
            }
        }
        self.end_batch();
        any
    }

    /// Takes every raised signal: cancels, or delivers (and queues the
    /// request to run again). Returns whether there was any.
    fn run_signals(&mut self, sink: Sink<'_, Req, H::Reply>) -> bool {
        let mut any = false;
        while let Some((key, actions)) = self.signals.pop() {
            any = true;
            let entry = key.index();
            let task = &mut self.tasks[entry];
            if task.key == Some(key) {
                bump(self.stats.links[task.origin as usize].signals(), 1);
                if actions.contains(Action::Cancel) {
                    self.finish(entry, Outcome::Cancelled, sink);
                } else {
                    self.deliver(entry, actions);
                }
            } else if task.key.is_none() {
                // Still in a ring (or answered and not yet retired, when
                // the generation never comes here again): keep them for
                // `accept`.
                let generation = key.generation();
                task.early = Some(match task.early {
                    Some((g, earlier)) if g == generation => (g, earlier | actions),
                    _ => (generation, actions),
                });
            }
            // Otherwise the entry holds a later request: the signal was for
            // an older one, already answered.
        }
        any
    }

    /// Hands `actions` to the request of `entry`: its context sees them,
    /// and a started request runs again.
    fn deliver(&mut self, entry: usize, actions: Actions) {
        let cell = &self.running.get().cells[entry];
        cell.actions.set(cell.actions.get() | actions);
        if self.tasks[entry].future.is_some() {
            self.queue.push_started(entry, self.tasks[entry].priority);
            if let Some(waiter) = cell.waiter.take() {
                contain(|| waiter.wake());
            }
        }
    }

    /// Fires the timers that are due. Returns whether there was any.
    fn fire_timers(&mut self, sink: Sink<'_, Req, H::Reply>) -> bool {
        // No clock read while no timer is set.
        let Some(next) = self.next_timer() else {
            return false;
        };
        let now = self.now();
        if next > now {
            return false;
        }
        let mut any = false;
        loop {
            // Not borrowed while a timer fires: a waker is user code.
            let due = self.running.get().timers.borrow_mut().pop_due(now);
            let Some(Timer {
                at,
                entry,
                generation,
                fire,
                ..
            }) = due
            else {
                return any;
            };
            any = true;
            let entry = entry as usize;
            let task = &self.tasks[entry];
            let alive = task.key.is_some_and(|k| k.generation() == generation);
            match fire {
                Fire::Wake(None) => {
                    if alive && task.future.is_some() {
                        self.queue.push_started(entry, task.priority);
                    }
                }
                Fire::Wake(Some(waker)) => contain(|| {
                    if alive {
                        waker.wake();
                    }
                }),
                Fire::Timeout if alive => {
                    bump(&self.stats.timeouts, 1);
                    self.deliver(entry, Action::Timeout.into());
                    // The grace counts from the delivery: a worker that
                    // comes late to the deadline (busy, descheduled) does
                    // not cancel a request that has not seen its Timeout.
                    let from = at.max(now);
                    let cancel_at = from.checked_add(self.timing.grace).unwrap_or(from);
                    self.running.get().timers.borrow_mut().push(
                        cancel_at,
                        entry,
                        generation,
                        Fire::Cancel,
                    );
                }
                Fire::Cancel if alive => self.finish(entry, Outcome::Cancelled, sink),
                Fire::Timeout | Fire::Cancel => {}
            }
        }
    }

    /// Queues the requests whose wakers fired, each once. Returns whether
    /// there was any.
    fn take_woken(&mut self) -> bool {
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
            let task = &self.tasks[entry];
            if task.future.is_some() {
                self.queue.push_started(entry, task.priority);
            }
            // Otherwise answered already: a stale wake.
        }
        any
    }

    /// Cancels every request here (`Kill::Now`): started ones are
    /// cancelled, the ones still waiting to start are handed back.
    pub(crate) fn cancel_all(&mut self, sink: Sink<'_, Req, H::Reply>) {
        for entry in 0..self.tasks.len() {
            if self.tasks[entry].key.is_none() {
                continue;
            }
            let outcome = match self.tasks[entry].request.take() {
                Some(request) => Outcome::Unstarted(request),
                None => Outcome::Cancelled,
            };
            self.finish(entry, outcome, sink);
        }
        debug_assert_eq!(self.in_flight, 0);
    }

    /// Calls the handler for the request of `entry` and polls its future
    /// once.
    fn start(&mut self, entry: usize, sink: Sink<'_, Req, H::Reply>) {
        let started = self.now();
        let task = &mut self.tasks[entry];
        let (Some(key), Some(request)) = (task.key, task.request.take()) else {
            return; // answered before its start
        };
        task.waited = started.saturating_duration_since(task.enqueued);
        self.stats.wait.record(task.waited);
        let ticket = Ticket {
            executor: self.index,
            key,
        };
        let cx = RequestContext::new(ticket, task.enqueued);
        self.running.get().now.set(started);
        let handler = &mut self.handler;
        match catch(|| handler.call(request, cx)) {
            Ok(future) => {
                // `None` before (`request` and `future` are never both
                // `Some`), so nothing pinned is overwritten.
                self.tasks[entry].future = Some(future);
                self.poll(entry, started, sink);
            }
            Err(message) => {
                self.account(entry, started);
                self.finish(entry, Outcome::Panicked(message), sink);
            }
        }
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
        let running = self.running.get();
        running.now.set(since);
        let mut cx = Context::from_waker(&running.wakers[entry]);
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
    /// clock again. Flushes first.
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

    /// The end of a batch: flushes what its requests asked for, once each.
    fn end_batch(&mut self) {
        let running = self.running.get();
        loop {
            // Not borrowed while a flush runs: it is user code, and may
            // feed (and ask for another flush) itself.
            let Some(target) = running.flushes.borrow_mut().pop() else {
                return;
            };
            contain(move || {
                target.flush();
                drop(target);
            });
        }
    }

    /// Ends the request of `entry`: drops its future in place (or the
    /// request, if it never started) and replies.
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
        self.queue.remove(entry);
        let running = self.running.get();
        let cell = &running.cells[entry];
        cell.key.set(None);
        cell.actions.set(Actions::EMPTY);
        let waiter = cell.waiter.take();
        let task = &mut self.tasks[entry];
        let key = task.key.take().expect("finishing a request that is here");
        let started = task.request.is_none();
        if let Some(request) = task.request.take() {
            // Never started: it waited until now. A panicking `Drop` of the
            // request must not take the worker (and the other requests'
            // replies) down.
            task.waited = self
                .clock
                .unwrap_or_else(Instant::now)
                .saturating_duration_since(task.enqueued);
            self.stats.wait.record(task.waited);
            contain(|| drop(request));
        }
        drop_future(&mut task.future);
        if started {
            self.stats.service.record(task.service);
        }
        if let Some(waiter) = waiter {
            contain(|| drop(waiter));
        }
        self.in_flight -= 1;
        bump(self.stats.links[task.origin as usize].replied(), 1);
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
    /// Drops the requests and futures still here (the pool was dropped
    /// with requests running, say), each in place and each once, and the
    /// timers and flushes left, containing their panics: one panicking
    /// `Drop` must not stop the others from being dropped, nor abort the
    /// process with a second panic during unwinding.
    fn drop(&mut self) {
        let running: *const Running = self.running.get();
        // SAFETY: as in `run`: allocated until the end of this function.
        enter(unsafe { &*running }, || {
            for task in self.tasks.iter_mut() {
                if let Some(request) = task.request.take() {
                    contain(|| drop(request));
                }
                drop_future(&mut task.future);
            }
            self.end_batch();
        });
        let running = self.running.get();
        let timers: Vec<Timer> = running.timers.borrow_mut().drain().collect();
        for timer in timers {
            contain(|| drop(timer));
        }
        for cell in running.cells.iter() {
            if let Some(waiter) = cell.waiter.take() {
                contain(|| drop(waiter));
            }
        }
        // SAFETY: made by `Box::leak` in `new`; nothing refers to it any
        // more (`enter` has put the thread-local back, and no request is
        // left to look).
        drop(unsafe { Box::from_raw(self.running.0.as_ptr()) });
    }
}

/// The inline mode's executor, behind a trait object so that [`Network`]
/// does not name the handler's type.
///
/// [`Network`]: super::Network
pub(crate) trait Inline<Req, Rep>: Send {
    fn accept(&mut self, envelope: Envelope<Req>, sink: Sink<'_, Req, Rep>);
    /// One turn (and under `Kill::Now`, cancels all); returns whether there
    /// was anything.
    fn run(&mut self, mode: u32, sink: Sink<'_, Req, Rep>) -> bool;
    fn has_work(&self) -> bool;
    fn in_flight(&self) -> usize;
    fn next_timer(&self) -> Option<Instant>;
}

impl<Req, H> Inline<Req, H::Reply> for Executor<Req, H>
where
    Req: Send,
    H: Handler<Req>,
{
    fn accept(&mut self, envelope: Envelope<Req>, sink: Sink<'_, Req, H::Reply>) {
        // The network thread does other things between calls: read the
        // clock afresh.
        self.pause();
        Executor::accept(self, envelope, 0, sink);
    }

    fn run(&mut self, mode: u32, sink: Sink<'_, Req, H::Reply>) -> bool {
        self.pause();
        if mode == NOW {
            let any = self.in_flight() > 0;
            self.cancel_all(sink);
            return any;
        }
        Executor::run(self, sink)
    }

    fn has_work(&self) -> bool {
        Executor::has_work(self)
    }

    fn in_flight(&self) -> usize {
        Executor::in_flight(self)
    }

    fn next_timer(&self) -> Option<Instant> {
        Executor::next_timer(self)
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
