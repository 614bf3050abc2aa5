//! Context switches of this process's threads, from Linux's `/proc`
//! (nothing elsewhere): the examples' one `/proc` reader, included by the
//! pipeline demo and the RADIUS server with `#[path]`.

use std::collections::HashMap;

/// A thread's name and its context switches so far.
#[derive(Clone, Default)]
pub struct Switches {
    pub name: String,
    /// It slept in the kernel.
    pub voluntary: u64,
    /// It yielded, or was preempted.
    pub involuntary: u64,
}

/// Each live thread's switches, by thread id (empty where `/proc` cannot
/// tell): `/proc/self/status` would give only the main thread's.
pub fn by_thread() -> HashMap<u32, Switches> {
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
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map_or("", str::trim)
        };
        let number = |name: &str| field(name).parse::<u64>().unwrap_or(0);
        threads.insert(
            tid,
            Switches {
                name: field("Name:").to_owned(),
                voluntary: number("voluntary_ctxt_switches:"),
                involuntary: number("nonvoluntary_ctxt_switches:"),
            },
        );
    }
    threads
}
