//! Runs operation sequences on an inline-mode pool (deterministic: the
//! handler runs on this thread) and checks every result against a
//! sequential model of the executor: which requests finish when, what each
//! reply says, what `enqueue`, `signal` and `kill` return. Shared by the
//! proptest (`tests/worker_model.rs`) and the fuzz target (`fuzz/`).
//!
//! Requests are `(kind, id)`. Kind 0 answers at once; kind 1 waits for
//! `Dup` or `Timeout` and answers the actions it saw; kind 2 waits for
//! ever (only `Cancel` or `Kill::Now` ends it).
#![allow(dead_code)]

use std::collections::VecDeque;

use handoff::signal::{Action, Actions, Raised};
use handoff::worker::{
    self, EnqueueError, Kill, KillError, Network, Outcome, Pool, PoolConfig, RequestContext,
    Ticket, WorkerConfig,
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
    /// Tickets in the order the executor will take their signals.
    signal_queue: VecDeque<Ticket>,
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
        while let Some(ticket) = self.signal_queue.pop_front() {
            let live = self.live_mut(ticket);
            let actions = std::mem::take(&mut live.pending);
            if actions.is_empty() || live.finished {
                continue;
            }
            if actions.contains(Action::Cancel) {
                self.finish(ticket, Expected::Cancelled);
                continue;
            }
            live.delivered |= actions;
            // Polled: kind 1 takes what was delivered and finishes once it
            // has seen Dup or Timeout; kind 2 never looks.
            if live.kind == 1 {
                let taken = std::mem::take(&mut live.delivered);
                live.seen |= taken;
                if live.seen.contains(Action::Dup) || live.seen.contains(Action::Timeout) {
                    let seen = live.seen;
                    self.finish(ticket, Expected::Done(seen));
                }
            }
        }
    }

    /// What the executor does in `try_reply` when no reply waits.
    fn run(&mut self) {
        if self.killed == Some(Kill::Now) {
            let mut running: Vec<Ticket> = self
                .live
                .iter()
                .filter(|l| !l.finished)
                .map(|l| l.ticket)
                .collect();
            running.sort_by_key(|t| t.signal_key().index());
            for ticket in running {
                self.finish(ticket, Expected::Cancelled);
            }
        } else {
            self.run_signals();
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
    let config = PoolConfig::new(1, 0).worker(WorkerConfig::new().max_requests(slots));
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
                let id = next_id;
                next_id += 1;
                let got = net.enqueue((kind, id));
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
                // Starting looks at the signal queue first.
                model.run_signals();
                let ticket = got.expect("room and not killed");
                started += 1;
                assert!(model.live.iter().all(|l| l.ticket != ticket));
                model.live.push(Live {
                    ticket,
                    kind,
                    id,
                    pending: Actions::EMPTY,
                    delivered: Actions::EMPTY,
                    seen: Actions::EMPTY,
                    finished: false,
                });
                if kind == 0 {
                    model.finish(ticket, Expected::DoneAtOnce);
                }
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
                    if live.pending.is_empty() {
                        model.signal_queue.push_back(ticket);
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
                model.signal_queue.retain(|&t| t != ticket);
                model.gone.push(ticket);
                match (expected, reply.outcome) {
                    (Expected::DoneAtOnce, Outcome::Done(a)) => assert!(a.is_empty()),
                    (Expected::Done(seen), Outcome::Done(a)) => assert_eq!(a, seen),
                    (Expected::Cancelled, Outcome::Cancelled) => {}
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
