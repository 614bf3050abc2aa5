//! A counter the kernel exposes as a file descriptor that is readable while
//! the counter is non-zero (Linux `eventfd`), for waiters that sleep in
//! their own `epoll`/`mio` loop. Under loom the counter is a loom atomic and
//! "the event loop" is a test thread blocked in [`EventFd::wait_readable`].

#[cfg(all(not(loom), target_os = "linux"))]
mod imp {
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

    use rustix::event::{eventfd, EventfdFlags};

    #[derive(Debug)]
    pub(crate) struct EventFd(OwnedFd);

    impl EventFd {
        pub(crate) fn new() -> io::Result<Self> {
            let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
            Ok(Self(fd))
        }

        /// Makes the descriptor readable. One `write(2)`: async-signal-safe.
        pub(crate) fn notify(&self) {
            // EAGAIN means the counter is near 2^64: already readable.
            let _ = rustix::io::write(&self.0, &1u64.to_ne_bytes());
        }

        /// Makes the descriptor unreadable again; returns whether it was
        /// readable.
        pub(crate) fn drain(&self) -> bool {
            let mut buf = [0u8; 8];
            rustix::io::read(&self.0, &mut buf).is_ok()
        }

        pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
            self.0.as_fd()
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::io;
    use std::os::fd::BorrowedFd;

    use crate::loom::Ordering;
    use crate::sys::Futex;

    /// The loom stand-in: the counter is the futex word.
    #[derive(Debug)]
    pub(crate) struct EventFd(Futex);

    impl EventFd {
        pub(crate) fn new() -> io::Result<Self> {
            Ok(Self(Futex::new(0)))
        }

        pub(crate) fn notify(&self) {
            // ordering: Release/Acquire stand in for the kernel's ordering of
            // a write(2) before the read(2) that sees it.
            self.0.fetch_add(1, Ordering::Release);
            self.0.wake_all();
        }

        pub(crate) fn drain(&self) -> bool {
            self.0.swap(0, Ordering::Acquire) != 0
        }

        /// What `epoll_wait` does in a model: return once readable.
        pub(crate) fn wait_readable(&self) {
            while self.0.load(Ordering::Acquire) == 0 {
                self.0.wait(0, None);
            }
        }

        pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
            panic!("a loom model has no file descriptors: use wait_readable")
        }
    }
}

#[cfg(all(not(loom), not(target_os = "linux")))]
mod imp {
    use std::io;

    /// No eventfd here: `new` says so.
    #[derive(Debug)]
    pub(crate) enum EventFd {}

    impl EventFd {
        pub(crate) fn new() -> io::Result<Self> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "handoff: file-descriptor waiting needs Linux eventfd",
            ))
        }

        pub(crate) fn notify(&self) {
            match *self {}
        }

        pub(crate) fn drain(&self) -> bool {
            match *self {}
        }
    }
}

pub(crate) use imp::EventFd;
