//! Console sessions: the cookie (random, stored only as its SHA-256), who it belongs to
//! (the token that opened it, as long as that token is configured), and its CSRF token.
use std::{future::Future, pin::Pin, time::Duration};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64URL};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;

use super::ConsoleError;
use crate::{
    http::{StatusAuth, StatusTokens, limiter::FailureLimiter},
    store::sessions,
};

pub const COOKIE: &str = "courier_session";

/// How the console's sessions behave, from the settings.
pub struct SessionRules {
    /// `CONSOLE_SESSION_HOURS`.
    pub lasts: Duration,
    /// `PUBLIC_BASE_URL` is https: the cookie is `Secure`.
    pub secure: bool,
    /// Failed sign-ins per client address a minute, at most.
    pub sign_ins: FailureLimiter,
    /// `ALERT_QUIET_HOURS`, for the overview's warning.
    pub quiet: Option<Duration>,
}

/// A signed-in caller: the token's name and role, and the session's CSRF token.
pub struct Me {
    pub auth: StatusAuth,
    pub csrf: String,
    pub id_hash: Vec<u8>,
}

impl Me {
    /// A form that changes something must carry this session's CSRF token.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), ConsoleError> {
        let presented = presented.unwrap_or_default();
        let same: bool = Sha256::digest(presented.as_bytes())
            .ct_eq(&Sha256::digest(self.csrf.as_bytes()))
            .into();
        if same && !presented.is_empty() {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }
}

impl FromRequest for Me {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let cookie = session_cookie(req);
        let pool = req.app_data::<web::Data<PgPool>>().cloned();
        let tokens = req.app_data::<web::Data<StatusTokens>>().cloned();
        Box::pin(async move {
            let (Some(cookie), Some(pool), Some(tokens)) = (cookie, pool, tokens) else {
                return Err(ConsoleError::SignIn);
            };
            let id_hash = hash(&cookie);
            let session = sessions::live(&pool, &id_hash)
                .await
                .map_err(|e| ConsoleError::Api(e.into()))?
                .ok_or(ConsoleError::SignIn)?;
            // The token that opened the session may have been removed or rotated since.
            let auth = tokens
                .by_mac(&session.token_mac)
                .ok_or(ConsoleError::SignIn)?;
            Ok(Me {
                auth,
                csrf: session.csrf,
                id_hash,
            })
        })
    }
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 64)
}

pub fn hash(cookie: &str) -> Vec<u8> {
    Sha256::digest(cookie.as_bytes()).to_vec()
}

/// A fresh random value for a cookie or a CSRF token: 256 bits.
pub fn random_token() -> String {
    B64URL.encode(rand::random::<[u8; 32]>())
}

/// The `Set-Cookie` value that opens (`Some(value)`) or ends (`None`) a session.
pub fn set_cookie(rules: &SessionRules, value: Option<&str>) -> String {
    let (value, max_age) = match value {
        Some(v) => (v, rules.lasts.as_secs()),
        None => ("", 0),
    };
    let secure = if rules.secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(secure: bool) -> SessionRules {
        SessionRules {
            lasts: Duration::from_secs(12 * 3600),
            secure,
            sign_ins: FailureLimiter::new(10),
            quiet: None,
        }
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_the_console() {
        let open = set_cookie(&rules(true), Some("abc"));
        assert_eq!(
            open,
            "courier_session=abc; Path=/console; HttpOnly; SameSite=Strict; Max-Age=43200; Secure"
        );
        let plain = set_cookie(&rules(false), Some("abc"));
        assert!(!plain.contains("Secure"));
        assert!(set_cookie(&rules(false), None).contains("Max-Age=0"));
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let me = Me {
            auth: StatusAuth {
                name: None,
                role: crate::domain::Role::Admin,
            },
            csrf: "right".into(),
            id_hash: vec![],
        };
        assert!(me.check_csrf(Some("right")).is_ok());
        assert!(me.check_csrf(Some("wrong")).is_err());
        assert!(me.check_csrf(None).is_err());
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
    }
}
