//! Bearer-token auth for the status API, compared in constant time; a token may carry a
//! name (`name:token`) that operator actions record.
use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::config::StatusToken;

/// Digests of `STATUS_API_TOKENS`: comparing fixed-length digests hides token lengths too.
#[derive(Clone)]
pub struct StatusTokens(Vec<([u8; 32], Option<String>)>);

impl StatusTokens {
    /// The tokens as configuration validated them.
    pub fn new(tokens: &[StatusToken]) -> Self {
        Self(
            tokens
                .iter()
                .map(|t| (digest(t.token.expose_secret()), t.name.clone()))
                .collect(),
        )
    }

    /// `Some(name)` (None for an unnamed token) when the token is one of ours. Every
    /// token is compared, so timing does not tell which one matched.
    pub fn accepts(&self, presented: &str) -> Option<Option<String>> {
        let presented = digest(presented);
        let mut found = None;
        for (token, name) in &self.0 {
            if bool::from(token.ct_eq(&presented)) {
                found = Some(name.clone());
            }
        }
        found
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Proof that the request carried one of the status API tokens, and its name.
pub struct StatusAuth {
    pub name: Option<String>,
}

impl StatusAuth {
    /// How history names whoever acted: the token's name, or `an operator`.
    pub fn actor(&self) -> &str {
        self.name.as_deref().unwrap_or("an operator")
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
        let name = tokens.zip(presented).and_then(|(t, p)| t.accepts(p));
        ready(match name {
            Some(name) => Ok(StatusAuth { name }),
            None => Err(ApiError::Unauthorized),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: Option<&str>, token: &str) -> StatusToken {
        StatusToken {
            name: name.map(str::to_owned),
            token: token.to_owned().into(),
            role: crate::domain::Role::Admin,
        }
    }

    #[test]
    fn accepts_each_configured_token_and_nothing_else() {
        let tokens = StatusTokens::new(&[
            token(None, "alpha-token-0123456"),
            token(Some("support-desk"), "beta-token-0123456"),
        ]);
        assert_eq!(tokens.accepts("alpha-token-0123456"), Some(None));
        assert_eq!(
            tokens.accepts("beta-token-0123456"),
            Some(Some("support-desk".into()))
        );
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
