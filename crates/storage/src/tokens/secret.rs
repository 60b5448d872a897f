//! Token secrets: made from OS randomness, known to the server only by their
//! SHA-256 digest.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every token starts with this, so people and secret scanners recognise one.
pub const TOKEN_PREFIX: &str = "ing_";

/// Random bytes in a token: 256 bits, far beyond guessing.
const TOKEN_BYTES: usize = 32;

/// A token as shown once to the person who created it. Debug never prints it.
pub struct TokenSecret(String);

impl TokenSecret {
    /// A new token: `ing_` and 32 bytes from the OS, base64url without padding.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::getrandom(&mut bytes)?;
        Ok(Self(format!(
            "{TOKEN_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<token>")
    }
}

/// The hex SHA-256 of a token, as stored and looked up.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two digests in constant time, so how long a comparison takes
/// says nothing about how much of a guess was right.
pub fn digests_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_never_printed() {
        let one = TokenSecret::generate().expect("randomness");
        let two = TokenSecret::generate().expect("randomness");
        assert!(one.expose().starts_with(TOKEN_PREFIX));
        assert_eq!(one.expose().len(), TOKEN_PREFIX.len() + 43);
        assert_ne!(one.expose(), two.expose());
        assert_eq!(format!("{one:?}"), "<token>");
        assert_eq!(one.digest().len(), 64);
        assert!(digests_match(&one.digest(), &digest(one.expose())));
        assert!(!digests_match(&one.digest(), &two.digest()));
        assert!(!digests_match(&one.digest(), ""));
    }
}
