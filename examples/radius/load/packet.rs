//! The client's side of the packets, written apart from the server's codec
//! so that each checks the other: Access-Requests with a hidden
//! User-Password and a Message-Authenticator, and the checks of a reply.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

use crate::Options;

/// How a request is signed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// No Message-Authenticator.
    None,
    /// A correct one.
    Good,
    /// One with a flipped bit: the server must not answer.
    Forged,
}

/// An Access-Request with User-Name, the hidden User-Password and, unless
/// `Sign::None`, a Message-Authenticator.
pub fn request(o: &Options, id: u8, auth: &[u8; 16], sign: Sign, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&[1, id, 0, 0]);
    out.extend_from_slice(auth);
    out.extend_from_slice(&[1, o.user.len() as u8 + 2]);
    out.extend_from_slice(&o.user);
    let blocks = o.password.len().div_ceil(16).max(1);
    out.extend_from_slice(&[2, 16 * blocks as u8 + 2]);
    let mut prev: [u8; 16] = *auth;
    for i in 0..blocks {
        let mut h = Md5::new();
        h.update(&o.secret);
        h.update(prev);
        for (j, b) in h.finalize().iter().enumerate() {
            prev[j] = o.password.get(16 * i + j).copied().unwrap_or(0) ^ b;
        }
        out.extend_from_slice(&prev);
    }
    let signed_at = out.len() + 2;
    if sign != Sign::None {
        out.extend_from_slice(&[80, 18]);
        out.extend_from_slice(&[0; 16]);
    }
    let len = out.len() as u16;
    out[2..4].copy_from_slice(&len.to_be_bytes());
    if sign != Sign::None {
        let mut mac = Hmac::<Md5>::new_from_slice(&o.secret).expect("any key length");
        mac.update(out);
        out[signed_at..signed_at + 16].copy_from_slice(&mac.finalize().into_bytes());
        if sign == Sign::Forged {
            out[signed_at + 5] ^= 0x20;
        }
    }
}

/// What a reply to a request with authenticator `auth` is worth.
#[derive(PartialEq, Eq)]
pub enum Verdict {
    /// A correct reply, with a correct Message-Authenticator (`true`) or
    /// none (`false`).
    Good { signed: bool },
    /// The Response Authenticator or the Message-Authenticator is wrong,
    /// or the packet is malformed: not an answer to that request.
    Bad,
}

pub fn verify(o: &Options, reply: &[u8], auth: &[u8; 16]) -> Verdict {
    if reply.len() < 20 || usize::from(u16::from_be_bytes([reply[2], reply[3]])) != reply.len() {
        return Verdict::Bad;
    }
    let mut h = Md5::new();
    h.update(&reply[..4]);
    h.update(auth);
    h.update(&reply[20..]);
    h.update(&o.secret);
    if h.finalize()[..] != reply[4..20] {
        return Verdict::Bad;
    }
    // The Message-Authenticator: HMAC over the reply with the request's
    // authenticator in the header and its own value zeroed.
    let mut at = 20;
    let mut signed = false;
    while at + 2 <= reply.len() {
        let len = usize::from(reply[at + 1]);
        if len < 2 || at + len > reply.len() {
            return Verdict::Bad;
        }
        if reply[at] == 80 {
            if len != 18 || signed {
                return Verdict::Bad;
            }
            let mut mac = Hmac::<Md5>::new_from_slice(&o.secret).expect("any key length");
            mac.update(&reply[..4]);
            mac.update(auth);
            mac.update(&reply[20..at + 2]);
            mac.update(&[0; 16]);
            mac.update(&reply[at + 18..]);
            if mac.verify_slice(&reply[at + 2..at + 18]).is_err() {
                return Verdict::Bad;
            }
            signed = true;
        }
        at += len;
    }
    Verdict::Good { signed }
}
