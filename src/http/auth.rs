//! Bearer-token auth for the status API, compared in constant time.
use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ApiError;

/// Digests of `STATUS_API_TOKENS`: comparing fixed-length digests hides token lengths too.
#[derive(Clone)]
pub struct StatusTokens(Vec<[u8; 32]>);

impl StatusTokens {
    pub fn new(tokens: &[SecretString]) -> Self {
        Self(tokens.iter().map(|t| digest(t.expose_secret())).collect())
    }

    pub fn accepts(&self, presented: &str) -> bool {
        let presented = digest(presented);
        self.0
            .iter()
            .fold(0u8, |acc, t| acc | t.ct_eq(&presented).unwrap_u8())
            == 1
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Proof that the request carried one of the status API tokens.
pub struct StatusAuth;

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
        ready(match (tokens, presented) {
            (Some(tokens), Some(p)) if tokens.accepts(p) => Ok(StatusAuth),
            _ => Err(ApiError::Unauthorized),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_each_configured_token_and_nothing_else() {
        let tokens = StatusTokens::new(&["alpha".into(), "beta".into()]);
        assert!(tokens.accepts("alpha"));
        assert!(tokens.accepts("beta"));
        for bad in ["", "alph", "alphaa", "gamma"] {
            assert!(!tokens.accepts(bad), "{bad}");
        }
    }
}
