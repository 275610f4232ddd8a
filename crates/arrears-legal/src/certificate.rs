//! Verification codes of certificates: 80 random bits as 16 Crockford base-32 characters in
//! four groups (`7KQ4-2M9X-…`), easy to read aloud and type; reading one back forgives case,
//! dashes, spaces and the letters a reader mistakes for digits (O for 0, I and L for 1).

/// The alphabet: digits and letters without I, L, O and U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new verification code.
pub fn new_code() -> Result<String, crate::bundle::BundleError> {
    let mut bytes = [0u8; 10];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| crate::bundle::BundleError::Key("no randomness".into()))?;
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let chars: Vec<u8> = (0..16).rev().map(|k| ALPHABET[((bits >> (5 * k)) & 31) as usize]).collect();
    Ok(group(&chars))
}

fn group(chars: &[u8]) -> String {
    chars.chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// The code as issued, from what someone typed; `None` if it cannot be one.
pub fn normalize(text: &str) -> Option<String> {
    if !text.is_ascii() {
        return None;
    }
    let chars: Vec<u8> = text
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .map(|c| c as u8)
        .collect();
    (chars.len() == 16 && chars.iter().all(|c| ALPHABET.contains(c))).then(|| group(&chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_characters_in_four_groups_and_read_back_forgivingly() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), 19);
        assert_eq!(normalize(&code), Some(code.clone()));
        assert_eq!(normalize(&code.to_lowercase().replace('-', " ")), Some(code.clone()));
        assert_ne!(new_code().unwrap(), code, "random");
        assert_eq!(normalize("7kq4-2m9x-abcd-efgh"), Some("7KQ4-2M9X-ABCD-EFGH".into()));
        assert_eq!(normalize("O1IL-0000-0000-0000"), Some("0111-0000-0000-0000".into()));
        assert_eq!(normalize("7KQ4-2M9X-ABCD-EFGU"), None, "U is not in the alphabet");
        assert_eq!(normalize("7KQ4"), None);
        assert_eq!(normalize("七KQ4-2M9X-ABCD-EFGH"), None);
        assert_eq!(normalize("\u{4e41}KQ4-2M9X-ABCD-EFGH"), None, "a character whose low byte is a letter");
    }
}
