//! The executor's runnable requests, in the order it runs them: priority
//! first, then requests already started before new ones, then oldest
//! first (FreeRADIUS v4's `worker_runnable_cmp`).
//!
//! Intrusive doubly linked lists threaded through an array of one link per
//! entry of the signal table, two lists per priority level (started, new):
//! pushing a new request, popping the next and removing one (a request
//! cancelled while runnable) are O(1) and allocate nothing, and an entry is
//! in at most one list. A started request that becomes runnable again is
//! put in order of age among the started ones of its level, walking from
//! the youngest (the list is short: the requests woken since the last
//! turn).

use super::options::Priority;

const NONE: u32 = u32::MAX;
/// Lists per level: started, then new.
const KINDS: usize = 2;
const LISTS: usize = Priority::LEVELS * KINDS;

#[derive(Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
    /// The list the entry is in, or `NONE`.
    list: u32,
    /// When the executor took the request: smaller is older.
    seq: u64,
}

#[derive(Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

/// See the module docs.
pub(super) struct RunQueue {
    links: Box<[Link]>,
    lists: [List; LISTS],
    len: usize,
}

impl RunQueue {
    pub(super) fn new(entries: usize) -> Self {
        let link = Link {
            prev: NONE,
            next: NONE,
            list: NONE,
            seq: 0,
        };
        Self {
            links: vec![link; entries].into_boxed_slice(),
            lists: [List {
                head: NONE,
                tail: NONE,
            }; LISTS],
            len: 0,
        }
    }

    fn list(priority: Priority, started: bool) -> usize {
        priority.level() * KINDS + usize::from(started)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `entry` waits in a list.
    pub(super) fn contains(&self, entry: usize) -> bool {
        self.links[entry].list != NONE
    }

    /// Queues a request the executor just took: the youngest of its level.
    pub(super) fn push_new(&mut self, entry: usize, priority: Priority, seq: u64) {
        debug_assert!(!self.contains(entry), "entry {entry} queued twice");
        self.links[entry].seq = seq;
        let list = Self::list(priority, false);
        let tail = self.lists[list].tail;
        self.link_after(entry, list, tail);
    }

    /// Queues a started request that is runnable again (woken, signalled,
    /// its timer due), among the started ones of its level by age; does
    /// nothing if it is queued already.
    pub(super) fn push_started(&mut self, entry: usize, priority: Priority) {
        if self.contains(entry) {
            return;
        }
        let list = Self::list(priority, true);
        let seq = self.links[entry].seq;
        let mut after = self.lists[list].tail;
        while after != NONE && self.links[after as usize].seq > seq {
            after = self.links[after as usize].prev;
        }
        self.link_after(entry, list, after);
    }

    /// Links `entry` into `list` right after `after` (`NONE`: at the head).
    fn link_after(&mut self, entry: usize, list: usize, after: u32) {
        let next = if after == NONE {
            self.lists[list].head
        } else {
            self.links[after as usize].next
        };
        let e = entry as u32;
        self.links[entry].prev = after;
        self.links[entry].next = next;
        self.links[entry].list = list as u32;
        match after {
            NONE => self.lists[list].head = e,
            a => self.links[a as usize].next = e,
        }
        match next {
            NONE => self.lists[list].tail = e,
            n => self.links[n as usize].prev = e,
        }
        self.len += 1;
    }

    /// Takes `entry` out of its list, if it is in one.
    pub(super) fn remove(&mut self, entry: usize) {
        let Link {
            prev, next, list, ..
        } = self.links[entry];
        if list == NONE {
            return;
        }
        let list = list as usize;
        match prev {
            NONE => self.lists[list].head = next,
            p => self.links[p as usize].next = next,
        }
        match next {
            NONE => self.lists[list].tail = prev,
            n => self.links[n as usize].prev = prev,
        }
        self.links[entry].list = NONE;
        self.len -= 1;
    }

    /// Takes the next request to run: the highest priority, started before
    /// new, oldest first.
    pub(super) fn pop(&mut self) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        for list in (0..LISTS).rev() {
            let head = self.lists[list].head;
            if head != NONE {
                self.remove(head as usize);
                return Some(head as usize);
            }
        }
        debug_assert!(false, "len {} but every list empty", self.len);
        None
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn priority_then_started_then_oldest() {
        let mut q = RunQueue::new(8);
        q.push_new(0, Priority::Low, 0);
        q.push_new(1, Priority::Normal, 1);
        q.push_new(2, Priority::Normal, 2);
        q.push_new(3, Priority::High, 3);
        // 4 and 5 started earlier; woken in the other order.
        q.links[4].seq = 5;
        q.links[5].seq = 4;
        q.push_started(4, Priority::Normal);
        q.push_started(5, Priority::Normal);
        q.push_started(5, Priority::Normal); // already queued: no-op
        q.remove(2);
        q.remove(2);
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [3, 5, 4, 1, 0]);
        assert!(q.is_empty());
    }
}
