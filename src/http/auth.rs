//! Bearer-token auth for the status API, compared in constant time; a token may carry a
//! name (`name:token`) that operator actions record.
use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ApiError;

/// Digests of `STATUS_API_TOKENS`: comparing fixed-length digests hides token lengths too.
#[derive(Clone)]
pub struct StatusTokens(Vec<([u8; 32], Option<String>)>);

impl StatusTokens {
    pub fn new(tokens: &[SecretString]) -> Self {
        Self(
            tokens
                .iter()
                .map(|t| {
                    let (name, token) = split_name(t.expose_secret());
                    (digest(token), name.map(str::to_owned))
                })
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

/// `support-desk:s3cret` names its token; a token with no such prefix has no name.
fn split_name(entry: &str) -> (Option<&str>, &str) {
    match entry.split_once(':') {
        Some((name, token))
            if !name.is_empty()
                && !token.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            (Some(name), token)
        }
        _ => (None, entry),
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

    #[test]
    fn accepts_each_configured_token_and_nothing_else() {
        let tokens = StatusTokens::new(&["alpha".into(), "support-desk:beta".into()]);
        assert_eq!(tokens.accepts("alpha"), Some(None));
        assert_eq!(tokens.accepts("beta"), Some(Some("support-desk".into())));
        for bad in [
            "",
            "alph",
            "alphaa",
            "gamma",
            "support-desk:beta",
            "support-desk",
        ] {
            assert!(tokens.accepts(bad).is_none(), "{bad}");
        }
        let odd = StatusTokens::new(&["a b:c".into()]);
        assert_eq!(
            odd.accepts("a b:c"),
            Some(None),
            "not a name: the whole is the token"
        );
    }
}
