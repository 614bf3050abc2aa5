//! The timer thread: raises `Timeout` or `Cancel` on slow requests a
//! millisecond after they were enqueued, through a `Signaller`.

use std::collections::VecDeque;
use std::thread;
use std::time::{Duration, Instant};

use handoff::signal::Action;
use handoff::spsc;
use handoff::worker::Signaller;

use crate::network::{raised_index, Timed};
use crate::TIMEOUT;

/// What the timer thread raised: per action (cancel, timeout), delivered,
/// already pending, stale.
#[derive(Default)]
pub struct TimerReport {
    pub cancels: [u64; 3],
    pub timeouts: [u64; 3],
    /// Most signals raised late, past their due time.
    pub worst_late: Duration,
}

/// Raises each timed action when it is due; exits when every network
/// thread is gone and nothing is left to raise. Each ring is in due order
/// (one delay for all), so a queue per ring is enough.
pub fn timer(mut rings: Vec<spsc::Consumer<Timed>>, signaller: Signaller) -> TimerReport {
    let mut report = TimerReport::default();
    let mut queues: Vec<VecDeque<Timed>> = rings.iter().map(|_| VecDeque::new()).collect();
    loop {
        let mut open = false;
        for (ring, queue) in rings.iter_mut().zip(&mut queues) {
            while let Some(timed) = ring.pop() {
                queue.push_back(timed);
            }
            open |= !(ring.is_closed() && ring.is_empty());
        }
        let now = Instant::now();
        for queue in &mut queues {
            while queue.front().is_some_and(|t| t.due <= now) {
                let timed = queue.pop_front().unwrap();
                report.worst_late = report.worst_late.max(now - timed.due);
                let raised = raised_index(signaller.signal(timed.ticket, timed.action));
                match timed.action {
                    Action::Cancel => report.cancels[raised] += 1,
                    _ => report.timeouts[raised] += 1,
                }
            }
        }
        if !open && queues.iter().all(VecDeque::is_empty) {
            return report;
        }
        // Anything pushed while we sleep is due at least TIMEOUT later.
        let next = queues.iter().filter_map(|q| q.front().map(|t| t.due)).min();
        let wait = next.map_or(TIMEOUT, |due| due.saturating_duration_since(now));
        thread::sleep(wait.clamp(Duration::from_micros(50), TIMEOUT));
    }
}
