//! The console under `/console`: the support desk's pages, server-rendered, working with
//! JavaScript off; every action is one the API offers, under the same roles and audit.
mod actions;
mod chart;
mod login;
mod pages;
mod session;
mod templates;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
    middleware::{self, DefaultHeaders},
    web,
};
use serde::Serialize;

pub use session::SessionRules;
pub use templates::Pages;

use super::{ApiError, deadline, routing::readable};
use crate::domain::Permission;

/// Every console answer: its own CSP (no inline script or style), never cached, never
/// framed, no Referer leaving it.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    let headers = DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::X_FRAME_OPTIONS, "DENY"));
    cfg.service(
        web::scope("/console")
            .wrap(headers)
            .app_data(
                web::FormConfig::default()
                    .limit(16 * 1024)
                    .error_handler(|_, _| ConsoleError::BadForm.into()),
            )
            .service(readable("", pages::overview))
            .service(readable("/", pages::overview))
            .service(readable("/assets/console.css", pages::stylesheet))
            .service(with_form(
                "/login",
                Some(web::get().to(login::form)),
                login::sign_in,
            ))
            .service(with_form("/logout", None, login::sign_out))
            .service(readable("/search", pages::search))
            .service(readable("/sims/{sim}", pages::sim))
            .service(with_form("/sims/{sim}/resend", None, actions::resend))
            .service(readable("/deliveries", pages::deliveries))
            .service(with_form(
                "/deliveries/retry",
                Some(web::get().to(actions::retry_form)),
                actions::retry,
            ))
            .service(readable("/suppressions", pages::suppressions))
            .service(with_form("/suppressions/lift", None, actions::lift))
            .service(readable("/alerts", pages::alerts))
            .service(readable("/audit", pages::audit)),
    );
}

/// A route that takes a form (`POST`, its body under the body deadline), and maybe shows
/// a page at the same address (`GET`).
fn with_form<F, Args>(
    path: &str,
    page: Option<actix_web::Route>,
    handler: F,
) -> actix_web::Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
>
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    let mut resource = web::resource(path).route(web::post().to(handler));
    if let Some(page) = page {
        resource = resource.route(page);
    }
    resource.wrap(middleware::from_fn(deadline::body_deadline))
}

/// Why a console request did not get its page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: to the sign-in form.
    #[error("sign in first")]
    SignIn,
    #[error("this form has expired or did not come from this console; go back and try again")]
    Csrf,
    #[error("the form could not be read")]
    BadForm,
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the page could not be shown")]
    Render(#[source] anyhow::Error),
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn => StatusCode::SEE_OTHER,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::BadForm => StatusCode::BAD_REQUEST,
            Self::Api(e) => e.status_code(),
            Self::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self, Self::SignIn) {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console/login"))
                .finish();
        }
        match self {
            Self::Render(e) => tracing::error!(error = ?e, "a console page failed"),
            Self::Api(ApiError::Internal(e)) => {
                tracing::error!(error = ?e, "a console request failed")
            }
            _ => {}
        }
        let heading = match self.status_code() {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::TOO_MANY_REQUESTS => "Too soon",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        let text = match self {
            Self::Api(e) => e.to_string(),
            other => other.to_string(),
        };
        let body = error_page(heading, &text);
        let mut response = HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body);
        if let Self::Api(ApiError::TooManyRequests {
            retry_after_secs, ..
        }) = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, (*retry_after_secs).into());
        }
        response
    }
}

/// A plain page for an error: no session is needed to show it.
fn error_page(heading: &str, text: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{h} · esim-courier console</title>\
         <link rel=\"stylesheet\" href=\"/console/assets/console.css\"></head>\
         <body><main id=\"main\" class=\"login\"><h1>{h}</h1><p class=\"card\">{t}</p>\
         <p><a href=\"/console\">Back to the console</a></p></main></body></html>",
        h = escape(heading),
        t = escape(text)
    )
}

/// What every signed-in page's layout shows.
#[derive(Serialize)]
struct Layout<'a> {
    name: &'a str,
    role: &'a str,
    csrf: &'a str,
    admin: bool,
}

impl<'a> Layout<'a> {
    fn of(me: &'a session::Me) -> Self {
        Self {
            name: me.auth.name.as_deref().unwrap_or("unnamed token"),
            role: me.auth.role.as_str(),
            csrf: &me.csrf,
            admin: me.auth.role.allows(Permission::ReadAudit),
        }
    }
}

/// A page rendered into an answer.
fn page(pages: &Pages, name: &str, context: impl Serialize) -> Result<HttpResponse, ConsoleError> {
    let html = pages.render(name, context).map_err(ConsoleError::Render)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// To another console page (after a form), with a fixed message to show there.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `2026-12-03 09:14 UTC`: every time the console shows, with its zone.
fn utc(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
