//! The request handler: parse, check the password, sign and send the
//! reply (from a worker), giving up on `Timeout` unless stubborn.

use std::future::Future;
use std::net::{SocketAddr, UdpSocket};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use handoff::signal::Action;
use handoff::worker::RequestContext;

use crate::codec;
use crate::counters::Counters;

/// A request as the network thread hands it to a worker.
pub struct Request {
    pub datagram: Vec<u8>,
    pub peer: SocketAddr,
    pub network: usize,
}

/// Everything the handler needs, shared by every worker.
pub struct Shared {
    pub secret: Vec<u8>,
    pub users: codec::Users,
    /// One per network thread: a worker replies from the socket the
    /// request came in on.
    pub sockets: Vec<UdpSocket>,
    pub delay: Duration,
    /// Ignore `Timeout` (so that only `Cancel` stops a slow request).
    pub stubborn: bool,
    pub counters: Counters,
    /// Set on SIGINT or SIGTERM, or by the network thread that sees the
    /// `--seconds` deadline: every network thread stops.
    pub stop: AtomicBool,
}

/// Returns `Pending` once, waking itself: lets the worker run other
/// requests.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The handler: returns the reply it sent, or `None` (malformed, or
/// given up on `Timeout`).
pub async fn answer(shared: Arc<Shared>, req: Request, cx: RequestContext) -> Option<Vec<u8>> {
    let started = Instant::now();
    while started.elapsed() < shared.delay {
        if !shared.stubborn && cx.take_actions().contains(Action::Timeout) {
            shared.counters.timeouts.fetch_add(1, Relaxed);
            return None;
        }
        YieldNow(false).await;
    }
    let parsed = match codec::parse(&req.datagram) {
        Ok(parsed) => parsed,
        Err(_) => {
            shared.counters.malformed.fetch_add(1, Relaxed);
            return None;
        }
    };
    let (Some(name), Ok(password)) = (
        parsed.attr(codec::USER_NAME),
        parsed.password(&shared.secret),
    ) else {
        shared.counters.malformed.fetch_add(1, Relaxed);
        return None;
    };
    let code = if shared.users.check(name, &password) {
        shared.counters.accepts.fetch_add(1, Relaxed);
        codec::ACCESS_ACCEPT
    } else {
        codec::ACCESS_REJECT
    };
    let mut out = Vec::with_capacity(20);
    codec::reply(code, &parsed, &shared.secret, &[], &mut out);
    // A send error (the client's port unreachable) loses only this
    // reply; the client retransmits.
    let _ = shared.sockets[req.network].send_to(&out, req.peer);
    shared.counters.replies.fetch_add(1, Relaxed);
    Some(out)
}
