//! `GET /install/{token}`: redirect a phone to its installer, show other devices the QR.
use super::routing::readable;
use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    web,
};
use secrecy::ExposeSecret;
use sqlx::PgPool;

use crate::install::{self, InstallPages, Opened, detect};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/install/{token}", open_install_link));
}

/// Nothing behind these answers may be cached or leak through a Referer.
fn private(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    private(
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
    )
}

/// Opens an install link from an email.
#[utoipa::path(
    get, path = "/install/{token}", tag = "install",
    params(("token" = String, Path, description = "The token from the email link")),
    responses(
        (status = 302, description = "iPhone/iPad or Android: to the platform's eSIM installer"),
        (status = 200, description = "Other devices: a page with the QR code and manual details",
            content_type = "text/html"),
        (status = 404, description = "Unknown, expired or replaced link", content_type = "text/html"),
        (status = 503, description = "Gigs is unavailable; try again shortly", content_type = "text/html"),
    )
)]
pub async fn open_install_link(
    req: HttpRequest,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    install: web::Data<InstallPages>,
) -> HttpResponse {
    let token = path.into_inner();
    // The delivery's language first (below); for an unknown link, the reader's.
    let locale = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::email::locale_from_accept_language)
        .unwrap_or("en");
    let unavailable = || {
        html(
            StatusCode::SERVICE_UNAVAILABLE,
            install.not_available(locale),
        )
    };
    let link = match install::find_live(&pool, &token).await {
        Ok(Some(link)) => link,
        Ok(None) => return html(StatusCode::NOT_FOUND, install.not_available(locale)),
        Err(e) => {
            tracing::warn!(error = %e, "install link lookup failed");
            return unavailable();
        }
    };
    // The language the email was sent in, so the page continues it.
    let locale = link
        .locale
        .as_deref()
        .and_then(|l| {
            crate::email::SUPPORTED_LOCALES
                .into_iter()
                .find(|s| *s == l)
        })
        .unwrap_or(locale);
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let device = detect(user_agent);
    match install.open(&link, device, locale).await {
        Ok((opened, what)) => {
            let response = match opened {
                Opened::Redirect(url) => private(
                    HttpResponse::Found()
                        .insert_header((header::LOCATION, url.expose_secret()))
                        .finish(),
                ),
                Opened::Page(page) => html(StatusCode::OK, page),
            };
            let detail = format!("install link opened on {}: {what}", device.label());
            if let Err(e) = install::record_click(&pool, &token, &detail).await {
                tracing::warn!(error = %e, "recording an install click failed");
            }
            tracing::info!(delivery.id = %link.delivery_id, device = device.label(), "install link opened");
            response
        }
        Err(e) => {
            tracing::warn!(delivery.id = %link.delivery_id, error = %e, "install link could not be served");
            unavailable()
        }
    }
}
