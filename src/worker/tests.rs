//! A raiser stalled between claiming its place in a worker's signal queue
//! and writing it (made on purpose with `SignalTable::raise_stalled`).
//! Bug class: a worker that busy-spins on work it cannot take yet.

use std::time::{Duration, Instant};

use super::{from_fn, RequestContext, Worker, WorkerConfig};
use crate::signal::{Action, Raised};

/// The CPU time (user + system) of this process's thread named `name`,
/// from `/proc` (Linux; `None` elsewhere, and under Miri, which cannot read
/// it).
fn thread_cpu(name: &str) -> Option<Duration> {
    if cfg!(miri) || !cfg!(target_os = "linux") {
        return None;
    }
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).ok()?;
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).ok()?;
        // Fields after the parenthesised name: state is field 3, utime and
        // stime fields 14 and 15 (in clock ticks of 10 ms).
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().ok()? + fields[12].parse::<u64>().ok()?;
        return Some(Duration::from_millis(ticks * 10));
    }
    None
}

#[test]
fn a_raiser_stalled_mid_push_does_not_make_the_worker_spin() {
    let handler = from_fn(|_: u32, cx: RequestContext| async move { cx.signalled().await });
    let config = WorkerConfig::new().name("stalledraise");
    let mut w = Worker::spawn(config, handler).unwrap();
    let a = w.enqueue(0).unwrap();
    let b = w.enqueue(1).unwrap();
    let started = Instant::now();
    while w.stats().requests < 2 {
        assert!(started.elapsed() < Duration::from_secs(30), "never started");
        std::thread::yield_now();
    }
    let signaller = w.signaller();
    let stalled = signaller
        .table(0)
        .raise_stalled(a.key, Action::Dup)
        .expect("the first raise queues the entry");
    // Queued behind the stalled raise: FIFO, so it waits for it.
    assert_eq!(w.signal(b, Action::Timeout), Raised::Delivered);

    // Meanwhile the worker sleeps: it does not spin on the entry it cannot
    // pop yet.
    let window = Duration::from_millis(if cfg!(miri) { 20 } else { 300 });
    let before = thread_cpu("stalledraise-0");
    std::thread::sleep(window);
    if let (Some(before), Some(after)) = (before, thread_cpu("stalledraise-0")) {
        let used = after - before;
        assert!(
            used < window / 4,
            "the worker used {used:?} of CPU in {window:?} waiting for a stalled raise"
        );
        eprintln!("worker CPU while a raise was stalled: {used:?} in {window:?}");
    }
    assert!(w.try_reply().is_none(), "b's signal waits behind a's");

    // The stalled raise finishes: both requests hear of their signals.
    let published = Instant::now();
    stalled.publish(a.key.index() as u32);
    let mut got = Vec::new();
    while got.len() < 2 {
        let reply = w.reply_timeout(Duration::from_secs(30)).expect("a reply");
        got.push((reply.ticket, reply.outcome.done().expect("done")));
    }
    eprintln!(
        "both signals delivered {:?} after the stalled raise finished",
        published.elapsed()
    );
    got.sort_by_key(|(t, _)| t.key.index());
    let mut expected = vec![
        (a, crate::signal::Actions::from(Action::Dup)),
        (b, crate::signal::Actions::from(Action::Timeout)),
    ];
    expected.sort_by_key(|(t, _)| t.key.index());
    assert_eq!(got, expected);
}
