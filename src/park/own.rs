//! The parker a ring half makes for its own blocking and async operations.

use super::{ParkStats, Parker, SpinPolicy};

/// The parker a ring half makes for its own blocking and async operations,
/// on first use, and registers with the ring side it waits on.
#[derive(Debug, Default)]
pub(crate) struct OwnParker {
    parker: Option<Parker>,
    policy: SpinPolicy,
}

impl OwnParker {
    /// Lends the half's parker out (making and registering it the first
    /// time); give it back with [`put`](Self::put).
    ///
    /// # Panics
    ///
    /// If `target` wakes a parker the user registered: the half's own would
    /// never be woken.
    #[track_caller]
    pub(crate) fn take(&mut self, target: &super::WakeTarget) -> Parker {
        if let Some(parker) = self.parker.take() {
            return parker;
        }
        let parker = Parker::new().with_policy(self.policy);
        if target.register(&parker.unparker()).is_err() {
            panic!(
                "this ring half wakes a Parker given to `register`: \
                 wait on that Parker instead of the half's blocking or async operations"
            );
        }
        parker
    }

    pub(crate) fn put(&mut self, parker: Parker) {
        self.parker = Some(parker);
    }

    pub(crate) fn set_policy(&mut self, policy: SpinPolicy) {
        self.policy = policy;
        if let Some(parker) = self.parker.as_mut() {
            parker.policy = policy;
        }
    }

    pub(crate) fn policy(&self) -> SpinPolicy {
        self.policy
    }

    /// The half's parker's statistics; all zero before it first waits.
    pub(crate) fn stats(&self) -> ParkStats {
        self.parker.as_ref().map(Parker::stats).unwrap_or_default()
    }
}
