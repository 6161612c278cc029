//! The console's actions — Resend, Lift suppression, bulk retry — each the API's own call
//! (same roles, same audit), behind the session's CSRF token.
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use minijinja::context;
use serde::Deserialize;
use sqlx::PgPool;

use super::{
    ConsoleError, Layout, Pages, page,
    pages::{Filters, urlencode},
    see_other,
    session::Me,
    utc,
};
use crate::{
    domain::Permission,
    http::{
        ApiError, ResendLimit, deliveries,
        operations::{self, RetryRequest, RetryWindow},
    },
    telemetry::Metrics,
};

#[derive(Deserialize)]
pub(super) struct ResendForm {
    csrf: Option<String>,
    delivery: String,
}

pub(super) async fn resend(
    me: Me,
    form: web::Form<ResendForm>,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    limit: web::Data<ResendLimit>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(form.csrf.as_deref())?;
    deliveries::resend_one(&pool, &me.auth, &form.delivery, limit.0, &metrics).await?;
    let to = format!("/console/sims/{}?done=resent", urlencode(&path));
    Ok(see_other(&to))
}

#[derive(Deserialize)]
pub(super) struct LiftForm {
    csrf: Option<String>,
    email: String,
    back: Option<String>,
}

pub(super) async fn lift(
    me: Me,
    form: web::Form<LiftForm>,
    pool: web::Data<PgPool>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(form.csrf.as_deref())?;
    operations::unsuppress(&pool, &me.auth, &form.email, &metrics).await?;
    // Only back into the console: a form cannot send the agent anywhere else.
    let back = form
        .back
        .as_deref()
        .filter(|b| b.starts_with("/console/") && !b.contains("//") && !b.contains('?'))
        .unwrap_or("/console/suppressions");
    Ok(see_other(&format!("{back}?done=lifted")))
}

/// The window the deliveries page's filters name (a day back when none is given).
fn window(f: &Filters) -> Result<RetryWindow, ApiError> {
    let day = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")))
    };
    // The list in place has no lower bound when `since` is empty: neither has the retry.
    let since = day(&f.since).or_else(|| DateTime::from_timestamp(0, 0));
    RetryWindow::of(&RetryRequest {
        status: f.status.clone(),
        since,
        until: day(&f.until),
        dry_run: None,
        kind: (!f.kind.is_empty()).then(|| f.kind.clone()),
        window: Some("created".into()),
    })
}

/// How many deliveries a retry would resend, before the "Retry N deliveries" button.
pub(super) async fn retry_form(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    limit: web::Data<ResendLimit>,
    metrics: web::Data<Metrics>,
    f: web::Query<Filters>,
) -> Result<HttpResponse, ConsoleError> {
    me.auth.require(Permission::BulkRetry)?;
    let w = window(&f)?;
    let counted = operations::bulk_retry(&pool, &me.auth, &w, limit.0, &metrics, true).await?;
    page(
        &pages,
        "retry.html",
        context! {
            title => "Retry deliveries", me => Layout::of(&me),
            count => counted.count, skipped => counted.skipped, w => shown(&w),
        },
    )
}

#[derive(Deserialize)]
pub(super) struct RetryForm {
    csrf: Option<String>,
    status: String,
    since: String,
    until: String,
    #[serde(default)]
    kind: String,
}

pub(super) async fn retry(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    limit: web::Data<ResendLimit>,
    metrics: web::Data<Metrics>,
    form: web::Form<RetryForm>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(form.csrf.as_deref())?;
    let parse = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::BadRequest("the time window is not valid".into()))
    };
    let w = RetryWindow::of(&RetryRequest {
        status: form.status.clone(),
        since: Some(parse(&form.since)?),
        until: Some(parse(&form.until)?),
        dry_run: None,
        kind: (!form.kind.is_empty()).then(|| form.kind.clone()),
        window: Some("created".into()),
    })?;
    let done = operations::bulk_retry(&pool, &me.auth, &w, limit.0, &metrics, false).await?;
    let text = format!(
        "Queued {} resends; {} deliveries were passed over (their SIM was resent too recently).",
        done.count, done.skipped
    );
    page(
        &pages,
        "retry.html",
        context! { title => "Retry deliveries", me => Layout::of(&me), done => text, w => shown(&w) },
    )
}

fn shown(w: &RetryWindow) -> minijinja::Value {
    let exact = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let f = &w.0;
    context! {
        status => f.status.as_str(), since => exact(f.since), until => exact(f.until),
        since_label => utc(f.since), until_label => utc(f.until),
        kind => f.kind.map(|k| k.as_str()).unwrap_or_default(),
    }
}
