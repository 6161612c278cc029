//! The status API: read deliveries and their history, and ask for a resend.
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;

use super::{ApiError, StatusAuth};
use crate::{
    deliveries::{
        DeliveryView,
        store::{self, ListFilter},
    },
    domain::{DeliveryId, DeliveryStatus},
};

fn parse_id(raw: &str) -> Result<DeliveryId, ApiError> {
    DeliveryId::parse(raw).map_err(|_| ApiError::NotFound("no such delivery"))
}

pub async fn get_delivery(
    _auth: StatusAuth,
    pool: web::Data<PgPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let row = store::get(&pool, &id)
        .await?
        .ok_or(ApiError::NotFound("no such delivery"))?;
    let history = store::history(&pool, &id).await?;
    Ok(HttpResponse::Ok().json(DeliveryView::new(row, Some(history))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    sim: Option<String>,
    subscription: Option<String>,
    user: Option<String>,
    email: Option<String>,
    status: Option<String>,
    event: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 200;

pub async fn list_deliveries(
    _auth: StatusAuth,
    pool: web::Data<PgPool>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let limit = match params.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| ApiError::BadRequest("limit must be an integer from 1 to 200".into()))?,
    };
    let status = params
        .status
        .as_deref()
        .map(|s| {
            s.parse::<DeliveryStatus>()
                .map_err(|_| ApiError::BadRequest(format!("status {s:?} is not a delivery status")))
        })
        .transpose()?;
    let before_seq = match params.after.as_deref() {
        None => None,
        Some(after) => {
            let cursor = DeliveryId::parse(after)
                .map_err(|_| ApiError::BadRequest("after must be a delivery id".into()))?;
            let seq = store::seq_of(&pool, &cursor)
                .await?
                .ok_or_else(|| ApiError::BadRequest("after names no delivery".into()))?;
            Some(seq)
        }
    };
    let filter = ListFilter {
        sim: params.sim,
        subscription: params.subscription,
        user: params.user,
        email: params.email,
        status,
        event: params.event,
        before_seq,
    };
    let mut rows = store::list(&pool, &filter, limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let more_items_after = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    let items: Vec<DeliveryView> = rows
        .into_iter()
        .map(|r| DeliveryView::new(r, None))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "object": "list",
        "items": items,
        "moreItemsAfter": more_items_after,
    })))
}

pub async fn resend_delivery(
    _auth: StatusAuth,
    pool: web::Data<PgPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let original = parse_id(&path)?;
    let row = store::get(&pool, &original)
        .await?
        .ok_or(ApiError::NotFound("no such delivery"))?;
    if row.sim_id.is_none() {
        return Err(ApiError::Conflict("this delivery names no SIM to resend"));
    }
    let new_id = store::resend(&pool, &row).await?;
    let new_row = store::get(&pool, &new_id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("resent delivery vanished")))?;
    let history = store::history(&pool, &new_id).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::new(new_row, Some(history))))
}
