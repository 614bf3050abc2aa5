//! RFC 2865 packets: just enough to answer PAP Access-Requests and
//! Status-Server (RFC 5997), signed with the RFC 3579 Message-Authenticator.
//!
//! A packet is a code, an identifier, a length, a 16-byte authenticator and
//! attributes (type, length, value). An Access-Request's authenticator is
//! random; the User-Password attribute hides the password under it and the
//! shared secret; the reply's authenticator is
//! `MD5(code | id | length | request authenticator | attributes | secret)`.
//! The Message-Authenticator attribute is `HMAC-MD5(secret, packet)`,
//! computed with its own value zeroed and, in a reply, with the request's
//! authenticator in the header: without it, an attacker who can see a
//! request can forge the reply's MD5 (BlastRADIUS, CVE-2024-3596).
//!
//! This file needs only std, md-5 and hmac, so that the fuzz target
//! (`fuzz/fuzz_targets/radius_codec.rs`) can include it as it is.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

pub const ACCESS_REQUEST: u8 = 1;
pub const ACCESS_ACCEPT: u8 = 2;
pub const ACCESS_REJECT: u8 = 3;
pub const STATUS_SERVER: u8 = 12;
pub const USER_NAME: u8 = 1;
pub const USER_PASSWORD: u8 = 2;
pub const REPLY_MESSAGE: u8 = 18;
pub const MESSAGE_AUTHENTICATOR: u8 = 80;

/// The smallest and largest packets RFC 2865 allows (and RFC 6613 keeps
/// over TCP).
pub const MIN_LEN: usize = 20;
pub const MAX_LEN: usize = 4096;

/// The longest User-Password: 128 bytes, hidden in 16-byte blocks.
pub const MAX_PASSWORD: usize = 128;

/// Why a packet was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than a header, or than its own length field.
    Truncated,
    /// A length field outside 20..=4096.
    BadLength,
    /// An attribute shorter than 2 bytes or running past the packet.
    BadAttribute,
    /// A Message-Authenticator whose length is not 18, or a second one.
    BadMessageAuthenticator,
    /// No User-Name, or no User-Password.
    Missing,
    /// A User-Password whose length is not a multiple of 16 in 16..=128.
    BadPassword,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What a packet's Message-Authenticator says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signature {
    /// There is none.
    Absent,
    /// It is the HMAC of the packet under the secret.
    Valid,
    /// It is not: forged, or signed with another secret.
    Invalid,
}

/// The length of the packet at the front of a TCP stream (RFC 6613: the
/// stream is framed by the length field): `Ok(None)` until its first 4
/// bytes are in; an error for a length outside 20..=4096, after which the
/// stream cannot be framed any more.
pub fn frame_len(stream: &[u8]) -> Result<Option<usize>, Malformed> {
    let Some(header) = stream.get(..4) else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if (MIN_LEN..=MAX_LEN).contains(&len) {
        Ok(Some(len))
    } else {
        Err(Malformed::BadLength)
    }
}

/// A parsed packet, borrowing the datagram (or the TCP frame).
#[derive(Debug)]
pub struct Packet<'a> {
    pub code: u8,
    pub id: u8,
    pub authenticator: [u8; 16],
    /// The whole packet, up to its length field.
    bytes: &'a [u8],
    /// Where the Message-Authenticator's value starts in `bytes`.
    signature_at: Option<usize>,
}

/// Parses `buf` as a RADIUS packet of any code; bytes past its length field
/// (UDP padding) are ignored, as the RFC says.
pub fn parse(buf: &[u8]) -> Result<Packet<'_>, Malformed> {
    if buf.len() < MIN_LEN {
        return Err(Malformed::Truncated);
    }
    let len = frame_len(buf)?.expect("20 bytes are there");
    let bytes = buf.get(..len).ok_or(Malformed::Truncated)?;
    let mut signature_at = None;
    let mut at = MIN_LEN;
    while at < len {
        let alen = usize::from(*bytes.get(at + 1).ok_or(Malformed::BadAttribute)?);
        if alen < 2 || at + alen > len {
            return Err(Malformed::BadAttribute);
        }
        if bytes[at] == MESSAGE_AUTHENTICATOR {
            if alen != 18 || signature_at.is_some() {
                return Err(Malformed::BadMessageAuthenticator);
            }
            signature_at = Some(at + 2);
        }
        at += alen;
    }
    Ok(Packet {
        code: bytes[0],
        id: bytes[1],
        authenticator: bytes[4..20].try_into().expect("16 bytes"),
        bytes,
        signature_at,
    })
}

/// `HMAC-MD5(secret, packet)` with the 16 bytes at `zeroed` read as zeros.
fn hmac(secret: &[u8], packet: &[u8], zeroed: usize) -> Hmac<Md5> {
    let mut mac = Hmac::<Md5>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&packet[..zeroed]);
    mac.update(&[0; 16]);
    mac.update(&packet[zeroed + 16..]);
    mac
}

impl<'a> Packet<'a> {
    /// The value of the first attribute of type `ty`.
    pub fn attr(&self, ty: u8) -> Option<&'a [u8]> {
        let mut rest = &self.bytes[MIN_LEN..];
        while rest.len() >= 2 {
            let len = usize::from(rest[1]);
            if rest[0] == ty {
                return Some(&rest[2..len]);
            }
            rest = &rest[len..];
        }
        None
    }

    /// Checks the Message-Authenticator of a request (whose authenticator
    /// field is its own) against `secret`, in constant time.
    pub fn signature(&self, secret: &[u8]) -> Signature {
        let Some(at) = self.signature_at else {
            return Signature::Absent;
        };
        match hmac(secret, self.bytes, at).verify_slice(&self.bytes[at..at + 16]) {
            Ok(()) => Signature::Valid,
            Err(_) => Signature::Invalid,
        }
    }

    /// The User-Password, decoded with `secret`: its first `len` bytes
    /// (trailing NUL padding cut), zeros after.
    pub fn password(&self, secret: &[u8]) -> Result<Password, Malformed> {
        let hidden = self.attr(USER_PASSWORD).ok_or(Malformed::Missing)?;
        if hidden.is_empty() || hidden.len() % 16 != 0 || hidden.len() > MAX_PASSWORD {
            return Err(Malformed::BadPassword);
        }
        let mut plain = Password::default();
        let mut prev: &[u8] = &self.authenticator;
        for (i, chunk) in hidden.chunks(16).enumerate() {
            let mut h = Md5::new();
            h.update(secret);
            h.update(prev);
            for (j, (c, b)) in chunk.iter().zip(h.finalize()).enumerate() {
                plain.bytes[16 * i + j] = c ^ b;
            }
            prev = chunk;
        }
        plain.len = hidden.len();
        while plain.len > 0 && plain.bytes[plain.len - 1] == 0 {
            plain.len -= 1;
        }
        Ok(plain)
    }
}

/// A decoded User-Password: a fixed buffer, so that checking it allocates
/// nothing and its comparison can take the same time whatever it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Password {
    /// The password, then zeros.
    pub bytes: [u8; MAX_PASSWORD],
    pub len: usize,
}

impl Default for Password {
    fn default() -> Self {
        Self {
            bytes: [0; MAX_PASSWORD],
            len: 0,
        }
    }
}

impl Password {
    /// `plain` as a password, or `None` if longer than 128 bytes.
    pub fn new(plain: &[u8]) -> Option<Self> {
        let mut password = Self::default();
        password
            .bytes
            .get_mut(..plain.len())?
            .copy_from_slice(plain);
        password.len = plain.len();
        Some(password)
    }

    #[cfg(test)]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Writes into `out` the reply `code` to `request` (an Access-Accept,
/// Access-Reject or Access-Challenge), signed with `secret`: a
/// Message-Authenticator first (RFC 3579, and the BlastRADIUS advice:
/// first, so that no attacker-chosen prefix comes before it), then `attrs`,
/// then the Response Authenticator over it all.
pub fn reply(
    code: u8,
    request: &Packet<'_>,
    secret: &[u8],
    attrs: &[(u8, &[u8])],
    out: &mut Vec<u8>,
) {
    out.clear();
    out.extend_from_slice(&[code, request.id, 0, 0]);
    out.extend_from_slice(&request.authenticator);
    out.extend_from_slice(&[MESSAGE_AUTHENTICATOR, 18]);
    out.extend_from_slice(&[0; 16]);
    for (ty, value) in attrs {
        let value = &value[..value.len().min(253)];
        out.push(*ty);
        out.push(value.len() as u8 + 2);
        out.extend_from_slice(value);
    }
    assert!(out.len() <= MAX_LEN, "a reply of {} bytes", out.len());
    let len = out.len() as u16;
    out[2..4].copy_from_slice(&len.to_be_bytes());
    let signature = hmac(secret, out, MIN_LEN + 2).finalize().into_bytes();
    out[MIN_LEN + 2..MIN_LEN + 18].copy_from_slice(&signature);
    sign_response(out, secret);
}

/// Replaces the request authenticator in `reply`'s header by the Response
/// Authenticator.
fn sign_response(reply: &mut [u8], secret: &[u8]) {
    let mut h = Md5::new();
    h.update(&reply[..]);
    h.update(secret);
    reply[4..20].copy_from_slice(&h.finalize());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    /// RFC 2865, section 7.1: user "nemo", password "arctangent", secret
    /// "xyzzy5461".
    const REQUEST: &str = "01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a \
        01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee \
        04 06 c0 a8 01 10 05 06 00 00 00 03";
    const ACCEPT: &str = "02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2 \
        06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03";
    /// RFC 5997, section 6: a Status-Server with a Message-Authenticator,
    /// secret "xyzzy5461".
    const STATUS: &str = "0c da 00 26 8a 54 f4 68 6f b3 94 c5 28 66 e3 02 18 5d 06 23 \
        50 12 5a 66 5e 2e 1e 84 11 f3 e2 43 82 20 97 c8 4f a3";

    #[test]
    fn rfc_2865_example_decodes_and_signs() {
        let req = hex(REQUEST);
        let parsed = parse(&req).unwrap();
        assert_eq!(
            (parsed.code, parsed.signature(b"x")),
            (ACCESS_REQUEST, Signature::Absent)
        );
        assert_eq!(parsed.attr(USER_NAME), Some(&b"nemo"[..]));
        assert_eq!(
            parsed.password(b"xyzzy5461").unwrap().as_bytes(),
            b"arctangent"
        );
        let accept = hex(ACCEPT);
        let mut signed = accept.clone();
        signed[4..20].copy_from_slice(&parsed.authenticator);
        sign_response(&mut signed, b"xyzzy5461");
        assert_eq!(signed, accept);
    }

    #[test]
    fn rfc_5997_message_authenticator_verifies() {
        let status = hex(STATUS);
        let parsed = parse(&status).unwrap();
        assert_eq!(parsed.code, STATUS_SERVER);
        assert_eq!(parsed.signature(b"xyzzy5461"), Signature::Valid);
        assert_eq!(parsed.signature(b"xyzzy5462"), Signature::Invalid);
        for i in [0, 1, 4, 19, 22, 37] {
            let mut forged = status.clone();
            forged[i] ^= 1;
            let parsed = parse(&forged).unwrap();
            assert_eq!(
                parsed.signature(b"xyzzy5461"),
                Signature::Invalid,
                "byte {i}"
            );
        }
    }

    #[test]
    fn replies_carry_a_message_authenticator_first() {
        let req = hex(REQUEST);
        let request = parse(&req).unwrap();
        let mut out = Vec::new();
        reply(
            ACCESS_ACCEPT,
            &request,
            b"s3cret",
            &[(REPLY_MESSAGE, b"hi")],
            &mut out,
        );
        assert_eq!(out.len(), 20 + 18 + 4);
        assert_eq!(&out[20..22], &[MESSAGE_AUTHENTICATOR, 18]);
        // The client's checks: the Response Authenticator, then the HMAC
        // with the request authenticator put back in the header.
        let mut check = out.clone();
        check[4..20].copy_from_slice(&request.authenticator);
        sign_response(&mut check, b"s3cret");
        assert_eq!(check[4..20], out[4..20]);
        check[4..20].copy_from_slice(&request.authenticator);
        assert_eq!(
            parse(&check).unwrap().signature(b"s3cret"),
            Signature::Valid
        );
        assert_eq!(parse(&out).unwrap().attr(REPLY_MESSAGE), Some(&b"hi"[..]));
    }

    #[test]
    fn malformed_packets_are_refused() {
        let req = hex(REQUEST);
        assert_eq!(parse(&req[..19]).unwrap_err(), Malformed::Truncated);
        assert_eq!(parse(&req[..40]).unwrap_err(), Malformed::Truncated);
        let mut bad = req.clone();
        bad[3] = 10;
        assert_eq!(parse(&bad).unwrap_err(), Malformed::BadLength);
        let mut bad = req.clone();
        bad[21] = 1;
        assert_eq!(parse(&bad).unwrap_err(), Malformed::BadAttribute);
        assert!(parse(&[0xff; 20]).is_err());
        // A Message-Authenticator of the wrong size, and two of them.
        let mut short = req.clone();
        short.extend_from_slice(&[MESSAGE_AUTHENTICATOR, 3, 0]);
        short[3] += 3;
        assert_eq!(
            parse(&short).unwrap_err(),
            Malformed::BadMessageAuthenticator
        );
        let mut two = hex(STATUS);
        two.extend_from_slice(&hex(STATUS)[20..]);
        two[3] += 18;
        assert_eq!(parse(&two).unwrap_err(), Malformed::BadMessageAuthenticator);
    }

    #[test]
    fn tcp_frames_by_the_length_field() {
        let req = hex(REQUEST);
        assert_eq!(frame_len(&req[..3]), Ok(None));
        assert_eq!(frame_len(&req[..4]), Ok(Some(0x38)));
        assert_eq!(frame_len(&[1, 0, 0, 19]), Err(Malformed::BadLength));
        assert_eq!(frame_len(&[1, 0, 0x10, 1]), Err(Malformed::BadLength));
    }

    #[test]
    fn passwords_up_to_128_bytes() {
        assert_eq!(Password::new(b"abc").unwrap().as_bytes(), b"abc");
        assert!(Password::new(&[b'x'; 128]).is_some());
        assert!(Password::new(&[b'x'; 129]).is_none());
    }
}
