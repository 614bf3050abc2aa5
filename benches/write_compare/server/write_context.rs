//! `handoff::write`: a write context per connection, and an epoll event
//! loop that calls `on_writable`; per reply (`submit`) and batched (`feed`
//! + `flush`).

use std::net::{Shutdown, TcpStream};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use handoff::write::{Status, SubmitError, WriteContext};
use rustix::event::epoll;

use super::{Server, Writes};
use crate::alarm::{join, Alarm, Note};
use crate::frame::Frame;
use crate::measure::WorkerReport;
use crate::plan::{FAST, STALL_LIMIT};

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

pub struct HandoffServer {
    shared: Arc<Shared>,
    event_loop: JoinHandle<u64>,
}

impl HandoffServer {
    /// Flushes `conn`, arming it if the flush asks for writability.
    pub fn flush(&self, conn: usize) {
        self.shared.flush(conn);
    }

    /// Connection `conn`'s write context.
    pub fn context(&self, conn: usize) -> &WriteContext<TcpStream, Frame> {
        &self.shared.contexts[conn]
    }
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
                Err(SubmitError::Full(back) | SubmitError::QueueFull(back)) => {
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

pub struct HandoffBatched(HandoffServer);

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
                Err(SubmitError::Full(back) | SubmitError::QueueFull(back)) => {
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
