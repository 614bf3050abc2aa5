//! The RADIUS example's codec (`examples/radius/server/codec.rs`, included
//! as it is) on arbitrary bytes: TCP framing by the length field, parsing
//! at every length, every attribute, and the three Message-Authenticator
//! paths (absent, valid: the target signs the input itself when the first
//! byte asks, invalid: everything else). Checks that nothing panics, that
//! a packet signed here verifies, and that every reply to a parsed packet
//! parses, carries a Message-Authenticator first, and verifies as a client
//! would check it (HMAC and Response Authenticator, computed here).
#![no_main]

#[allow(dead_code)]
#[path = "../../examples/radius/server/codec.rs"]
mod codec;

use codec::Signature;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};

const SECRETS: [&[u8]; 4] = [b"", b"testing123", b"xyzzy5461", &[0xff; 64]];

/// Where the first attribute of type 80 starts, walking the attributes of
/// `packet` (which `parse` accepted, so the walk stays in bounds).
fn signature_at(packet: &[u8]) -> Option<usize> {
    let len = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    let mut at = 20;
    while at < len {
        if packet[at] == 80 {
            return Some(at + 2);
        }
        at += usize::from(packet[at + 1]);
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let secret = SECRETS[usize::from(flags & 3)];
    match codec::frame_len(rest) {
        Ok(Some(len)) => assert!((20..=4096).contains(&len) && rest.len() >= 4),
        Ok(None) => assert!(rest.len() < 4),
        Err(_) => assert!(rest.len() >= 4),
    }
    let mut packet = rest.to_vec();
    let mut signed = false;
    if flags & 4 != 0 && codec::parse(&packet).is_ok() {
        if let Some(at) = signature_at(&packet) {
            let len = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
            packet[at..at + 16].fill(0);
            let mut mac = Hmac::<Md5>::new_from_slice(secret).unwrap();
            mac.update(&packet[..len]);
            packet[at..at + 16].copy_from_slice(&mac.finalize().into_bytes());
            signed = true;
        }
    }
    let Ok(request) = codec::parse(&packet) else {
        return;
    };
    let signature = request.signature(secret);
    assert_eq!(
        signature == Signature::Absent,
        signature_at(&packet).is_none()
    );
    if signed {
        assert_eq!(signature, Signature::Valid);
    }
    for ty in [
        codec::USER_NAME,
        codec::USER_PASSWORD,
        codec::MESSAGE_AUTHENTICATOR,
        flags >> 3,
    ] {
        if let Some(value) = request.attr(ty) {
            assert!(value.len() <= 253);
        }
    }
    if let Ok(password) = request.password(secret) {
        assert!(password.len <= codec::MAX_PASSWORD);
        assert!(password.bytes[password.len..].iter().all(|&b| b == 0));
    }
    let echo = request.attr(codec::USER_NAME).unwrap_or(b"");
    let mut out = Vec::new();
    codec::reply(
        codec::ACCESS_REJECT,
        &request,
        secret,
        &[(codec::REPLY_MESSAGE, echo)],
        &mut out,
    );
    let reply = codec::parse(&out).expect("a reply parses");
    assert_eq!((reply.code, reply.id), (codec::ACCESS_REJECT, request.id));
    assert_eq!(&out[20..22], &[codec::MESSAGE_AUTHENTICATOR, 18]);
    // As the client checks it: the Response Authenticator over the reply
    // with the request's authenticator, then the HMAC likewise.
    let mut check = out.clone();
    check[4..20].copy_from_slice(&request.authenticator);
    let mut h = Md5::new();
    h.update(&check);
    h.update(secret);
    assert_eq!(h.finalize()[..], out[4..20]);
    assert_eq!(
        codec::parse(&check).unwrap().signature(secret),
        Signature::Valid
    );
});
