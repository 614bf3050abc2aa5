//! What the load generator asks for, and the async handler that answers:
//! quick, yielding, signal-waiting, sleeping and panicking requests.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use handoff::signal::Action;
use handoff::worker::{self, Flush, RequestContext};
use handoff::write::WriteContext;

use crate::{POISON, TIMEOUT};

/// What a request asks for; the load generator draws it from the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// About 1.5 µs of work.
    Quick,
    /// The same work in four pieces, yielding in between.
    Yielding,
    /// Waits until it is signalled; `Fate` says by whom and how.
    Slow(Fate),
    /// Panics.
    Poison,
}

/// Who signals a slow request, and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Its connection closes right after it is enqueued: the network
    /// thread cancels its group.
    CancelNow,
    /// The network thread marks it a duplicate right after enqueueing it.
    DupNow,
    /// Sleeps far longer than its deadline: the worker's timer raises
    /// `Timeout` at the deadline (its enqueue), which it ignores, and
    /// cancels it the grace period (`TIMEOUT`) later.
    CancelLater,
    /// Waits for a signal: the worker's timer raises `Timeout` at its
    /// deadline, `TIMEOUT` after its enqueue.
    TimeoutLater,
}

#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub id: u64,
    pub kind: Kind,
}

/// What the handler answers.
#[derive(Debug)]
pub struct Response {
    pub id: u64,
    pub answer: Answer,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The result of the work.
    Computed(u64),
    /// A slow request told `Timeout`.
    TimedOut,
    /// A slow request told `Dup`.
    Duplicate,
}

/// splitmix64: spreads request ids into the load generator's dice.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The mix of requests: per 100 000, 10 panic, 1 000 are slow (200 cancelled
/// and 200 marked duplicate at once by the network thread, 200 cancelled
/// and 400 timed out later by their deadlines), 5 000 yield and the rest
/// are quick.
pub fn kind_of(id: u64) -> Kind {
    match mix(id) % 100_000 {
        0..10 => Kind::Poison,
        10..210 => Kind::Slow(Fate::CancelNow),
        210..410 => Kind::Slow(Fate::DupNow),
        410..610 => Kind::Slow(Fate::CancelLater),
        610..1_010 => Kind::Slow(Fate::TimeoutLater),
        1_010..6_010 => Kind::Yielding,
        _ => Kind::Quick,
    }
}

/// `rounds` rounds of arithmetic that the compiler cannot skip.
fn busy_work(seed: u64, rounds: u32) -> u64 {
    let mut x = seed | 1;
    for i in 0..rounds {
        x = (x ^ (x >> 29))
            .wrapping_mul(0xBF58_476D_1CE4_E5B9)
            .wrapping_add(u64::from(i));
    }
    black_box(x)
}

/// Rounds of `busy_work` that take `target` on this machine (and build).
pub fn calibrate(target: Duration) -> u32 {
    let probe = 100_000;
    let best = (0..5)
        .map(|k| {
            let start = Instant::now();
            busy_work(k, probe);
            start.elapsed()
        })
        .min()
        .unwrap();
    let rounds = target.as_secs_f64() / best.as_secs_f64().max(1e-9) * f64::from(probe);
    rounds.clamp(1.0, 1e7) as u32
}

/// What a poisoned request does.
fn poisoned() -> Response {
    std::panic::panic_any(POISON)
}

/// A future that is pending once and wakes itself: what an async handler
/// awaiting I/O looks like to the worker, without the I/O.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// An access log, one per executor (as a log file per worker would be):
/// every quick request writes a record to its worker's, and the worker
/// writes each batch's records with one call (a server's reply connection
/// would be the same).
pub struct AccessLog {
    pub ctx: WriteContext<std::io::Sink, [u8; 16]>,
    /// Records refused because the log was full (none expected).
    pub refused: AtomicU64,
}

impl Flush for AccessLog {
    fn flush(&self) {
        // `io::Sink` never blocks: no writability to wait for.
        let _ = self.ctx.flush();
    }
}

/// A request's future, boxed so that every kind is the same type.
type Handling = Pin<Box<dyn Future<Output = Response> + Send>>;

/// The handler: an async closure, cloned for each worker.
pub fn handler(
    rounds: u32,
    logs: Arc<[Arc<AccessLog>]>,
) -> worker::FnHandler<impl FnMut(Request, RequestContext) -> Handling + Clone + Send + 'static> {
    worker::from_fn(move |request: Request, cx: RequestContext| {
        let id = request.id;
        let log = Arc::clone(&logs[cx.ticket().worker()]);
        let future: Handling = match request.kind {
            Kind::Quick => Box::pin(async move {
                let result = busy_work(id, rounds);
                let mut record = [0; 16];
                record[..8].copy_from_slice(&id.to_le_bytes());
                record[8..].copy_from_slice(&result.to_le_bytes());
                match log.ctx.feed(record) {
                    // Written once at the end of the worker's batch.
                    Ok(()) => cx.flush_at_end(&log),
                    Err(_) => {
                        log.refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Response {
                    id,
                    answer: Answer::Computed(result),
                }
            }),
            Kind::Yielding => Box::pin(async move {
                let mut x = id;
                for _ in 0..3 {
                    x = busy_work(x, rounds / 4);
                    YieldNow(false).await;
                }
                Response {
                    id,
                    answer: Answer::Computed(busy_work(x, rounds / 4)),
                }
            }),
            Kind::Slow(Fate::CancelLater) => Box::pin(async move {
                // A nap far past its deadline, on the worker's timer: the
                // deadline's Timeout does not interrupt it, the Cancel a
                // grace period later drops it.
                cx.sleep(100 * TIMEOUT).await;
                Response {
                    id,
                    answer: Answer::TimedOut,
                }
            }),
            Kind::Slow(_) => Box::pin(async move {
                // Waits until the network thread or the deadline says
                // something; a cancel drops this future instead.
                let actions = cx.signalled().await;
                let answer = if actions.contains(Action::Dup) {
                    Answer::Duplicate
                } else {
                    Answer::TimedOut
                };
                Response { id, answer }
            }),
            Kind::Poison => Box::pin(async move { poisoned() }),
        };
        future
    })
}
