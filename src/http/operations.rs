//! Operator actions: the suppression list, bulk retry and erasure.
use super::{
    params::{no_control, page_size},
    routing::{only, post_json, readable},
};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{ApiError, StatusAuth, deliveries::ResendLimit, error::ErrorBody};
use crate::{
    deliveries::{self, Resend, ResendBy},
    domain::{
        AuditAction, DeliveryId, DeliveryKind, DeliveryStatus, Permission, UserId, mask_email,
    },
    store::{
        self as db,
        audit::{self, NewAuditEntry},
        deliveries::RetryFilter,
        erasure,
        suppressions::{self, After},
    },
    telemetry::Metrics,
};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    let unsuppress = web::delete().to(delete_suppression);
    cfg.service(readable("/suppressions", list_suppressions))
        .service(only("DELETE", unsuppress, "/suppressions/{email}"))
        .service(post_json("/erasures", erase_user));
}

/// Resends one bulk retry creates at most.
pub const RETRY_CAP: i64 = 1_000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuppressionView {
    /// Always `suppression`.
    pub object: &'static str,
    pub email: String,
    pub reason: String,
    pub provider: String,
    #[schema(value_type = Option<String>)]
    pub delivery: Option<DeliveryId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuppressionList {
    pub object: &'static str,
    pub items: Vec<SuppressionView>,
    /// Pass as `after` for the next page: the last address, or for a viewer (who sees
    /// addresses masked) an opaque `sup_…` position.
    pub more_items_after: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuppressionParams {
    /// Page size, 1 to 200; default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Cursor: the `moreItemsAfter` of the previous page.
    after: Option<String>,
}

/// Addresses that bounced for good or complained, by address.
#[utoipa::path(
    get, path = "/suppressions", tag = "operations", params(SuppressionParams),
    responses(
        (status = 200, description = "A page of suppressed addresses (masked for viewers)", body = SuppressionList),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_suppressions(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    params: web::Query<SuppressionParams>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::Read)?;
    let limit = page_size(params.limit.as_deref(), 50)?;
    no_control("after", params.after.as_deref())?;
    let after = params.after.as_deref().map(|a| {
        match a.strip_prefix("sup_").and_then(|n| n.parse().ok()) {
            Some(seq) => After::Seq(seq),
            None => After::Email(a.to_owned()),
        }
    });
    let mut rows = suppressions::list(&pool, after.as_ref(), limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let more_items_after =
        more.then(|| rows.last())
            .flatten()
            .map(|r| match auth.sees_addresses() {
                true => r.email.clone(),
                false => format!("sup_{}", r.seq),
            });
    let items = rows
        .into_iter()
        .map(|r| SuppressionView {
            object: "suppression",
            email: auth.show(&r.email),
            reason: auth.show_text(&r.reason),
            provider: r.provider,
            delivery: r.delivery_id,
            created_at: r.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SuppressionList {
        object: "list",
        items,
        more_items_after,
    }))
}

/// Takes an address off the list: later deliveries to it are sent again.
#[utoipa::path(
    delete, path = "/suppressions/{email}", tag = "operations",
    params(("email" = String, Path, description = "The address, any case")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "The token's role may not lift suppressions (viewer)", body = ErrorBody),
        (status = 404, description = "The address is not suppressed", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_suppression(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    metrics: web::Data<Metrics>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    unsuppress(&pool, &auth, &path, &metrics).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lifts the suppression of `email` for this caller, audited; the console's button too.
pub(super) async fn unsuppress(
    pool: &PgPool,
    auth: &StatusAuth,
    email: &str,
    metrics: &Metrics,
) -> Result<(), ApiError> {
    auth.require(Permission::Unsuppress)?;
    if email.chars().any(char::is_control) {
        return Err(ApiError::NotFound("this address is not suppressed"));
    }
    let entry = audit_entry(
        auth,
        AuditAction::Unsuppress,
        Some(mask_email(&email.to_lowercase())),
        "suppression lifted".into(),
    );
    if !suppressions::remove(pool, email, &entry).await? {
        return Err(ApiError::NotFound("this address is not suppressed"));
    }
    metrics.desk.audited(AuditAction::Unsuppress);
    tracing::info!(by = auth.actor(), "suppression removed");
    Ok(())
}

/// An audit entry for what this caller did; addresses in `target` are masked already.
pub(super) fn audit_entry(
    auth: &StatusAuth,
    action: AuditAction,
    target: Option<String>,
    detail: String,
) -> NewAuditEntry {
    NewAuditEntry {
        actor: auth.name.clone(),
        role: Some(auth.role),
        action,
        target,
        sim: None,
        detail,
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RetryRequest {
    /// `failed` or `bounced`.
    pub status: String,
    /// Deliveries that reached it at or after this time; default a day ago.
    pub since: Option<DateTime<Utc>>,
    /// …and before this time; default now.
    pub until: Option<DateTime<Utc>>,
    /// Only count what would be resent; change nothing (`200`).
    pub dry_run: Option<bool>,
    /// Only deliveries of this kind (`activation`, `resend`, `reminder`).
    pub kind: Option<String>,
    /// `updated` (the default): `since`/`until` bound when deliveries reached the status;
    /// `created`: when they were created, as `GET /deliveries` filters.
    pub window: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryStarted {
    /// Always `retry`.
    pub object: &'static str,
    /// Resends queued (or, in a dry run, that would be).
    pub count: u64,
    /// Matching deliveries passed over: their SIM was resent within
    /// `RESEND_MIN_INTERVAL_SECS`.
    pub skipped: u64,
    /// Why they were passed over; null when none was.
    pub skipped_reason: Option<String>,
    /// Present and true in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// Resends every failed (or bounced) delivery of a time window that has no resend yet, at
/// most 1,000 a call; SIMs resent within `RESEND_MIN_INTERVAL_SECS` are passed over.
#[utoipa::path(
    post, path = "/deliveries/retry", tag = "deliveries", request_body = RetryRequest,
    responses(
        (status = 200, description = "Dry run: what would be resent; nothing changed", body = RetryStarted),
        (status = 202, description = "Resends queued", body = RetryStarted),
        (status = 400, description = "The body is invalid", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Only admins may retry in bulk", body = ErrorBody),
        (status = 408, description = "The body did not arrive within REQUEST_BODY_TIMEOUT_SECS", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retry_deliveries(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    limit: web::Data<ResendLimit>,
    metrics: web::Data<Metrics>,
    body: web::Json<RetryRequest>,
) -> Result<HttpResponse, ApiError> {
    let window = RetryWindow::of(&body)?;
    let dry_run = body.dry_run == Some(true);
    let done = bulk_retry(&pool, &auth, &window, limit.0, &metrics, dry_run).await?;
    Ok(match dry_run {
        true => HttpResponse::Ok().json(done),
        false => HttpResponse::Accepted().json(done),
    })
}

/// Resends (or, in a dry run, counts) the deliveries of `w`, audited; the console's
/// bulk retry too.
pub(super) async fn bulk_retry(
    pool: &PgPool,
    auth: &StatusAuth,
    w: &RetryWindow,
    interval: std::time::Duration,
    metrics: &Metrics,
    dry_run: bool,
) -> Result<RetryStarted, ApiError> {
    auth.require(Permission::BulkRetry)?;
    let (status, since, until) = (w.0.status, w.0.since, w.0.until);
    let candidates = db::deliveries::retry_candidates(pool, &w.0, RETRY_CAP, interval).await?;
    let passed_over = db::deliveries::retry_passed_over(pool, &w.0, interval).await?;
    let mut skipped = passed_over as u64;
    if dry_run {
        return Ok(retried(candidates.len() as u64, skipped, interval, true));
    }
    let label = format!("{} (bulk retry)", auth.actor());
    let by = ResendBy {
        label: &label,
        audited_as: None,
    };
    let mut count = 0;
    for row in &candidates {
        match deliveries::resend(pool, row, interval, &by).await? {
            Resend::Created(_) => count += 1,
            Resend::TooSoon { .. } => skipped += 1,
        }
    }
    let detail = format!(
        "status {} from {} to {}: {count} resent, {skipped} passed over",
        status.as_str(),
        since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    audit::write(pool, &audit_entry(auth, AuditAction::Retry, None, detail)).await?;
    metrics.desk.audited(AuditAction::Retry);
    tracing::info!(
        by = auth.actor(),
        count,
        skipped,
        status = status.as_str(),
        "bulk retry"
    );
    Ok(retried(count, skipped, interval, false))
}

fn retried(count: u64, skipped: u64, interval: std::time::Duration, dry_run: bool) -> RetryStarted {
    RetryStarted {
        object: "retry",
        count,
        skipped,
        skipped_reason: (skipped > 0).then(|| {
            format!(
                "the SIM was resent less than RESEND_MIN_INTERVAL_SECS ({} s) ago",
                interval.as_secs()
            )
        }),
        dry_run: dry_run.then_some(true),
    }
}

/// The deliveries a bulk retry is about, checked.
pub(super) struct RetryWindow(pub RetryFilter);

impl RetryWindow {
    pub(super) fn of(body: &RetryRequest) -> Result<Self, ApiError> {
        let status = match body.status.as_str() {
            "failed" => DeliveryStatus::Failed,
            "bounced" => DeliveryStatus::Bounced,
            _ => {
                return Err(ApiError::BadRequest(
                    "status must be failed or bounced".into(),
                ));
            }
        };
        let until = body.until.unwrap_or_else(Utc::now);
        let since = match body.since {
            Some(since) => since,
            None => until
                .checked_sub_signed(chrono::Duration::days(1))
                .ok_or_else(|| ApiError::BadRequest("until is out of range".into()))?,
        };
        if since >= until {
            return Err(ApiError::BadRequest("since must be before until".into()));
        }
        let kind = match body.kind.as_deref() {
            None => None,
            Some(k) => match k.parse::<DeliveryKind>() {
                Ok(DeliveryKind::Notice) | Err(_) => {
                    return Err(ApiError::BadRequest(
                        "kind must be activation, resend or reminder".into(),
                    ));
                }
                Ok(kind) => Some(kind),
            },
        };
        let by_created = match body.window.as_deref() {
            None | Some("updated") => false,
            Some("created") => true,
            Some(_) => {
                return Err(ApiError::BadRequest(
                    "window must be updated or created".into(),
                ));
            }
        };
        Ok(Self(RetryFilter {
            status,
            since,
            until,
            by_created,
            kind,
        }))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The Gigs user, `usr_…`.
    pub user: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureDone {
    /// Always `erasure`.
    pub object: &'static str,
    pub user: String,
    /// Deliveries anonymised now (kept, without recipient or addresses).
    pub deliveries: u64,
    /// Stored event payloads erased now.
    pub events: u64,
    /// Suppressed addresses removed.
    pub suppressions: u64,
    /// Deliveries still queued, ended (`skipped`) so that nothing is sent to the user.
    pub cancelled: u64,
}

/// Why an erased user's open deliveries end: said in their history and reason.
const CANCELLED_BY_ERASURE: &str = "cancelled: the user's personal data was erased";

/// Erases a user's personal data; their deliveries stay as anonymised records.
#[utoipa::path(
    post, path = "/erasures", tag = "operations", request_body = ErasureRequest,
    responses(
        (status = 200, description = "Erased; counts of what changed", body = ErasureDone),
        (status = 400, description = "The body is invalid, or the user is not a `usr_` id", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Only admins may erase", body = ErrorBody),
        (status = 408, description = "The body did not arrive within REQUEST_BODY_TIMEOUT_SECS", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn erase_user(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    metrics: web::Data<Metrics>,
    body: web::Json<ErasureRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::Erase)?;
    let user = Some(body.user.as_str())
        .filter(|u| u.starts_with("usr_"))
        .and_then(|u| UserId::parse(u).ok())
        .ok_or_else(|| ApiError::BadRequest("user must be a Gigs user id (usr_…)".into()))?;
    let erased = erasure::user(&pool, &user, CANCELLED_BY_ERASURE).await?;
    metrics.operations.erased(erased.deliveries);
    let detail = format!(
        "{} deliveries anonymised, {} events erased, {} suppressions removed, {} queued cancelled",
        erased.deliveries, erased.events, erased.suppressions, erased.cancelled
    );
    let entry = audit_entry(&auth, AuditAction::Erasure, Some(user.to_string()), detail);
    audit::write(&pool, &entry).await?;
    metrics.desk.audited(AuditAction::Erasure);
    tracing::info!(
        by = auth.actor(),
        deliveries = erased.deliveries,
        "user erased"
    );
    Ok(HttpResponse::Ok().json(ErasureDone {
        object: "erasure",
        user: user.to_string(),
        deliveries: erased.deliveries,
        events: erased.events,
        suppressions: erased.suppressions,
        cancelled: erased.cancelled,
    }))
}
