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
    deliveries::{self, Resend},
    domain::{DeliveryId, DeliveryStatus, UserId},
    store::{self as db, erasure, suppressions},
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
        (status = 200, description = "A page of suppressed addresses", body = SuppressionList),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_suppressions(
    _auth: StatusAuth,
    pool: web::Data<PgPool>,
    params: web::Query<SuppressionParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = page_size(params.limit.as_deref(), 50)?;
    no_control("after", params.after.as_deref())?;
    let mut rows = suppressions::list(&pool, params.after.as_deref(), limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let more_items_after = more.then(|| rows.last().map(|r| r.email.clone())).flatten();
    let items = rows
        .into_iter()
        .map(|r| SuppressionView {
            object: "suppression",
            email: r.email,
            reason: r.reason,
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
        (status = 404, description = "The address is not suppressed", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_suppression(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let email = path.into_inner();
    if email.chars().any(char::is_control) {
        return Err(ApiError::NotFound("this address is not suppressed"));
    }
    if !suppressions::remove(&pool, &email).await? {
        return Err(ApiError::NotFound("this address is not suppressed"));
    }
    tracing::info!(by = auth.actor(), "suppression removed");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    /// `failed` or `bounced`.
    pub status: String,
    /// Deliveries that reached it at or after this time; default a day ago.
    pub since: Option<DateTime<Utc>>,
    /// …and before this time; default now.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetryStarted {
    /// Always `retry`.
    pub object: &'static str,
    /// Resends queued.
    pub count: u64,
}

/// Resends every failed (or bounced) delivery of a time window that has no resend yet, at
/// most 1,000 a call; SIMs resent within `RESEND_MIN_INTERVAL_SECS` are passed over.
#[utoipa::path(
    post, path = "/deliveries/retry", tag = "deliveries", request_body = RetryRequest,
    responses(
        (status = 202, description = "Resends queued", body = RetryStarted),
        (status = 400, description = "The body is invalid", body = ErrorBody),
        (status = 408, description = "The body did not arrive within REQUEST_BODY_TIMEOUT_SECS", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retry_deliveries(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    limit: web::Data<ResendLimit>,
    body: web::Json<RetryRequest>,
) -> Result<HttpResponse, ApiError> {
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
    let candidates =
        db::deliveries::retry_candidates(&pool, status, since, until, RETRY_CAP, limit.0).await?;
    let by = format!("{} (bulk retry)", auth.actor());
    let mut count = 0;
    for row in &candidates {
        if let Resend::Created(_) = deliveries::resend(&pool, row, limit.0, &by).await? {
            count += 1;
        }
    }
    tracing::info!(
        by = auth.actor(),
        count,
        status = status.as_str(),
        "bulk retry"
    );
    Ok(HttpResponse::Accepted().json(RetryStarted {
        object: "retry",
        count,
    }))
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
    /// Deliveries anonymised (kept, without recipient or addresses).
    pub deliveries: u64,
    /// Stored event payloads erased.
    pub events: u64,
    /// Suppressed addresses removed.
    pub suppressions: u64,
}

/// Erases a user's personal data; their deliveries stay as anonymised records.
#[utoipa::path(
    post, path = "/erasures", tag = "operations", request_body = ErasureRequest,
    responses(
        (status = 200, description = "Erased; counts", body = ErasureDone),
        (status = 400, description = "The body is invalid", body = ErrorBody),
        (status = 408, description = "The body did not arrive within REQUEST_BODY_TIMEOUT_SECS", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn erase_user(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    metrics: web::Data<Metrics>,
    body: web::Json<ErasureRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = UserId::parse(body.user.as_str())
        .map_err(|_| ApiError::BadRequest("user must be a Gigs user id".into()))?;
    let erased = erasure::user(&pool, &user).await?;
    metrics.operations.erased(erased.deliveries);
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
    }))
}
