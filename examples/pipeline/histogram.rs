//! A log-linear latency histogram.

use crate::report::group;

/// A log-linear histogram of nanoseconds: 32 buckets per power of two, so a
/// percentile is within about 3 % of the truth.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;

impl Histogram {
    pub fn new() -> Self {
        Self {
            counts: vec![0; ((64 - SUB_BITS as u64 + 1) * SUB) as usize],
            total: 0,
            max: 0,
        }
    }

    fn index(ns: u64) -> usize {
        if ns < SUB {
            return ns as usize;
        }
        let exp = 63 - ns.leading_zeros(); // >= SUB_BITS
        let sub = (ns >> (exp - SUB_BITS)) & (SUB - 1);
        (u64::from(exp - SUB_BITS + 1) * SUB + sub) as usize
    }

    /// The smallest value of bucket `index`, and the bucket's width.
    fn bucket(index: usize) -> (u64, u64) {
        let index = index as u64;
        if index < SUB {
            return (index, 1);
        }
        let shift = index / SUB - 1;
        ((SUB + index % SUB) << shift, 1 << shift)
    }

    pub fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.total += 1;
        self.max = self.max.max(ns);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The value below which a share `p` of the samples lies (the middle of
    /// its bucket).
    fn percentile(&self, p: f64) -> u64 {
        let rank = ((p * self.total as f64).ceil() as u64).clamp(1, self.total.max(1));
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, width) = Self::bucket(index);
                return (low + width / 2).min(self.max);
            }
        }
        self.max
    }

    pub fn summary(&self) -> String {
        if self.total == 0 {
            return "no samples".into();
        }
        format!(
            "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  ({} replies)",
            fmt_ns(self.percentile(0.5)),
            fmt_ns(self.percentile(0.9)),
            fmt_ns(self.percentile(0.99)),
            fmt_ns(self.percentile(0.999)),
            fmt_ns(self.max),
            group(self.total),
        )
    }
}

fn fmt_ns(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.2} ms", ns as f64 / 1e6)
    }
}
