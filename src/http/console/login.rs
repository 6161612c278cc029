//! Signing in with a status API token, and out: each sign-in (and failed one) audited, more
//! than ten failures a minute from one address refused.
use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use minijinja::context;
use serde::Deserialize;
use sqlx::PgPool;

use super::{
    ConsoleError, Pages, SessionRules, page,
    session::{self, Me},
};
use crate::{
    domain::AuditAction,
    http::{ApiError, StatusTokens},
    store::{
        audit::{self, NewAuditEntry},
        sessions,
    },
    telemetry::Metrics,
};

pub(super) async fn form(pages: web::Data<Pages>) -> Result<HttpResponse, ConsoleError> {
    page(&pages, "login.html", context! {})
}

#[derive(Deserialize)]
pub(super) struct SignIn {
    token: String,
}

pub(super) async fn sign_in(
    req: HttpRequest,
    form: web::Form<SignIn>,
    pages: web::Data<Pages>,
    tokens: web::Data<StatusTokens>,
    rules: web::Data<SessionRules>,
    pool: web::Data<PgPool>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ConsoleError> {
    let client = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    let now = Instant::now();
    if let Some(wait) = rules.sign_ins.blocked(client, now) {
        return Err(ApiError::TooManyRequests {
            message: format!("too many failed sign-ins from this address; try again in {wait} s"),
            retry_after_secs: wait,
        }
        .into());
    }
    let presented = form.token.trim();
    let Some(auth) = tokens.accepts(presented) else {
        rules.sign_ins.failed(client, now);
        return wrong_token(&pages, &pool, &metrics, client).await;
    };
    let cookie = session::random_token();
    let csrf = session::random_token();
    let mac = tokens.mac_of(presented);
    sessions::create(&pool, &session::hash(&cookie), &mac, &csrf, rules.lasts)
        .await
        .map_err(ApiError::from)?;
    let entry = NewAuditEntry {
        actor: auth.name.clone(),
        role: Some(auth.role),
        action: AuditAction::SignIn,
        target: None,
        sim: None,
        detail: format!("console session from {}", masked_ip(client)),
    };
    audit::write(&pool, &entry).await.map_err(ApiError::from)?;
    metrics.desk.audited(AuditAction::SignIn);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console"))
        .insert_header((
            header::SET_COOKIE,
            session::set_cookie(&rules, Some(&cookie)),
        ))
        .finish())
}

/// A failed sign-in: audited and counted, and the form again with `401`.
async fn wrong_token(
    pages: &Pages,
    pool: &PgPool,
    metrics: &Metrics,
    client: std::net::IpAddr,
) -> Result<HttpResponse, ConsoleError> {
    metrics.desk.wrong_credentials();
    let entry = NewAuditEntry {
        actor: None,
        role: None,
        action: AuditAction::SignInFailed,
        target: None,
        sim: None,
        detail: format!("a wrong token from {}", masked_ip(client)),
    };
    audit::write(pool, &entry).await.map_err(ApiError::from)?;
    metrics.desk.audited(AuditAction::SignInFailed);
    let error = "That token is not one of this service's status API tokens.";
    let html = pages
        .render("login.html", context! { error })
        .map_err(ConsoleError::Render)?;
    Ok(HttpResponse::Unauthorized()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[derive(Deserialize)]
pub(super) struct SignOut {
    csrf: Option<String>,
}

/// Ends the session in PostgreSQL (the cookie alone is worth nothing after) and clears it.
pub(super) async fn sign_out(
    me: Me,
    form: web::Form<SignOut>,
    rules: web::Data<SessionRules>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(form.csrf.as_deref())?;
    sessions::end(&pool, &me.id_hash)
        .await
        .map_err(ApiError::from)?;
    tracing::info!(by = me.auth.actor(), "console session ended");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/login"))
        .insert_header((header::SET_COOKIE, session::set_cookie(&rules, None)))
        .finish())
}

/// The client's network, not the person: `203.0.113.x`, `2001:db8:1:2::/64`.
fn masked_ip(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.x")
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_addresses_are_kept_to_their_network() {
        assert_eq!(
            super::masked_ip("203.0.113.77".parse().unwrap()),
            "203.0.113.x"
        );
        assert_eq!(
            super::masked_ip("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
    }
}
