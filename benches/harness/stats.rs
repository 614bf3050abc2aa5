//! Statistics over the per-round results: percentiles, medians and ratios to
//! a reference implementation.

/// Linear-interpolated percentile of sorted `values`, `p` in `0..=1`.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Median of `values` (in any order).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 0.5)
}

/// Median over rounds of one number of each round's sample.
pub fn median_of<T>(samples: &[T], field: impl Fn(&T) -> f64) -> f64 {
    median(&samples.iter().map(field).collect::<Vec<_>>())
}

/// How a scenario's ratio columns compare a time with the reference's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ratio {
    /// This time / the reference's: lower is better, the reference is 1.00.
    Time,
    /// The reference's time / this one, a speed ratio: higher is better, the
    /// reference is 1.00.
    Speed,
}

impl Ratio {
    /// The ratio of `ns` to `reference_ns`.
    pub fn of(self, ns: f64, reference_ns: f64) -> f64 {
        match self {
            Ratio::Time => ns / reference_ns,
            Ratio::Speed => reference_ns / ns,
        }
    }

    /// The paired ratio: the ratio taken per round (`ns` and `reference_ns`
    /// hold one entry per round), then the median over rounds. Each round
    /// measured the two close together, so this cancels slow drifts of the
    /// machine.
    pub fn paired(self, ns: &[f64], reference_ns: &[f64]) -> f64 {
        let per_round: Vec<f64> = ns
            .iter()
            .zip(reference_ns)
            .map(|(&ns, &r)| self.of(ns, r))
            .collect();
        median(&per_round)
    }
}
