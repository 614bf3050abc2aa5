//! The users file, and the password check in constant time.

use std::collections::HashMap;

use subtle::ConstantTimeEq;

use crate::codec::Password;

/// The users file: one `name password` per line; `#` starts a comment.
#[derive(Debug, Default)]
pub struct Users(HashMap<Vec<u8>, Password>);

impl Users {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut users = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(name), Some(password), None) = (words.next(), words.next(), words.next())
            else {
                return Err(format!("line {}: expected `name password`", n + 1));
            };
            let password = Password::new(password.as_bytes())
                .ok_or_else(|| format!("line {}: a password of more than 128 bytes", n + 1))?;
            users.insert(name.as_bytes().to_vec(), password);
        }
        Ok(Self(users))
    }

    /// Whether `name` exists and `password` is its password. The comparison
    /// takes the same time whichever byte differs and whatever the lengths
    /// (all 128 bytes are compared), and an unknown user costs a comparison
    /// too: the reply's timing tells an attacker nothing about the password.
    pub fn check(&self, name: &[u8], password: &Password) -> bool {
        let (known, stored) = match self.0.get(name) {
            Some(stored) => (1u8, stored),
            None => (0u8, &UNKNOWN),
        };
        let same = stored.bytes.ct_eq(&password.bytes) & stored.len.ct_eq(&password.len);
        (same & known.ct_eq(&1)).into()
    }
}

/// What an unknown user's password is compared with.
const UNKNOWN: Password = Password {
    bytes: [0; 128],
    len: usize::MAX,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn users_file() {
        let users = Users::parse("# users\nnemo arctangent\n\nbob  secret # comment\n").unwrap();
        assert!(users.check(b"nemo", &pw("arctangent")));
        assert!(users.check(b"bob", &pw("secret")));
        assert!(!users.check(b"nemo", &pw("wrong")));
        assert!(!users.check(b"nemo", &pw("arctangen")));
        assert!(!users.check(b"nemo", &pw("arctangent\0x")));
        assert!(!users.check(b"eve", &pw("")));
        assert!(Users::parse("one two three\n").is_err());
        assert!(Users::parse(&format!("long {}\n", "x".repeat(129))).is_err());
    }
}
