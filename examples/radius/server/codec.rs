//! RFC 2865 packets: just enough to answer PAP Access-Requests.
//!
//! A packet is a code, an identifier, a length, a 16-byte authenticator and
//! attributes (type, length, value). An Access-Request's authenticator is
//! random; the User-Password attribute hides the password under it and the
//! shared secret; the reply's authenticator is
//! `MD5(code | id | length | request authenticator | attributes | secret)`.

use std::collections::HashMap;
use std::fmt;

use md5::{Digest, Md5};

pub const ACCESS_REQUEST: u8 = 1;
pub const ACCESS_ACCEPT: u8 = 2;
pub const ACCESS_REJECT: u8 = 3;
pub const USER_NAME: u8 = 1;
pub const USER_PASSWORD: u8 = 2;

/// The smallest and largest packets RFC 2865 allows.
const MIN_LEN: usize = 20;
const MAX_LEN: usize = 4096;

/// Why a datagram was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than a header, or than its own length field.
    Truncated,
    /// A length field outside 20..=4096.
    BadLength,
    /// An attribute shorter than 2 bytes or running past the packet.
    BadAttribute,
    /// Not an Access-Request.
    NotAccessRequest,
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

/// A parsed Access-Request, borrowing the datagram.
#[derive(Debug)]
pub struct Request<'a> {
    pub id: u8,
    pub authenticator: [u8; 16],
    attrs: &'a [u8],
}

/// Parses `buf` as an Access-Request; bytes past its length field (UDP
/// padding) are ignored, as the RFC says.
pub fn parse(buf: &[u8]) -> Result<Request<'_>, Malformed> {
    if buf.len() < MIN_LEN {
        return Err(Malformed::Truncated);
    }
    let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        return Err(Malformed::BadLength);
    }
    if buf.len() < len {
        return Err(Malformed::Truncated);
    }
    if buf[0] != ACCESS_REQUEST {
        return Err(Malformed::NotAccessRequest);
    }
    let attrs = &buf[MIN_LEN..len];
    let mut rest = attrs;
    while !rest.is_empty() {
        let alen = usize::from(*rest.get(1).ok_or(Malformed::BadAttribute)?);
        if alen < 2 || alen > rest.len() {
            return Err(Malformed::BadAttribute);
        }
        rest = &rest[alen..];
    }
    Ok(Request {
        id: buf[1],
        authenticator: buf[4..20].try_into().expect("16 bytes"),
        attrs,
    })
}

impl<'a> Request<'a> {
    /// The value of the first attribute of type `ty`.
    pub fn attr(&self, ty: u8) -> Option<&'a [u8]> {
        let mut rest = self.attrs;
        while rest.len() >= 2 {
            let len = usize::from(rest[1]);
            if rest[0] == ty {
                return Some(&rest[2..len]);
            }
            rest = &rest[len..];
        }
        None
    }

    /// The User-Password, decoded with `secret` (trailing NUL padding cut).
    pub fn password(&self, secret: &[u8]) -> Result<Vec<u8>, Malformed> {
        let hidden = self.attr(USER_PASSWORD).ok_or(Malformed::Missing)?;
        if hidden.is_empty() || hidden.len() % 16 != 0 || hidden.len() > 128 {
            return Err(Malformed::BadPassword);
        }
        let mut plain = Vec::with_capacity(hidden.len());
        let mut prev: &[u8] = &self.authenticator;
        for chunk in hidden.chunks(16) {
            let mut h = Md5::new();
            h.update(secret);
            h.update(prev);
            plain.extend(chunk.iter().zip(h.finalize().iter()).map(|(c, b)| c ^ b));
            prev = chunk;
        }
        while plain.last() == Some(&0) {
            plain.pop();
        }
        Ok(plain)
    }
}

/// Writes into `out` the reply `code` to `req`, with `attrs`, signed with
/// `secret`.
pub fn reply(code: u8, req: &Request<'_>, secret: &[u8], attrs: &[(u8, &[u8])], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&[code, req.id, 0, 0]);
    out.extend_from_slice(&req.authenticator);
    for (ty, value) in attrs {
        let value = &value[..value.len().min(253)];
        out.push(*ty);
        out.push(value.len() as u8 + 2);
        out.extend_from_slice(value);
    }
    let len = out.len() as u16;
    out[2..4].copy_from_slice(&len.to_be_bytes());
    let mut h = Md5::new();
    h.update(&out[..]);
    h.update(secret);
    let sum = h.finalize();
    out[4..20].copy_from_slice(&sum);
}

/// The users file: one `name password` per line; `#` starts a comment.
#[derive(Debug, Default)]
pub struct Users(HashMap<Vec<u8>, Vec<u8>>);

impl Users {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut users = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some(name), Some(password), None) => {
                    users.insert(name.as_bytes().to_vec(), password.as_bytes().to_vec());
                }
                _ => return Err(format!("line {}: expected `name password`", n + 1)),
            }
        }
        Ok(Self(users))
    }

    /// Whether `name` exists and `password` is its password.
    pub fn check(&self, name: &[u8], password: &[u8]) -> bool {
        self.0.get(name).is_some_and(|p| p == password)
    }
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

    #[test]
    fn rfc_example_decodes_and_signs() {
        let req = hex(REQUEST);
        let parsed = parse(&req).unwrap();
        assert_eq!(parsed.attr(USER_NAME), Some(&b"nemo"[..]));
        assert_eq!(parsed.password(b"xyzzy5461").unwrap(), b"arctangent");
        let accept = hex(ACCEPT);
        let attrs: Vec<(u8, &[u8])> = vec![
            (6, &accept[22..26]),
            (15, &accept[28..32]),
            (14, &accept[34..38]),
        ];
        let mut out = Vec::new();
        reply(ACCESS_ACCEPT, &parsed, b"xyzzy5461", &attrs, &mut out);
        assert_eq!(out, accept);
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
        let mut bad = req.clone();
        bad[0] = 4;
        assert_eq!(parse(&bad).unwrap_err(), Malformed::NotAccessRequest);
        assert!(parse(&[0xff; 20]).is_err());
    }

    #[test]
    fn users_file() {
        let users = Users::parse("# users\nnemo arctangent\n\nbob  secret # comment\n").unwrap();
        assert!(users.check(b"nemo", b"arctangent"));
        assert!(!users.check(b"nemo", b"wrong"));
        assert!(!users.check(b"eve", b"x"));
        assert!(Users::parse("one two three\n").is_err());
    }
}
