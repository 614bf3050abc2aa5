//! Per-connection write contexts: replies written by whichever worker has
//! them, with no writer thread.
//!
//! The usual server gives each connection a writer thread fed by a queue:
//! every reply costs a hand-off between threads, and every slow client keeps
//! a mostly idle thread. Here each connection has a [`WriteContext`]. A
//! worker with a reply [`submit`](WriteContext::submit)s it; if nobody holds
//! the context, that worker takes it, writes every frame queued (one
//! `writev` for up to 256 frames), and lets go. When the socket would block,
//! the rest waits in the context, and the event loop calls
//! [`on_writable`](WriteContext::on_writable) when the socket can take more;
//! writing resumes at the exact byte where it stopped. No worker ever waits
//! for a slow client, and a fast client's reply costs a ring push, a pop and
//! the `write` itself.
//!
//! # The protocol
//!
//! One state word holds four bits: `HELD` (a thread is writing),
//! `WANT_WRITABLE` (the writer would block; nobody holds the context until
//! `on_writable`), `DIRTY` (a frame was queued while the context was busy)
//! and `CLOSED`.
//!
//! - **Submit**: push the frame onto an [`mpsc`](crate::mpsc) ring, then, if
//!   the state was idle, take the context by compare-and-swap. Otherwise set
//!   `DIRTY` with a read-modify-write and take the context if that showed it
//!   idle; if it was held or waiting for writability, the frame is the
//!   holder's (or `on_writable`'s) to write.
//! - **Hold**: pop frames into a batch, `write_vectored` them, advance by
//!   the bytes written, until the ring is empty. Then release by
//!   compare-and-swap `HELD → idle`, which fails if `DIRTY` is set: then
//!   clear `DIRTY` and look at the ring again. So no frame is stranded: a
//!   submitter's `DIRTY` either comes before the release (which then fails)
//!   or after it (and the submitter sees the context idle and takes it).
//! - **Would block**: store `WANT_WRITABLE` (which clears `HELD`) and return
//!   [`Status::WantsWritable`] to the one caller that must arrange
//!   `on_writable`. Submitters meanwhile only queue.
//! - **Error**: store the error, then `CLOSED`. Later submits get their frame
//!   back with the error; frames accepted and not written wait for
//!   [`take_unsent`](WriteContext::take_unsent).
//!
//! # Guarantees
//!
//! - **Frames are whole**: bytes of two frames never interleave, and a
//!   frame is written once.
//! - **Order**: the frames one thread submits are written in that order
//!   (frames of different threads in the order their ring pushes took).
//! - **Nothing is lost**: an accepted frame is written, or, if the
//!   connection fails, kept for `take_unsent` (or dropped with the
//!   context); a refused one comes back in [`SubmitError`].
//! - **Progress**: `submit`, `feed`, `flush` and `on_writable` never wait
//!   for another thread; they are lock-free. A submitter preempted (or
//!   interrupted by a signal handler) in the middle of its ring push holds
//!   back the frames queued behind it (others are told [`Status::Queued`])
//!   until it resumes, and then it writes them; if the queue is full
//!   meanwhile, even of frames not yet written, a submit is refused
//!   ([`SubmitError::Full`]) at once.
//! - **Byte counts**: a frame's length is read once, when it is accepted;
//!   every count (pending bytes, back-pressure) uses that length, so a frame
//!   whose `as_ref()` changes length later cannot make them drift. Its
//!   bytes are written up to that length.
//! - **Back-pressure**: at most [`WriteConfig::max_pending_bytes`] bytes
//!   wait per connection (a single larger frame is accepted when nothing
//!   waits); beyond that `submit` hands the frame back
//!   ([`SubmitError::Full`]).
//! - **Panics**: if the writer panics, the context closes (the panic goes on
//!   to the caller) rather than staying held forever.
//!
//! # With an event loop
//!
//! ```
//! use handoff::write::{Status, WriteContext};
//! use std::io::Read;
//! use std::net::{TcpListener, TcpStream};
//! use std::sync::Arc;
//!
//! # fn main() -> std::io::Result<()> {
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let client = TcpStream::connect(listener.local_addr()?)?;
//! let (server, _) = listener.accept()?;
//! server.set_nonblocking(true)?;
//! let ctx = Arc::new(WriteContext::new(server));
//!
//! // A worker submits replies; it never blocks.
//! let status = ctx.submit(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()).unwrap();
//! match status {
//!     Status::Written | Status::Queued => {}
//!     // Register the socket for writability; when the event loop sees it
//!     // writable, it calls `ctx.on_writable()` (which may ask again).
//!     Status::WantsWritable => { /* epoll_ctl(EPOLLOUT) */ }
//!     Status::Failed => { /* close the connection */ }
//! }
//!
//! let mut got = [0; 27];
//! (&client).read_exact(&mut got)?;
//! assert_eq!(&got, b"HTTP/1.1 204 No Content\r\n\r\n");
//! # Ok(())
//! # }
//! ```

mod config;
mod context;
mod error;
mod holder;
mod stats;
mod status;

pub use config::WriteConfig;
pub use context::WriteContext;
pub use error::SubmitError;
pub use stats::WriteStats;
pub use status::Status;
