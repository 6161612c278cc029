//! Bearer-token auth for the status API, compared in constant time; a token may carry a
//! name (`name:token`) that operator actions record.
use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ApiError, limiter::FailureLimiter};
use crate::config::StatusToken;
use crate::domain::{Permission, Role, mask_addresses, mask_email};
use crate::telemetry::Metrics;

/// Digests of `STATUS_API_TOKENS`: comparing fixed-length digests hides token lengths too.
#[derive(Clone)]
pub struct StatusTokens(Vec<Known>, Vec<u8>);

#[derive(Clone)]
struct Known {
    digest: [u8; 32],
    /// What a console session remembers of the token that opened it (see `keyed`).
    mac: [u8; 32],
    /// The token itself, kept only until `keyed` derives its MAC.
    secret: Option<SecretString>,
    name: Option<String>,
    role: Role,
}

impl StatusTokens {
    /// The tokens as configuration validated them, each with its role.
    pub fn new(tokens: &[StatusToken]) -> Self {
        Self(
            tokens
                .iter()
                .map(|t| Known {
                    digest: digest(t.token.expose_secret()),
                    mac: [0; 32],
                    secret: Some(t.token.clone()),
                    name: t.name.clone(),
                    role: t.role,
                })
                .collect(),
            Vec::new(),
        )
    }

    /// With the key console sessions remember tokens by: a session stores the HMAC of
    /// its token, never the token or a plain hash of it, and ends when no configured token
    /// has that HMAC any more (the token was removed or rotated).
    pub fn keyed(mut self, key: &[u8]) -> Self {
        for known in &mut self.0 {
            if let Some(secret) = known.secret.take() {
                known.mac = session_mac(key, secret.expose_secret());
            }
        }
        self.1 = key.to_vec();
        self
    }

    /// The HMAC a console session keeps of `presented`.
    pub fn mac_of(&self, presented: &str) -> [u8; 32] {
        session_mac(&self.1, presented)
    }

    /// Who the token with this MAC is, if one is still configured.
    pub fn by_mac(&self, mac: &[u8]) -> Option<StatusAuth> {
        let mut found = None;
        for known in &self.0 {
            if bool::from(known.mac.as_slice().ct_eq(mac)) {
                found = Some(StatusAuth {
                    name: known.name.clone(),
                    role: known.role,
                });
            }
        }
        found
    }

    /// Who the token is, when it is one of ours. Every token is compared, so timing does
    /// not tell which one matched.
    pub fn accepts(&self, presented: &str) -> Option<StatusAuth> {
        let presented = digest(presented);
        let mut found = None;
        for known in &self.0 {
            if bool::from(known.digest.ct_eq(&presented)) {
                found = Some(StatusAuth {
                    name: known.name.clone(),
                    role: known.role,
                });
            }
        }
        found
    }
}

fn session_mac(key: &[u8], token: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"esim-courier console session\0");
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().into()
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Wrong or missing bearer tokens counted per client address: after
/// `WRONG_TOKENS_PER_MINUTE` (20) within a minute, every request to the token-taking API
/// from the address gets `429`, the right token's too (so a guess that hits tells
/// nothing), until a minute has passed since the oldest.
pub struct BearerFailures(pub FailureLimiter);

/// Proof that the request carried one of the status API tokens: its name and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAuth {
    pub name: Option<String>,
    pub role: Role,
}

impl StatusAuth {
    /// How history names whoever acted: the token's name, or `an operator`.
    pub fn actor(&self) -> &str {
        self.name.as_deref().unwrap_or("an operator")
    }

    /// `403 forbidden` unless the role allows it.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(self.role))
        }
    }

    /// Whether addresses are shown whole (support, admin) or masked (viewer).
    pub fn sees_addresses(&self) -> bool {
        self.role.sees_addresses()
    }

    /// An address as this caller may see it.
    pub fn show(&self, address: &str) -> String {
        if self.sees_addresses() {
            address.to_owned()
        } else {
            mask_email(address)
        }
    }

    /// Free text (a reason, a history line) as this caller may see it.
    pub fn show_text(&self, text: &str) -> String {
        if self.sees_addresses() {
            text.to_owned()
        } else {
            mask_addresses(text)
        }
    }
}

impl FromRequest for StatusAuth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let tokens = req.app_data::<web::Data<StatusTokens>>();
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let client = req.peer_addr().map(|a| a.ip());
        let failures = req.app_data::<web::Data<BearerFailures>>();
        let now = std::time::Instant::now();
        if let (Some(f), Some(ip)) = (failures, client)
            && let Some(wait) = f.0.blocked(ip, now)
        {
            return ready(Err(ApiError::TooManyRequests {
                message: format!("too many wrong tokens from this address; try again in {wait} s"),
                retry_after_secs: wait,
            }));
        }
        let auth = tokens.zip(presented).and_then(|(t, p)| t.accepts(p));
        if auth.is_none() {
            if let Some(m) = req.app_data::<web::Data<Metrics>>() {
                m.desk.wrong_credentials();
            }
            if let (Some(f), Some(ip)) = (failures, client) {
                f.0.failed(ip, now);
            }
        }
        ready(auth.ok_or(ApiError::Unauthorized))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: Option<&str>, token: &str) -> StatusToken {
        StatusToken {
            name: name.map(str::to_owned),
            token: token.to_owned().into(),
            role: Role::Admin,
        }
    }

    #[test]
    fn a_session_finds_its_token_by_mac_only_under_the_same_key() {
        let tokens = StatusTokens::new(&[token(Some("desk"), "desk-token-0123456")]).keyed(b"k1");
        let mac = tokens.mac_of("desk-token-0123456");
        assert_eq!(tokens.by_mac(&mac).unwrap().name.as_deref(), Some("desk"));
        let rotated = StatusTokens::new(&[token(Some("desk"), "desk-token-0123456")]).keyed(b"k2");
        assert!(rotated.by_mac(&mac).is_none());
        assert!(tokens.by_mac(&[0; 32]).is_none());
    }

    #[test]
    fn accepts_each_configured_token_and_nothing_else() {
        let mut beta = token(Some("support-desk"), "beta-token-0123456");
        beta.role = Role::Support;
        let tokens = StatusTokens::new(&[token(None, "alpha-token-0123456"), beta]);
        let alpha = tokens.accepts("alpha-token-0123456").unwrap();
        assert_eq!((alpha.name, alpha.role), (None, Role::Admin));
        let beta = tokens.accepts("beta-token-0123456").unwrap();
        assert_eq!(beta.name.as_deref(), Some("support-desk"));
        assert_eq!(beta.role, Role::Support);
        for bad in [
            "",
            "alpha-token-012345",
            "alpha-token-01234567",
            "gamma",
            "support-desk:beta-token-0123456",
            "support-desk",
        ] {
            assert!(tokens.accepts(bad).is_none(), "{bad}");
        }
    }
}
