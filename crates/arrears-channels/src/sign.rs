//! The signature scheme shared by the SMS gateway's requests and its delivery receipts:
//! HMAC-SHA256 of the exact body bytes with a shared secret, as lowercase hex.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length (long keys are hashed), so this cannot fail.
    HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// The hex HMAC-SHA256 of `body` under `secret`.
pub fn sign_hex(secret: &[u8], body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    let tag = m.finalize().into_bytes();
    let mut out = String::with_capacity(tag.len() * 2);
    for b in tag.iter() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0x0f)]));
    }
    out
}

/// Whether `signature_hex` (either case) is the HMAC-SHA256 of `body` under `secret`. The
/// comparison is constant-time.
pub fn verify_hex(secret: &[u8], body: &[u8], signature_hex: &str) -> bool {
    let Some(tag) = decode_hex(signature_hex.trim()) else { return false };
    let mut m = mac(secret);
    m.update(body);
    m.verify_slice(&tag).is_ok()
}

/// Decodes exactly 64 hex digits (an HMAC-SHA256 tag).
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes().chunks(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let sig = sign_hex(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify_hex(b"Jefe", b"what do ya want for nothing?", &sig.to_uppercase()));
    }

    #[test]
    fn refuses_wrong_body_key_or_garbage() {
        let sig = sign_hex(b"k", b"body");
        assert!(!verify_hex(b"k", b"body!", &sig));
        assert!(!verify_hex(b"k2", b"body", &sig));
        assert!(!verify_hex(b"k", b"body", &sig[..62]));
        assert!(!verify_hex(b"k", b"body", "zz"));
        assert!(!verify_hex(b"k", b"body", ""));
    }
}
