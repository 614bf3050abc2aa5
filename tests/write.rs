//! Write contexts: every frame written whole and once, each thread's in
//! order, resumed at the exact byte after a stall; back-pressure and
//! failures hand frames back or keep them; every frame dropped exactly
//! once; and over real TCP a slow reader holds up nobody else.

#![cfg(not(loom))]

mod common;

use std::collections::HashMap;
use std::io::{self, IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{scaled, Drops, Tracked};
use handoff::write::{Status, SubmitError, WriteConfig, WriteContext};
use handoff::CapacityError;

/// Long enough for anything that should happen, short enough that a hang
/// fails the test instead of the CI job.
const PATIENCE: Duration = Duration::from_secs(60);

/// A frame whose drops are counted.
#[derive(Debug)]
struct Frame {
    bytes: Vec<u8>,
    _tracked: Tracked,
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Frame `seq` of thread `thread`: a header (thread, seq, payload length)
/// and a payload only this frame has, so that a frame cut, repeated or
/// interleaved with another does not parse.
fn encode(thread: u8, seq: u32) -> Vec<u8> {
    let len = (seq % 23) as u8 * 3 + 1;
    let mut v = vec![thread];
    v.extend_from_slice(&seq.to_le_bytes());
    v.push(len);
    v.extend((0..len).map(|k| thread ^ (seq as u8).wrapping_add(k)));
    v
}

/// Parses a stream of frames; checks each is whole and each thread's
/// sequence numbers are 0, 1, 2, … Returns how many frames each thread has.
fn parse(mut bytes: &[u8]) -> HashMap<u8, u32> {
    let mut next: HashMap<u8, u32> = HashMap::new();
    while !bytes.is_empty() {
        assert!(
            bytes.len() >= 6,
            "a frame cut short: {} bytes left",
            bytes.len()
        );
        let thread = bytes[0];
        let seq = u32::from_le_bytes(bytes[1..5].try_into().unwrap());
        let frame = encode(thread, seq);
        assert!(
            bytes.starts_with(&frame),
            "frame {seq} of thread {thread} is not whole (interleaved or cut)"
        );
        let expected = next.entry(thread).or_default();
        assert_eq!(seq, *expected, "thread {thread}'s frames out of order");
        *expected += 1;
        bytes = &bytes[frame.len()..];
    }
    next
}

/// A writer that takes a pseudo-random number of bytes each call and, one
/// call in `stall`, would block (never twice in a row), or fails for good
/// after `fail_after` calls.
struct Flaky {
    out: Arc<Mutex<Vec<u8>>>,
    calls: u64,
    stall: u64,
    fail_after: u64,
    last_blocked: bool,
}

impl Flaky {
    fn new(out: &Arc<Mutex<Vec<u8>>>, stall: u64, fail_after: u64) -> Self {
        Self {
            out: Arc::clone(out),
            calls: 0,
            stall,
            fail_after,
            last_blocked: false,
        }
    }
}

impl Write for Flaky {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls > self.fail_after {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let hash = self.calls.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        if !self.last_blocked && hash % self.stall == 0 {
            self.last_blocked = true;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.last_blocked = false;
        let mut room = (hash % 97 + 1) as usize;
        let mut out = self.out.lock().unwrap();
        let mut n = 0;
        for buf in bufs {
            let take = buf.len().min(room);
            out.extend_from_slice(&buf[..take]);
            room -= take;
            n += take;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether `bytes` are whole frames only.
fn parses(bytes: &[u8]) -> bool {
    std::panic::catch_unwind(|| parse(bytes)).is_ok()
}

/// What the submitters saw.
#[derive(Default)]
struct Outcomes {
    statuses: HashMap<&'static str, usize>,
    /// Frames handed back (thread, seq).
    refused: Vec<(u8, u32)>,
}

/// `threads` submitters of `per_thread` frames each and an "event loop"
/// that calls `on_writable` whenever the context waits for it. A submitter
/// told `Full` retries the same frame (so order holds); one told `Closed`
/// stops.
fn hammer(
    ctx: &Arc<WriteContext<Flaky, Frame>>,
    drops: &Drops,
    threads: u8,
    per_thread: u32,
) -> Outcomes {
    let done = Arc::new(AtomicUsize::new(0));
    let event_loop = {
        let ctx = Arc::clone(ctx);
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let start = Instant::now();
            let mut seen = Outcomes::default();
            loop {
                let finished = done.load(Ordering::SeqCst) == usize::from(threads);
                if ctx.wants_writable() {
                    *seen.statuses.entry(name(ctx.on_writable())).or_default() += 1;
                } else if finished {
                    break seen;
                }
                assert!(start.elapsed() < PATIENCE, "the event loop never finished");
                thread::yield_now();
            }
        })
    };
    let submitters: Vec<_> = (0..threads)
        .map(|t| {
            let ctx = Arc::clone(ctx);
            let drops = drops.clone();
            let done = Arc::clone(&done);
            thread::spawn(move || {
                let mut seen = Outcomes::default();
                'frames: for seq in 0..per_thread {
                    let mut frame = Frame {
                        bytes: encode(t, seq),
                        _tracked: drops.item(u64::from(t) << 32 | u64::from(seq)),
                    };
                    let start = Instant::now();
                    loop {
                        match ctx.submit(frame) {
                            Ok(status) => {
                                *seen.statuses.entry(name(status)).or_default() += 1;
                                break;
                            }
                            Err(SubmitError::Full(back) | SubmitError::QueueFull(back)) => {
                                assert!(start.elapsed() < PATIENCE, "full for good");
                                frame = back;
                                thread::yield_now();
                            }
                            Err(SubmitError::Closed { frame: back, .. }) => {
                                assert_eq!(back.bytes, encode(t, seq));
                                seen.refused.push((t, seq));
                                break 'frames;
                            }
                        }
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
                seen
            })
        })
        .collect();
    let mut all = Outcomes::default();
    let mut seen_by = submitters
        .into_iter()
        .map(|s| s.join().unwrap())
        .collect::<Vec<_>>();
    seen_by.push(event_loop.join().unwrap());
    for seen in seen_by {
        for (k, v) in seen.statuses {
            *all.statuses.entry(k).or_default() += v;
        }
        all.refused.extend(seen.refused);
    }
    all
}

fn name(status: Status) -> &'static str {
    match status {
        Status::Written => "written",
        Status::Queued => "queued",
        Status::WantsWritable => "wants_writable",
        Status::Failed => "failed",
    }
}

/// Many threads, a writer that writes in pieces and stalls: every frame
/// arrives whole, once, in its thread's order; every frame is dropped once.
#[test]
fn every_frame_whole_once_in_order() {
    let threads = 4u8;
    let per_thread = scaled(20_000, 60) as u32;
    let out = Arc::new(Mutex::new(Vec::new()));
    let drops = Drops::new();
    let config = WriteConfig::new()
        .queue_capacity(16)
        .max_pending_bytes(2048);
    let ctx = Arc::new(WriteContext::with_config(Flaky::new(&out, 5, u64::MAX), config).unwrap());
    let seen = hammer(&ctx, &drops, threads, per_thread);
    assert!(seen.refused.is_empty());
    assert_eq!(ctx.pending_bytes(), 0);
    assert!(!ctx.wants_writable());
    let counts = parse(&out.lock().unwrap());
    for t in 0..threads {
        assert_eq!(counts.get(&t).copied(), Some(per_thread), "thread {t}");
    }
    let stats = ctx.stats();
    assert_eq!(stats.frames, u64::from(threads) * u64::from(per_thread));
    assert_eq!(stats.bytes, out.lock().unwrap().len() as u64);
    assert!(
        stats.would_blocks > 0,
        "the writer never stalled: {stats:?}"
    );
    drop(ctx);
    assert_eq!(drops.alive(), 0);
    assert_eq!(drops.dropped(), drops.made());
}

/// The writer fails while threads submit: every frame is written once,
/// handed back, or kept for `take_unsent`; none is lost or doubled.
#[test]
fn failure_loses_nothing() {
    let threads = 3u8;
    let per_thread = scaled(5_000, 40) as u32;
    let out = Arc::new(Mutex::new(Vec::new()));
    let drops = Drops::new();
    let config = WriteConfig::new().queue_capacity(8);
    let fail_after = scaled(3_000, 20);
    let ctx = Arc::new(WriteContext::with_config(Flaky::new(&out, 7, fail_after), config).unwrap());
    let seen = hammer(&ctx, &drops, threads, per_thread);
    assert!(ctx.is_closed());
    assert_eq!(ctx.error().unwrap().kind(), io::ErrorKind::BrokenPipe);
    assert!(seen.statuses.get("failed").copied().unwrap_or(0) >= 1);

    let unsent = ctx.take_unsent();
    assert!(ctx.take_unsent().is_empty());
    assert_eq!(ctx.pending_bytes(), 0);
    // Whole frames were written, then perhaps the start of the first unsent one.
    let bytes = out.lock().unwrap().clone();
    let mut whole = bytes.len();
    if let Some(first) = unsent.first() {
        // The longest tail of the stream that is a start of the first
        // unsent frame (possibly empty) was cut short by the failure.
        whole = (bytes.len().saturating_sub(first.bytes.len() - 1)..=bytes.len())
            .find(|&end| first.bytes.starts_with(&bytes[end..]) && parses(&bytes[..end]))
            .expect("the written bytes end in whole frames or a cut unsent one");
    }
    let written = parse(&bytes[..whole]);
    let mut accounted: HashMap<u8, Vec<u32>> = HashMap::new();
    for t in 0..threads {
        accounted.insert(t, (0..written.get(&t).copied().unwrap_or(0)).collect());
    }
    for f in &unsent {
        let seq = u32::from_le_bytes(f.bytes[1..5].try_into().unwrap());
        accounted.entry(f.bytes[0]).or_default().push(seq);
    }
    for &(t, seq) in &seen.refused {
        accounted.entry(t).or_default().push(seq);
    }
    // Each thread's frames up to the one refused, each exactly once.
    for t in 0..threads {
        let mut seqs = accounted.remove(&t).unwrap_or_default();
        seqs.sort_unstable();
        let expected: Vec<u32> = (0..seqs.len() as u32).collect();
        assert_eq!(seqs, expected, "thread {t}: a frame lost or doubled");
        if let Some(&(_, last)) = seen.refused.iter().find(|(r, _)| *r == t) {
            assert_eq!(
                last as usize + 1,
                seqs.len(),
                "thread {t} stopped at its refused frame"
            );
        }
    }
    drop(unsent);
    drop(ctx);
    assert_eq!(drops.alive(), 0);
}

/// A stalled writer: the byte bound refuses frames (handing them back), a
/// single frame larger than the bound is still accepted when nothing
/// waits, and the queue bound refuses frames too.
#[test]
fn back_pressure_hands_frames_back() {
    struct Stalled(bool);
    impl Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 {
                Ok(buf.len())
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    let config = WriteConfig::new().max_pending_bytes(100).queue_capacity(64);
    let ctx = WriteContext::with_config(Stalled(false), config).unwrap();
    // Larger than the bound, nothing pending: accepted.
    assert_eq!(ctx.submit(vec![0; 150]), Ok(Status::WantsWritable));
    assert_eq!(ctx.pending_bytes(), 150);
    assert_eq!(ctx.submit(vec![1; 1]), Err(SubmitError::Full(vec![1])));
    assert_eq!(ctx.pending_bytes(), 150, "a refused frame leaves no trace");
    assert!(ctx.wants_writable());

    let ctx = WriteContext::with_config(Stalled(false), config).unwrap();
    assert_eq!(ctx.submit(vec![0; 60]), Ok(Status::WantsWritable));
    assert_eq!(ctx.submit(vec![1; 40]), Ok(Status::Queued));
    let err = ctx.submit(vec![2; 1]).unwrap_err();
    assert!(matches!(err, SubmitError::Full(_)));
    assert_eq!(err.into_frame(), [2]);

    // The queue's bound: 1 frame queued, 1 in the holder's batch.
    let config = WriteConfig::new().queue_capacity(1);
    let ctx = WriteContext::with_config(Stalled(false), config).unwrap();
    assert_eq!(ctx.submit(vec![0; 1]), Ok(Status::WantsWritable));
    assert_eq!(ctx.submit(vec![1; 1]), Ok(Status::Queued));
    assert_eq!(ctx.submit(vec![2; 1]), Err(SubmitError::QueueFull(vec![2])));
    assert!(ctx.submit(vec![3; 1]).unwrap_err().is_full());
}

/// Frames left inside a context (queued, in a batch, partly written) are
/// dropped exactly once with it.
#[test]
fn drop_with_frames_inside() {
    let drops = Drops::new();
    let out = Arc::new(Mutex::new(Vec::new()));
    {
        // Always would block after the first, partial write.
        let mut w = Flaky::new(&out, 1, u64::MAX);
        w.last_blocked = true;
        let ctx = WriteContext::with_config(w, WriteConfig::new().queue_capacity(4)).unwrap();
        for seq in 0..70 {
            let frame = Frame {
                bytes: encode(0, seq),
                _tracked: drops.item(u64::from(seq)),
            };
            let _ = ctx.submit(frame);
        }
        assert!(ctx.wants_writable());
        assert!(drops.alive() > 0);
    }
    assert_eq!(drops.alive(), 0);
    assert_eq!(drops.dropped(), drops.made());
}

/// A writer that panics closes the context (nobody is left holding it);
/// the panic reaches the caller, and later frames come back.
#[test]
fn a_panicking_writer_closes_the_context() {
    struct Panics;
    impl Write for Panics {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            panic!("writer bug");
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let ctx = WriteContext::new(Panics);
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ctx.submit(b"a".to_vec())));
    assert!(caught.is_err());
    assert!(ctx.is_closed());
    assert_eq!(ctx.on_writable(), Status::Failed);
    let err = ctx.submit(b"b".to_vec()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "write context is closed: the writer panicked while writing"
    );
    assert_eq!(err.into_frame(), b"b");
    assert_eq!(ctx.take_unsent(), [b"a".to_vec()]);
}

/// Empty frames, interruptions, `write` returning 0, and frame types other
/// than `Vec<u8>`.
#[test]
fn odd_frames_and_writers() {
    let ctx = WriteContext::new(Vec::new());
    assert_eq!(ctx.submit(Vec::new()), Ok(Status::Written));
    assert_eq!(ctx.stats().frames, 1);
    assert_eq!(ctx.stats().writes, 0, "nothing to write, no call");

    struct Zero;
    impl Write for Zero {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let ctx = WriteContext::new(Zero);
    assert_eq!(ctx.submit(b"x".to_vec()), Ok(Status::Failed));
    assert_eq!(ctx.error().unwrap().kind(), io::ErrorKind::WriteZero);

    struct InterruptOnce(bool, Vec<u8>);
    impl Write for InterruptOnce {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.0, false) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            self.1.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let ctx = WriteContext::new(InterruptOnce(true, Vec::new()));
    assert_eq!(ctx.submit(b"abc".to_vec()), Ok(Status::Written));
    assert_eq!(ctx.stats().writes, 2);

    let boxed: WriteContext<Vec<u8>, Box<[u8]>> = WriteContext::new(Vec::new());
    assert_eq!(boxed.submit(Box::from(&b"box"[..])), Ok(Status::Written));
    let shared: WriteContext<Vec<u8>, Arc<[u8]>> = WriteContext::new(Vec::new());
    assert_eq!(shared.submit(Arc::from(&b"arc"[..])), Ok(Status::Written));
    let fixed: WriteContext<Vec<u8>, &'static [u8]> = WriteContext::new(Vec::new());
    assert_eq!(fixed.submit(b"static"), Ok(Status::Written));
}

#[test]
fn bad_configurations_are_refused() {
    let zero =
        WriteContext::<_, Vec<u8>>::with_config(Vec::new(), WriteConfig::new().queue_capacity(0));
    assert_eq!(zero.unwrap_err(), CapacityError::Zero);
    let huge = WriteContext::<_, Vec<u8>>::with_config(
        Vec::new(),
        WriteConfig::new().queue_capacity(usize::MAX),
    );
    assert!(matches!(huge.unwrap_err(), CapacityError::TooLarge { .. }));
}

#[test]
fn contexts_are_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<WriteContext<TcpStream>>();
    both::<WriteContext<Vec<u8>, Arc<[u8]>>>();
}

/// Over TCP on 127.0.0.1: two workers submit frames to three connections,
/// one of which (with small socket buffers) is not read at all until the
/// other two have everything (the slowest reader there is), and then read
/// slowly. An event loop (`poll(2)`) resumes stalled contexts. The fast
/// connections get every byte, whole and in order, while the slow one is
/// stalled; no worker ever waits (a refused frame is kept by the worker and
/// retried after it has served the others); then the slow one gets every
/// byte too.
#[cfg(all(unix, not(miri)))]
#[test]
fn tcp_slow_reader_holds_up_nobody() {
    use std::os::fd::{AsRawFd, RawFd};

    const WORKERS: u8 = 2;
    const CONNS: usize = 3;
    const SLOW: usize = 0;
    let per_conn = 3_000u32; // frames per worker and connection, ~40 bytes each

    fn small_buffer(fd: RawFd, option: libc::c_int) {
        let size: libc::c_int = 4096;
        // SAFETY: `fd` is an open socket; the option value is a c_int of
        // the given length.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                option,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "setsockopt: {}", io::Error::last_os_error());
    }

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut clients = Vec::new();
    let mut contexts = Vec::new();
    let mut fds = Vec::new();
    for c in 0..CONNS {
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().unwrap();
        if c == SLOW {
            small_buffer(client.as_raw_fd(), libc::SO_RCVBUF);
            small_buffer(server.as_raw_fd(), libc::SO_SNDBUF);
        }
        server.set_nonblocking(true).unwrap();
        fds.push(server.as_raw_fd());
        clients.push(client);
        let config = WriteConfig::new().max_pending_bytes(16 << 10);
        contexts.push(Arc::new(WriteContext::with_config(server, config).unwrap()));
    }

    let fast_done = Arc::new(AtomicUsize::new(0));
    let expected_bytes: usize = (0..WORKERS)
        .flat_map(|w| (0..per_conn).map(move |s| encode(w, s).len()))
        .sum();
    let readers: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut client)| {
            let fast_done = Arc::clone(&fast_done);
            thread::spawn(move || {
                let start = Instant::now();
                if i == SLOW {
                    while fast_done.load(Ordering::SeqCst) < CONNS - 1 {
                        assert!(start.elapsed() < PATIENCE, "the fast connections starved");
                        thread::sleep(Duration::from_millis(1));
                    }
                }
                let mut got = Vec::with_capacity(expected_bytes);
                let mut buf = vec![0; if i == SLOW { 4096 } else { 64 << 10 }];
                while got.len() < expected_bytes {
                    assert!(start.elapsed() < PATIENCE, "connection {i} starved");
                    let n = client.read(&mut buf).unwrap();
                    assert!(n > 0, "connection {i} closed early");
                    got.extend_from_slice(&buf[..n]);
                    if i == SLOW {
                        thread::sleep(Duration::from_micros(200));
                    }
                }
                if i != SLOW {
                    fast_done.fetch_add(1, Ordering::SeqCst);
                }
                got
            })
        })
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let event_loop = {
        let contexts = contexts.clone();
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut resumed = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let mut polled: Vec<libc::pollfd> = Vec::new();
                let mut which = Vec::new();
                for (i, ctx) in contexts.iter().enumerate() {
                    if ctx.wants_writable() {
                        polled.push(libc::pollfd {
                            fd: fds[i],
                            events: libc::POLLOUT,
                            revents: 0,
                        });
                        which.push(i);
                    }
                }
                // SAFETY: `polled` is a valid array of `polled.len()` pollfds.
                let n = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, 1) };
                assert!(n >= 0, "poll failed: {}", io::Error::last_os_error());
                for (pfd, &i) in polled.iter().zip(&which) {
                    if pfd.revents != 0 {
                        let status = contexts[i].on_writable();
                        assert_ne!(status, Status::Failed);
                        resumed += 1;
                    }
                }
            }
            resumed
        })
    };

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let contexts = contexts.clone();
            thread::spawn(move || {
                let mut next = [0u32; CONNS];
                let mut held: [Option<Vec<u8>>; CONNS] = Default::default();
                let mut refused = 0u64;
                let start = Instant::now();
                while next.iter().any(|&n| n < per_conn) || held.iter().any(Option::is_some) {
                    assert!(start.elapsed() < PATIENCE, "worker {w} stuck");
                    for c in 0..CONNS {
                        let frame = match held[c].take() {
                            Some(frame) => frame,
                            None if next[c] < per_conn => {
                                next[c] += 1;
                                encode(w, next[c] - 1)
                            }
                            None => continue,
                        };
                        match contexts[c].submit(frame) {
                            Ok(status) => assert_ne!(status, Status::Failed),
                            Err(SubmitError::Full(back) | SubmitError::QueueFull(back)) => {
                                held[c] = Some(back);
                                refused += 1;
                            }
                            Err(e) => panic!("connection {c}: {e}"),
                        }
                    }
                    if held.iter().any(Option::is_some) {
                        thread::yield_now();
                    }
                }
                refused
            })
        })
        .collect();

    let results: Vec<Vec<u8>> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    let refused: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    stop.store(true, Ordering::SeqCst);
    let resumed = event_loop.join().unwrap();
    for (i, got) in results.iter().enumerate() {
        assert_eq!(got.len(), expected_bytes, "connection {i}");
        let counts = parse(got);
        for w in 0..WORKERS {
            assert_eq!(
                counts.get(&w).copied(),
                Some(per_conn),
                "connection {i}, worker {w}"
            );
        }
    }
    assert!(resumed > 0, "the slow connection never stalled");
    assert!(refused > 0, "the slow connection never pushed back");
    for ctx in &contexts {
        assert_eq!(ctx.pending_bytes(), 0);
        assert!(!ctx.is_closed());
    }
}
