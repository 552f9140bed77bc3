//! Who may see what: the agency signs in with one password (kept only as an Argon2 hash),
//! gets a session in an HttpOnly, SameSite=Strict cookie, and every form carries a CSRF
//! token; failed sign-ins are slowed and limited per address. Clients hold links whose
//! tokens are stored hashed ([`token_hash`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// How long a session lasts after signing in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Failed sign-ins from one address within [`FAILURE_WINDOW`] before it must wait.
pub const FAILURES_ALLOWED: usize = 5;

/// How long failed sign-ins are remembered.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "shopaudit_session";

/// The sign-in form's CSRF cookie (double submit: the form must carry the same value).
pub const CSRF_COOKIE: &str = "shopaudit_csrf";

/// `n` bytes from the operating system's randomness, as URL-safe base64.
pub fn random_token(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| Error::Usage(format!("no randomness from the system: {e}")))?;
    Ok(base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes))
}

/// How a link's or session's token is kept: its SHA-256 (the token has 256 random bits, so a
/// fast hash is enough; a stolen table opens nothing).
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal without telling by its timing how much was equal.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The agency's password, kept as an Argon2 hash (PHC string) from the moment it is read.
pub struct Password {
    hash: String,
}

impl Password {
    /// Hashes `plain` with a fresh salt; `plain` is not kept.
    pub fn new(plain: &str) -> Result<Password> {
        if plain.is_empty() {
            return Err(Error::Usage("the sign-in password is empty".into()));
        }
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| Error::Usage(format!("no randomness from the system: {e}")))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Usage(format!("cannot salt the password: {e}")))?;
        let hash = Argon2::default()
            .hash_password(plain.as_bytes(), &salt)
            .map_err(|e| Error::Usage(format!("cannot hash the password: {e}")))?
            .to_string();
        Ok(Password { hash })
    }

    /// True when `attempt` is the password.
    pub fn verify(&self, attempt: &str) -> bool {
        PasswordHash::new(&self.hash).is_ok_and(|h| Argon2::default().verify_password(attempt.as_bytes(), &h).is_ok())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(argon2id)")
    }
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token every form of this session carries.
    pub csrf: String,
    expires: Instant,
}

/// Sessions by their token's hash, and failed sign-ins by address; both in memory (a restart
/// signs everyone out, which is the safe side).
#[derive(Default)]
pub struct Gate {
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

impl Gate {
    /// Opens a session; returns its cookie value.
    pub fn open(&self) -> Result<(String, Session)> {
        let token = random_token(32)?;
        let session = Session { csrf: random_token(32)?, expires: Instant::now() + SESSION_LIFETIME };
        let mut sessions = self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(token_hash(&token), session.clone());
        Ok((token, session))
    }

    /// The live session a cookie value names.
    pub fn session(&self, token: &str) -> Option<Session> {
        let sessions = self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions.get(&token_hash(token)).filter(|s| s.expires > Instant::now()).cloned()
    }

    /// Ends a session.
    pub fn close(&self, token: &str) {
        self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&token_hash(token));
    }

    /// How long `from` must wait before trying again, if it has failed too often lately.
    pub fn wait(&self, from: IpAddr) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let recent = failures.entry(from).or_default();
        recent.retain(|at| now.duration_since(*at) < FAILURE_WINDOW);
        (recent.len() >= FAILURES_ALLOWED).then(|| FAILURE_WINDOW.saturating_sub(now.duration_since(recent[0])))
    }

    /// Remembers a failed sign-in from `from`.
    pub fn failed(&self, from: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.entry(from).or_default().push(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_kept_hashed_and_only_it_opens() {
        let p = Password::new("correct horse").unwrap();
        assert!(p.hash.starts_with("$argon2id$") && !p.hash.contains("correct"));
        assert!(p.verify("correct horse"));
        assert!(!p.verify("correct horse "));
        assert!(Password::new("").is_err());
    }

    #[test]
    fn too_many_failures_from_one_address_must_wait_and_others_need_not() {
        let gate = Gate::default();
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        for _ in 0..FAILURES_ALLOWED {
            assert_eq!(gate.wait(a), None);
            gate.failed(a);
        }
        assert!(gate.wait(a).is_some_and(|w| w > Duration::from_secs(60)));
        assert_eq!(gate.wait(b), None);
    }

    #[test]
    fn a_session_opens_by_its_token_alone_and_closes() {
        let gate = Gate::default();
        let (token, session) = gate.open().unwrap();
        assert!(token.len() >= 43 && session.csrf.len() >= 43);
        assert!(gate.session(&token).is_some());
        assert!(gate.session(&token_hash(&token)).is_none(), "the stored hash is no token");
        gate.close(&token);
        assert!(gate.session(&token).is_none());
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
