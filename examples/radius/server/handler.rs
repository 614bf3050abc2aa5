//! The request handler: check the Message-Authenticator and the password,
//! sign the reply and send it (from a worker: over UDP, or through the TCP
//! connection's write context), giving up on `Timeout` unless stubborn.
//! And the Status-Server answer, which the network threads give themselves.

use std::future::{poll_fn, Future};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use handoff::signal::Action;
use handoff::worker::RequestContext;
use handoff::write::{Status, SubmitError, WriteContext};

use crate::clients::{Client, Clients};
use crate::codec::{self, Signature};
use crate::counters::Counters;
use crate::users::Users;

/// A TCP connection's write side, shared by the workers with its replies.
pub type Writer = WriteContext<TcpStream>;

/// Where a reply goes.
pub enum ReplyTo {
    /// To `peer`, from the UDP socket of network thread `network`.
    Udp { peer: SocketAddr, network: usize },
    /// Into the connection's write context.
    Tcp(Arc<Writer>),
}

/// A request as the network thread hands it to a worker.
pub struct Request {
    pub packet: Vec<u8>,
    /// The sender, as an index into `Shared::clients`.
    pub client: usize,
    pub reply_to: ReplyTo,
}

/// What a worker tells the network thread about a request.
pub enum Answer {
    /// The reply went out over UDP: here it is, for the reply cache.
    Sent(Vec<u8>),
    /// The reply was submitted to a TCP connection; `WantsWritable` asks
    /// the network thread to call `on_writable` once the socket can take
    /// more, `Failed` to close the connection.
    Submitted(Status),
    /// No reply: the packet was dropped (and counted), or the handler gave
    /// up on `Timeout`.
    Dropped,
}

/// Everything the handler needs, shared by every worker.
pub struct Shared {
    pub clients: Clients,
    pub users: Users,
    /// One per network thread: a worker replies from the socket the
    /// request came in on.
    pub sockets: Vec<UdpSocket>,
    pub delay: Duration,
    /// Ignore `Timeout` (so that only `Cancel` stops a slow request).
    pub stubborn: bool,
    pub counters: Counters,
    pub started: Instant,
    /// Set on SIGINT or SIGTERM, or by the network thread that sees the
    /// `--seconds` deadline: every network thread stops.
    pub stop: AtomicBool,
}

/// The artificial delay (`--delay-ms`): sleeps on the worker's own timer
/// (the worker runs other requests, or sleeps, meanwhile: no busy loop and
/// no timer thread). Returns `false` when `Timeout` came first and the
/// server is not stubborn: the handler gives up.
async fn nap(cx: RequestContext, delay: Duration, stubborn: bool) -> bool {
    if delay.is_zero() {
        return true;
    }
    let mut sleep = pin!(cx.sleep(delay));
    let mut signalled = pin!(cx.signalled());
    poll_fn(|task| {
        if sleep.as_mut().poll(task).is_ready() {
            return Poll::Ready(true);
        }
        if !stubborn {
            // Each `Signalled` yields once: take the actions, and wait for
            // the next ones with a fresh one (a `Dup` does not stop us).
            while let Poll::Ready(actions) = signalled.as_mut().poll(task) {
                if actions.contains(Action::Timeout) {
                    return Poll::Ready(false);
                }
                signalled.set(cx.signalled());
            }
        }
        Poll::Pending
    })
    .await
}

/// Whether a request may be answered, by its Message-Authenticator under
/// `secret`: a wrong one, or a missing one when `required`, drops the
/// packet silently (and is counted), as FreeRADIUS does.
fn authentic(packet: &codec::Packet<'_>, secret: &[u8], required: bool, c: &Counters) -> bool {
    match packet.signature(secret) {
        Signature::Valid => true,
        Signature::Absent if !required => true,
        Signature::Absent => {
            c.unsigned.fetch_add(1, Relaxed);
            false
        }
        Signature::Invalid => {
            c.forged.fetch_add(1, Relaxed);
            false
        }
    }
}

/// The handler: checks and answers an Access-Request.
pub async fn answer(shared: Arc<Shared>, req: Request, cx: RequestContext) -> Answer {
    let c = &shared.counters;
    if !nap(cx, shared.delay, shared.stubborn).await {
        c.timeouts.fetch_add(1, Relaxed);
        return Answer::Dropped;
    }
    let client = &shared.clients[req.client];
    let parsed = match codec::parse(&req.packet) {
        Ok(parsed) if parsed.code == codec::ACCESS_REQUEST => parsed,
        _ => {
            c.malformed.fetch_add(1, Relaxed);
            return Answer::Dropped;
        }
    };
    if !authentic(
        &parsed,
        &client.secret,
        client.require_message_authenticator,
        c,
    ) {
        return Answer::Dropped;
    }
    let (Some(name), Ok(password)) = (
        parsed.attr(codec::USER_NAME),
        parsed.password(&client.secret),
    ) else {
        c.malformed.fetch_add(1, Relaxed);
        return Answer::Dropped;
    };
    let code = if shared.users.check(name, &password) {
        c.accepts.fetch_add(1, Relaxed);
        codec::ACCESS_ACCEPT
    } else {
        codec::ACCESS_REJECT
    };
    let mut out = Vec::with_capacity(codec::MIN_LEN + 18);
    codec::reply(code, &parsed, &client.secret, &[], &mut out);
    c.replies.fetch_add(1, Relaxed);
    match req.reply_to {
        ReplyTo::Udp { peer, network } => {
            // A send error (the client's port unreachable) loses only this
            // reply; the client retransmits.
            let _ = shared.sockets[network].send_to(&out, peer);
            Answer::Sent(out)
        }
        ReplyTo::Tcp(writer) => Answer::Submitted(submit(&writer, out, c)),
    }
}

/// Submits `reply` to a TCP connection. A connection whose client does not
/// read (its write context full) loses the reply, counted; the client's
/// own time-out tells it.
pub fn submit(writer: &Writer, reply: Vec<u8>, c: &Counters) -> Status {
    match writer.submit(reply) {
        Ok(status) => status,
        Err(SubmitError::Full(_) | SubmitError::QueueFull(_)) => {
            c.tcp_unsent.fetch_add(1, Relaxed);
            Status::Queued
        }
        Err(SubmitError::Closed { .. }) => Status::Failed,
    }
}

/// The answer to a Status-Server (RFC 5997) from `client`, into `out`: an
/// Access-Accept saying how long the server has been up and how many
/// requests it has seen. `false` (and `out` unused) when the packet is to
/// be dropped: a Status-Server must carry a valid Message-Authenticator,
/// whatever the client's setting.
pub fn status(shared: &Shared, client: &Client, packet: &[u8], out: &mut Vec<u8>) -> bool {
    let c = &shared.counters;
    let Ok(parsed) = codec::parse(packet) else {
        c.malformed.fetch_add(1, Relaxed);
        return false;
    };
    if !authentic(&parsed, &client.secret, true, c) {
        return false;
    }
    let message = format!(
        "handoff radius up {} s, {} requests",
        shared.started.elapsed().as_secs(),
        c.requests.load(Relaxed)
    );
    let attrs = [(codec::REPLY_MESSAGE, message.as_bytes())];
    codec::reply(codec::ACCESS_ACCEPT, &parsed, &client.secret, &attrs, out);
    c.status.fetch_add(1, Relaxed);
    true
}
