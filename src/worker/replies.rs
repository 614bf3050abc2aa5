//! A network thread takes its replies, and waits: for replies, and while
//! the pool is full, for room (the back-pressure loop, see
//! `super::pressure`).

use std::time::{Duration, Instant};

use super::network::{Link, Local, Network};
use super::reply::Reply;

/// Weight of a new sample in the moving average of service times: 1/8.
const EWMA_SHIFT: u32 = 3;

impl<Req, Rep> Network<Req, Rep> {
    /// Takes a reply if one is there. In inline mode, when none is queued,
    /// it first runs a turn of this thread's executor: the requests
    /// enqueued since, their signals, timers and wake-ups (and a
    /// [`Kill::Now`](super::Kill::Now)).
    pub fn try_reply(&mut self) -> Option<Reply<Req, Rep>> {
        if let Some(local) = &mut self.local {
            if local.replies.is_empty() {
                let replies = &mut local.replies;
                local.exec.run(self.control.state(), &mut |_, reply| {
                    replies.push_back(reply)
                });
            }
            let reply = local.replies.pop_front()?;
            let _ = local.table.retire(reply.ticket.key);
            if let Some(groups) = &mut self.groups {
                groups.leave(0, reply.ticket.key);
            }
            self.outstanding -= 1;
            self.full = false;
            return Some(reply);
        }
        let workers = self.links.len();
        for k in 0..workers {
            let w = (self.cursor + k) % workers;
            let link = &mut self.links[w];
            let Some(reply) = link.replies.pop() else {
                continue;
            };
            // Stay on this link while it has replies: they come in batches.
            self.cursor = w;
            link.outstanding -= 1;
            self.outstanding -= 1;
            let service = reply.service.as_nanos().min(u128::from(u64::MAX)) as u64;
            // EWMA with α = 1/8, in integers.
            link.service_ns =
                link.service_ns - (link.service_ns >> EWMA_SHIFT) + (service >> EWMA_SHIFT);
            let retired = link.table.retire(reply.ticket.key);
            debug_assert!(retired.is_ok(), "a reply's ticket was retired already");
            // The entry is free: another network thread may wait for it.
            self.pressure.freed();
            if let Some(groups) = &mut self.groups {
                groups.leave(w, reply.ticket.key);
            }
            self.full = false;
            return Some(reply);
        }
        None
    }

    /// Waits for a reply. Returns `None` at once when none can come: no
    /// request is outstanding (or the workers that owe replies are gone).
    pub fn reply_blocking(&mut self) -> Option<Reply<Req, Rep>> {
        self.reply_until(None)
    }

    /// Like [`reply_blocking`](Self::reply_blocking), but gives up after
    /// `timeout`.
    pub fn reply_timeout(&mut self, timeout: Duration) -> Option<Reply<Req, Rep>> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.reply_until(Some(deadline)),
            None => self.reply_blocking(), // a timeout beyond the clock's range
        }
    }

    fn reply_until(&mut self, deadline: Option<Instant>) -> Option<Reply<Req, Rep>> {
        loop {
            if let Some(reply) = self.try_reply() {
                return Some(reply);
            }
            if !self.expecting() {
                return None;
            }
            if !self.sleep(deadline, false) {
                return self.try_reply();
            }
        }
    }

    /// Sleeps until a reply is there to take, or, while the pool is full
    /// for this thread (see [`has_capacity`](Self::has_capacity)), until
    /// room comes back; or until `timeout`. Returns whether one of those
    /// happened; `false` at once when neither can (no reply outstanding,
    /// and not full).
    ///
    /// The back-pressure loop of a network thread that waits as a thread:
    /// enqueue while [`has_capacity`](Self::has_capacity), take the
    /// replies that are there, and when it can do neither, `wait_ready`.
    /// An event loop gets the same wake-ups on the reply descriptor
    /// ([`arm`](Self::arm)).
    ///
    /// ```
    /// use handoff::worker::{self, EnqueueError, Pool, PoolConfig, WorkerConfig};
    ///
    /// let config = PoolConfig::new(1, 1).worker(WorkerConfig::new().max_requests(4));
    /// let (_pool, mut nets) = Pool::spawn(config, worker::from_sync_fn(|n: u32, _| n))?;
    /// let net = &mut nets[0];
    /// let (mut next, mut sum) = (0, 0);
    /// while sum < (0..100).sum() {
    ///     while next < 100 && net.has_capacity() {
    ///         match net.enqueue(next) {
    ///             Ok(_) => next += 1,
    ///             Err(EnqueueError::Full(_)) => break, // stop reading
    ///             Err(e) => panic!("{e}"),
    ///         }
    ///     }
    ///     while let Some(reply) = net.try_reply() {
    ///         sum += reply.outcome.done().unwrap();
    ///     }
    ///     net.wait_ready(None);
    /// }
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub fn wait_ready(&mut self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            if self.ready_now() {
                return true;
            }
            if !self.expecting() && !self.full {
                return false;
            }
            if !self.sleep(deadline, true) {
                return self.ready_now();
            }
        }
    }

    /// Whether a reply is there (in inline mode after a turn of the
    /// executor), or room came back while full.
    fn ready_now(&mut self) -> bool {
        if let Some(local) = &mut self.local {
            if local.replies.is_empty() {
                let replies = &mut local.replies;
                local.exec.run(self.control.state(), &mut |_, reply| {
                    replies.push_back(reply)
                });
            }
            if !local.replies.is_empty() {
                return true;
            }
        } else if self.links.iter().any(|l| !l.replies.is_empty()) {
            return true;
        }
        self.full && self.room_returned()
    }

    /// Whether room came back (while full); if so, not full any more.
    fn room_returned(&mut self) -> bool {
        let n = self.index as usize;
        let room = self.pressure.has_room(n) || has_room(&self.links, self.local.as_ref());
        if room {
            self.full = false;
            self.pressure.clear(n);
            self.stats.room_returned += 1;
        }
        room
    }

    /// Sleeps on the parker until a reply (or, with `for_room` while full,
    /// room) may be there, `deadline`, or in inline mode the executor's
    /// next timer. Returns `false` if `deadline` passed.
    fn sleep(&mut self, deadline: Option<Instant>, for_room: bool) -> bool {
        let timer = self.next_timer();
        let wake_at = match (deadline, timer) {
            (Some(d), Some(t)) => Some(d.min(t)),
            (d, t) => d.or(t),
        };
        let for_room = for_room && self.ask_for_room();
        let n = self.index as usize;
        let Self {
            parker,
            links,
            local,
            control,
            pressure,
            ..
        } = self;
        let mode = control.state();
        let mut ready = || {
            let killed_since = control.state() != mode;
            wakes(links, local.as_ref(), pressure, n, for_room, killed_since).then_some(())
        };
        match wake_at {
            None => {
                parker.wait(ready);
                true
            }
            Some(at) => parker.wait_deadline(at, &mut ready).is_some() || deadline != Some(at),
        }
    }

    /// Whether replies may still come.
    fn expecting(&self) -> bool {
        match &self.local {
            Some(_) => self.outstanding > 0,
            None => self.links.iter().any(Link::expecting),
        }
    }

    /// For an event loop ([`PoolConfig::reply_fd`](super::PoolConfig::reply_fd)):
    /// announces that the thread is about to sleep in `epoll` until the
    /// network's descriptor (`std::os::fd::AsFd`) is readable, and
    /// checks once more. `true`: sleep (a reply, a wake in inline mode, or
    /// while the pool is full room coming back, makes the descriptor
    /// readable; in inline mode, pass [`next_timer`](Self::next_timer) to
    /// `epoll` as its timeout); `false`: something is there already, take
    /// it and call again later. Call [`disarm`](Self::disarm) on waking.
    ///
    /// # Panics
    ///
    /// If the pool was not spawned with `reply_fd`.
    pub fn arm(&mut self) -> bool {
        assert!(
            self.parker.has_fd(),
            "Network::arm needs a pool spawned with PoolConfig::reply_fd"
        );
        let for_room = self.ask_for_room();
        let n = self.index as usize;
        let Self {
            parker,
            links,
            local,
            control,
            pressure,
            ..
        } = self;
        let mode = control.state();
        parker.arm(|| {
            let killed_since = control.state() != mode;
            wakes(links, local.as_ref(), pressure, n, for_room, killed_since)
        })
    }

    /// Before a sleep: while full, asks to be woken when room returns (the
    /// caller's parker announcement follows, then the re-check in `wakes`).
    /// Returns whether it asked.
    fn ask_for_room(&mut self) -> bool {
        if self.full {
            self.pressure.want(self.index as usize);
            self.stats.full_waits += 1;
        }
        self.full
    }

    /// Ends an [`arm`](Self::arm)ed sleep.
    pub fn disarm(&mut self) {
        self.parker.disarm();
        if self.full {
            self.room_returned();
        }
    }
}

/// What wakes network thread `n` that sleeps: a reply (see `has_reply`),
/// or, if it asked (`for_room`), room.
fn wakes<Req, Rep>(
    links: &[Link<Req, Rep>],
    local: Option<&Local<Req, Rep>>,
    pressure: &super::pressure::Pressure,
    n: usize,
    for_room: bool,
    killed_since: bool,
) -> bool {
    (for_room && (pressure.has_room(n) || has_room(links, local)))
        || has_reply(links, local, killed_since)
}

/// Whether a reply is there (or, in inline mode, work that may make one),
/// or a reply can no longer come (so a waiter must look again).
fn has_reply<Req, Rep>(
    links: &[Link<Req, Rep>],
    local: Option<&Local<Req, Rep>>,
    killed_since: bool,
) -> bool {
    match local {
        Some(local) => {
            !local.replies.is_empty()
                || local.exec.has_work()
                || (killed_since && local.exec.in_flight() > 0)
        }
        None => links.iter().any(|link| {
            !link.replies.is_empty() || (link.outstanding > 0 && link.replies.is_closed())
        }),
    }
}

/// Whether some worker (or the inline table) could take a request now: the
/// back-pressure loop's re-check, after the parker's announcement.
fn has_room<Req, Rep>(links: &[Link<Req, Rep>], local: Option<&Local<Req, Rep>>) -> bool {
    match local {
        Some(local) => local.table.has_free(),
        None => links
            .iter()
            .any(|l| !l.requests.is_full() && l.table.has_free()),
    }
}
