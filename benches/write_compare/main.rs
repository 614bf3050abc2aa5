//! What `handoff::write`'s per-connection write contexts deliver to TCP
//! clients on loopback, against the two usual designs, each both with a
//! write per reply and with replies batched, interleaved in one run and
//! printed as Markdown tables.
//!
//! ```text
//! cargo bench --bench write_compare              # full run, about 110 s
//! ROUNDS=3 cargo bench --bench write_compare     # fewer rounds
//! cargo bench --bench write_compare -- --quick   # 1 round, tiny counts
//! cargo test --release --bench write_compare     # quick mode too
//! ```
//!
//! Other overrides (full mode): `FRAMES` (replies to the fast clients per
//! measurement, split between them; default 400 000), `SLOW_FRAMES`
//! (replies to the slow client per measurement; default 16 384), `RATE`
//! (replies per second in the paced scenario, which sends one second of
//! them; default 200 000) and, in
//! both modes, `BATCH` (replies a worker produces per batch in the batched
//! designs; default 64) and `SNDBUF` (the server sockets' `SO_SNDBUF`,
//! which the kernel doubles; default 131 072; 0 leaves the kernel's
//! autotuning, which on loopback lets a socket buffer 4 MiB, so that the
//! slow client would have to fall that far behind before anything blocks).
//!
//! The server: 2 worker threads produce 64-byte replies (a sequence number
//! per worker and connection, a send time stamp, the worker and connection
//! ids, a check word and padding derived from them), round-robin over the
//! connections, and hand each to the connection's write side. All five
//! designs get the same sockets (`TCP_NODELAY`, the same `SO_SNDBUF`), the
//! same workers, the same clients and the same frames:
//!
//! - **`handoff::write`**: non-blocking sockets, an
//!   `Arc<WriteContext<TcpStream, [u8; 64]>>` per connection (default
//!   [`WriteConfig`](handoff::write::WriteConfig): a queue of 1024 frames).
//!   Workers `submit` each reply; the one that gets `Status::WantsWritable`
//!   re-arms the socket in an epoll set (`EPOLLOUT | EPOLLONESHOT`, one
//!   `epoll_ctl`), and an event-loop thread waiting in `epoll_wait` calls
//!   `on_writable` (re-arming if it asks again). On `SubmitError::Full` the
//!   worker never waits for the socket: a reply to a fast client is retried
//!   after a `yield_now` (counted: "Full retries", and timed as part of the
//!   call), a reply to the slow client is dropped and counted as refused
//!   (its sequence number is reused, so the client still checks that it
//!   gets every accepted frame, in order).
//! - **`handoff::write`, batched**: the same contexts and event loop, but a
//!   worker produces its replies in batches of `BATCH`, as a worker that
//!   handles a batch of requests would: it `feed`s each reply to its
//!   connection (queued, not written), and at the end of the batch calls
//!   `flush` once on each connection it fed in that batch (re-arming on
//!   `WantsWritable` as above). On `SubmitError::Full` from `feed` it
//!   flushes that connection, then retries (fast client, after a yield,
//!   counted) or drops (slow client) as above.
//! - **writer thread + crossbeam-channel**: blocking sockets, a writer
//!   thread per connection fed by a bounded channel of 1024 frames. Workers
//!   `send` (blocking when the channel is full); the writer `recv`s, drains
//!   what else is there with `try_recv` (up to 1024 frames) into one buffer
//!   and `write_all`s it.
//! - **`Mutex<TcpStream>`**: blocking sockets; a worker locks the
//!   connection's mutex and `write_all`s the frame.
//! - **`handoff::worker` pool**: the workers above are a pool's network
//!   threads (`PoolConfig::new(2, 2)`): each reply is a request (its
//!   connection and stamp) to the pool, whose handler makes the frame,
//!   `feed`s it to the connection's write context (on `Full`: flush and
//!   retry after a yield) and asks for a flush at the end of the worker's
//!   batch (`RequestContext::flush_at_end`; `WantsWritable` re-arms as
//!   above). The batch is whatever the worker found to do: large at
//!   saturation, one reply at a low rate. It cannot refuse a reply to the
//!   slow client (its handler runs after the enqueue returned), so it runs
//!   without one.
//! - **`Mutex<TcpStream>`, batched**: the same batches as the batched
//!   `handoff`: a worker appends each reply to a buffer of its own per
//!   connection, and at the end of the batch locks each connection it has
//!   replies for once and `write_all`s them in one buffer: the fair
//!   counterpart of `feed` + `flush`.
//!
//! In the batched designs a reply's stamp is taken when it is produced, so
//! its latency includes the wait for the end of its batch, and a "call" is
//! either a `feed` (or append) or one connection's end-of-batch `flush` (or
//! lock + `write_all`).
//!
//! The clients: one thread per connection reads frames (through a 64 KiB
//! `BufReader`) until the server closes the connection, and checks that
//! each is whole (ids, check word, padding), that each worker's frames
//! arrive in order with no gap, and at the end that it got exactly the
//! frames the server accepted for it; any mismatch panics. Latency is now
//! minus the frame's stamp (one `Instant` base for both sides), sampled on
//! every 64th frame (every 8th for the slow client). The slow client
//! (`SO_RCVBUF` 32 KiB) reads 4 KiB, sleeps 10 ms, and so on (400 KiB/s);
//! once the workers are done and the fast clients have everything, it reads
//! the rest at full speed (not timed, and its latency is not sampled then).
//!
//! Scenarios, each measured for every design in every round (the order
//! rotating between rounds):
//!
//! - **fast clients only**: 4 connections, `FRAMES` replies spread evenly.
//!   Replies per second = frames delivered / wall time from the workers'
//!   start to the last frame's arrival; latency median and p99 (over all
//!   samples of all rounds); how the workers fared: voluntary context
//!   switches of the worker threads (a thread that blocks in the kernel, on
//!   a full socket, a full channel or a contended mutex, switches
//!   voluntarily; a yield or a preemption does not count), the longest
//!   single call; for `handoff`, its `WriteStats` (`writev` calls per frame,
//!   would-blocks), its Full retries and the event loop's `on_writable`
//!   calls.
//! - **fast clients + one slow client**: the same 4 fast connections and
//!   `FRAMES`, plus `SLOW_FRAMES` replies to the slow client: each worker
//!   addresses it like a fifth client (every fifth reply) until it has sent
//!   its half of them, so that the slow client falls behind early in the
//!   run (1 MiB offered in the first fifth of it, against 400 KiB/s read and
//!   a few hundred KiB of socket buffers). The fast clients' replies per
//!   second and latency as above; the longest call to the slow client and
//!   the time spent in such calls, the workers' voluntary switches, and the
//!   slow client's frames delivered and refused, and its latency.
//!
//! - **fixed moderate load**: the fast clients only, `RATE` replies per
//!   second (each worker sleeps until its next reply is due, so replies
//!   come in small bursts), one second of them, for the designs whose
//!   batches follow the load: per-reply `submit`, the writer thread and
//!   the worker pool. Latency median and p99.
//!
//! The goals printed with the numbers, with and without the slow client:
//! the fast clients' replies per second with `handoff` at least those of
//! the better of the writer thread and the `Mutex` (per-reply `submit`
//! against the per-reply peers; batched `feed` + `flush` against the best
//! of all three peers, the batched `Mutex` included); and, for both
//! `handoff` variants, no worker ever blocked by the slow client (`handoff`
//! workers never sleep in the kernel, and, in the median round, no call to
//! the slow client lasts as long as one of its 10 ms pauses: a preemption
//! inside a call on a busy machine can, once in a while). For the worker
//! pool (issue 19): at least the writer thread's replies per second at
//! saturation, and at most half its median latency at the fixed moderate
//! load.

#[allow(dead_code, unused_imports)] // This target uses only part of the harness.
#[path = "../harness/mod.rs"]
mod harness;

mod alarm;
mod client;
mod frame;
mod measure;
mod plan;
mod report;
mod server;

use std::thread;
use std::time::Instant;

use harness::mode::{self, env_u64};
use harness::proc::CpuTimes;
use plan::{Plan, FAST, WORKERS};
use server::{run, runs_in, DESIGNS, NAMES};

fn main() {
    let quick = mode::quick();
    let rounds = if quick { 1 } else { env_u64("ROUNDS", 7) } as usize;
    assert!(rounds >= 1, "ROUNDS must be at least 1");
    let (fast, slow) = if quick {
        (4_000, 256)
    } else {
        (env_u64("FRAMES", 400_000), env_u64("SLOW_FRAMES", 16_384))
    };
    let sndbuf = env_u64("SNDBUF", 128 << 10) as usize;
    let batch = env_u64("BATCH", 64);
    assert!(batch >= 1, "BATCH must be at least 1");
    let fast_only = Plan::new(fast, 0, batch);
    let with_slow = Plan::new(fast, slow, batch);
    let rate = env_u64("RATE", 200_000);
    let paced = Plan::new(if quick { fast } else { rate }, 0, batch).paced(rate.max(1));
    assert!(
        with_slow.slow_frames > 0,
        "SLOW_FRAMES must be at least {WORKERS}"
    );
    eprintln!(
        "write_compare: {} mode, {rounds} round(s); {} frames to {FAST} fast clients, \
         {} to the slow one; {WORKERS} workers; batches of {batch}; SO_SNDBUF {}; {} CPUs",
        if quick { "quick" } else { "full" },
        fast_only.fast_frames,
        with_slow.slow_frames,
        plan::sndbuf_label(sndbuf),
        thread::available_parallelism().map_or(0, |n| n.get()),
    );

    let started = Instant::now();
    let cpu_before = CpuTimes::now();
    if !quick {
        // Untimed warm-up: page in the code, let the clock settle.
        for design in 0..NAMES.len() {
            run(design, Plan::new(fast / 10, 0, batch), sndbuf);
        }
    }
    // [scenario][design][round]
    let mut samples: [[Vec<measure::Sample>; DESIGNS]; 3] = Default::default();
    for round in 0..rounds {
        for (scenario, plan) in [fast_only, with_slow, paced].into_iter().enumerate() {
            // Rotate the order, so that no design always runs right
            // after the same other one.
            for k in 0..NAMES.len() {
                let design = (round + k) % NAMES.len();
                if runs_in(design, plan) {
                    samples[scenario][design].push(run(design, plan, sndbuf));
                }
            }
        }
        if !quick {
            harness::progress(round, rounds, started);
        }
    }
    if !quick {
        eprintln!();
    }

    report::print(&samples, fast_only, with_slow, paced, rounds, sndbuf);
    harness::proc::report_other_load(cpu_before, "clients, workers and writers want every core");
}
