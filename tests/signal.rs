//! Signal tables: a signal reaches the request it was raised for or is
//! stale; no action is lost; raising wakes a sleeping worker, also from a
//! real POSIX signal handler; bad tickets and sizes get clear answers.

#![cfg(not(loom))]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use common::scaled;
use handoff::park::{Parker, SpinPolicy};
use handoff::signal::{self, Action, Actions, Raised, StaleKey};
use handoff::CapacityError;

#[test]
fn bad_sizes_get_capacity_errors() {
    assert_eq!(signal::table(0).unwrap_err(), CapacityError::Zero);
    let huge = u32::MAX as usize + 1;
    assert_eq!(
        signal::table(huge).unwrap_err(),
        CapacityError::TooLarge { requested: huge }
    );
}

/// Every slot can be started once; a full table says so; a retired slot
/// comes back with the next generation, and its old ticket is stale for
/// every operation.
#[test]
fn slots_are_reused_with_new_generations() {
    let size = 130; // three words of the free bitmap
    let (table, mut signals) = signal::table(size).unwrap();
    let tickets: Vec<_> = (0..size).map(|_| table.claim().unwrap()).collect();
    let mut slots: Vec<usize> = tickets.iter().map(|t| t.index()).collect();
    slots.sort();
    assert_eq!(slots, (0..size).collect::<Vec<_>>());
    assert!(table.claim().is_none());

    let old = tickets[77];
    assert_eq!(table.raise(old, Action::Cancel), Raised::Delivered);
    assert_eq!(table.retire(old), Ok(Actions::from(Action::Cancel)));
    let new = table.claim().unwrap();
    assert_eq!(
        (new.index(), new.generation()),
        (old.index(), old.generation() + 1)
    );
    assert_eq!(table.raise(old, Action::Dup), Raised::Stale);
    assert_eq!(table.retire(old), Err(StaleKey));
    assert!(signals.take(old).is_empty());
    assert!(table.pending(new).is_empty());
    // The slot was still queued from the old request; the new one's raise
    // goes through that queue entry, once.
    assert_eq!(table.raise(new, Action::Timeout), Raised::Delivered);
    assert_eq!(signals.pop(), Some((new, Actions::from(Action::Timeout))));
    assert_eq!(signals.pop(), None);
}

/// A ticket from another table is stale everywhere, even when its slot
/// index and generation exist here.
#[test]
fn foreign_tickets_are_stale() {
    let (a, mut signals_a) = signal::table(4).unwrap();
    let (b, _signals_b) = signal::table(4).unwrap();
    let mine = a.claim().unwrap();
    let theirs = b.claim().unwrap();
    assert_eq!(
        (mine.index(), mine.generation()),
        (theirs.index(), theirs.generation())
    );
    assert_eq!(a.raise(theirs, Action::Cancel), Raised::Stale);
    assert_eq!(a.retire(theirs), Err(StaleKey));
    assert!(signals_a.take(theirs).is_empty());
    assert!(!a.is_current(theirs));
    assert!(a.pending(mine).is_empty());

    // A foreign ticket whose slot index is out of this table's range.
    let (big, _big_signals) = signal::table(200).unwrap();
    let mut far = big.claim().unwrap();
    for _ in 1..200 {
        far = big.claim().unwrap();
    }
    assert!(far.index() >= 4);
    assert_eq!(a.raise(far, Action::Cancel), Raised::Stale);
    assert_eq!(a.retire(far), Err(StaleKey));
    assert!(a.pending(far).is_empty());
}

/// Actions coalesce per request; every delivered action comes out once.
#[test]
fn actions_coalesce_and_come_out_once() {
    let (table, mut signals) = signal::table(8).unwrap();
    let t = table.claim().unwrap();
    let user = Action::user(1).unwrap();
    for a in [Action::Dup, Action::Dup, user, Action::Retry] {
        let _ = table.raise(t, a);
    }
    let want = Actions::from(Action::Dup) | user | Action::Retry;
    assert_eq!(signals.pop(), Some((t, want)));
    assert_eq!(signals.pop(), None);
    assert_eq!(
        table.raise(t, Action::Dup),
        Raised::Delivered,
        "taken, so new again"
    );
}

/// Many raisers on many requests, a worker taking with `pop` while it
/// sleeps in a parker, requests retired and restarted meanwhile: every
/// `Delivered` raise is taken exactly once (by `next` or handed back by
/// `retire`), and never under another request's ticket.
#[test]
fn concurrent_raisers_lose_nothing_and_hit_only_their_request() {
    let rounds = scaled(2_000, 20);
    let size = 16;
    let (table, mut signals) = signal::table(size).unwrap();
    let mut parker = Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE);
    signals.register(&parker.unparker()).unwrap();
    // Per slot: the ticket currently live there, packed (generation << 8 |
    // slot) for the raisers to read.
    let live: Arc<Vec<AtomicU64>> = Arc::new((0..size).map(|_| AtomicU64::new(u64::MAX)).collect());
    let tickets: Vec<_> = (0..size).map(|_| table.claim().unwrap()).collect();
    let by_slot: Arc<std::sync::Mutex<Vec<_>>> = Arc::new(std::sync::Mutex::new(vec![None; size]));
    for t in &tickets {
        by_slot.lock().unwrap()[t.index()] = Some(*t);
        live[t.index()].store(t.generation(), Ordering::Release);
    }
    let delivered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let raisers: Vec<_> = (0..2u8)
        .map(|r| {
            let table = table.clone();
            let by_slot = Arc::clone(&by_slot);
            let delivered = Arc::clone(&delivered);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let action = Action::ALL[usize::from(r)];
                let mut i = 0usize;
                while !stop.load(Ordering::Acquire) {
                    let t = by_slot.lock().unwrap()[i % size];
                    i += 1;
                    if let Some(t) = t {
                        if table.raise(t, action) == Raised::Delivered {
                            delivered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();

    let mut taken = 0u64;
    let mut current = tickets;
    for round in 0..rounds {
        let (t, actions) = parker.wait(|| signals.pop());
        assert_eq!(
            current[t.index()],
            t,
            "an action reached a ticket no longer live"
        );
        taken += actions.len() as u64;
        // Now and then, end the request and start another in its place.
        if round % 3 == 0 {
            let slot = t.index();
            by_slot.lock().unwrap()[slot] = None;
            taken += table.retire(t).unwrap().len() as u64;
            let next = table.claim().unwrap();
            assert_eq!(next.index(), slot, "the only free slot");
            current[slot] = next;
            by_slot.lock().unwrap()[slot] = Some(next);
        }
    }
    stop.store(true, Ordering::Release);
    for r in raisers {
        r.join().unwrap();
    }
    while let Some((t, actions)) = signals.pop() {
        assert_eq!(current[t.index()], t);
        taken += actions.len() as u64;
    }
    for t in &current {
        taken += table.retire(*t).unwrap().len() as u64;
    }
    assert_eq!(taken, delivered.load(Ordering::Relaxed));
}

/// The raise a real `SIGUSR1` handler makes reaches the worker asleep on
/// the table's parker.
#[cfg(unix)]
mod posix {
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::OnceLock;
    use std::thread;
    use std::time::Duration;

    use handoff::park::{Parker, SpinPolicy};
    use handoff::signal::{self, Action, Key, Raised, SignalTable};

    static TABLE: OnceLock<SignalTable> = OnceLock::new();
    static TICKET: OnceLock<Key> = OnceLock::new();
    /// 0: the handler has not run; else 1 + the `Raised` it got.
    static OUTCOME: AtomicU8 = AtomicU8::new(0);

    extern "C" fn on_sigusr1(_: libc::c_int) {
        // Only async-signal-safe work here: two atomic loads (OnceLock::get)
        // and the raise.
        if let (Some(table), Some(&ticket)) = (TABLE.get(), TICKET.get()) {
            let code = match table.raise(ticket, Action::Cancel) {
                Raised::Delivered => 1,
                Raised::AlreadyPending => 2,
                Raised::Stale => 3,
            };
            OUTCOME.store(code, Ordering::SeqCst);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri does not deliver POSIX signals")]
    fn raise_from_a_signal_handler_wakes_a_sleeping_worker() {
        let (table, mut signals) = signal::table(8).unwrap();
        let mut parker = Parker::new().with_policy(SpinPolicy::SLEEP_AT_ONCE);
        signals.register(&parker.unparker()).unwrap();
        let ticket = table.claim().unwrap();
        assert!(TABLE.set(table).is_ok() && TICKET.set(ticket).is_ok());

        // SAFETY: a zeroed sigaction is valid; the handler only runs
        // async-signal-safe code, and is installed before the signal.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
                0
            );
        }

        let worker = thread::spawn(move || {
            let got = parker.wait(|| signals.pop());
            (got, parker.stats())
        });
        // Let the worker go to sleep first (it sleeps at once).
        thread::sleep(Duration::from_millis(50));
        // SAFETY: kill(2) on our own process with a handled signal.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) }, 0);

        let ((who, what), stats) = worker.join().unwrap();
        assert_eq!(who, ticket);
        assert!(what.contains(Action::Cancel));
        // The handler records the outcome after `raise` returns, which may
        // be after the worker it woke got here.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while OUTCOME.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            thread::yield_now();
        }
        assert_eq!(
            OUTCOME.load(Ordering::SeqCst),
            1,
            "the handler's raise was Delivered"
        );
        assert!(stats.sleeps >= 1, "the worker was asleep: {stats:?}");
        assert!(stats.wakes >= 1, "and the raise woke it: {stats:?}");
    }
}
