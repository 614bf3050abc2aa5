//! Adversarial tests: user code that panics everywhere it can, producers
//! stalled mid-push, signal handlers that interrupt the very operation they
//! repeat, wakers that panic, frames that change under the writer, items
//! that count their drops. One module per module of the crate; the header
//! of each test names the class of bug it pins.
//!
//! Run with `cargo test --test adversarial`; Miri runs them too (sizes
//! shrink under `cfg(miri)`).

#![cfg(not(loom))]

#[path = "../common/mod.rs"]
mod common;

mod mpsc;
mod park;
mod signal_safety;
mod spsc;
mod worker;
mod write;

/// Counts allocations made inside signal handlers (see `signal_safety`).
#[cfg(all(target_os = "linux", not(miri)))]
#[global_allocator]
static ALLOCATOR: signal_safety::Counting = signal_safety::Counting;

/// Panics raised on purpose carry this word, and the quiet panic hook
/// (see [`quiet_panics`]) does not print them.
pub const DELIBERATE: &str = "deliberate";

/// A panic payload whose own `Drop` panics: what `panic_any(Bomb)` throws.
/// Dropping it where its panic can escape is the bug class these tests
/// pin; disposing of it correctly leaks its second payload instead.
pub struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        BOMBS_DROPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        panic!("{DELIBERATE}: a panic payload's Drop panics");
    }
}

/// How many `Bomb`s had their `Drop` run (each at most once).
pub static BOMBS_DROPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Keeps deliberate panics out of the test output (everything else is
/// printed as usual).
pub fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let deliberate = payload.is::<Bomb>()
                || payload
                    .downcast_ref::<&str>()
                    .is_some_and(|s| s.contains(DELIBERATE))
                || payload
                    .downcast_ref::<String>()
                    .is_some_and(|s| s.contains(DELIBERATE));
            if !deliberate {
                default(info);
            }
        }));
    });
}

/// Installs `handler` for `signal` (each test binary's signals are its
/// own: SIGUSR1 for `signal_safety`, SIGUSR2 for `mpsc`).
#[cfg(all(unix, not(miri)))]
pub fn install_handler(signal: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: a plain C handler; what it runs is each test's business (and
    // what each test checks is async-signal-safe).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(signal, &action, std::ptr::null_mut()), 0);
    }
}
