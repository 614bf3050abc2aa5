//! What waking costs: `handoff`'s parking layer against crossbeam-channel,
//! flume, kanal and `std::sync::mpsc`, interleaved in one run, printed as
//! Markdown tables.
//!
//! ```text
//! cargo bench --bench park_compare              # full run, about a minute
//! ROUNDS=5 cargo bench --bench park_compare     # fewer rounds
//! cargo bench --bench park_compare -- --quick   # 1 round, tiny counts
//! cargo test --benches                          # quick mode too
//! SPIN=0,0 cargo bench --bench park_compare     # handoff spsc: SpinPolicy::new(0, 0)
//! ```
//!
//! Other overrides: `GAP_US` (default 200), `WAKE`, `SATURATED`, `BURSTS`,
//! `PUSHES` (messages, bursts or items per measurement).
//!
//! Scenarios (every implementation a bounded channel of 1024, blocking send
//! and blocking receive, one producer thread and one consumer thread):
//!
//! - **wake**: the producer sends one message every `GAP_US` (200 µs, a
//!   `thread::sleep`), so the consumer has gone to sleep each time; the
//!   message carries its send time, and the latency is receive time minus
//!   send time. Median and p99 over all messages of all rounds, and the
//!   consumer thread's CPU use (thread CPU time / wall time, median over
//!   rounds).
//! - **saturated**: the producer sends as fast as it can; nanoseconds per
//!   message, and voluntary context switches of both threads per message
//!   (from `/proc/thread-self/status`: a thread that blocks in the kernel
//!   switches once), plus for `handoff` its own count of system calls
//!   (sleeps and wake-ups, both halves) per message.
//! - **bursts**: bursts of 16 messages every `GAP_US`; context switches
//!   and, for `handoff`, wake-ups per burst.
//!
//! `handoff spsc, SLEEP_AT_ONCE` is the same ring with no spin phase
//! before sleeping: the other side of the spin policy's trade-off.
//! - **push cost**: `handoff::spsc` at saturation with spinning (not
//!   blocking) halves, with and without a parker registered on the
//!   consumer side, and rtrb for scale: what being wakeable costs a push.

#[allow(dead_code, unused_imports)] // This target uses only part of the harness.
mod harness;

fn main() {
    bench::main();
}

mod bench {
    use std::hint::spin_loop;
    use std::sync::OnceLock;
    use std::thread;
    use std::time::{Duration, Instant};

    use handoff::park::{ParkStats, Parker, SpinPolicy};

    use super::harness::mode::{self, env_u64};
    use super::harness::proc::voluntary_switches;
    use super::harness::stats::{median, percentile};
    use super::harness::table::cell;

    const CAPACITY: usize = 1024;
    const BURST: u64 = 16;

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

    /// A bounded channel with blocking send and receive, and `handoff`'s
    /// counters where it has them.
    trait Chan {
        const NAME: &'static str;
        type Tx: Send + 'static;
        type Rx: Send + 'static;
        fn make() -> (Self::Tx, Self::Rx);
        fn send(tx: &mut Self::Tx, v: u64);
        fn recv(rx: &mut Self::Rx) -> u64;
        /// System calls (sleeps and wake-ups) so far, if counted.
        fn tx_syscalls(_tx: &Self::Tx) -> Option<u64> {
            None
        }
        fn rx_syscalls(_rx: &Self::Rx) -> Option<u64> {
            None
        }
        /// Wake-ups issued to the consumer so far, if counted.
        fn rx_wakes(_rx: &Self::Rx) -> Option<u64> {
            None
        }
    }

    fn calls(s: ParkStats) -> u64 {
        s.sleeps + s.wakes
    }

    /// `handoff::spsc`; `SPIN = false` sleeps at once (no spin phase), the
    /// other side of the spin policy's trade-off.
    struct HandoffSpsc<const SPIN: bool>;
    impl<const SPIN: bool> Chan for HandoffSpsc<SPIN> {
        const NAME: &'static str = if SPIN {
            "handoff spsc"
        } else {
            "handoff spsc, SLEEP_AT_ONCE"
        };
        type Tx = handoff::spsc::Producer<u64>;
        type Rx = handoff::spsc::Consumer<u64>;
        fn make() -> (Self::Tx, Self::Rx) {
            let (mut tx, mut rx) = handoff::spsc::channel(CAPACITY);
            let policy = if !SPIN {
                Some(SpinPolicy::SLEEP_AT_ONCE)
            } else {
                std::env::var("SPIN").ok().map(|p| {
                    let (s, y) = p.split_once(',').expect("SPIN=spin_steps,yield_steps");
                    SpinPolicy::new(s.parse().unwrap(), y.parse().unwrap())
                })
            };
            if let Some(policy) = policy {
                tx.set_spin_policy(policy);
                rx.set_spin_policy(policy);
            }
            (tx, rx)
        }
        fn send(tx: &mut Self::Tx, v: u64) {
            tx.push_blocking(v).unwrap();
        }
        fn recv(rx: &mut Self::Rx) -> u64 {
            rx.pop_blocking().unwrap()
        }
        fn tx_syscalls(tx: &Self::Tx) -> Option<u64> {
            Some(calls(tx.park_stats()))
        }
        fn rx_syscalls(rx: &Self::Rx) -> Option<u64> {
            Some(calls(rx.park_stats()))
        }
        fn rx_wakes(rx: &Self::Rx) -> Option<u64> {
            Some(rx.wake_stats().wakes)
        }
    }

    struct HandoffMpsc;
    impl Chan for HandoffMpsc {
        const NAME: &'static str = "handoff mpsc";
        type Tx = handoff::mpsc::Producer<u64>;
        type Rx = handoff::mpsc::Consumer<u64>;
        fn make() -> (Self::Tx, Self::Rx) {
            handoff::mpsc::channel(CAPACITY)
        }
        fn send(tx: &mut Self::Tx, v: u64) {
            tx.push_blocking(v).unwrap();
        }
        fn recv(rx: &mut Self::Rx) -> u64 {
            rx.pop_blocking().unwrap()
        }
        fn rx_syscalls(rx: &Self::Rx) -> Option<u64> {
            Some(calls(rx.park_stats()))
        }
        fn rx_wakes(rx: &Self::Rx) -> Option<u64> {
            Some(rx.wake_stats().wakes)
        }
    }

    struct Crossbeam;
    impl Chan for Crossbeam {
        const NAME: &'static str = "crossbeam-channel";
        type Tx = crossbeam_channel::Sender<u64>;
        type Rx = crossbeam_channel::Receiver<u64>;
        fn make() -> (Self::Tx, Self::Rx) {
            crossbeam_channel::bounded(CAPACITY)
        }
        fn send(tx: &mut Self::Tx, v: u64) {
            tx.send(v).unwrap();
        }
        fn recv(rx: &mut Self::Rx) -> u64 {
            rx.recv().unwrap()
        }
    }

    struct Flume;
    impl Chan for Flume {
        const NAME: &'static str = "flume";
        type Tx = flume::Sender<u64>;
        type Rx = flume::Receiver<u64>;
        fn make() -> (Self::Tx, Self::Rx) {
            flume::bounded(CAPACITY)
        }
        fn send(tx: &mut Self::Tx, v: u64) {
            tx.send(v).unwrap();
        }
        fn recv(rx: &mut Self::Rx) -> u64 {
            rx.recv().unwrap()
        }
    }

    struct Kanal;
    impl Chan for Kanal {
        const NAME: &'static str = "kanal";
        type Tx = kanal::Sender<u64>;
        type Rx = kanal::Receiver<u64>;
        fn make() -> (Self::Tx, Self::Rx) {
            kanal::bounded(CAPACITY)
        }
        fn send(tx: &mut Self::Tx, v: u64) {
            tx.send(v).unwrap();
        }
        fn recv(rx: &mut Self::Rx) -> u64 {
            rx.recv().unwrap()
        }
    }

    struct Std;
    impl Chan for Std {
        const NAME: &'static str = "std sync_channel";
        type Tx = std::sync::mpsc::SyncSender<u64>;
        type Rx = std::sync::mpsc::Receiver<u64>;
        fn make() -> (Self::Tx, Self::Rx) {
            std::sync::mpsc::sync_channel(CAPACITY)
        }
        fn send(tx: &mut Self::Tx, v: u64) {
            tx.send(v).unwrap();
        }
        fn recv(rx: &mut Self::Rx) -> u64 {
            rx.recv().unwrap()
        }
    }

    /// One round of one implementation in one scenario.
    #[derive(Default)]
    struct Sample {
        /// Latencies in ns (wake scenario).
        latencies: Vec<f64>,
        /// Consumer CPU time / wall time.
        consumer_cpu: f64,
        /// Wall time per message, ns.
        ns_per_msg: f64,
        /// Voluntary context switches of both threads per message (or per
        /// burst).
        switches: f64,
        /// handoff's own count of system calls per message (or per burst).
        syscalls: Option<f64>,
        /// handoff's wake-ups issued to the consumer per message (or burst).
        wakes: Option<f64>,
    }

    /// Sends `n` messages, sleeping `gap` before each burst of `burst`
    /// (no sleep when `gap` is zero); checks order, measures.
    fn run<C: Chan>(n: u64, burst: u64, gap: Duration) -> Sample {
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

    /// `handoff::spsc` with spinning halves: `n` items, with or without a
    /// parker registered (and awake) on the consumer side.
    fn push_cost_handoff(n: u64, registered: bool) -> f64 {
        let (mut tx, mut rx) = handoff::spsc::channel::<u64>(CAPACITY);
        let parker = Parker::new().with_policy(SpinPolicy::default());
        if registered {
            rx.register(&parker.unparker()).unwrap();
        }
        let producer = thread::spawn(move || {
            for i in 0..n {
                let mut v = i;
                while let Err(e) = tx.push(v) {
                    v = e.into_inner();
                    spin_loop();
                }
            }
        });
        let start = Instant::now();
        for i in 0..n {
            let v = loop {
                if let Some(v) = rx.pop() {
                    break v;
                }
                spin_loop();
            };
            assert_eq!(v, i);
        }
        let ns = start.elapsed().as_nanos() as f64 / n as f64;
        producer.join().unwrap();
        assert_eq!(rx.wake_stats().wakes, 0, "an awake consumer is never woken");
        drop(parker);
        ns
    }

    fn push_cost_rtrb(n: u64) -> f64 {
        let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(CAPACITY);
        let producer = thread::spawn(move || {
            for i in 0..n {
                while tx.push(i).is_err() {
                    spin_loop();
                }
            }
        });
        let start = Instant::now();
        for i in 0..n {
            let v = loop {
                if let Ok(v) = rx.pop() {
                    break v;
                }
                spin_loop();
            };
            assert_eq!(v, i);
        }
        let ns = start.elapsed().as_nanos() as f64 / n as f64;
        producer.join().unwrap();
        ns
    }

    struct Impl {
        name: &'static str,
        run: fn(u64, u64, Duration) -> Sample,
    }

    fn impls() -> Vec<Impl> {
        vec![
            Impl {
                name: HandoffSpsc::<true>::NAME,
                run: run::<HandoffSpsc<true>>,
            },
            Impl {
                name: HandoffSpsc::<false>::NAME,
                run: run::<HandoffSpsc<false>>,
            },
            Impl {
                name: HandoffMpsc::NAME,
                run: run::<HandoffMpsc>,
            },
            Impl {
                name: Crossbeam::NAME,
                run: run::<Crossbeam>,
            },
            Impl {
                name: Flume::NAME,
                run: run::<Flume>,
            },
            Impl {
                name: Kanal::NAME,
                run: run::<Kanal>,
            },
            Impl {
                name: Std::NAME,
                run: run::<Std>,
            },
        ]
    }

    pub fn main() {
        let quick = mode::quick();
        let rounds = if quick { 1 } else { env_u64("ROUNDS", 11) } as usize;
        let gap = Duration::from_micros(env_u64("GAP_US", 200));
        let (n_wake, n_sat, n_burst, n_cost) = if quick {
            (20, 20_000, 20 * BURST, 20_000)
        } else {
            (
                env_u64("WAKE", 500),
                env_u64("SATURATED", 1_000_000),
                env_u64("BURSTS", 300) * BURST,
                env_u64("PUSHES", 5_000_000),
            )
        };
        eprintln!(
            "park_compare: {rounds} round(s); wake: {n_wake} messages {gap:?} apart; \
             saturated: {n_sat} messages; bursts: {} of {BURST}; push cost: {n_cost} items; \
             fence-free pushes: {}",
            n_burst / BURST,
            handoff::park::fence_free_push()
        );
        let impls = impls();
        let mut wake: Vec<Vec<Sample>> = impls.iter().map(|_| Vec::new()).collect();
        let mut sat: Vec<Vec<Sample>> = impls.iter().map(|_| Vec::new()).collect();
        let mut bursts: Vec<Vec<Sample>> = impls.iter().map(|_| Vec::new()).collect();
        let mut cost: [Vec<f64>; 3] = Default::default();
        // One untimed warm-up round of the cheap scenarios.
        for i in &impls {
            (i.run)(n_sat.min(20_000), 1, Duration::ZERO);
        }
        for round in 0..rounds {
            for (k, i) in impls.iter().enumerate() {
                wake[k].push((i.run)(n_wake, 1, gap));
                sat[k].push((i.run)(n_sat, 1, Duration::ZERO));
                bursts[k].push((i.run)(n_burst, BURST, gap));
            }
            // Alternate which goes first, so neither always runs right
            // after the blocking scenarios.
            if round % 2 == 0 {
                cost[0].push(push_cost_handoff(n_cost, false));
                cost[1].push(push_cost_handoff(n_cost, true));
            } else {
                cost[1].push(push_cost_handoff(n_cost, true));
                cost[0].push(push_cost_handoff(n_cost, false));
            }
            cost[2].push(push_cost_rtrb(n_cost));
            eprint!("\rround {}/{rounds}", round + 1);
        }
        eprintln!();

        // Wake latency.
        let medians: Vec<f64> = wake
            .iter()
            .map(|s| {
                let all: Vec<f64> = s.iter().flat_map(|s| s.latencies.iter().copied()).collect();
                median(&all)
            })
            .collect();
        // The first three rows are handoff's; the rest are the peers.
        let best_peer = medians[3..].iter().copied().fold(f64::INFINITY, f64::min);
        println!("\n### Wake latency of a parked consumer ({gap:?} between messages)\n");
        println!(
            "| implementation | median µs | p99 µs | vs best peer | consumer CPU | switches/msg |"
        );
        println!("|---|---:|---:|---:|---:|---:|");
        for (k, i) in impls.iter().enumerate() {
            let mut all: Vec<f64> = wake[k]
                .iter()
                .flat_map(|s| s.latencies.iter().copied())
                .collect();
            all.sort_by(f64::total_cmp);
            let cpu = median(&wake[k].iter().map(|s| s.consumer_cpu).collect::<Vec<_>>());
            let csw = median(&wake[k].iter().map(|s| s.switches).collect::<Vec<_>>());
            println!(
                "| {} | {:.1} | {:.1} | {:.2} | {:.1} % | {:.2} |",
                i.name,
                medians[k] / 1e3,
                percentile(&all, 0.99) / 1e3,
                medians[k] / best_peer,
                cpu * 100.0,
                csw
            );
        }

        // Saturation.
        println!("\n### Saturated: blocking send and receive as fast as they go\n");
        println!(
            "| implementation | ns/msg | switches/msg | handoff syscalls/msg | wake-ups/msg |"
        );
        println!("|---|---:|---:|---:|---:|");
        for (k, i) in impls.iter().enumerate() {
            let s = &sat[k];
            let ns = median(&s.iter().map(|s| s.ns_per_msg).collect::<Vec<_>>());
            let csw = median(&s.iter().map(|s| s.switches).collect::<Vec<_>>());
            let sys = s[0]
                .syscalls
                .map(|_| median(&s.iter().filter_map(|s| s.syscalls).collect::<Vec<_>>()));
            let wakes = s[0]
                .wakes
                .map(|_| median(&s.iter().filter_map(|s| s.wakes).collect::<Vec<_>>()));
            println!(
                "| {} | {ns:.1} | {csw:.4} | {} | {} |",
                i.name,
                cell(sys, 4),
                cell(wakes, 4)
            );
        }

        // Bursts.
        println!("\n### Bursts of {BURST} every {gap:?}: per burst\n");
        println!("| implementation | switches/burst | handoff syscalls/burst | wake-ups/burst |");
        println!("|---|---:|---:|---:|");
        for (k, i) in impls.iter().enumerate() {
            let s = &bursts[k];
            let csw = median(&s.iter().map(|s| s.switches).collect::<Vec<_>>());
            let sys = s[0]
                .syscalls
                .map(|_| median(&s.iter().filter_map(|s| s.syscalls).collect::<Vec<_>>()));
            let wakes = s[0]
                .wakes
                .map(|_| median(&s.iter().filter_map(|s| s.wakes).collect::<Vec<_>>()));
            println!(
                "| {} | {csw:.2} | {} | {} |",
                i.name,
                cell(sys, 2),
                cell(wakes, 2)
            );
        }

        // Push cost.
        let without = median(&cost[0]);
        let with = median(&cost[1]);
        let rtrb = median(&cost[2]);
        let paired: Vec<f64> = cost[1].iter().zip(&cost[0]).map(|(w, wo)| w / wo).collect();
        println!("\n### What being wakeable costs a push (spinning halves, saturated)\n");
        println!("| ring | ns/item | vs no parker |");
        println!("|---|---:|---:|");
        println!("| handoff spsc, no parker registered | {without:.2} | 1.00 |");
        println!(
            "| handoff spsc, parker registered (awake) | {with:.2} | {:.2} |",
            median(&paired)
        );
        println!(
            "| rtrb (no wake support) | {rtrb:.2} | {:.2} |",
            rtrb / without
        );
        println!(
            "\n{rounds} round(s), implementations interleaved within each round; medians over \
             rounds (latency percentiles over all messages). \"vs best peer\" divides by the best \
             median of crossbeam-channel, flume, kanal and std. \"switches\" are voluntary context \
             switches of both threads (a thread that sleeps in the kernel switches once); \
             \"handoff syscalls\" are sleeps and wake-ups counted by the parkers of both halves."
        );
    }
}
