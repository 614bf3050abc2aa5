//! A worker thread: its loop, and how it answers.

use super::control::{quiesce, Control, Flag, GRACEFUL, NOW, RUNNING};
use super::executor::{Envelope, Executor};
use super::handler::Handler;
use super::pressure::Pressure;
use super::reply::Reply;
use crate::loom::{spin_loop, Arc};
use crate::panic::contain;
use crate::park::Parker;
use crate::signal::SignalTable;
use crate::{spsc, PushError};

/// Pins the calling thread; `check_cpus` vetted the CPU, so a failure (the
/// process's CPU set shrank since) only leaves the thread unpinned.
fn pin_current_thread(cpu: usize) {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        let mut set = rustix::thread::CpuSet::new();
        set.set(cpu);
        let _ = rustix::thread::sched_setaffinity(None, &set);
    }
    #[cfg(not(all(target_os = "linux", not(loom), not(miri))))]
    let _ = cpu;
}

/// A worker's ends of its links, indexed by network thread.
pub(super) struct Inbound<Req, Rep> {
    pub(super) requests: Vec<spsc::Consumer<Envelope<Req>>>,
    pub(super) replies: Vec<spsc::Producer<Reply<Req, Rep>>>,
    pub(super) flags: Vec<Flag>,
}

impl<Req, Rep> Default for Inbound<Req, Rep> {
    fn default() -> Self {
        Self {
            requests: Vec::new(),
            replies: Vec::new(),
            flags: Vec::new(),
        }
    }
}

/// Everything a worker thread owns.
pub(super) struct WorkerThread<Req, H: Handler<Req>> {
    pub(super) exec: Executor<Req, H>,
    pub(super) inbound: Inbound<Req, H::Reply>,
    /// The worker's table, to retire the tickets of replies nobody takes.
    pub(super) table: SignalTable,
    pub(super) control: Arc<Control>,
    pub(super) pressure: Arc<Pressure>,
    pub(super) parker: Parker,
    pub(super) cpu: Option<usize>,
}

impl<Req, H: Handler<Req>> WorkerThread<Req, H> {
    pub(super) fn run(self) {
        let Self {
            mut exec,
            inbound:
                Inbound {
                    mut requests,
                    mut replies,
                    flags,
                },
            table,
            control,
            pressure,
            mut parker,
            cpu,
        } = self;
        if let Some(cpu) = cpu {
            pin_current_thread(cpu);
        }
        let mut sink = |origin: u32, reply: Reply<Req, H::Reply>| {
            deliver(&mut replies, &table, &pressure, origin, reply)
        };
        let mut mode = RUNNING;
        loop {
            let state = control.state();
            if state != mode {
                mode = state;
                quiesce(&flags);
            }
            if mode == NOW {
                for (origin, ring) in requests.iter_mut().enumerate() {
                    while let Some(envelope) = ring.pop() {
                        exec.hand_back(envelope, origin as u32, &mut sink);
                    }
                }
                exec.cancel_all(&mut sink);
                break;
            }
            // Take everything the rings hold (each request holds an entry
            // of the table, so that is bounded): the run queue then picks
            // the most urgent, not the first to come.
            let mut took = false;
            'rings: for (origin, ring) in requests.iter_mut().enumerate() {
                while let Some(envelope) = ring.pop() {
                    took = true;
                    exec.accept(envelope, origin as u32, &mut sink);
                    // A kill stops the taking: under `Kill::Now` the rest
                    // must be handed back, not run.
                    if control.state() != mode {
                        break 'rings;
                    }
                }
            }
            if took {
                // Room in the rings: a full network thread may wait for it.
                pressure.freed();
            }
            if exec.run(&mut sink) || took {
                continue;
            }
            let drained = exec.in_flight() == 0 && requests.iter().all(spsc::Consumer::is_empty);
            if drained && (mode == GRACEFUL || all_gone(&requests)) {
                break;
            }
            // Work that `wait` sees may not be poppable yet (a raise that
            // claimed its place in the signal queue but has not written it):
            // a spin hint before looking again (a yield under loom).
            spin_loop();
            exec.pause();
            let ready = || {
                let work = control.state() != mode
                    || exec.has_work()
                    || requests.iter().any(|ring| !ring.is_empty())
                    || (exec.in_flight() == 0 && all_gone(&requests));
                work.then_some(())
            };
            // Until the earliest timer, if any: the worker's own clock.
            match exec.next_timer() {
                Some(at) => {
                    let _ = parker.wait_deadline(at, ready);
                }
                None => parker.wait(ready),
            }
            exec.stats().record_parking(parker.stats());
        }
        exec.stats().record_parking(parker.stats());
        // The handler, any request or reply still in a ring: user values
        // whose `Drop` may panic. Every reply is delivered by now; contain
        // it, so `Pool::join` sees a worker that exited normally.
        contain(move || drop((exec, requests, replies)));
    }
}

/// Whether every network thread is gone and its ring drained: nothing can
/// come any more.
fn all_gone<T>(requests: &[spsc::Consumer<T>]) -> bool {
    requests
        .iter()
        .all(|ring| ring.is_closed() && ring.is_empty())
}

/// Pushes a reply to its network thread. The ring has room: it holds as
/// many replies as the table has entries, and every reply in it still holds
/// its entry (the network thread retires it when it takes the reply). If
/// the network thread is gone, nobody will retire the key: we do.
fn deliver<Req, Rep>(
    replies: &mut [spsc::Producer<Reply<Req, Rep>>],
    table: &SignalTable,
    pressure: &Pressure,
    origin: u32,
    reply: Reply<Req, Rep>,
) {
    let ring = &mut replies[origin as usize];
    let mut reply = reply;
    loop {
        match ring.push(reply) {
            Ok(()) => return,
            Err(PushError::Closed(reply)) => {
                let _ = table.retire(reply.ticket.key);
                pressure.freed();
                // Nobody takes it: dropped here, and a panicking `Drop` of
                // the reply must not take the worker (and the replies it
                // still owes others) down.
                contain(|| drop(reply));
                return;
            }
            Err(PushError::Full(back)) => {
                debug_assert!(false, "a reply ring was full: more replies than entries");
                reply = back;
                spin_loop();
            }
        }
    }
}
