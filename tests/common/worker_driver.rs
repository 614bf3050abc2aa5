//! Runs operation sequences on an inline-mode pool (deterministic: the
//! handler runs on this thread) and checks every result against a
//! sequential model of the executor: which requests start and finish when,
//! in which order (priority, then started before new, then oldest), what
//! each reply says, what `enqueue`, `signal` and `kill` return. Shared by
//! the proptest (`tests/worker_model.rs`) and the fuzz target (`fuzz/`).
//!
//! Requests are `(kind, id)`, with a priority. Kind 0 answers at once;
//! kind 1 waits for `Dup` or `Timeout` and answers the actions it saw;
//! kind 2 waits for ever (only `Cancel` or `Kill::Now` ends it). A request
//! starts at the executor's next turn (the next `try_reply` that finds no
//! reply queued), so one cancelled before then never runs its handler.
#![allow(dead_code)]

use std::collections::VecDeque;

use handoff::signal::{Action, Actions, Raised};
use std::time::Duration;

use handoff::worker::{
    self, Enqueue, EnqueueError, Kill, KillError, Network, Outcome, Pool, PoolConfig, Priority,
    RequestContext, Ticket, WorkerConfig,
};

#[derive(Clone, Copy, Debug)]
pub enum Op {
    Enqueue(u8),
    /// Raise an action on the n-th request not yet answered-and-taken.
    Signal(u8, u8),
    /// Raise on a ticket whose reply was taken.
    SignalStale(u8, u8),
    TakeReply,
    Kill(bool),
}

impl Op {
    pub fn from_bytes(a: u8, b: u8) -> Self {
        match a % 8 {
            0 | 1 => Op::Enqueue(b),
            2 | 3 => Op::Signal(a / 8, b),
            4 => Op::SignalStale(a / 8, b),
            5 | 6 => Op::TakeReply,
            _ => Op::Kill(b % 2 == 0),
        }
    }
}

type Request = (u8, u32);

/// One request of the model, from enqueue until its reply is taken.
struct Live {
    ticket: Ticket,
    kind: u8,
    id: u32,
    priority: Priority,
    /// Order of enqueue.
    seq: u64,
    /// The handler was called.
    started: bool,
    /// Started, and runnable again (signalled) at the next turn.
    runnable: bool,
    /// Raised and not yet taken by the executor.
    pending: Actions,
    /// Delivered to the handler and not yet consumed by it.
    delivered: Actions,
    /// What the handler has seen so far (kind 1).
    seen: Actions,
    finished: bool,
}

struct Model {
    live: Vec<Live>,
    /// Tickets of requests whose reply was taken.
    gone: Vec<Ticket>,
    /// Entries in the order the executor will take their signals, as the
    /// signal table queues them: an entry stays queued (and keeps its
    /// place) when its request is answered before the executor takes its
    /// signals, and the entry's next request inherits that place.
    signal_queue: VecDeque<usize>,
    /// Finished requests whose replies wait, in completion order, with
    /// what each reply must say.
    replies: VecDeque<(Ticket, Expected)>,
    killed: Option<Kill>,
    slots: usize,
}

#[derive(Debug, PartialEq)]
enum Expected {
    Done(Actions),
    DoneAtOnce,
    Cancelled,
    Unstarted,
}

fn priority(b: u8) -> Priority {
    [Priority::Low, Priority::Normal, Priority::High][usize::from(b / 3) % 3]
}

fn action(b: u8) -> Action {
    Action::ALL[usize::from(b) % Action::ALL.len()]
}

impl Model {
    fn live_mut(&mut self, ticket: Ticket) -> &mut Live {
        self.live
            .iter_mut()
            .find(|l| l.ticket == ticket)
            .expect("a live request")
    }

    fn finish(&mut self, ticket: Ticket, expected: Expected) {
        let live = self.live_mut(ticket);
        assert!(!live.finished);
        live.finished = true;
        self.replies.push_back((ticket, expected));
    }

    /// What the executor does with its signal queue.
    fn run_signals(&mut self) {
        while let Some(entry) = self.signal_queue.pop_front() {
            let Some(live) = self
                .live
                .iter_mut()
                .find(|l| l.ticket.signal_key().index() == entry)
            else {
                continue; // answered, and the entry not claimed again
            };
            let ticket = live.ticket;
            let actions = std::mem::take(&mut live.pending);
            if actions.is_empty() || live.finished {
                continue;
            }
            if actions.contains(Action::Cancel) {
                self.finish(ticket, Expected::Cancelled);
                continue;
            }
            live.delivered |= actions;
            if live.started {
                live.runnable = true;
            }
        }
    }

    /// Polls a started request: kind 1 takes what was delivered and
    /// finishes once it has seen Dup or Timeout; kind 2 never looks.
    fn poll(&mut self, ticket: Ticket) {
        let live = self.live_mut(ticket);
        if live.kind == 1 {
            let taken = std::mem::take(&mut live.delivered);
            live.seen |= taken;
            if live.seen.contains(Action::Dup) || live.seen.contains(Action::Timeout) {
                let seen = live.seen;
                self.finish(ticket, Expected::Done(seen));
            }
        }
    }

    /// What the executor does in `try_reply` when no reply waits: a turn.
    fn run(&mut self) {
        if self.killed == Some(Kill::Now) {
            let mut running: Vec<(Ticket, bool)> = self
                .live
                .iter()
                .filter(|l| !l.finished)
                .map(|l| (l.ticket, l.started))
                .collect();
            running.sort_by_key(|t| t.0.signal_key().index());
            for (ticket, started) in running {
                let expected = if started {
                    Expected::Cancelled
                } else {
                    Expected::Unstarted
                };
                self.finish(ticket, expected);
            }
            return;
        }
        self.run_signals();
        // The run queue: priority, then started before new, then oldest.
        let mut queue: Vec<(Priority, bool, u64, Ticket)> = self
            .live
            .iter()
            .filter(|l| !l.finished && (l.runnable || !l.started))
            .map(|l| (l.priority, l.started, l.seq, l.ticket))
            .collect();
        queue.sort_by(|a, b| (b.0, b.1, a.2).cmp(&(a.0, a.1, b.2)));
        for (_, started, _, ticket) in queue {
            let live = self.live_mut(ticket);
            live.runnable = false;
            if !started {
                live.started = true;
                if live.kind == 0 {
                    self.finish(ticket, Expected::DoneAtOnce);
                    continue;
                }
            }
            self.poll(ticket);
        }
    }
}

async fn handler((kind, _id): Request, cx: RequestContext) -> Actions {
    match kind {
        0 => Actions::EMPTY,
        1 => {
            let mut seen = Actions::EMPTY;
            while !(seen.contains(Action::Dup) || seen.contains(Action::Timeout)) {
                seen |= cx.signalled().await;
            }
            seen
        }
        _ => std::future::pending().await,
    }
}

pub fn run(slots: usize, ops: &[Op]) {
    // A turn runs everything runnable: no time budget cuts it short.
    let worker = WorkerConfig::new()
        .max_requests(slots)
        .time_budget(Duration::from_secs(3600));
    let config = PoolConfig::new(1, 0).worker(worker);
    let (pool, mut nets) = Pool::spawn(config, worker::from_fn(handler)).unwrap();
    let mut net: Network<Request, Actions> = nets.pop().unwrap();
    let mut model = Model {
        live: Vec::new(),
        gone: Vec::new(),
        signal_queue: VecDeque::new(),
        replies: VecDeque::new(),
        killed: None,
        slots,
    };
    let mut next_id = 0u32;
    let mut started = 0u64;
    for &op in ops {
        match op {
            Op::Enqueue(b) => {
                let kind = b % 3;
                let priority = priority(b);
                let id = next_id;
                next_id += 1;
                let got = net.enqueue_with((kind, id), Enqueue::new().priority(priority));
                if model.killed.is_some() {
                    assert!(
                        matches!(got, Err(EnqueueError::Killed((k, i))) if (k, i) == (kind, id))
                    );
                    continue;
                }
                if model.live.len() == model.slots {
                    assert!(matches!(got, Err(EnqueueError::Full((k, i))) if (k, i) == (kind, id)));
                    continue;
                }
                let ticket = got.expect("room and not killed");
                started += 1;
                assert!(model.live.iter().all(|l| l.ticket != ticket));
                model.live.push(Live {
                    ticket,
                    kind,
                    id,
                    priority,
                    seq: u64::from(id),
                    started: false,
                    runnable: false,
                    pending: Actions::EMPTY,
                    delivered: Actions::EMPTY,
                    seen: Actions::EMPTY,
                    finished: false,
                });
            }
            Op::Signal(n, a) => {
                if model.live.is_empty() {
                    continue;
                }
                let action = action(a);
                let i = usize::from(n) % model.live.len();
                let ticket = model.live[i].ticket;
                let got = net.signal(ticket, action);
                let live = &mut model.live[i];
                if live.pending.contains(action) {
                    assert_eq!(got, Raised::AlreadyPending);
                } else {
                    assert_eq!(got, Raised::Delivered);
                    let entry = ticket.signal_key().index();
                    if !model.signal_queue.contains(&entry) {
                        model.signal_queue.push_back(entry);
                    }
                    live.pending.insert(action);
                }
            }
            Op::SignalStale(n, a) => {
                if model.gone.is_empty() {
                    continue;
                }
                let ticket = model.gone[usize::from(n) % model.gone.len()];
                assert_eq!(net.signal(ticket, action(a)), Raised::Stale);
            }
            Op::TakeReply => {
                if model.replies.is_empty() {
                    model.run();
                }
                let got = net.try_reply();
                let Some((ticket, expected)) = model.replies.pop_front() else {
                    assert!(got.is_none(), "a reply the model did not expect");
                    continue;
                };
                let reply = got.expect("the model expects a reply");
                assert_eq!(reply.ticket, ticket);
                let pos = model.live.iter().position(|l| l.ticket == ticket).unwrap();
                let live = model.live.remove(pos);
                model.gone.push(ticket);
                match (expected, reply.outcome) {
                    (Expected::DoneAtOnce, Outcome::Done(a)) => assert!(a.is_empty()),
                    (Expected::Done(seen), Outcome::Done(a)) => assert_eq!(a, seen),
                    (Expected::Cancelled, Outcome::Cancelled) => {}
                    (Expected::Unstarted, Outcome::Unstarted((k, i))) => {
                        assert_eq!((k, i), (live.kind, live.id))
                    }
                    (e, got) => panic!(
                        "request {} (kind {}): expected {e:?}, got {got:?}",
                        live.id, live.kind
                    ),
                }
            }
            Op::Kill(now) => {
                let how = if now { Kill::Now } else { Kill::Graceful };
                let got = pool.kill(how);
                match (model.killed, how) {
                    (None, _) | (Some(Kill::Graceful), Kill::Now) => {
                        assert_eq!(got, Ok(()));
                        model.killed = Some(how);
                    }
                    (Some(already), _) => assert_eq!(got, Err(KillError { already })),
                }
            }
        }
        assert_eq!(net.outstanding(), model.live.len());
    }
    // Kill now: every request still there is answered, exactly once.
    let _ = pool.kill(Kill::Now);
    let mut answered = 0;
    while let Some(reply) = net.try_reply() {
        assert!(model.live.iter().any(|l| l.ticket == reply.ticket));
        answered += 1;
    }
    assert_eq!(answered, model.live.len(), "every request answered");
    assert!(net.reply_blocking().is_none());
    let stats = pool.join();
    assert_eq!((stats[0].requests, stats[0].replies()), (started, started));
}
