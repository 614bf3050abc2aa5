//! Which request runs when, and which may enter: priorities (a flood of
//! low-priority requests does not hold up a high-priority one), group
//! cancel, and the back-pressure loop (a full network thread sleeps until
//! room returns, and is woken for it). Threaded and inline mode alike;
//! every request is counted through its drops.

#![cfg(not(loom))]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{scaled, wait_until, Drops, Tracked, PATIENCE};
use handoff::signal::Action;
use handoff::worker::{
    self, Enqueue, EnqueueError, Group, Outcome, Pool, PoolConfig, Priority, RequestContext,
    WorkerConfig,
};

#[test]
fn a_flood_of_low_priority_requests_does_not_delay_high_priority_ones() {
    let lows = scaled(200, 12);
    for workers in [1, 0] {
        let drops = Drops::new();
        let gate = Arc::new(AtomicBool::new(workers == 0));
        let started = Arc::new(AtomicBool::new(false));
        let (g, s) = (Arc::clone(&gate), Arc::clone(&started));
        // Request 0 holds a worker until the gate opens, so that everything
        // after it waits together; then each reply says who ran.
        let handler = worker::from_sync_fn(move |t: Tracked, _| {
            s.store(true, Ordering::SeqCst);
            while t.id == 0 && !g.load(Ordering::SeqCst) {
                thread::yield_now();
            }
            t
        });
        let config = WorkerConfig::new().max_requests(lows as usize + 8);
        let (pool, mut nets) =
            Pool::spawn(PoolConfig::new(1, workers).worker(config), handler).unwrap();
        let net = &mut nets[0];
        net.enqueue(drops.item(0)).unwrap();
        if workers > 0 {
            wait_until("the gate request to start", || {
                started.load(Ordering::SeqCst)
            });
        }
        for id in 1..=lows {
            let low = Enqueue::new().priority(Priority::Low);
            net.enqueue_with(drops.item(id), low).unwrap();
        }
        net.enqueue_with(drops.item(1000), Enqueue::new().priority(Priority::High))
            .unwrap();
        net.enqueue(drops.item(2000)).unwrap();
        gate.store(true, Ordering::SeqCst);
        let mut order = Vec::new();
        while let Some(reply) = net.reply_timeout(PATIENCE) {
            order.push(reply.outcome.done().expect("done").id);
        }
        // Threaded: the gate first (it ran already). Inline: everything
        // waits for the turn, which takes the high one first.
        let expected: Vec<u64> = if workers > 0 {
            [0, 1000, 2000].into_iter().chain(1..=lows).collect()
        } else {
            [1000, 0, 2000].into_iter().chain(1..=lows).collect()
        };
        assert_eq!(order, expected, "mode {workers}");
        drop(order);
        drop(nets);
        pool.join();
        assert_eq!(drops.alive(), 0);
    }
}

#[test]
fn high_priority_requests_overtake_a_running_flood() {
    // A worker busy with a stream of slow low-priority requests: each high
    // one waits for at most the request running and the rest of the turn,
    // not for the flood queued before it.
    let work = Duration::from_micros(if cfg!(miri) { 2_000 } else { 200 });
    let handler = worker::from_sync_fn(move |high: bool, _| {
        let start = Instant::now();
        while start.elapsed() < work {
            std::hint::spin_loop();
        }
        high
    });
    let config = WorkerConfig::new().max_requests(512).queue_capacity(512);
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 1).worker(config), handler).unwrap();
    let net = &mut nets[0];
    let lows = scaled(300, 20);
    for _ in 0..lows {
        net.enqueue_with(false, Enqueue::new().priority(Priority::Low))
            .unwrap();
    }
    let high = net
        .enqueue_with(true, Enqueue::new().priority(Priority::High))
        .unwrap();
    let flood = work * lows as u32;
    loop {
        let reply = net.reply_timeout(PATIENCE).expect("a reply");
        if reply.ticket == high {
            // It waited for the turn under way (1 ms of 200 µs requests),
            // and on a loaded machine a few more, never for the flood
            // queued before it.
            assert!(
                reply.waited < flood / 3,
                "the high-priority request waited {:?}; the flood is {flood:?} of work",
                reply.waited
            );
            break;
        }
    }
    while net.reply_timeout(PATIENCE).is_some() {}
    drop(nets);
    pool.join();
}

#[test]
fn cancel_group_cancels_exactly_the_live_requests_of_the_group() {
    for workers in [0, 2] {
        let drops = Drops::new();
        // Ids below 100 finish at once; the others wait for a signal.
        let handler = worker::from_fn(|t: Tracked, cx: RequestContext| async move {
            if t.id >= 100 {
                cx.signalled().await;
            }
            t
        });
        let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, workers), handler).unwrap();
        let net = &mut nets[0];
        let n = scaled(40, 6);
        let conn = |g| Enqueue::new().group(Group(g));
        // Quick ones of group 1, answered and taken before the cancel.
        for id in 0..3 {
            net.enqueue_with(drops.item(id), conn(1)).unwrap();
        }
        for _ in 0..3 {
            assert!(net.reply_timeout(PATIENCE).unwrap().outcome.is_done());
        }
        let mut one = HashSet::new();
        let mut two = HashSet::new();
        for id in 100..100 + n {
            one.insert(net.enqueue_with(drops.item(id), conn(1)).unwrap());
            two.insert(net.enqueue_with(drops.item(id + n), conn(2)).unwrap());
        }
        let loner = net.enqueue(drops.item(1000)).unwrap();
        assert_eq!(net.cancel_group(Group(7)), 0, "nobody in group 7");
        assert_eq!(net.cancel_group(Group(1)), n as usize, "mode {workers}");
        for _ in 0..n {
            let reply = net.reply_timeout(PATIENCE).unwrap();
            assert!(one.remove(&reply.ticket), "a reply of group 1 only");
            assert!(matches!(reply.outcome, Outcome::Cancelled));
        }
        assert_eq!(
            net.cancel_group(Group(1)),
            0,
            "mode {workers}: group 1 is gone"
        );
        assert_eq!(net.outstanding(), n as usize + 1);
        // Group 2 still runs: signal one, cancel the rest.
        let first = *two.iter().next().unwrap();
        assert_eq!(
            net.signal(first, Action::Dup),
            handoff::signal::Raised::Delivered
        );
        let reply = net.reply_timeout(PATIENCE).unwrap();
        assert_eq!(reply.ticket, first);
        assert!(reply.outcome.is_done());
        drop(reply);
        two.remove(&first);
        assert_eq!(net.cancel_group(Group(2)), two.len());
        for _ in 0..two.len() {
            let reply = net.reply_timeout(PATIENCE).unwrap();
            assert!(two.remove(&reply.ticket));
        }
        assert_eq!(net.outstanding(), 1);
        assert_eq!(
            net.signal(loner, Action::Cancel),
            handoff::signal::Raised::Delivered
        );
        assert!(net.reply_timeout(PATIENCE).is_some());
        drop(nets);
        pool.join();
        assert_eq!(drops.alive(), 0);
    }
}

#[test]
fn a_full_network_sleeps_until_another_one_frees_room() {
    let drops = Drops::new();
    let handler = worker::from_fn(|t: Tracked, cx: RequestContext| async move {
        if t.id < 2 {
            cx.signalled().await;
        }
        t
    });
    let config = PoolConfig::new(2, 1).worker(WorkerConfig::new().max_requests(2));
    let (pool, mut nets) = Pool::spawn(config, handler).unwrap();
    let mut other = nets.pop().unwrap();
    let mut full = nets.pop().unwrap();
    // The other network thread's two requests fill the worker's table.
    let held: Vec<_> = (0..2)
        .map(|id| other.enqueue(drops.item(id)).unwrap())
        .collect();
    assert!(matches!(
        full.enqueue(drops.item(10)),
        Err(EnqueueError::Full(_))
    ));
    assert!(!full.has_capacity());
    assert_eq!(full.outstanding(), 0, "nothing of its own to wait for");
    let waiter = thread::spawn(move || {
        let woken = full.wait_ready(Some(PATIENCE));
        (woken, full)
    });
    thread::sleep(Duration::from_millis(if cfg!(miri) { 50 } else { 20 }));
    for ticket in &held {
        assert_eq!(
            other.signal(*ticket, Action::Dup),
            handoff::signal::Raised::Delivered
        );
    }
    for _ in 0..2 {
        assert!(other.reply_timeout(PATIENCE).unwrap().outcome.is_done());
    }
    let (woken, mut full) = waiter.join().unwrap();
    assert!(woken, "woken for the room another thread freed");
    assert!(full.has_capacity());
    full.enqueue(drops.item(11)).unwrap();
    assert!(full.reply_timeout(PATIENCE).unwrap().outcome.is_done());
    let stats = full.stats();
    assert_eq!((stats.enqueued, stats.refused), (1, 1));
    assert!(
        stats.full_waits >= 1 && stats.room_returned >= 1,
        "{stats:?}"
    );
    drop((full, other));
    let stats = pool.join();
    let links = &stats[0].links;
    assert_eq!((links[0].enqueued, links[1].enqueued), (1, 2));
    assert_eq!(links[0].refused, 1);
    assert_eq!(drops.alive(), 0);
}

#[test]
fn a_full_ring_wakes_its_network_when_the_worker_takes_from_it() {
    let drops = Drops::new();
    let gate = Arc::new(AtomicBool::new(false));
    let running = Arc::new(AtomicBool::new(false));
    let (g, r) = (Arc::clone(&gate), Arc::clone(&running));
    let handler = worker::from_sync_fn(move |t: Tracked, _| {
        r.store(true, Ordering::SeqCst);
        while t.id == 0 && !g.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        t
    });
    let config = WorkerConfig::new().max_requests(8).queue_capacity(1);
    let (pool, mut nets) = Pool::spawn(PoolConfig::new(1, 1).worker(config), handler).unwrap();
    let net = &mut nets[0];
    net.enqueue(drops.item(0)).unwrap();
    wait_until("the worker to hold request 0", || {
        running.load(Ordering::SeqCst)
    });
    net.enqueue(drops.item(1)).unwrap(); // the ring is full now
    let mut refused = drops.item(2);
    refused = match net.enqueue(refused) {
        Err(EnqueueError::Full(back)) => back,
        other => panic!("expected Full, got {other:?}"),
    };
    let opener = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        gate.store(true, Ordering::SeqCst);
    });
    let mut answered = 0;
    let mut pending = Some(refused);
    while answered < 3 {
        if let Some(t) = pending.take() {
            if net.has_capacity() {
                match net.enqueue(t) {
                    Ok(_) => {}
                    Err(e) => pending = Some(e.into_inner()),
                }
            } else {
                pending = Some(t);
            }
        }
        while let Some(reply) = net.try_reply() {
            assert!(reply.outcome.is_done());
            answered += 1;
        }
        // Nothing to wait for when the refused request may go in now (a
        // reply taken says there is room).
        if answered < 3 && (pending.is_none() || !net.has_capacity()) {
            assert!(net.wait_ready(Some(PATIENCE)), "woken for replies or room");
        }
    }
    opener.join().unwrap();
    drop(nets);
    pool.join();
    assert_eq!(drops.alive(), 0);
}
