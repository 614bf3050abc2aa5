//! A sequential model of one ring and the parker registered with it, in all
//! the states a single thread can drive it through: awake, parked as a task
//! (`poll_wait`), parked as an event loop (`arm`), notified. Shared by the
//! proptest (`tests/park_model.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/park.rs`).
//!
//! After every operation it checks what a user of the crate relies on: the
//! ring's contents, the wake-ups issued (a wake-up exactly when the waiter
//! is parked, at most one per announcement), the counters, the task's
//! wake-ups and the descriptor's readability.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use handoff::park::FdParker;
use handoff::spsc;

/// One step of the driver.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Push,
    PushSlice(u8),
    Pop,
    Drain(u8),
    /// `arm` with "the ring is not empty" as the work check.
    Arm,
    Disarm,
    /// `poll_wait` with `pop` as the condition.
    PollTask,
    /// `Unparker::unpark` by hand.
    Unpark,
}

impl Op {
    /// Decodes one operation from a byte (for the fuzzer).
    pub fn from_byte(b: u8) -> Self {
        match b % 8 {
            0 => Self::Push,
            1 => Self::PushSlice(b / 8 % 12),
            2 => Self::Pop,
            3 => Self::Drain(b / 8 % 12),
            4 => Self::Arm,
            5 => Self::Disarm,
            6 => Self::PollTask,
            _ => Self::Unpark,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Awake,
    Notified,
    ParkedTask,
    ParkedFd,
}

#[derive(Default)]
struct CountWakes(AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The model's view of the parker.
struct Model {
    items: VecDeque<u32>,
    state: State,
    messages: u64,
    ring_wakes: u64,
    sleeps: u64,
    wakes: u64,
    task_wakes: usize,
    /// The eventfd's counter is non-zero.
    fd_readable: bool,
    /// A write that epoll has not reported yet (edge-triggered).
    fd_edge: bool,
}

impl Model {
    /// A notification: a wake-up exactly when parked.
    fn notify(&mut self) -> bool {
        match self.state {
            State::ParkedTask => self.task_wakes += 1,
            State::ParkedFd => {
                self.fd_readable = true;
                self.fd_edge = true;
            }
            State::Awake | State::Notified => return false,
        }
        self.state = State::Notified;
        self.wakes += 1;
        true
    }
}

/// Runs `ops` on a ring of `capacity` with a parker registered, its
/// descriptor watched by an epoll instance.
pub fn run(capacity: usize, ops: &[Op]) {
    let mut parker = FdParker::new().expect("an eventfd");
    let event_loop = EventLoop::new(&parker);
    let unparker = parker.unparker();
    let (mut tx, mut rx) = spsc::channel::<u32>(capacity);
    rx.register(&unparker).unwrap();
    let counter = Arc::new(CountWakes::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);
    let mut next = 0u32;
    let mut m = Model {
        items: VecDeque::new(),
        state: State::Awake,
        messages: 0,
        ring_wakes: 0,
        sleeps: 0,
        wakes: 0,
        task_wakes: 0,
        fd_readable: false,
        fd_edge: false,
    };

    for (step, &op) in ops.iter().enumerate() {
        match op {
            Op::Push => {
                let result = tx.push(next);
                if m.items.len() < capacity {
                    assert_eq!(result, Ok(()));
                    m.items.push_back(next);
                    next += 1;
                    m.messages += 1;
                    if m.notify() {
                        m.ring_wakes += 1;
                    }
                } else {
                    assert!(result.unwrap_err().is_full());
                }
            }
            Op::PushSlice(k) => {
                let batch: Vec<u32> = (next..next + u32::from(k)).collect();
                let pushed = tx.push_slice(&batch);
                assert_eq!(pushed, batch.len().min(capacity - m.items.len()));
                m.items.extend(&batch[..pushed]);
                next += pushed as u32;
                m.messages += pushed as u64;
                // One notification per batch, and none for an empty one.
                if pushed > 0 && m.notify() {
                    m.ring_wakes += 1;
                }
            }
            Op::Pop => assert_eq!(rx.pop(), m.items.pop_front()),
            Op::Drain(k) => {
                let got: Vec<u32> = rx.drain(usize::from(k)).collect();
                let want: Vec<u32> = (0..usize::from(k))
                    .map_while(|_| m.items.pop_front())
                    .collect();
                assert_eq!(got, want);
            }
            Op::Arm => {
                let sleep = parker.arm(|| !rx.is_empty());
                assert_eq!(sleep, m.items.is_empty(), "step {step}: arm");
                m.fd_readable = false;
                m.state = if sleep {
                    m.sleeps += 1;
                    State::ParkedFd
                } else {
                    State::Awake
                };
            }
            Op::Disarm => {
                parker.disarm();
                m.state = State::Awake;
                m.fd_readable = false;
            }
            Op::PollTask => {
                let got = parker.poll_wait(&mut cx, || rx.pop());
                match m.items.pop_front() {
                    Some(v) => {
                        assert_eq!(got, Poll::Ready(v));
                        m.state = State::Awake;
                    }
                    None => {
                        assert_eq!(got, Poll::Pending);
                        m.state = State::ParkedTask;
                        m.sleeps += 1;
                    }
                }
            }
            Op::Unpark => {
                unparker.unpark();
                m.notify();
            }
        }
        let ring = rx.wake_stats();
        assert_eq!(ring.messages, m.messages, "step {step}: messages");
        assert_eq!(ring.wakes, m.ring_wakes, "step {step}: ring wake-ups");
        let stats = parker.stats();
        assert_eq!(stats.sleeps, m.sleeps, "step {step}: sleeps");
        assert_eq!(stats.wakes, m.wakes, "step {step}: wake-ups");
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            m.task_wakes,
            "step {step}: task"
        );
        let reported = m.fd_edge && m.fd_readable;
        m.fd_edge = false;
        assert_eq!(event_loop.readable(), reported, "step {step}: descriptor");
    }
}

/// An epoll instance watching a parker's descriptor, edge-triggered as mio
/// and tokio register it (and as Miri requires): what a network thread's
/// event loop does with it.
pub struct EventLoop(std::os::fd::OwnedFd);

impl EventLoop {
    pub fn new(parker: &FdParker) -> Self {
        use rustix::event::epoll;
        let ep = epoll::create(epoll::CreateFlags::CLOEXEC).expect("epoll_create");
        epoll::add(
            &ep,
            parker,
            epoll::EventData::new_u64(1),
            epoll::EventFlags::IN | epoll::EventFlags::ET,
        )
        .expect("epoll_ctl");
        Self(ep)
    }

    /// Whether epoll reports the descriptor readable now: a write since the
    /// last report, and still unread (edge-triggered).
    pub fn readable(&self) -> bool {
        self.wait_for(Some(&rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        }))
    }

    /// Sleeps until the descriptor is readable.
    pub fn wait(&self) {
        while !self.wait_for(None) {}
    }

    fn wait_for(&self, timeout: Option<&rustix::event::Timespec>) -> bool {
        let mut events = Vec::with_capacity(1);
        let spare = rustix::buffer::spare_capacity(&mut events);
        rustix::event::epoll::wait(&self.0, spare, timeout).expect("epoll_wait");
        !events.is_empty()
    }
}
