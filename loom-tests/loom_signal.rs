//! loom models of the signal table.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test
//! --release --test loom_signal`. These models run without the wake
//! protocol (no parker is registered; loom's fence model would otherwise
//! hide a weakened ordering of the slot word); the raise that wakes a
//! sleeping worker is modelled in `loom_park.rs`.
#![cfg(loom)]

use handoff::signal::{self, Action, Actions, Raised};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

/// `loom::model` with the wake protocol off (see `src/loom/barrier.rs`).
fn model<F: Fn() + Sync + Send + 'static>(f: F) {
    std::env::set_var("HANDOFF_LOOM_WAKE", "off");
    loom::model(f);
}

/// A raise racing the worker's retire of that request and the start of the
/// next one in the same slot: the action is taken for the old request or
/// handed back by retire, or the raise is stale; never seen by the new
/// request. The flag is what the raiser wrote before raising: whoever takes
/// the action must see it.
#[test]
fn raise_racing_retire_never_reaches_the_next_request() {
    model(|| {
        let (table, mut signals) = signal::table(1).unwrap();
        let old = table.claim().unwrap();
        let note = Arc::new(AtomicBool::new(false));
        let raiser = {
            let table = table.clone();
            let note = Arc::clone(&note);
            thread::spawn(move || {
                note.store(true, Ordering::Relaxed);
                table.raise(old, Action::Cancel)
            })
        };
        let mut seen = Actions::EMPTY;
        if let Some((t, a)) = signals.pop() {
            assert_eq!(t, old);
            if a.contains(Action::Cancel) {
                assert!(
                    note.load(Ordering::Relaxed),
                    "the raiser's write is visible"
                );
            }
            seen |= a;
        }
        let back = table.retire(old).unwrap();
        if back.contains(Action::Cancel) {
            assert!(
                note.load(Ordering::Relaxed),
                "the raiser's write is visible"
            );
        }
        seen |= back;
        let new = table.claim().unwrap();
        assert_eq!(new.index(), old.index());
        let raised = raiser.join().unwrap();
        // Whatever the new request sees, it never sees the old one's action.
        assert!(signals.take(new).is_empty());
        assert_eq!(signals.pop(), None);
        match raised {
            Raised::Delivered => assert!(seen.contains(Action::Cancel), "lost"),
            Raised::Stale => assert!(!seen.contains(Action::Cancel)),
            Raised::AlreadyPending => panic!("nothing else raised it"),
        }
    });
}

/// Two raisers on two requests and the taker: no action lost, each
/// signalled slot queued once (a slot queued twice would overflow the queue
/// of two and show as a missing or repeated entry), and what each raiser
/// wrote before raising visible to the taker of its action, also the
/// raiser whose raise did not queue the slot (it has only the slot word's
/// Release/Acquire to rely on).
#[test]
fn two_raisers_and_a_taker() {
    model(|| {
        let (table, signals) = signal::table(2).unwrap();
        let a = table.claim().unwrap();
        let b = table.claim().unwrap();
        let cancel_note = Arc::new(AtomicBool::new(false));
        let timeout_note = Arc::new(AtomicBool::new(false));
        let one = {
            let table = table.clone();
            let note = Arc::clone(&cancel_note);
            thread::spawn(move || {
                note.store(true, Ordering::Relaxed);
                assert_eq!(table.raise(a, Action::Cancel), Raised::Delivered);
                assert_eq!(table.raise(b, Action::Dup), Raised::Delivered);
            })
        };
        let two = {
            let table = table.clone();
            let note = Arc::clone(&timeout_note);
            thread::spawn(move || {
                note.store(true, Ordering::Relaxed);
                assert_eq!(table.raise(a, Action::Timeout), Raised::Delivered);
            })
        };
        // The taker is a thread of its own, so that loom runs it before,
        // between and after the raisers (and no yield hides a stale read of
        // a note from loom).
        let take = move |mut signals: signal::Signals, mut got: (Actions, Actions)| {
            while let Some((t, actions)) = signals.pop() {
                if actions.contains(Action::Cancel) {
                    assert!(
                        cancel_note.load(Ordering::Relaxed),
                        "Cancel's raiser's write"
                    );
                }
                if actions.contains(Action::Timeout) {
                    assert!(
                        timeout_note.load(Ordering::Relaxed),
                        "Timeout's raiser's write"
                    );
                }
                let mine = if t == a { &mut got.0 } else { &mut got.1 };
                assert!(t == a || t == b);
                assert!((*mine & actions).is_empty(), "taken twice");
                *mine |= actions;
            }
            (signals, got)
        };
        let take = Arc::new(take);
        let first = {
            let take = Arc::clone(&take);
            thread::spawn(move || take(signals, (Actions::EMPTY, Actions::EMPTY)))
        };
        one.join().unwrap();
        two.join().unwrap();
        let (signals, got) = first.join().unwrap();
        let (_, (got_a, got_b)) = take(signals, got);
        assert_eq!(got_a, Actions::from(Action::Cancel) | Action::Timeout);
        assert_eq!(got_b, Actions::from(Action::Dup));
    });
}
