//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts how many times values made by one [`Drops`] were dropped, and
/// checks that none is dropped twice.
#[derive(Clone, Debug, Default)]
pub struct Drops(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

impl Drops {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new tracked value carrying `id`.
    pub fn item(&self, id: u64) -> Tracked {
        self.0.made.fetch_add(1, Ordering::Relaxed);
        Tracked {
            id,
            alive: true,
            owner: Arc::clone(&self.0),
        }
    }

    pub fn made(&self) -> usize {
        self.0.made.load(Ordering::SeqCst)
    }

    pub fn dropped(&self) -> usize {
        self.0.dropped.load(Ordering::SeqCst)
    }

    /// Values made and not yet dropped.
    pub fn alive(&self) -> usize {
        self.made() - self.dropped()
    }
}

/// A value whose drop is counted; dropping it twice panics.
#[derive(Debug)]
pub struct Tracked {
    pub id: u64,
    alive: bool,
    owner: Arc<Inner>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        assert!(self.alive, "item {} dropped twice", self.id);
        self.alive = false;
        self.owner.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// `n` scaled down under Miri, where every step is thousands of times slower.
pub fn scaled(n: u64, miri: u64) -> u64 {
    if cfg!(miri) {
        miri
    } else {
        n
    }
}
