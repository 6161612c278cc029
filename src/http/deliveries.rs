//! The status API: read deliveries and their history, and ask for a resend.
use super::{
    operations,
    routing::{only, post_json, readable},
};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::PgPool;

use super::{
    ApiError, StatusAuth,
    error::ErrorBody,
    params::{no_control, page_size},
    views::{DeliveryList, DeliveryView},
};
use crate::{
    deliveries::{self, Resend, ResendBy},
    domain::{AuditAction, DeliveryKind, Permission},
    domain::{DeliveryId, DeliveryStatus},
    store::deliveries::{self as store, ListFilter},
    telemetry::Metrics,
};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(post_json("/deliveries/retry", operations::retry_deliveries))
        .service(readable("/deliveries", list_deliveries))
        .service(readable("/deliveries/{id}", get_delivery))
        .service(only(
            "POST",
            web::post().to(resend_delivery),
            "/deliveries/{id}/resend",
        ));
}

fn parse_id(raw: &str) -> Result<DeliveryId, ApiError> {
    DeliveryId::parse(raw).map_err(|_| ApiError::NotFound("no such delivery"))
}

/// One delivery, with its history.
#[utoipa::path(
    get, path = "/deliveries/{id}", tag = "deliveries",
    params(("id" = String, Path, description = "Delivery id, `dlv_…`")),
    responses(
        (status = 200, description = "The delivery", body = DeliveryView),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_delivery(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::Read)?;
    let id = parse_id(&path)?;
    let view = with_history(&pool, &id)
        .await?
        .ok_or(ApiError::NotFound("no such delivery"))?;
    Ok(HttpResponse::Ok().json(view.for_caller(&auth)))
}

async fn with_history(
    pool: &PgPool,
    id: &DeliveryId,
) -> crate::store::Result<Option<DeliveryView>> {
    let found = store::get_with_history(pool, id).await?;
    Ok(found.map(|(row, history)| DeliveryView::new(row, Some(history))))
}

/// Filters combine with AND; text is parsed here so a bad value gets a clear 400.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Gigs SIM id.
    sim: Option<String>,
    /// Gigs subscription id.
    subscription: Option<String>,
    /// Gigs user id.
    user: Option<String>,
    /// Recipient email address (case-insensitive).
    email: Option<String>,
    /// One of pending, processing, retrying, delivered, failed, skipped, bounced.
    #[param(value_type = Option<DeliveryStatus>)]
    status: Option<String>,
    /// Gigs event id, `evt_…`.
    event: Option<String>,
    /// `true`: only deliveries whose SIM's eSIM is installed; `false`: not installed.
    #[param(value_type = Option<bool>)]
    installed: Option<String>,
    /// `activation`, `resend`, `reminder` or `notice`.
    #[param(value_type = Option<DeliveryKind>)]
    kind: Option<String>,
    /// Created at or after this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// Created before this time (RFC 3339).
    until: Option<DateTime<Utc>>,
    /// Page size, 1 to 200; default 20.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Cursor: the `moreItemsAfter` of the previous page.
    after: Option<String>,
}

const DEFAULT_LIMIT: i64 = 20;

impl ListParams {
    /// The filter these parameters ask for, each checked, with the page size.
    async fn filter(self, pool: &PgPool) -> Result<(ListFilter, i64), ApiError> {
        let text = [
            ("sim", &self.sim),
            ("subscription", &self.subscription),
            ("user", &self.user),
            ("email", &self.email),
            ("event", &self.event),
            ("after", &self.after),
        ];
        for (name, value) in text {
            no_control(name, value.as_deref())?;
        }
        let limit = page_size(self.limit.as_deref(), DEFAULT_LIMIT)?;
        let status = self
            .status
            .as_deref()
            .map(|s| {
                s.parse::<DeliveryStatus>().map_err(|_| {
                    ApiError::BadRequest(format!("status {s:?} is not a delivery status"))
                })
            })
            .transpose()?;
        let installed = match self.installed.as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                return Err(ApiError::BadRequest(
                    "installed must be true or false".into(),
                ));
            }
        };
        let kind = self
            .kind
            .as_deref()
            .map(|k| {
                k.parse::<DeliveryKind>()
                    .map_err(|_| ApiError::BadRequest(format!("kind {k:?} is not a delivery kind")))
            })
            .transpose()?;
        let before_seq = match self.after.as_deref() {
            None => None,
            Some(after) => Some(cursor(pool, after).await?),
        };
        let filter = ListFilter {
            sim: self.sim,
            subscription: self.subscription,
            user: self.user,
            email: self.email,
            status,
            event: self.event,
            installed,
            kind,
            since: self.since,
            until: self.until,
            before_seq,
        };
        Ok((filter, limit))
    }
}

/// The `seq` of the delivery a cursor names.
async fn cursor(pool: &PgPool, after: &str) -> Result<i64, ApiError> {
    let cursor = DeliveryId::parse(after)
        .map_err(|_| ApiError::BadRequest("after must be a delivery id".into()))?;
    store::seq_of(pool, &cursor)
        .await?
        .ok_or_else(|| ApiError::BadRequest("after names no delivery".into()))
}

/// Deliveries, newest first, with a cursor.
#[utoipa::path(
    get, path = "/deliveries", tag = "deliveries",
    params(ListParams),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryList),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::Read)?;
    let (filter, limit) = params.into_inner().filter(&pool).await?;
    let mut rows = store::list(&pool, &filter, limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let more_items_after = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    let items: Vec<DeliveryView> = rows
        .into_iter()
        .map(|r| DeliveryView::new(r, None).for_caller(&auth))
        .collect();
    Ok(HttpResponse::Ok().json(DeliveryList {
        object: "list",
        items,
        more_items_after,
    }))
}

/// At most one resend per SIM per this long (`RESEND_MIN_INTERVAL_SECS`).
#[derive(Debug, Clone, Copy)]
pub struct ResendLimit(pub std::time::Duration);

/// Queues a new delivery for the same SIM, linked to this one by `resendOf`.
#[utoipa::path(
    post, path = "/deliveries/{id}/resend", tag = "deliveries",
    params(("id" = String, Path, description = "Delivery id, `dlv_…`")),
    responses(
        (status = 202, description = "The new delivery", body = DeliveryView),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "The token's role may not resend (viewer)", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
        (status = 409, description = "The delivery names no SIM, or the SIM is not an eSIM", body = ErrorBody),
        (status = 429, description = "The SIM was resent less than RESEND_MIN_INTERVAL_SECS ago; see Retry-After", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resend_delivery(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    limit: web::Data<ResendLimit>,
    metrics: web::Data<Metrics>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let new_id = resend_one(&pool, &auth, &path, limit.0, &metrics).await?;
    let view = with_history(&pool, &new_id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("resent delivery vanished")))?;
    Ok(HttpResponse::Accepted().json(view.for_caller(&auth)))
}

/// A resend of delivery `id` by this caller, audited; the console's Resend button too.
pub(super) async fn resend_one(
    pool: &PgPool,
    auth: &StatusAuth,
    id: &str,
    interval: std::time::Duration,
    metrics: &Metrics,
) -> Result<DeliveryId, ApiError> {
    auth.require(Permission::Resend)?;
    let original = parse_id(id)?;
    let row = store::get(pool, &original)
        .await?
        .ok_or(ApiError::NotFound("no such delivery"))?;
    if row.sim_id.is_none() {
        return Err(ApiError::Conflict("this delivery names no SIM to resend"));
    }
    if row.kind == DeliveryKind::Notice {
        return Err(ApiError::Conflict(
            "a notice carries no credentials: resend the email it tells about",
        ));
    }
    let sim_type = store::sim_type(pool, &row.event_id).await?;
    if sim_type.as_deref().is_some_and(|t| t != "eSIM") {
        return Err(ApiError::Conflict(
            "the SIM is not an eSIM: there are no credentials to email",
        ));
    }
    let by = ResendBy {
        label: auth.actor(),
        audited_as: Some((auth.name.as_deref(), auth.role)),
    };
    match deliveries::resend(pool, &row, interval, &by).await? {
        Resend::Created(id) => {
            metrics.desk.audited(AuditAction::Resend);
            Ok(id)
        }
        Resend::TooSoon { retry_after_secs } => Err(ApiError::TooManyRequests {
            message: format!(
                "this SIM was resent less than {} s ago; try again in {retry_after_secs} s",
                interval.as_secs()
            ),
            retry_after_secs,
        }),
    }
}
