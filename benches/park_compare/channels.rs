//! The bounded channels compared, behind one trait: `handoff`'s two rings
//! and crossbeam-channel, flume, kanal and std's `sync_channel`.

use std::time::Duration;

use handoff::park::{ParkStats, SpinPolicy};

use crate::measure::{run, Sample};
use crate::CAPACITY;

/// A bounded channel with blocking send and receive, and `handoff`'s
/// counters where it has them.
pub trait Chan {
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

/// `handoff::spsc` with the default, adaptive spin policy (`POLICY = 0`),
/// the fixed spin it adapts (`1`: six spin rounds and four yields before
/// every sleep), or no spin phase at all (`2`): the two sides of the spin
/// policy's trade-off.
struct HandoffSpsc<const POLICY: u8>;
impl<const POLICY: u8> Chan for HandoffSpsc<POLICY> {
    const NAME: &'static str = match POLICY {
        0 => "handoff spsc",
        1 => "handoff spsc, fixed spin (6, 4)",
        _ => "handoff spsc, SLEEP_AT_ONCE",
    };
    type Tx = handoff::spsc::Producer<u64>;
    type Rx = handoff::spsc::Consumer<u64>;
    fn make() -> (Self::Tx, Self::Rx) {
        let (mut tx, mut rx) = handoff::spsc::channel(CAPACITY);
        let policy = if POLICY == 1 {
            Some(SpinPolicy::new(6, 4))
        } else if POLICY == 2 {
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

/// A channel as the round loop runs it.
pub struct Impl {
    pub name: &'static str,
    pub run: fn(u64, u64, Duration) -> Sample,
}

/// Every channel, in table order: `handoff`'s four rows first.
pub fn impls() -> Vec<Impl> {
    vec![
        Impl {
            name: HandoffSpsc::<0>::NAME,
            run: run::<HandoffSpsc<0>>,
        },
        Impl {
            name: HandoffSpsc::<1>::NAME,
            run: run::<HandoffSpsc<1>>,
        },
        Impl {
            name: HandoffSpsc::<2>::NAME,
            run: run::<HandoffSpsc<2>>,
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
