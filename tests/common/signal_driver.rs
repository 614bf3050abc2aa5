//! A sequential model of a signal table, shared by the proptest
//! (`tests/signal_model.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/signal.rs`): every start, raise, take, next and
//! retire checked against it, with tickets old and new, and a foreign one.
#![allow(dead_code)]

use std::collections::VecDeque;

use handoff::signal::{self, Action, Actions, Key, Raised, StaleKey};

/// One step. Key numbers pick among the tickets issued so far (modulo
/// their count), so stale tickets come up as often as live ones.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Start,
    Raise(u8, u8),
    RaiseForeign(u8),
    Retire(u8),
    Take(u8),
    Next,
    Pending(u8),
}

impl Op {
    /// Decodes one operation from two bytes (for the fuzzer).
    pub fn from_bytes(a: u8, b: u8) -> Self {
        match a % 8 {
            0 | 7 => Self::Start,
            1 => Self::Raise(b, a / 8),
            2 => Self::RaiseForeign(b),
            3 => Self::Retire(b),
            4 => Self::Take(b),
            5 => Self::Next,
            _ => Self::Pending(b),
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    generation: u64,
    active: bool,
    pending: Actions,
    queued: bool,
}

/// Runs `ops` on a table of `size` slots against the model.
pub fn run(size: usize, ops: &[Op]) {
    let (table, mut signals) = signal::table(size).unwrap();
    let (foreign_table, _foreign_signals) = signal::table(1).unwrap();
    let foreign = foreign_table.claim().unwrap();
    let mut slots = vec![Slot::default(); size];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut tickets: Vec<Key> = Vec::new();
    let pick = |tickets: &Vec<Key>, n: u8| -> Option<Key> {
        (!tickets.is_empty()).then(|| tickets[usize::from(n) % tickets.len()])
    };
    let current = |slots: &Vec<Slot>, t: Key| {
        let s = slots[t.index()];
        s.active && s.generation == t.generation()
    };

    for (step, &op) in ops.iter().enumerate() {
        match op {
            Op::Start => match table.claim() {
                Some(t) => {
                    let s = &mut slots[t.index()];
                    assert!(!s.active, "step {step}: start gave an active slot");
                    assert_eq!(t.generation(), s.generation, "step {step}");
                    assert!(s.pending.is_empty());
                    s.active = true;
                    tickets.push(t);
                }
                None => assert!(
                    slots.iter().all(|s| s.active),
                    "step {step}: a slot was free"
                ),
            },
            Op::Raise(n, a) => {
                let Some(t) = pick(&tickets, n) else { continue };
                let action = Action::ALL[usize::from(a) % Action::ALL.len()];
                let want = if !current(&slots, t) {
                    Raised::Stale
                } else if slots[t.index()].pending.contains(action) {
                    Raised::AlreadyPending
                } else {
                    let s = &mut slots[t.index()];
                    s.pending.insert(action);
                    if !s.queued {
                        s.queued = true;
                        queue.push_back(t.index());
                    }
                    Raised::Delivered
                };
                assert_eq!(table.raise(t, action), want, "step {step}: raise {action}");
            }
            Op::RaiseForeign(a) => {
                let action = Action::ALL[usize::from(a) % Action::ALL.len()];
                assert_eq!(table.raise(foreign, action), Raised::Stale);
                assert_eq!(table.retire(foreign), Err(StaleKey));
                assert!(signals.take(foreign).is_empty());
            }
            Op::Retire(n) => {
                let Some(t) = pick(&tickets, n) else { continue };
                let want = if current(&slots, t) {
                    let s = &mut slots[t.index()];
                    s.active = false;
                    s.generation += 1;
                    Ok(std::mem::take(&mut s.pending))
                } else {
                    Err(StaleKey)
                };
                assert_eq!(table.retire(t), want, "step {step}: retire");
            }
            Op::Take(n) => {
                let Some(t) = pick(&tickets, n) else { continue };
                let want = if current(&slots, t) {
                    std::mem::take(&mut slots[t.index()].pending)
                } else {
                    Actions::EMPTY
                };
                assert_eq!(signals.take(t), want, "step {step}: take");
            }
            Op::Next => {
                let mut want = None;
                while let Some(i) = queue.pop_front() {
                    let s = &mut slots[i];
                    s.queued = false;
                    let pending = std::mem::take(&mut s.pending);
                    if !pending.is_empty() {
                        want = Some((i, s.generation, pending));
                        break;
                    }
                }
                let got = signals.pop();
                assert_eq!(
                    got.map(|(t, a)| (t.index(), t.generation(), a)),
                    want,
                    "step {step}: next"
                );
            }
            Op::Pending(n) => {
                let Some(t) = pick(&tickets, n) else { continue };
                let want = if current(&slots, t) {
                    slots[t.index()].pending
                } else {
                    Actions::EMPTY
                };
                assert_eq!(table.pending(t), want, "step {step}: pending");
                assert_eq!(table.is_current(t), current(&slots, t));
            }
        }
    }
}
