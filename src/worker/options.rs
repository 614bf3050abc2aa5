//! What a request can say about itself at enqueue: its [`Priority`], its
//! [`Group`] and its deadline ([`Enqueue`]).

use std::time::Instant;

/// How urgent a request is. A worker runs its runnable requests by
/// priority first (higher first), then requests already started before
/// new ones, then oldest first; see [`Network::enqueue_with`](super::Network::enqueue_with).
///
/// ```
/// use handoff::worker::Priority;
/// assert!(Priority::High > Priority::Normal && Priority::Normal > Priority::Low);
/// assert_eq!(Priority::default(), Priority::Normal);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Background work: runs when nothing else is runnable.
    Low,
    /// The default.
    #[default]
    Normal,
    /// Runs before every `Normal` and `Low` request that is runnable.
    High,
}

impl Priority {
    /// How many levels there are.
    pub(crate) const LEVELS: usize = 3;

    pub(crate) fn level(self) -> usize {
        self as usize
    }
}

/// A tag that ties requests together (a connection, a listener, a client),
/// so that [`Network::cancel_group`](super::Network::cancel_group) can
/// cancel all of them at once. Any `u64` the caller chooses; groups are
/// per network thread.
///
/// ```
/// use handoff::worker::Group;
/// let connection = Group(7);
/// assert_eq!(connection, Group(7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Group(pub u64);

/// How to enqueue one request: its priority, its group and its deadline.
/// [`Network::enqueue`](super::Network::enqueue) is
/// `enqueue_with(request, Enqueue::new())`.
///
/// ```
/// use std::time::{Duration, Instant};
/// use handoff::worker::{Enqueue, Group, Priority};
///
/// let options = Enqueue::new()
///     .priority(Priority::High)
///     .group(Group(42))
///     .deadline(Instant::now() + Duration::from_millis(500));
/// assert_eq!(options.priority, Priority::High);
/// assert_eq!(options.group, Some(Group(42)));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Enqueue {
    /// Default [`Priority::Normal`].
    pub priority: Priority,
    /// Default none.
    pub group: Option<Group>,
    /// When the request gets [`Action::Timeout`](crate::signal::Action::Timeout);
    /// [`WorkerConfig::cancel_grace`](super::WorkerConfig::cancel_grace)
    /// later it is cancelled. Default: the enqueue time plus
    /// [`WorkerConfig::request_timeout`](super::WorkerConfig::request_timeout),
    /// if that is set; otherwise none.
    pub deadline: Option<Instant>,
    /// When the request arrived, if the caller already knows (a packet's
    /// receive time stamp, or one clock read for a burst of requests):
    /// saves the enqueue a clock read. Default: `enqueue` reads the clock.
    pub received: Option<Instant>,
}

impl Enqueue {
    /// The defaults: normal priority, no group, the configured deadline,
    /// stamped at enqueue.
    pub const fn new() -> Self {
        Self {
            priority: Priority::Normal,
            group: None,
            deadline: None,
            received: None,
        }
    }

    /// Sets [`priority`](Self::priority).
    pub const fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Sets [`group`](Self::group).
    pub const fn group(mut self, group: Group) -> Self {
        self.group = Some(group);
        self
    }

    /// Sets [`deadline`](Self::deadline).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use handoff::signal::Action;
    /// use handoff::worker::{self, Enqueue, Worker};
    ///
    /// // Waits for a signal; its deadline sends one: Timeout.
    /// let handler = worker::from_fn(|(), cx: worker::RequestContext| async move {
    ///     cx.signalled().await.contains(Action::Timeout)
    /// });
    /// let mut w = Worker::spawn(Default::default(), handler)?;
    /// let soon = Instant::now() + Duration::from_millis(2);
    /// w.enqueue_with((), Enqueue::new().deadline(soon)).unwrap();
    /// assert_eq!(w.reply_blocking().unwrap().outcome.done(), Some(true));
    /// # Ok::<(), handoff::worker::SpawnError>(())
    /// ```
    pub const fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets [`received`](Self::received).
    pub const fn received(mut self, at: Instant) -> Self {
        self.received = Some(at);
        self
    }
}
