//! What Linux's `/proc` counts for a run: the CPU time of the machine and
//! of this process (to tell whether other processes competed for the
//! cores), and the scheduler's counters of this process's threads. The one
//! place the benches read `/proc`; elsewhere every reader returns nothing.

use std::collections::HashMap;

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

/// The value of the `name` line (`"voluntary_ctxt_switches:"`) of a
/// `status` file, 0 if it has none.
fn status_field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The calling thread's voluntary context switches so far: how often it
/// slept in the kernel (0 where `/proc` cannot tell).
pub fn voluntary_switches() -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
    status_field(&status, "voluntary_ctxt_switches:")
}

/// What the scheduler counted for a thread, or (summed) for several.
#[derive(Clone, Copy, Default)]
pub struct ThreadCounters {
    /// Context switches: the thread slept in the kernel.
    pub voluntary: u64,
    /// Context switches: the thread yielded, or was preempted.
    pub involuntary: u64,
    /// CPU time, ns.
    pub cpu_ns: u64,
    /// Time runnable but waiting for a CPU, ns.
    pub wait_ns: u64,
}

impl ThreadCounters {
    /// Adds what the counters grew by from `before` to `now`.
    fn add_delta(&mut self, now: &ThreadCounters, before: &ThreadCounters) {
        self.voluntary += now.voluntary.saturating_sub(before.voluntary);
        self.involuntary += now.involuntary.saturating_sub(before.involuntary);
        self.cpu_ns += now.cpu_ns.saturating_sub(before.cpu_ns);
        self.wait_ns += now.wait_ns.saturating_sub(before.wait_ns);
    }
}

/// Each live thread's counters so far, by thread id (Linux; empty
/// elsewhere), from `/proc/self/task/*/status` and `schedstat`:
/// `/proc/self/status` would give only the main thread's.
pub fn counters_by_thread() -> HashMap<u32, ThreadCounters> {
    let mut threads = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return threads;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue; // exited meanwhile
        };
        // "cpu time, ns" "run-queue wait, ns" "time slices"
        let schedstat = std::fs::read_to_string(entry.path().join("schedstat")).unwrap_or_default();
        let mut sched = schedstat
            .split_whitespace()
            .map(|v| v.parse::<u64>().unwrap_or(0));
        threads.insert(
            tid,
            ThreadCounters {
                voluntary: status_field(&status, "voluntary_ctxt_switches:"),
                involuntary: status_field(&status, "nonvoluntary_ctxt_switches:"),
                cpu_ns: sched.next().unwrap_or(0),
                wait_ns: sched.next().unwrap_or(0),
            },
        );
    }
    threads
}

/// The counters of all threads since `before` (a thread absent from
/// `before` started after it, from zero), summed.
pub fn counters_since(before: &HashMap<u32, ThreadCounters>) -> ThreadCounters {
    let mut sum = ThreadCounters::default();
    for (tid, now) in &counters_by_thread() {
        sum.add_delta(now, &before.get(tid).copied().unwrap_or_default());
    }
    sum
}
