//! The barrier's default, and a choice made too late: alone in its process,
//! since the choice is process-wide.
#![cfg(not(loom))]

use handoff::park::{barrier, fence_free_push, set_barrier, Barrier, BarrierError};

#[test]
fn the_first_ring_settles_the_default_and_a_late_choice_says_so() {
    let _ring = handoff::mpsc::channel::<u8>(4);
    let settled = barrier();
    assert_eq!(settled == Barrier::Asymmetric, fence_free_push());
    let asked_off = std::env::var_os("HANDOFF_NO_MEMBARRIER").is_some_and(|v| v != "0");
    if cfg!(all(any(target_os = "linux", windows), not(miri))) && !asked_off {
        // Linux 4.14+ (CI's machines) and Windows have an asymmetric barrier.
        assert_eq!(settled, Barrier::Asymmetric);
    } else {
        assert_eq!(settled, Barrier::Fences);
    }
    let other = if settled == Barrier::Asymmetric {
        Barrier::Fences
    } else {
        Barrier::Asymmetric
    };
    let refused = set_barrier(other).unwrap_err();
    assert!(
        matches!(
            refused,
            BarrierError::AlreadySettled(b) if b == settled
        ) || refused == BarrierError::Unsupported
    );
    assert!(refused.to_string().contains("barrier"));
    assert_eq!(set_barrier(settled), Ok(()));
}
