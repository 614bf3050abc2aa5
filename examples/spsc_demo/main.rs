//! The SPSC ring at work: a "network" thread hands requests to a "worker"
//! thread, one at a time and in batches, then the two play ping-pong to time
//! a round trip.
//!
//! ```text
//! cargo run --release --example spsc_demo [-- SECONDS_PER_PHASE]
//! ```

use std::hint::spin_loop;
use std::thread;
use std::time::{Duration, Instant};

use handoff::spsc;

/// What a network thread hands a worker: small and `Copy`, as a request
/// descriptor would be.
#[derive(Clone, Copy, Debug, Default)]
struct Request {
    id: u64,
    len: u32,
}

fn main() {
    let phase = std::env::args()
        .nth(1)
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs_f64);
    println!(
        "handoff::spsc demo ({} per phase, capacity 4096)\n",
        fmt_duration(phase)
    );

    let (rate, checksum_ok) = throughput(phase, false);
    println!("one at a time : {:>7.1} M requests/s  (every request arrived once, in order: {checksum_ok})", rate / 1e6);
    let (rate, checksum_ok) = throughput(phase, true);
    println!("batches of 256: {:>7.1} M requests/s  (every request arrived once, in order: {checksum_ok})", rate / 1e6);

    let mut rtt = round_trips(phase);
    rtt.sort_unstable();
    let pct = |p: f64| rtt[((rtt.len() - 1) as f64 * p) as usize];
    println!(
        "round trip    : median {} ns, p90 {} ns, p99 {} ns over {} samples",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        rtt.len()
    );
}

/// Streams requests from a producer thread for `phase`; returns requests per
/// second and whether the consumer saw ids `0..n` in order.
fn throughput(phase: Duration, batch: bool) -> (f64, bool) {
    let (mut tx, mut rx) = spsc::channel::<Request>(4096);
    let start = Instant::now();
    let producer = thread::spawn(move || {
        let mut id = 0u64;
        let mut buf = [Request::default(); 256];
        while start.elapsed() < phase {
            // Check the clock once per 4096 requests.
            for _ in 0..16 {
                if batch {
                    for (i, r) in buf.iter_mut().enumerate() {
                        *r = Request {
                            id: id + i as u64,
                            len: 64,
                        };
                    }
                    id += tx.push_slice(&buf) as u64;
                } else {
                    for _ in 0..256 {
                        if tx.push(Request { id, len: 64 }).is_ok() {
                            id += 1;
                        }
                    }
                }
            }
        }
        id
    });
    let mut expected = 0u64;
    let mut in_order = true;
    let mut buf = [Request::default(); 256];
    let mut report = Instant::now();
    loop {
        let n = if batch {
            rx.pop_slice(&mut buf)
        } else {
            match rx.pop() {
                Some(r) => {
                    buf[0] = r;
                    1
                }
                None => 0,
            }
        };
        for r in &buf[..n] {
            in_order &= r.id == expected && r.len == 64;
            expected += 1;
        }
        if n == 0 {
            if rx.is_closed() && rx.is_empty() {
                break;
            }
            spin_loop();
        }
        if expected % 65536 == 0 && report.elapsed() > Duration::from_millis(250) {
            report = Instant::now();
            eprint!("\r  {:>12} requests so far", expected);
        }
    }
    eprint!("\r{:40}\r", "");
    let sent = producer.join().expect("producer thread panicked");
    let secs = start.elapsed().as_secs_f64();
    (expected as f64 / secs, in_order && sent == expected)
}

/// Ping-pong between two threads over two rings; returns each round trip in
/// nanoseconds.
fn round_trips(phase: Duration) -> Vec<u64> {
    let (mut ping_tx, mut ping_rx) = spsc::channel::<u64>(64);
    let (mut pong_tx, mut pong_rx) = spsc::channel::<u64>(64);
    let echo = thread::spawn(move || loop {
        match ping_rx.pop() {
            Some(v) => while pong_tx.push(v).is_err() {},
            None if ping_rx.is_closed() => break,
            None => spin_loop(),
        }
    });
    let mut samples = Vec::new();
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed() < phase {
        let t = Instant::now();
        ping_tx
            .push(i)
            .expect("the ring is empty between round trips");
        let back = loop {
            if let Some(v) = pong_rx.pop() {
                break v;
            }
            spin_loop();
        };
        samples.push(t.elapsed().as_nanos() as u64);
        assert_eq!(back, i);
        i += 1;
    }
    drop(ping_tx);
    echo.join().expect("echo thread panicked");
    samples
}

fn fmt_duration(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
