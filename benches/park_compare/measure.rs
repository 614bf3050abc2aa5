//! One round of one channel in one scenario: a producer thread, the
//! consumer on this one, every message checked.

use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use crate::channels::Chan;
use crate::harness::proc::voluntary_switches;

/// Nanoseconds since the first call: the timestamps messages carry.
fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// This thread's CPU time, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// One round of one implementation in one scenario.
#[derive(Default)]
pub struct Sample {
    /// Latencies in ns (wake scenario).
    pub latencies: Vec<f64>,
    /// Consumer CPU time / wall time.
    pub consumer_cpu: f64,
    /// Wall time per message, ns.
    pub ns_per_msg: f64,
    /// Voluntary context switches of both threads per message (or per
    /// burst).
    pub switches: f64,
    /// handoff's own count of system calls per message (or per burst).
    pub syscalls: Option<f64>,
    /// handoff's wake-ups issued to the consumer per message (or burst).
    pub wakes: Option<f64>,
}

/// Sends `n` messages, sleeping `gap` before each burst of `burst`
/// (no sleep when `gap` is zero); checks order, measures.
pub fn run<C: Chan>(n: u64, burst: u64, gap: Duration) -> Sample {
    let (mut tx, mut rx) = C::make();
    let producer = thread::spawn(move || {
        let csw = voluntary_switches();
        for i in 0..n {
            if !gap.is_zero() && i % burst == 0 {
                thread::sleep(gap);
            }
            C::send(&mut tx, now_ns() << 24 | i);
        }
        let calls = C::tx_syscalls(&tx);
        (voluntary_switches() - csw, calls, tx)
    });
    let csw = voluntary_switches();
    let cpu = thread_cpu_ns();
    let start = Instant::now();
    let mut latencies = Vec::with_capacity(if gap.is_zero() { 0 } else { n as usize });
    for i in 0..n {
        let v = C::recv(&mut rx);
        if v & 0xff_ffff != i & 0xff_ffff {
            panic!("{}: message {i} arrived as {}", C::NAME, v & 0xff_ffff);
        }
        if !gap.is_zero() {
            latencies.push(now_ns().saturating_sub(v >> 24) as f64);
        }
    }
    let wall = start.elapsed().as_nanos() as f64;
    let consumer_cpu = (thread_cpu_ns() - cpu) as f64 / wall;
    let rx_switches = voluntary_switches() - csw;
    let (tx_switches, tx_calls, tx) = producer.join().unwrap();
    let per = if gap.is_zero() { n } else { n / burst } as f64;
    let syscalls = match (tx_calls, C::rx_syscalls(&rx)) {
        (Some(t), Some(r)) => Some((t + r) as f64 / per),
        (None, Some(r)) => Some(r as f64 / per),
        _ => None,
    };
    drop(tx);
    Sample {
        latencies,
        consumer_cpu,
        ns_per_msg: wall / n as f64,
        switches: (rx_switches + tx_switches) as f64 / per,
        syscalls,
        wakes: C::rx_wakes(&rx).map(|w| w as f64 / per),
    }
}
