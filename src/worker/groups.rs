//! Group membership, on the network thread: which live requests it
//! enqueued with each [`Group`], so that
//! [`Network::cancel_group`](super::Network::cancel_group) raises `Cancel`
//! on all of them in time proportional to their number (FreeRADIUS v4's
//! `fr_worker_listen_cancel`).
//!
//! A doubly linked list per group, threaded through an array of one member
//! per (executor, entry), with the lists' heads in a map: joining and
//! leaving are O(1). The arrays and the map are made on the first grouped
//! request, with room for every request the thread can have outstanding,
//! so that they do not grow afterwards.

use std::collections::HashMap;

use super::options::Group;
use crate::signal::Key;

/// (executor, entry) packed, or `NONE`.
type Node = u64;
const NONE: Node = u64::MAX;

fn node(executor: usize, entry: usize) -> Node {
    (executor as u64) << 32 | entry as u64
}

#[derive(Clone, Copy)]
struct Member {
    /// The member's key while it is in a group.
    key: Option<Key>,
    group: u64,
    prev: Node,
    next: Node,
}

/// See the module docs.
pub(crate) struct Groups {
    /// `[executor][entry]`.
    members: Vec<Box<[Member]>>,
    heads: HashMap<u64, Node>,
}

impl Groups {
    /// Room for `executors` tables of `entries` each.
    pub(crate) fn new(executors: usize, entries: usize) -> Self {
        let member = Member {
            key: None,
            group: 0,
            prev: NONE,
            next: NONE,
        };
        Self {
            members: (0..executors)
                .map(|_| vec![member; entries].into_boxed_slice())
                .collect(),
            heads: HashMap::with_capacity(executors.saturating_mul(entries).min(1 << 20)),
        }
    }

    fn member(&mut self, n: Node) -> &mut Member {
        &mut self.members[(n >> 32) as usize][(n & 0xffff_ffff) as usize]
    }

    /// The request of `key` on `executor` joins `group`.
    pub(crate) fn join(&mut self, group: Group, executor: usize, key: Key) {
        let n = node(executor, key.index());
        let head = self.heads.get(&group.0).copied().unwrap_or(NONE);
        *self.member(n) = Member {
            key: Some(key),
            group: group.0,
            prev: NONE,
            next: head,
        };
        if head != NONE {
            self.member(head).prev = n;
        }
        self.heads.insert(group.0, n);
    }

    /// The request of `key` on `executor` was answered: it leaves its
    /// group, if it is in one.
    pub(crate) fn leave(&mut self, executor: usize, key: Key) {
        let n = node(executor, key.index());
        let m = *self.member(n);
        if m.key != Some(key) {
            return;
        }
        self.member(n).key = None;
        match m.prev {
            NONE => {
                if m.next == NONE {
                    self.heads.remove(&m.group);
                } else {
                    self.heads.insert(m.group, m.next);
                }
            }
            p => self.member(p).next = m.next,
        }
        if m.next != NONE {
            self.member(m.next).prev = m.prev;
        }
    }

    /// Calls `f` with the executor and key of every live request of
    /// `group`.
    pub(crate) fn each(&self, group: Group, mut f: impl FnMut(usize, Key)) {
        let mut n = self.heads.get(&group.0).copied().unwrap_or(NONE);
        while n != NONE {
            let m = &self.members[(n >> 32) as usize][(n & 0xffff_ffff) as usize];
            if let Some(key) = m.key {
                f((n >> 32) as usize, key);
            }
            n = m.next;
        }
    }
}
