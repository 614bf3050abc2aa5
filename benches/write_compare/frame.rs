//! The 64-byte reply frame: what a worker writes and a client checks.

use crate::plan::WORKERS;

/// Bytes per reply.
pub const FRAME: usize = 64;
pub type Frame = [u8; FRAME];

const MAGIC: u64 = 0x6861_6e64_6f66_6621;

fn check_word(seq: u64, worker: usize, conn: usize) -> u64 {
    seq.rotate_left(17) ^ MAGIC ^ ((worker as u64) << 56) ^ ((conn as u64) << 48)
}

fn pad_byte(seq: u64, worker: usize) -> u8 {
    (seq as u8) ^ (0xa5 + worker as u8)
}

pub fn encode(seq: u64, stamp: u64, worker: usize, conn: usize) -> Frame {
    let mut f = [0u8; FRAME];
    f[0..8].copy_from_slice(&seq.to_le_bytes());
    f[8..16].copy_from_slice(&stamp.to_le_bytes());
    f[16..20].copy_from_slice(&(worker as u32).to_le_bytes());
    f[20..24].copy_from_slice(&(conn as u32).to_le_bytes());
    f[24..32].copy_from_slice(&check_word(seq, worker, conn).to_le_bytes());
    f[32..].fill(pad_byte(seq, worker));
    f
}

fn u64_at(f: &Frame, at: usize) -> u64 {
    u64::from_le_bytes(f[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(f: &Frame, at: usize) -> u32 {
    u32::from_le_bytes(f[at..at + 4].try_into().expect("4 bytes"))
}

pub struct Decoded {
    pub seq: u64,
    pub stamp: u64,
    pub worker: usize,
}

/// Decodes a frame read from connection `conn`; panics unless it is
/// whole and meant for this connection.
pub fn decode(f: &Frame, conn: usize, name: &str) -> Decoded {
    let seq = u64_at(f, 0);
    let worker = u32_at(f, 16) as usize;
    let whole = worker < WORKERS
        && u32_at(f, 20) as usize == conn
        && u64_at(f, 24) == check_word(seq, worker, conn)
        && f[32..].iter().all(|&b| b == pad_byte(seq, worker));
    if !whole {
        panic!("{name}: connection {conn} read a torn or misdirected frame: {f:02x?}");
    }
    Decoded {
        seq,
        stamp: u64_at(f, 8),
        worker,
    }
}
