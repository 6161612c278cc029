//! `GET /alerts`: the alert outbox, newest first — what was (or will be) posted, and why
//! a post failed.
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{
    ApiError, StatusAuth,
    error::ErrorBody,
    params::{no_control, page_size},
    routing::readable,
};
use crate::{
    domain::{DeliveryId, Permission},
    store::alerts::{self, AlertRow},
};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/alerts", list_alerts));
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertView {
    /// Always `alert`.
    pub object: &'static str,
    /// `failed`, `bounced` or `quiet`.
    #[schema(value_type = String)]
    pub kind: &'static str,
    #[schema(value_type = Option<String>)]
    pub delivery: Option<DeliveryId>,
    pub text: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// Null until the receiver accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl AlertView {
    pub(super) fn of(a: AlertRow, auth: &StatusAuth) -> Self {
        Self {
            object: "alert",
            kind: a.kind.as_str(),
            delivery: a.delivery_id,
            text: auth.show_text(&a.text),
            attempts: a.attempts,
            created_at: a.created_at,
            sent_at: a.sent_at,
            last_error: a.last_error,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertList {
    /// Always `list`.
    pub object: &'static str,
    pub items: Vec<AlertView>,
    /// Pass as `after` for the next page.
    pub more_items_after: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    /// Page size, 1 to 200; default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Cursor: the `moreItemsAfter` of the previous page.
    after: Option<String>,
}

/// A page of alerts and whether more follow, as a caller may see them.
pub(super) async fn page(
    pool: &PgPool,
    auth: &StatusAuth,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<AlertView>, Option<String>), ApiError> {
    no_control("after", after)?;
    let before = match after {
        None => None,
        Some(a) => Some(
            a.parse::<i64>()
                .map_err(|_| ApiError::BadRequest("after must be an alert cursor".into()))?,
        ),
    };
    let mut rows = alerts::recent(pool, before, limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = more
        .then(|| rows.last().map(|a| a.seq.to_string()))
        .flatten();
    Ok((
        rows.into_iter().map(|a| AlertView::of(a, auth)).collect(),
        next,
    ))
}

/// Alerts queued for `ALERT_WEBHOOK_URL`, newest first.
#[utoipa::path(
    get, path = "/alerts", tag = "operations", params(AlertParams),
    responses(
        (status = 200, description = "A page of alerts", body = AlertList),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_alerts(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    params: web::Query<AlertParams>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::Read)?;
    let limit = page_size(params.limit.as_deref(), 50)?;
    let (items, more_items_after) = page(&pool, &auth, params.after.as_deref(), limit).await?;
    Ok(HttpResponse::Ok().json(AlertList {
        object: "list",
        items,
        more_items_after,
    }))
}
