//! `GET /install/{token}`: redirect a phone to its installer, show other devices the QR,
//! an installed SIM's reader "already installed", and robots a page about nothing.
use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        Method, StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
    web,
};
use secrecy::ExposeSecret;
use sqlx::PgPool;

use super::routing::readable;
use crate::{
    install::{self, Device, InstallPages, Opened, detect, is_robot},
    store::install_links::LiveLink,
};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/install/{token}", open_install_link));
}

/// Nothing behind these answers may be cached, indexed, framed, load anything from
/// elsewhere, or leak through a Referer.
fn private(mut response: HttpResponse, csp: &str) -> HttpResponse {
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
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    // Built from the checked theme: an https origin at most, always a valid value.
    if let Ok(csp) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

fn html(status: StatusCode, body: String, csp: &str) -> HttpResponse {
    private(
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        csp,
    )
}

fn header(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Opens an install link from an email.
#[utoipa::path(
    get, path = "/install/{token}", tag = "install",
    params(("token" = String, Path, description = "The token from the email link")),
    responses(
        (status = 302, description = "iPhone/iPad or Android: to the platform's eSIM installer"),
        (status = 200, description = "Other devices: a page with the QR code, the one-tap links and \
            the manual details; once the SIM's eSIM is installed, an \"already installed\" page; \
            to link scanners, previewers, crawlers and HEAD requests, a page that shows nothing \
            of the SIM (no Gigs call, not counted as an opening)", content_type = "text/html"),
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
    let csp = install.csp();
    // The delivery's language first (below); for an unknown link, the reader's.
    let locale = header(&req, header::ACCEPT_LANGUAGE)
        .and_then(crate::email::locale_from_accept_language)
        .unwrap_or("en");
    let user_agent = header(&req, header::USER_AGENT).unwrap_or_default();
    // Mail scanners and chat previewers open links before (or instead of) the person:
    // they get no credentials, cost no Gigs call, and are not counted as an opening.
    if req.method() == Method::HEAD || is_robot(user_agent) {
        return html(StatusCode::OK, install.neutral(locale), csp);
    }
    let link = match install.find_live(&pool, &token).await {
        Ok(Some(link)) => link,
        Ok(None) => return html(StatusCode::NOT_FOUND, install.not_available(locale), csp),
        Err(e) => {
            tracing::warn!(error = %e, "install link lookup failed");
            return html(
                StatusCode::SERVICE_UNAVAILABLE,
                install.not_available(locale),
                csp,
            );
        }
    };
    // The language the email was sent in, so the page continues it.
    let locale = link.locale.as_deref().and_then(supported).unwrap_or(locale);
    let device = detect(user_agent);
    match install.open(&link, device, locale).await {
        Ok((opened, what)) => {
            let response = match opened {
                Opened::Redirect(url) => private(
                    HttpResponse::Found()
                        .insert_header((header::LOCATION, url.expose_secret()))
                        .finish(),
                    csp,
                ),
                Opened::Page(page) => html(StatusCode::OK, page, csp),
            };
            record(&pool, &link, device, what).await;
            tracing::info!(delivery.id = %link.delivery_id, device = device.as_str(), "install link opened");
            response
        }
        Err(e) => {
            tracing::warn!(delivery.id = %link.delivery_id, error = %e, "install link could not be served");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                install.not_available(locale),
                csp,
            )
        }
    }
}

fn supported(locale: &str) -> Option<&'static str> {
    crate::email::SUPPORTED_LOCALES
        .into_iter()
        .find(|s| *s == locale)
}

/// An opening, in the delivery's history: the device class in its own column for the
/// timeline, and in words.
async fn record(pool: &PgPool, link: &LiveLink, device: Device, what: &str) {
    let detail = format!("install link opened on {}: {what}", device.label());
    if let Err(e) = install::record_click(pool, link, device, &detail).await {
        tracing::warn!(error = %e, "recording an install click failed");
    }
}
