//! HTTP basic authentication against the web configuration's `basic_auth_users` (bcrypt
//! hashes), as exporter-toolkit does it: successful checks are cached so that a scrape every few
//! seconds does not pay bcrypt each time, an unknown user costs a bcrypt comparison all the same
//! (so that timing does not tell which users exist), and one bcrypt runs at a time.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// The value of `WWW-Authenticate` on a 401.
pub const WWW_AUTHENTICATE: &str = "Basic realm=\"kconnect-exporter\"";

/// Successful checks remembered, as exporter-toolkit does: enough for every user of a small
/// set, bounded so that it cannot grow with traffic.
const CACHE_SIZE: usize = 100;

/// Salt and hash of a real bcrypt hash, given the cost of the slowest configured user, to spend
/// the same time on an unknown user as on a known one.
const DUMMY_SALT_AND_HASH: &str = "L6Bc/AlTQHyd9liGgGEZyOFLPHNgyxeEPfgYfBCVxJ7JIlwxyVU3u";

/// Why a request was not authenticated: a closed set for logs and metrics. Every one of them is
/// answered the same way (401), so that a client learns nothing about which users exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no Authorization header")]
    Missing,
    #[error("the Authorization header is not Basic base64(user:password)")]
    Malformed,
    #[error("unknown user")]
    UnknownUser,
    #[error("wrong password")]
    WrongPassword,
    #[error("the password could not be checked")]
    Unchecked,
}

impl AuthError {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Malformed => "malformed",
            AuthError::UnknownUser => "unknown_user",
            AuthError::WrongPassword => "wrong_password",
            AuthError::Unchecked => "unchecked",
        }
    }
}

/// The users of `basic_auth_users` and the cache of successful checks.
pub struct BasicAuth {
    users: HashMap<String, Secret>,
    dummy_hash: String,
    cache: Mutex<HashSet<[u8; 32]>>,
    /// bcrypt takes tens of milliseconds of CPU: one at a time, so that a flood of bad passwords
    /// cannot take every core.
    bcrypt_gate: Mutex<()>,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut users: Vec<&str> = self.users.keys().map(String::as_str).collect();
        users.sort_unstable();
        f.debug_struct("BasicAuth")
            .field("users", &users)
            .finish_non_exhaustive()
    }
}

impl BasicAuth {
    /// `users` are user names and bcrypt hashes, as the web configuration checked them.
    pub fn new(users: Vec<(String, Secret)>) -> BasicAuth {
        let cost = users
            .iter()
            .filter_map(|(_, h)| h.expose().parse::<bcrypt::HashParts>().ok())
            .map(|parts| parts.get_cost())
            .max()
            .unwrap_or(10);
        BasicAuth {
            users: users.into_iter().collect(),
            dummy_hash: format!("$2b${cost:02}${DUMMY_SALT_AND_HASH}"),
            cache: Mutex::new(HashSet::new()),
            bcrypt_gate: Mutex::new(()),
        }
    }

    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Checks an `Authorization` header value and returns the user name. May run bcrypt (tens of
    /// milliseconds at cost 10): call it off the async workers, or use
    /// [`BasicAuth::authenticate_async`].
    pub fn authenticate(&self, authorization: Option<&[u8]>) -> Result<String, AuthError> {
        let (user, password) = credentials(authorization)?;
        let (hash, known) = match self.users.get(&user) {
            Some(hash) => (hash.expose(), true),
            None => (self.dummy_hash.as_str(), false),
        };
        let key = cache_key(&user, hash, &password);
        if known && self.cached(&key) {
            return Ok(user);
        }
        let matches = {
            let _gate = self.bcrypt_gate.lock().unwrap_or_else(|e| e.into_inner());
            bcrypt::verify(&password, hash).unwrap_or(false)
        };
        match (known, matches) {
            (false, _) => Err(AuthError::UnknownUser),
            (true, false) => Err(AuthError::WrongPassword),
            (true, true) => {
                self.remember(key);
                Ok(user)
            }
        }
    }

    /// The answer when it needs no bcrypt (a cached success, or no usable header); `None` when
    /// [`BasicAuth::authenticate`] must run bcrypt.
    pub fn authenticate_cached(
        &self,
        authorization: Option<&[u8]>,
    ) -> Option<Result<String, AuthError>> {
        let (user, password) = match credentials(authorization) {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        let hash = self.users.get(&user)?;
        self.cached(&cache_key(&user, hash.expose(), &password))
            .then_some(Ok(user))
    }

    /// [`BasicAuth::authenticate`] with bcrypt, when needed, on a blocking thread.
    pub async fn authenticate_async(
        self: Arc<Self>,
        authorization: Option<Vec<u8>>,
    ) -> Result<String, AuthError> {
        if let Some(answer) = self.authenticate_cached(authorization.as_deref()) {
            return answer;
        }
        tokio::task::spawn_blocking(move || self.authenticate(authorization.as_deref()))
            .await
            .unwrap_or(Err(AuthError::Unchecked))
    }

    fn cached(&self, key: &[u8; 32]) -> bool {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(key)
    }

    fn remember(&self, key: [u8; 32]) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_SIZE
            && let Some(evicted) = cache.iter().next().copied()
        {
            cache.remove(&evicted);
        }
        cache.insert(key);
    }
}

/// User and password of `Basic base64(user:password)`.
fn credentials(authorization: Option<&[u8]>) -> Result<(String, Vec<u8>), AuthError> {
    let value = authorization.ok_or(AuthError::Missing)?;
    let value = std::str::from_utf8(value).map_err(|_| AuthError::Malformed)?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthError::Malformed);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim_start())
        .map_err(|_| AuthError::Malformed)?;
    let colon = decoded
        .iter()
        .position(|b| *b == b':')
        .ok_or(AuthError::Malformed)?;
    let user = String::from_utf8(decoded[..colon].to_vec()).map_err(|_| AuthError::Malformed)?;
    Ok((user, decoded[colon + 1..].to_vec()))
}

/// What the cache holds instead of the password: a digest over user, hash and password, so that
/// a changed password or hash never matches an old entry.
fn cache_key(user: &str, hash: &str, password: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [user.as_bytes(), hash.as_bytes(), password] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}
