//! How much CPU time other processes took during a run, from `/proc`.

/// CPU time counters from `/proc` (Linux), to tell whether other processes
/// competed for the cores during the run.
pub struct CpuTimes {
    /// Whole machine, all CPUs: busy and total clock ticks.
    busy: u64,
    total: u64,
    /// This process: user + system clock ticks.
    own: u64,
}

impl CpuTimes {
    /// The counters now; `None` where `/proc` cannot tell (not Linux).
    pub fn now() -> Option<CpuTimes> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        // cpu user nice system idle iowait irq softirq steal ...
        let ticks: Vec<u64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .take(8)
            .map(|t| t.parse().ok())
            .collect::<Option<_>>()?;
        let total: u64 = ticks.iter().sum();
        let busy = total - ticks.get(3)? - ticks.get(4)?;
        let own_stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the parenthesised command name start at `state`;
        // utime and stime are the 12th and 13th of them.
        let mut fields = own_stat.rsplit_once(')')?.1.split_whitespace().skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        Some(CpuTimes {
            busy,
            total,
            own: utime + stime,
        })
    }

    /// Share of all CPUs' time since `before` that other processes
    /// (or the hypervisor, as steal time) took.
    pub fn other_share_since(&self, before: &CpuTimes) -> f64 {
        let total = self.total.saturating_sub(before.total).max(1) as f64;
        let busy = self.busy.saturating_sub(before.busy);
        let own = self.own.saturating_sub(before.own);
        busy.saturating_sub(own) as f64 / total
    }
}

/// Prints how much of the machine's CPU time other processes used since
/// `before` (when `/proc` can tell), and, above 5 %, that the numbers are
/// disturbed because `why` (what wants every core).
pub fn report_other_load(before: Option<CpuTimes>, why: &str) {
    if let (Some(before), Some(after)) = (before, CpuTimes::now()) {
        let other = after.other_share_since(&before);
        if other > 0.05 {
            println!(
                "Other processes used {:.0}% of the machine's CPU time during the run: \
                 the numbers are disturbed ({why}), rerun on a quiet machine.",
                other * 100.0
            );
        } else {
            println!(
                "Other processes used {:.0}% of the machine's CPU time during the run.",
                other * 100.0
            );
        }
    }
}
