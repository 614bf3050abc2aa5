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
//! (replies to the slow client per measurement; default 16 384) and, in
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
//! The goals printed with the numbers, with and without the slow client:
//! the fast clients' replies per second with `handoff` at least those of
//! the better of the writer thread and the `Mutex` (per-reply `submit`
//! against the per-reply peers; batched `feed` + `flush` against the best
//! of all three peers, the batched `Mutex` included); and, for both
//! `handoff` variants, no worker ever blocked by the slow client (`handoff`
//! workers never sleep in the kernel, and, in the median round, no call to
//! the slow client lasts as long as one of its 10 ms pauses: a preemption
//! inside a call on a busy machine can, once in a while).

#[cfg(target_os = "linux")]
#[allow(dead_code, unused_imports)] // This target uses only part of the harness.
mod harness;

#[cfg(target_os = "linux")]
fn main() {
    bench::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {}

#[cfg(target_os = "linux")]
mod bench {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::os::fd::OwnedFd;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier, Mutex};
    use std::thread::{self, JoinHandle};
    use std::time::{Duration, Instant};

    use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
    use handoff::write::{Status, SubmitError, WriteContext};
    use rustix::event::epoll;
    use socket2::SockRef;

    use super::harness::mode::{self, env_u64};
    use super::harness::proc::{voluntary_switches, CpuTimes};
    use super::harness::stats::{median, median_of as med, percentile};
    use super::harness::table::yes_no;

    /// Bytes per reply.
    const FRAME: usize = 64;
    type Frame = [u8; FRAME];
    /// Worker threads producing replies.
    const WORKERS: usize = 2;
    /// Fast client connections; the slow client, when there is one, is
    /// connection `FAST`.
    const FAST: usize = 4;
    /// A fast client's `BufReader`.
    const FAST_READ: usize = 64 << 10;
    /// The slow client reads this much, then pauses.
    const SLOW_READ: usize = 4 << 10;
    const SLOW_PAUSE: Duration = Duration::from_millis(10);
    /// The slow client's `SO_RCVBUF` (the kernel doubles it), fixed so that
    /// autotuning does not make it absorb more in some runs than in others.
    const SLOW_RCVBUF: usize = 32 << 10;
    /// A worker addresses the slow client with every `SLOW_EVERY`th reply
    /// until its share is sent.
    const SLOW_EVERY: u64 = 5;
    const FAST_SAMPLE_EVERY: u64 = 64;
    const SLOW_SAMPLE_EVERY: u64 = 8;
    /// The crossbeam channel per connection, and the most its writer thread
    /// writes at once: the capacity of a write context's queue.
    const CHANNEL_CAPACITY: usize = 1024;
    /// A measurement with no progress for this long has lost a frame or a
    /// thread: it panics instead of hanging.
    const STALL_LIMIT: Duration = Duration::from_secs(120);
    const MAGIC: u64 = 0x6861_6e64_6f66_6621;

    // ---------------------------------------------------------------------
    // Frames.

    fn check_word(seq: u64, worker: usize, conn: usize) -> u64 {
        seq.rotate_left(17) ^ MAGIC ^ ((worker as u64) << 56) ^ ((conn as u64) << 48)
    }

    fn pad_byte(seq: u64, worker: usize) -> u8 {
        (seq as u8) ^ (0xa5 + worker as u8)
    }

    fn encode(seq: u64, stamp: u64, worker: usize, conn: usize) -> Frame {
        let mut f = [0u8; FRAME];
        f[0..8].copy_from_slice(&seq.to_le_bytes());
        f[8..16].copy_from_slice(&stamp.to_le_bytes());
        f[16..20].copy_from_slice(&(worker as u32).to_le_bytes());
        f[20..24].copy_from_slice(&(conn as u32).to_le_bytes());
        f[24..32].copy_from_slice(&check_word(seq, worker, conn).to_le_bytes());
        f[32..].fill(pad_byte(seq, worker));
        f
    }

    fn u64_at(f: &Frame, at: usize) -> u64 {
        u64::from_le_bytes(f[at..at + 8].try_into().expect("8 bytes"))
    }

    fn u32_at(f: &Frame, at: usize) -> u32 {
        u32::from_le_bytes(f[at..at + 4].try_into().expect("4 bytes"))
    }

    struct Decoded {
        seq: u64,
        stamp: u64,
        worker: usize,
    }

    /// Decodes a frame read from connection `conn`; panics unless it is
    /// whole and meant for this connection.
    fn decode(f: &Frame, conn: usize, name: &str) -> Decoded {
        let seq = u64_at(f, 0);
        let worker = u32_at(f, 16) as usize;
        let whole = worker < WORKERS
            && u32_at(f, 20) as usize == conn
            && u64_at(f, 24) == check_word(seq, worker, conn)
            && f[32..].iter().all(|&b| b == pad_byte(seq, worker));
        if !whole {
            panic!("{name}: connection {conn} read a torn or misdirected frame: {f:02x?}");
        }
        Decoded {
            seq,
            stamp: u64_at(f, 8),
            worker,
        }
    }

    // ---------------------------------------------------------------------
    // Plans, sockets, failure reports.

    /// The replies of one measurement.
    #[derive(Clone, Copy)]
    struct Plan {
        /// To the fast clients, a multiple of `WORKERS * FAST`.
        fast_frames: u64,
        /// To the slow client (none if 0), a multiple of `WORKERS`.
        slow_frames: u64,
        /// Replies per batch in the batched designs, at least 1.
        batch: u64,
    }

    impl Plan {
        /// Rounds `fast` down to a multiple of `WORKERS * FAST`, and `slow`
        /// to a multiple of `WORKERS`, at most a quarter of `fast` (so that
        /// every fifth reply can go to the slow client until its share is
        /// sent).
        fn new(fast: u64, slow: u64, batch: u64) -> Plan {
            let unit = (WORKERS * FAST) as u64;
            let fast_frames = (fast / unit).max(1) * unit;
            let slow = slow.min(fast_frames / (SLOW_EVERY - 1));
            Plan {
                fast_frames,
                slow_frames: slow / WORKERS as u64 * WORKERS as u64,
                batch: batch.max(1),
            }
        }

        fn conns(self) -> usize {
            FAST + usize::from(self.slow_frames > 0)
        }

        fn fast_per_conn(self) -> u64 {
            self.fast_frames / FAST as u64
        }
    }

    /// `conns` loopback connections: the clients' ends and the server's.
    fn connect(conns: usize, sndbuf: usize) -> (Vec<TcpStream>, Vec<TcpStream>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback listener");
        let addr = listener.local_addr().expect("the listener's address");
        let mut clients = Vec::with_capacity(conns);
        let mut servers = Vec::with_capacity(conns);
        for conn in 0..conns {
            let client = TcpStream::connect(addr).expect("connect");
            if conn == FAST {
                SockRef::from(&client)
                    .set_recv_buffer_size(SLOW_RCVBUF)
                    .expect("SO_RCVBUF");
            }
            let (server, peer) = listener.accept().expect("accept");
            assert_eq!(peer, client.local_addr().expect("the client's address"));
            server.set_nodelay(true).expect("TCP_NODELAY");
            if sndbuf > 0 {
                SockRef::from(&server)
                    .set_send_buffer_size(sndbuf)
                    .expect("SO_SNDBUF");
            }
            clients.push(client);
            servers.push(server);
        }
        (clients, servers)
    }

    /// What the measurement's threads tell the main thread.
    enum Note {
        /// A fast client got all its frames, at this instant.
        FastDone(Instant),
        /// A thread panicked.
        Panicked(String),
    }

    /// Tells the main thread when the thread holding it panics, so that a
    /// measurement fails at once instead of waiting for the stall limit.
    struct Alarm {
        tx: Sender<Note>,
        who: String,
    }

    impl Drop for Alarm {
        fn drop(&mut self) {
            if thread::panicking() {
                let _ = self.tx.send(Note::Panicked(self.who.clone()));
            }
        }
    }

    fn join<T>(handle: JoinHandle<T>) -> T {
        handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    // ---------------------------------------------------------------------
    // Clients.

    struct ClientRole {
        name: &'static str,
        conn: usize,
        slow: bool,
        /// Frames a fast client gets in all.
        expected: u64,
        base: Instant,
        drain: Arc<AtomicBool>,
        alarm: Alarm,
    }

    struct ClientReport {
        /// Frames received from each worker.
        per_worker: [u64; WORKERS],
        /// Sampled latencies, ns.
        latencies: Vec<u64>,
    }

    fn run_client(stream: TcpStream, role: ClientRole) -> ClientReport {
        let ClientRole {
            name,
            conn,
            slow,
            expected,
            base,
            ref drain,
            ref alarm,
        } = role;
        let mut reader = BufReader::with_capacity(if slow { SLOW_READ } else { FAST_READ }, stream);
        let sample_every = if slow {
            SLOW_SAMPLE_EVERY
        } else {
            FAST_SAMPLE_EVERY
        };
        let per_pause = (SLOW_READ / FRAME) as u64;
        let mut next = [0u64; WORKERS];
        let mut frames = 0u64;
        let mut latencies = Vec::new();
        let mut frame = [0u8; FRAME];
        loop {
            let buffered = reader
                .fill_buf()
                .unwrap_or_else(|e| panic!("{name}: connection {conn}: read: {e}"));
            if buffered.is_empty() {
                break; // the server closed the connection
            }
            reader.read_exact(&mut frame).unwrap_or_else(|e| {
                panic!("{name}: connection {conn}: a torn frame at the end ({e})")
            });
            let d = decode(&frame, conn, name);
            if d.seq != next[d.worker] {
                panic!(
                    "{name}: connection {conn} got frame {} of worker {}, expected {}",
                    d.seq, d.worker, next[d.worker]
                );
            }
            next[d.worker] += 1;
            frames += 1;
            let draining = slow && drain.load(Ordering::Acquire);
            if frames.is_multiple_of(sample_every) && !draining {
                let now = base.elapsed().as_nanos() as u64;
                latencies.push(now.saturating_sub(d.stamp));
            }
            if !slow && frames == expected {
                let _ = alarm.tx.send(Note::FastDone(Instant::now()));
            }
            if slow && frames.is_multiple_of(per_pause) && !draining {
                thread::sleep(SLOW_PAUSE);
            }
        }
        ClientReport {
            per_worker: next,
            latencies,
        }
    }

    // ---------------------------------------------------------------------
    // The five servers.

    /// One design of the server's write side.
    trait Server: Send + Sync + Sized + 'static {
        /// Whether the workers call `end_batch` after every `Plan::batch`
        /// replies (and after their last).
        const BATCHED: bool = false;

        /// What a worker keeps between the replies of a batch.
        type Batch;

        /// Takes the server's ends of the connections.
        fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self;

        /// A worker's empty batch.
        fn batch(&self, conns: usize) -> Self::Batch;

        /// Hands `frame` to connection `conn`; whether it was accepted (only
        /// a `droppable` frame may be refused). Counts retries.
        fn deliver(
            &self,
            batch: &mut Self::Batch,
            conn: usize,
            frame: Frame,
            droppable: bool,
            retries: &mut u64,
        ) -> bool;

        /// Ends a worker's batch: writes (or flushes) what it accepted for
        /// each connection, timing each connection's call into `report`.
        fn end_batch(&self, _batch: &mut Self::Batch, _report: &mut WorkerReport) {}

        /// Once the workers are done: waits until everything accepted is
        /// written and closes every connection, so that each client sees the
        /// end after its last frame. `handoff`'s write statistics.
        fn finish(self) -> Option<Writes>;
    }

    /// `handoff`'s `WriteStats`, summed over the connections.
    #[derive(Clone, Copy, Default)]
    struct Writes {
        frames: u64,
        writes: u64,
        would_blocks: u64,
        /// `on_writable` calls by the event loop.
        wakeups: u64,
    }

    // handoff::write

    /// The epoll key of the event loop's stop eventfd.
    const STOP: u64 = u64::MAX;

    struct Shared {
        contexts: Vec<WriteContext<TcpStream, Frame>>,
        /// Duplicates of the contexts' sockets, for epoll and shutdown.
        sockets: Vec<TcpStream>,
        epoll: OwnedFd,
        stop: OwnedFd,
    }

    impl Shared {
        /// Flushes `conn`, arming it if the flush asks for writability.
        fn flush(&self, conn: usize) {
            match self.contexts[conn].flush() {
                Status::WantsWritable => self.arm(conn),
                Status::Written | Status::Queued => {}
                Status::Failed => panic!(
                    "handoff: connection {conn} failed: {:?}",
                    self.contexts[conn].error()
                ),
            }
        }

        /// Asks the event loop for one `on_writable` once `conn` is writable.
        fn arm(&self, conn: usize) {
            epoll::modify(
                &self.epoll,
                &self.sockets[conn],
                epoll::EventData::new_u64(conn as u64),
                epoll::EventFlags::OUT | epoll::EventFlags::ONESHOT,
            )
            .expect("epoll_ctl(EPOLL_CTL_MOD)");
        }
    }

    struct HandoffServer {
        shared: Arc<Shared>,
        event_loop: JoinHandle<u64>,
    }

    /// Calls `on_writable` for each connection epoll reports; returns how
    /// many times, when told to stop.
    fn event_loop(shared: &Shared, _alarm: Alarm) -> u64 {
        let mut events = Vec::with_capacity(16);
        let mut wakeups = 0;
        loop {
            events.clear();
            match epoll::wait(
                &shared.epoll,
                rustix::buffer::spare_capacity(&mut events),
                None,
            ) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => panic!("handoff: epoll_wait: {e}"),
            }
            for event in &events {
                let data = event.data;
                let key = data.u64();
                if key == STOP {
                    return wakeups;
                }
                let conn = key as usize;
                wakeups += 1;
                match shared.contexts[conn].on_writable() {
                    Status::WantsWritable => shared.arm(conn),
                    Status::Written | Status::Queued => {}
                    Status::Failed => panic!(
                        "handoff: connection {conn} failed: {:?}",
                        shared.contexts[conn].error()
                    ),
                }
            }
        }
    }

    impl Server for HandoffServer {
        type Batch = ();

        fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self {
            let epoll = epoll::create(epoll::CreateFlags::CLOEXEC).expect("epoll_create");
            let stop =
                rustix::event::eventfd(0, rustix::event::EventfdFlags::CLOEXEC).expect("eventfd");
            epoll::add(
                &epoll,
                &stop,
                epoll::EventData::new_u64(STOP),
                epoll::EventFlags::IN,
            )
            .expect("epoll_ctl(EPOLL_CTL_ADD)");
            let mut contexts = Vec::with_capacity(streams.len());
            let mut sockets = Vec::with_capacity(streams.len());
            for (conn, stream) in streams.into_iter().enumerate() {
                stream.set_nonblocking(true).expect("O_NONBLOCK");
                let socket = stream.try_clone().expect("dup a socket");
                // Registered disarmed: `arm` enables it when needed.
                epoll::add(
                    &epoll,
                    &socket,
                    epoll::EventData::new_u64(conn as u64),
                    epoll::EventFlags::ONESHOT,
                )
                .expect("epoll_ctl(EPOLL_CTL_ADD)");
                contexts.push(WriteContext::new(stream));
                sockets.push(socket);
            }
            let shared = Arc::new(Shared {
                contexts,
                sockets,
                epoll,
                stop,
            });
            let alarm = Alarm {
                tx: alarm.clone(),
                who: "the handoff event loop".into(),
            };
            let event_loop = {
                let shared = Arc::clone(&shared);
                thread::Builder::new()
                    .name("event-loop".into())
                    .spawn(move || event_loop(&shared, alarm))
                    .expect("spawn the event loop")
            };
            HandoffServer { shared, event_loop }
        }

        fn batch(&self, _: usize) {}

        fn deliver(
            &self,
            _: &mut (),
            conn: usize,
            mut frame: Frame,
            droppable: bool,
            retries: &mut u64,
        ) -> bool {
            let ctx = &self.shared.contexts[conn];
            let mut since: Option<Instant> = None;
            loop {
                match ctx.submit(frame) {
                    Ok(Status::Written | Status::Queued) => return true,
                    Ok(Status::WantsWritable) => {
                        self.shared.arm(conn);
                        return true;
                    }
                    Ok(Status::Failed) => {
                        panic!("handoff: connection {conn} failed: {:?}", ctx.error())
                    }
                    Err(SubmitError::Full(back)) => {
                        if droppable {
                            return false;
                        }
                        *retries += 1;
                        let since = *since.get_or_insert_with(Instant::now);
                        assert!(
                            since.elapsed() < STALL_LIMIT,
                            "handoff: connection {conn} stayed full for {STALL_LIMIT:?}"
                        );
                        frame = back;
                        thread::yield_now();
                    }
                    Err(err @ SubmitError::Closed { .. }) => {
                        panic!("handoff: connection {conn}: {err}")
                    }
                }
            }
        }

        fn finish(self) -> Option<Writes> {
            let shared = &self.shared;
            let started = Instant::now();
            while shared.contexts.iter().any(|c| c.pending_bytes() != 0) {
                if self.event_loop.is_finished() {
                    join(self.event_loop);
                    panic!("handoff: the event loop ended early");
                }
                assert!(
                    started.elapsed() < STALL_LIMIT,
                    "handoff: frames left unwritten for {STALL_LIMIT:?}"
                );
                thread::sleep(Duration::from_micros(200));
            }
            rustix::io::write(&shared.stop, &1u64.to_ne_bytes()).expect("write the eventfd");
            let wakeups = join(self.event_loop);
            let mut writes = Writes {
                wakeups,
                ..Writes::default()
            };
            for (conn, (ctx, socket)) in shared.contexts.iter().zip(&shared.sockets).enumerate() {
                assert!(!ctx.is_closed(), "handoff: connection {conn} closed");
                let s = ctx.stats();
                writes.frames += s.frames;
                writes.writes += s.writes;
                writes.would_blocks += s.would_blocks;
                socket.shutdown(Shutdown::Write).expect("shutdown");
            }
            Some(writes)
        }
    }

    // handoff::write, batched: feed each reply, flush each connection at the
    // end of the batch.

    struct HandoffBatched(HandoffServer);

    impl Server for HandoffBatched {
        const BATCHED: bool = true;
        /// Whether the batch fed connection `conn` since it was last
        /// flushed.
        type Batch = Vec<bool>;

        fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self {
            HandoffBatched(HandoffServer::start(streams, alarm))
        }

        fn batch(&self, conns: usize) -> Vec<bool> {
            vec![false; conns]
        }

        fn deliver(
            &self,
            fed: &mut Vec<bool>,
            conn: usize,
            mut frame: Frame,
            droppable: bool,
            retries: &mut u64,
        ) -> bool {
            let shared = &self.0.shared;
            let ctx = &shared.contexts[conn];
            let mut since: Option<Instant> = None;
            loop {
                match ctx.feed(frame) {
                    Ok(()) => {
                        fed[conn] = true;
                        return true;
                    }
                    Err(SubmitError::Full(back)) => {
                        // Write what is queued (this batch's replies
                        // included) before retrying or dropping.
                        shared.flush(conn);
                        fed[conn] = false;
                        if droppable {
                            return false;
                        }
                        *retries += 1;
                        let since = *since.get_or_insert_with(Instant::now);
                        assert!(
                            since.elapsed() < STALL_LIMIT,
                            "handoff batched: connection {conn} stayed full for {STALL_LIMIT:?}"
                        );
                        frame = back;
                        thread::yield_now();
                    }
                    Err(err @ SubmitError::Closed { .. }) => {
                        panic!("handoff batched: connection {conn}: {err}")
                    }
                }
            }
        }

        fn end_batch(&self, fed: &mut Vec<bool>, report: &mut WorkerReport) {
            for (conn, fed) in fed.iter_mut().enumerate() {
                if std::mem::take(fed) {
                    let started = Instant::now();
                    self.0.shared.flush(conn);
                    report.record(conn == FAST, started.elapsed());
                }
            }
        }

        fn finish(self) -> Option<Writes> {
            self.0.finish()
        }
    }

    // Writer thread per connection, crossbeam-channel.

    struct ChannelServer {
        senders: Vec<Sender<Frame>>,
        writers: Vec<JoinHandle<()>>,
    }

    fn channel_writer(conn: usize, mut stream: TcpStream, rx: &Receiver<Frame>, _alarm: Alarm) {
        let mut buf = Vec::with_capacity(CHANNEL_CAPACITY * FRAME);
        while let Ok(frame) = rx.recv() {
            buf.clear();
            buf.extend_from_slice(&frame);
            while buf.len() < buf.capacity() {
                match rx.try_recv() {
                    Ok(frame) => buf.extend_from_slice(&frame),
                    Err(_) => break,
                }
            }
            stream
                .write_all(&buf)
                .unwrap_or_else(|e| panic!("crossbeam: connection {conn}: write: {e}"));
        }
        // Every sender is gone and everything is written: dropping the
        // stream closes the connection.
    }

    impl Server for ChannelServer {
        type Batch = ();

        fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self {
            let mut senders = Vec::with_capacity(streams.len());
            let mut writers = Vec::with_capacity(streams.len());
            for (conn, stream) in streams.into_iter().enumerate() {
                let (tx, rx) = crossbeam_channel::bounded(CHANNEL_CAPACITY);
                let alarm = Alarm {
                    tx: alarm.clone(),
                    who: format!("crossbeam writer {conn}"),
                };
                writers.push(
                    thread::Builder::new()
                        .name(format!("writer-{conn}"))
                        .spawn(move || channel_writer(conn, stream, &rx, alarm))
                        .expect("spawn a writer thread"),
                );
                senders.push(tx);
            }
            ChannelServer { senders, writers }
        }

        fn batch(&self, _: usize) {}

        fn deliver(&self, _: &mut (), conn: usize, frame: Frame, _: bool, _: &mut u64) -> bool {
            self.senders[conn]
                .send(frame)
                .expect("crossbeam: the writer thread is gone");
            true
        }

        fn finish(self) -> Option<Writes> {
            drop(self.senders);
            for writer in self.writers {
                join(writer);
            }
            None
        }
    }

    // Mutex<TcpStream> per connection.

    struct MutexServer(Vec<Mutex<TcpStream>>);

    impl Server for MutexServer {
        type Batch = ();

        fn start(streams: Vec<TcpStream>, _: &Sender<Note>) -> Self {
            MutexServer(streams.into_iter().map(Mutex::new).collect())
        }

        fn batch(&self, _: usize) {}

        fn deliver(&self, _: &mut (), conn: usize, frame: Frame, _: bool, _: &mut u64) -> bool {
            let mut stream = self.0[conn].lock().expect("mutex: poisoned");
            stream
                .write_all(&frame)
                .unwrap_or_else(|e| panic!("mutex: connection {conn}: write: {e}"));
            true
        }

        fn finish(self) -> Option<Writes> {
            drop(self); // closes every connection; everything is written
            None
        }
    }

    // Mutex<TcpStream> per connection, batched: one lock and one write_all
    // per connection and batch.

    struct MutexBatched(MutexServer);

    impl Server for MutexBatched {
        const BATCHED: bool = true;
        /// This batch's replies for each connection, concatenated.
        type Batch = Vec<Vec<u8>>;

        fn start(streams: Vec<TcpStream>, alarm: &Sender<Note>) -> Self {
            MutexBatched(MutexServer::start(streams, alarm))
        }

        fn batch(&self, conns: usize) -> Vec<Vec<u8>> {
            vec![Vec::new(); conns]
        }

        fn deliver(
            &self,
            batch: &mut Vec<Vec<u8>>,
            conn: usize,
            frame: Frame,
            _: bool,
            _: &mut u64,
        ) -> bool {
            batch[conn].extend_from_slice(&frame);
            true
        }

        fn end_batch(&self, batch: &mut Vec<Vec<u8>>, report: &mut WorkerReport) {
            for (conn, buf) in batch.iter_mut().enumerate() {
                if buf.is_empty() {
                    continue;
                }
                let started = Instant::now();
                self.0 .0[conn]
                    .lock()
                    .expect("mutex: poisoned")
                    .write_all(buf)
                    .unwrap_or_else(|e| panic!("mutex batched: connection {conn}: write: {e}"));
                report.record(conn == FAST, started.elapsed());
                buf.clear();
            }
        }

        fn finish(self) -> Option<Writes> {
            self.0.finish()
        }
    }

    // ---------------------------------------------------------------------
    // Workers and one measurement.

    #[derive(Default)]
    struct WorkerReport {
        /// Frames accepted per connection.
        accepted: Vec<u64>,
        refused: u64,
        retries: u64,
        /// Time inside `deliver`, ns: the longest call, and the longest and
        /// total of the calls to the slow client.
        max_call_ns: u64,
        slow_calls_ns: u64,
        max_slow_call_ns: u64,
        /// Voluntary context switches during the run.
        sleeps: u64,
    }

    impl WorkerReport {
        /// Counts a call that took `took`, to the slow client if `slow`.
        fn record(&mut self, slow: bool, took: Duration) {
            let ns = took.as_nanos() as u64;
            self.max_call_ns = self.max_call_ns.max(ns);
            if slow {
                self.slow_calls_ns += ns;
                self.max_slow_call_ns = self.max_slow_call_ns.max(ns);
            }
        }
    }

    fn run_worker<S: Server>(w: usize, plan: Plan, server: &S, base: Instant) -> WorkerReport {
        let fast = plan.fast_frames / WORKERS as u64;
        let slow = plan.slow_frames / WORKERS as u64;
        let total = fast + slow;
        let mut r = WorkerReport {
            accepted: vec![0; plan.conns()],
            ..WorkerReport::default()
        };
        let mut batch = server.batch(plan.conns());
        let sleeps = voluntary_switches();
        let mut now = Instant::now();
        let (mut fast_sent, mut slow_sent) = (0u64, 0u64);
        for j in 0..total {
            // Every fifth reply, until this worker's share is sent (which
            // `Plan::new` makes possible).
            let to_slow = slow_sent < slow && j % SLOW_EVERY == SLOW_EVERY - 1;
            slow_sent += u64::from(to_slow);
            let conn = if to_slow {
                FAST
            } else {
                fast_sent += 1;
                ((fast_sent - 1 + w as u64) % FAST as u64) as usize
            };
            let stamp = (now - base).as_nanos() as u64;
            let frame = encode(r.accepted[conn], stamp, w, conn);
            let accepted = server.deliver(&mut batch, conn, frame, to_slow, &mut r.retries);
            let after = Instant::now();
            r.record(to_slow, after - now);
            if accepted {
                r.accepted[conn] += 1;
            } else {
                r.refused += 1;
            }
            now = after;
            if S::BATCHED && ((j + 1) % plan.batch == 0 || j + 1 == total) {
                server.end_batch(&mut batch, &mut r);
                now = Instant::now();
            }
        }
        r.sleeps = voluntary_switches() - sleeps;
        r
    }

    /// One measurement of one design.
    struct Sample {
        /// Workers' start to the last fast client's last frame.
        fast_secs: f64,
        fast_frames: u64,
        fast_latencies: Vec<u64>,
        slow_latencies: Vec<u64>,
        slow_delivered: u64,
        slow_refused: u64,
        retries: u64,
        max_call_ns: u64,
        max_slow_call_ns: u64,
        slow_calls_ns: u64,
        sleeps: u64,
        writes: Option<Writes>,
    }

    fn measure<S: Server>(name: &'static str, plan: Plan, sndbuf: usize) -> Sample {
        let (clients, servers) = connect(plan.conns(), sndbuf);
        let base = Instant::now();
        let drain = Arc::new(AtomicBool::new(false));
        let (notes_tx, notes) = crossbeam_channel::unbounded();
        let alarm = |who: String| Alarm {
            tx: notes_tx.clone(),
            who,
        };
        let readers: Vec<JoinHandle<ClientReport>> = clients
            .into_iter()
            .enumerate()
            .map(|(conn, stream)| {
                let role = ClientRole {
                    name,
                    conn,
                    slow: conn == FAST,
                    expected: plan.fast_per_conn(),
                    base,
                    drain: Arc::clone(&drain),
                    alarm: alarm(format!("{name}: client {conn}")),
                };
                thread::Builder::new()
                    .name(format!("client-{conn}"))
                    .spawn(move || run_client(stream, role))
                    .expect("spawn a client")
            })
            .collect();
        let server = Arc::new(S::start(servers, &notes_tx));
        let gate = Arc::new(Barrier::new(WORKERS + 1));
        let workers: Vec<JoinHandle<WorkerReport>> = (0..WORKERS)
            .map(|w| {
                let (server, gate) = (Arc::clone(&server), Arc::clone(&gate));
                let alarm = alarm(format!("{name}: worker {w}"));
                thread::Builder::new()
                    .name(format!("worker-{w}"))
                    .spawn(move || {
                        let _alarm = alarm;
                        gate.wait();
                        run_worker(w, plan, &*server, base)
                    })
                    .expect("spawn a worker")
            })
            .collect();
        drop(notes_tx);
        gate.wait();
        let start = Instant::now();

        let mut last = start;
        let mut done = 0;
        while done < FAST {
            match notes.recv_timeout(STALL_LIMIT) {
                Ok(Note::FastDone(at)) => {
                    done += 1;
                    last = last.max(at);
                }
                Ok(Note::Panicked(who)) => panic!("{who} panicked (its message is above)"),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{name}: the fast clients were not done after {STALL_LIMIT:?}")
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("{name}: every thread ended before the fast clients were done")
                }
            }
        }
        let fast_secs = (last - start).as_secs_f64();
        let reports: Vec<WorkerReport> = workers.into_iter().map(join).collect();
        drain.store(true, Ordering::Release);
        let Ok(server) = Arc::try_unwrap(server) else {
            unreachable!("the workers are gone")
        };
        let writes = server.finish();
        let clients: Vec<ClientReport> = readers.into_iter().map(join).collect();

        // Every client got exactly what was accepted for it, and each fast
        // client all of its frames.
        for (conn, client) in clients.iter().enumerate() {
            for (w, report) in reports.iter().enumerate() {
                assert_eq!(
                    client.per_worker[w], report.accepted[conn],
                    "{name}: connection {conn} got {} frames of worker {w}, which had {} accepted",
                    client.per_worker[w], report.accepted[conn]
                );
            }
        }
        for (conn, client) in clients.iter().enumerate().take(FAST) {
            let got: u64 = client.per_worker.iter().sum();
            assert_eq!(
                got,
                plan.fast_per_conn(),
                "{name}: fast connection {conn} got {got} frames"
            );
        }
        let slow_delivered: u64 = clients.get(FAST).map_or(0, |c| c.per_worker.iter().sum());
        let slow_refused: u64 = reports.iter().map(|r| r.refused).sum();
        assert_eq!(slow_delivered + slow_refused, plan.slow_frames);
        if let Some(w) = writes {
            assert_eq!(w.frames, plan.fast_frames + slow_delivered);
        }

        let sum = |f: fn(&WorkerReport) -> u64| reports.iter().map(f).sum::<u64>();
        let max = |f: fn(&WorkerReport) -> u64| reports.iter().map(f).max().unwrap_or(0);
        Sample {
            fast_secs,
            fast_frames: plan.fast_frames,
            fast_latencies: clients
                .iter()
                .take(FAST)
                .flat_map(|c| c.latencies.iter().copied())
                .collect(),
            slow_latencies: clients
                .get(FAST)
                .map_or_else(Vec::new, |c| c.latencies.clone()),
            slow_delivered,
            slow_refused,
            retries: sum(|r| r.retries),
            max_call_ns: max(|r| r.max_call_ns),
            max_slow_call_ns: max(|r| r.max_slow_call_ns),
            slow_calls_ns: sum(|r| r.slow_calls_ns),
            sleeps: sum(|r| r.sleeps),
            writes,
        }
    }

    // ---------------------------------------------------------------------
    // The run and the tables.

    /// The designs, in table order.
    const NAMES: [&str; DESIGNS] = [
        "handoff::write (submit)",
        "handoff::write, batched (feed + flush)",
        "writer thread + crossbeam-channel",
        "Mutex<TcpStream>",
        "Mutex<TcpStream>, batched",
    ];
    const DESIGNS: usize = 5;
    const HANDOFF: usize = 0;
    const HANDOFF_BATCHED: usize = 1;
    /// The peers of per-reply `handoff`: the writer thread and the `Mutex`
    /// per reply.
    const PER_REPLY_PEERS: [usize; 2] = [2, 3];
    /// Every peer: those and the batched `Mutex`.
    const ALL_PEERS: [usize; 3] = [2, 3, 4];

    fn is_handoff(design: usize) -> bool {
        design == HANDOFF || design == HANDOFF_BATCHED
    }

    fn run(design: usize, plan: Plan, sndbuf: usize) -> Sample {
        let name = NAMES[design];
        match design {
            HANDOFF => measure::<HandoffServer>(name, plan, sndbuf),
            HANDOFF_BATCHED => measure::<HandoffBatched>(name, plan, sndbuf),
            2 => measure::<ChannelServer>(name, plan, sndbuf),
            3 => measure::<MutexServer>(name, plan, sndbuf),
            _ => measure::<MutexBatched>(name, plan, sndbuf),
        }
    }

    fn rps(s: &Sample) -> f64 {
        s.fast_frames as f64 / s.fast_secs
    }

    /// Median and p99 of the latencies of all rounds, in ns.
    fn latency(samples: &[Sample], field: fn(&Sample) -> &Vec<u64>) -> (f64, f64) {
        let mut all: Vec<f64> = samples
            .iter()
            .flat_map(|s| field(s).iter().map(|&ns| ns as f64))
            .collect();
        if all.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        all.sort_by(f64::total_cmp);
        (percentile(&all, 0.5), percentile(&all, 0.99))
    }

    /// Each design's replies/s over the best of `peers` (the one with the
    /// highest median): of the medians, and paired (per round, then the
    /// median); and which peer that is.
    fn versus_best_peer(samples: &[Vec<Sample>], peers: &[usize]) -> (Vec<(f64, f64)>, usize) {
        let best = peers
            .iter()
            .copied()
            .max_by(|&a, &b| med(&samples[a], rps).total_cmp(&med(&samples[b], rps)))
            .expect("at least one peer");
        let ratios = samples
            .iter()
            .map(|s| {
                let ratio = med(s, rps) / med(&samples[best], rps);
                let per_round: Vec<f64> = s
                    .iter()
                    .zip(&samples[best])
                    .map(|(a, b)| rps(a) / rps(b))
                    .collect();
                (ratio, median(&per_round))
            })
            .collect();
        (ratios, best)
    }

    /// `handoff`'s `writev` calls per frame, would-blocks and `on_writable`
    /// calls per round, or dashes.
    fn handoff_columns(samples: &[Sample]) -> (String, String, String) {
        if samples[0].writes.is_none() {
            return ("–".into(), "–".into(), "–".into());
        }
        let w = |s: &Sample| s.writes.unwrap_or_default();
        (
            format!(
                "{:.3}",
                med(samples, |s| w(s).writes as f64 / w(s).frames as f64)
            ),
            format!("{:.0}", med(samples, |s| w(s).would_blocks as f64)),
            format!("{:.0}", med(samples, |s| w(s).wakeups as f64)),
        )
    }

    pub fn main() {
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
            if sndbuf > 0 {
                format!("{sndbuf}")
            } else {
                "autotuned".into()
            },
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
        let mut samples: [[Vec<Sample>; DESIGNS]; 2] = Default::default();
        for round in 0..rounds {
            for (scenario, plan) in [fast_only, with_slow].into_iter().enumerate() {
                // Rotate the order, so that no design always runs right
                // after the same other one.
                for k in 0..NAMES.len() {
                    let design = (round + k) % NAMES.len();
                    samples[scenario][design].push(run(design, plan, sndbuf));
                }
            }
            if !quick {
                super::harness::progress(round, rounds, started);
            }
        }
        if !quick {
            eprintln!();
        }
        let [fast_samples, slow_samples] = &samples;

        println!(
            "\n### Fast clients only: {FAST} connections, {} replies of {FRAME} bytes from \
             {WORKERS} workers\n",
            fast_only.fast_frames
        );
        println!(
            "| implementation | replies/s | vs best peer | paired | latency median µs | p99 µs | \
             worker sleeps/round | longest call µs | \
             Full retries/round | writev/frame | would-blocks/round | on_writable/round |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let (fast_vs, _) = versus_best_peer(fast_samples, &ALL_PEERS);
        for (design, s) in fast_samples.iter().enumerate() {
            let (lat50, lat99) = latency(s, |s| &s.fast_latencies);
            let (writev, would_blocks, wakeups) = handoff_columns(s);
            println!(
                "| {} | {:.2} M | {:.2}× | {:.2}× | {:.1} | {:.1} | {:.0} | {:.0} | {} | \
                 {writev} | {would_blocks} | {wakeups} |",
                NAMES[design],
                med(s, rps) / 1e6,
                fast_vs[design].0,
                fast_vs[design].1,
                lat50 / 1e3,
                lat99 / 1e3,
                med(s, |s| s.sleeps as f64),
                med(s, |s| s.max_call_ns as f64) / 1e3,
                if is_handoff(design) {
                    format!("{:.0}", med(s, |s| s.retries as f64))
                } else {
                    "–".into()
                },
            );
        }

        println!(
            "\n### Fast clients + one slow client: the fast clients ({} replies, and {} to a \
             client reading {} KiB every {SLOW_PAUSE:?})\n",
            with_slow.fast_frames,
            with_slow.slow_frames,
            SLOW_READ >> 10
        );
        println!(
            "| implementation | fast replies/s | vs best peer | paired | latency median µs | \
             p99 µs | Full retries/round | writev/frame | would-blocks/round | on_writable/round |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let (slow_vs, _) = versus_best_peer(slow_samples, &ALL_PEERS);
        for (design, s) in slow_samples.iter().enumerate() {
            let (lat50, lat99) = latency(s, |s| &s.fast_latencies);
            let (writev, would_blocks, wakeups) = handoff_columns(s);
            println!(
                "| {} | {:.2} M | {:.2}× | {:.2}× | {:.1} | {:.1} | {} | {writev} | \
                 {would_blocks} | {wakeups} |",
                NAMES[design],
                med(s, rps) / 1e6,
                slow_vs[design].0,
                slow_vs[design].1,
                lat50 / 1e3,
                lat99 / 1e3,
                if is_handoff(design) {
                    format!("{:.0}", med(s, |s| s.retries as f64))
                } else {
                    "–".into()
                },
            );
        }

        println!("\n### Fast clients + one slow client: the workers and the slow client\n");
        println!(
            "| implementation | worker sleeps/round | longest call to the slow client, ms \
             (median round / worst round) | time in calls to the slow client, ms/round | \
             longest call of any kind, ms | slow client: delivered/round | refused/round | \
             slow latency median ms | p99 ms |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (design, s) in slow_samples.iter().enumerate() {
            let (lat50, lat99) = latency(s, |s| &s.slow_latencies);
            let worst = s.iter().map(|s| s.max_slow_call_ns).max().unwrap_or(0);
            println!(
                "| {} | {:.0} | {:.3} / {:.3} | {:.1} | {:.3} | {:.0} | {:.0} | {:.1} | {:.1} |",
                NAMES[design],
                med(s, |s| s.sleeps as f64),
                med(s, |s| s.max_slow_call_ns as f64) / 1e6,
                worst as f64 / 1e6,
                med(s, |s| s.slow_calls_ns as f64) / 1e6,
                med(s, |s| s.max_call_ns as f64) / 1e6,
                med(s, |s| s.slow_delivered as f64),
                med(s, |s| s.slow_refused as f64),
                lat50 / 1e6,
                lat99 / 1e6,
            );
        }

        println!("\n### Goals\n");
        println!("| goal | measured | met |");
        println!("|---|---:|:-:|");
        for (scenario, samples) in [
            ("fast clients only", fast_samples),
            ("with a slow client", slow_samples),
        ] {
            for (design, peers, against) in [
                (
                    HANDOFF,
                    &PER_REPLY_PEERS[..],
                    "the better of the writer thread and the Mutex",
                ),
                (
                    HANDOFF_BATCHED,
                    &ALL_PEERS[..],
                    "the best of the writer thread, the Mutex and the batched Mutex",
                ),
            ] {
                let (vs, best) = versus_best_peer(samples, peers);
                let paired = vs[design].1;
                println!(
                    "| {scenario}, {}: fast clients' replies/s ≥ {against} (paired) | {paired:.2}× \
                     (vs {}) | {} |",
                    NAMES[design],
                    NAMES[best],
                    yes_no(paired >= 1.0)
                );
            }
        }
        for design in [HANDOFF, HANDOFF_BATCHED] {
            let sleeps: u64 = slow_samples[design].iter().map(|s| s.sleeps).sum();
            let longest = med(&slow_samples[design], |s| s.max_slow_call_ns as f64);
            println!(
                "| with a slow client, {}: workers never slept in the kernel (all rounds) | \
                 {sleeps} sleeps | {} |",
                NAMES[design],
                yes_no(sleeps == 0)
            );
            println!(
                "| with a slow client, {}: longest call to it shorter than its {SLOW_PAUSE:?} \
                 pause (median round) | {:.3} ms | {} |",
                NAMES[design],
                longest / 1e6,
                yes_no(longest < SLOW_PAUSE.as_nanos() as f64)
            );
        }

        println!(
            "\n{rounds} round(s), implementations interleaved within each round (the order \
             rotating between rounds); medians over rounds, latency percentiles over the samples \
             of all rounds (every {FAST_SAMPLE_EVERY}th frame of a fast client, every \
             {SLOW_SAMPLE_EVERY}th of the slow client while it reads slowly). Replies/s: frames \
             to the fast clients over the time from the workers' start to the last one's \
             arrival; the workers produce as fast as the write side takes replies, so latency is \
             the time a reply waits in queues and socket buffers at saturation (in the batched \
             designs, from its production, so the wait for the end of its batch of {batch} \
             included). \"vs best peer\": over the peer (writer thread, Mutex or batched Mutex) \
             with the best median, of the medians and paired (per round, then the median). \
             \"worker sleeps\": voluntary context switches of the {WORKERS} worker \
             threads (blocked in the kernel: a full socket, a full channel, a contended mutex; \
             yields and preemptions are not counted). \"longest call\" and \"time in calls\": \
             one submit / send / lock + write_all, or in the batched designs one feed / append \
             or one connection's end-of-batch flush / lock + write_all, as the workers timed it \
             (for handoff, including its Full retries; a preemption inside a call counts too). \
             \"Full retries\": handoff submits (feeds) to a fast client refused and retried \
             after a yield; replies to the slow client are dropped when refused instead. \"writev/frame\" and \
             \"would-blocks\": handoff's WriteStats (write_vectored calls, all connections); \
             \"on_writable\": the event loop's calls, one per EPOLLOUT reported. The \
             slow client's SO_RCVBUF is {SLOW_RCVBUF} and the server sockets' SO_SNDBUF {}, so \
             a peer blocks once the slow client is a few hundred KiB behind.",
            if sndbuf > 0 {
                format!("{sndbuf}")
            } else {
                "autotuned".into()
            },
        );
        super::harness::proc::report_other_load(
            cpu_before,
            "clients, workers and writers want every core",
        );
    }
}
