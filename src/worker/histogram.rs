//! Time histograms for [`WorkerStats`](super::WorkerStats): log-linear
//! buckets (8 per power of two, so a bucket is at most 12.5 % wide), one
//! counter each, recorded by the worker with a load and a store and no
//! allocation.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two, as a shift.
const SUB_BITS: u32 = 3;
const SUB: u64 = 1 << SUB_BITS;
/// Enough for every `u64` of nanoseconds.
pub(super) const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// The bucket of `ns`: exact below 8 ns, then 8 per power of two.
fn bucket(ns: u64) -> usize {
    if ns < SUB {
        return ns as usize;
    }
    let top = 63 - ns.leading_zeros(); // >= SUB_BITS
    let shift = top - SUB_BITS;
    (((shift + 1) as u64) << SUB_BITS | ((ns >> shift) & (SUB - 1))) as usize
}

/// The largest value in bucket `b`.
fn upper(b: usize) -> u64 {
    let b = b as u64;
    if b < SUB {
        return b;
    }
    let shift = (b >> SUB_BITS) - 1;
    let base = (SUB | (b & (SUB - 1))) << shift;
    base.saturating_add((1u64 << shift) - 1)
}

/// A distribution of durations: how many fell in each of its buckets
/// (8 per power of two of nanoseconds, so each at most 12.5 % wide).
///
/// ```
/// use std::time::Duration;
/// use handoff::worker::{self, Worker};
///
/// let mut w = Worker::spawn(Default::default(), worker::from_sync_fn(|n: u32, _| n))?;
/// for n in 0..10 {
///     w.enqueue(n).unwrap();
/// }
/// while w.reply_blocking().is_some() {}
/// let stats = w.stats();
/// assert_eq!(stats.service_time.count(), 10);
/// assert!(stats.service_time.quantile(0.5) <= stats.service_time.quantile(1.0));
/// # Ok::<(), handoff::worker::SpawnError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Histogram {
    buckets: Box<[u64]>,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: vec![0; BUCKETS].into_boxed_slice(),
        }
    }
}

impl Histogram {
    /// How many durations were recorded.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The duration below which a fraction `q` (0 to 1) of the recorded
    /// ones fall: the upper end of the bucket it is in. Zero when nothing
    /// was recorded.
    pub fn quantile(&self, q: f64) -> Duration {
        let count = self.count();
        if count == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Duration::from_nanos(upper(b));
            }
        }
        Duration::from_nanos(u64::MAX)
    }

    /// Adds another histogram's counts to this one's (say, every worker's
    /// into one).
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
    }
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count())
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .field("max", &self.quantile(1.0))
            .finish()
    }
}

/// The worker's side: a counter per bucket, written only by the worker.
pub(crate) struct HistogramCell {
    buckets: Box<[AtomicU64]>,
}

impl Default for HistogramCell {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl HistogramCell {
    /// Counts `d`: a load and a store (one writer).
    #[inline]
    pub(super) fn record(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        super::reply::bump(&self.buckets[bucket(ns)], 1);
    }

    pub(super) fn snapshot(&self) -> Histogram {
        Histogram {
            // ordering: Relaxed; statistics.
            buckets: self
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
        }
    }
}

impl fmt::Debug for HistogramCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_tight() {
        let mut last = 0;
        let n = if cfg!(miri) { 3_000 } else { 100_000u64 };
        for ns in (0..n).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let b = bucket(ns);
            assert!(b < BUCKETS);
            assert!(b >= last || ns > n, "bucket of {ns} went down");
            last = b;
            assert!(upper(b) >= ns, "{ns} above its bucket's top {}", upper(b));
            assert!(
                upper(b) - ns <= ns / 8 + 1,
                "bucket of {ns} too wide: {}",
                upper(b)
            );
        }
    }

    #[test]
    fn quantiles() {
        let cell = HistogramCell::default();
        for us in 1..=100 {
            cell.record(Duration::from_micros(us));
        }
        let h = cell.snapshot();
        assert_eq!(h.count(), 100);
        let p50 = h.quantile(0.5).as_nanos() as f64;
        assert!((50_000.0..=50_000.0 * 1.125).contains(&p50), "{p50}");
        assert!(h.quantile(1.0) >= Duration::from_micros(100));
        assert_eq!(Histogram::default().quantile(0.5), Duration::ZERO);
    }
}
