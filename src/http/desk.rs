//! The support desk's reads: `GET /search` (one summary per SIM) and a SIM's timeline.
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{ApiError, StatusAuth, error::ErrorBody, routing::readable};
use crate::{
    desk::{
        SearchKey,
        timeline::{self, Action, Source, State},
    },
    domain::{DeliveryId, DeliveryKind, DeliveryStatus, Permission, SimId},
    store::{
        sims::{self, Column, SimSummary},
        suppressions,
    },
    telemetry::Metrics,
};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/search", search))
        .service(readable("/sims/{sim}/timeline", sim_timeline));
}

/// SIMs a search returns at most.
const SEARCH_LIMIT: i64 = 50;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// An email (any case), ICCID, phone number, id (`sim_`, `sub_`, `usr_`, `dlv_`,
    /// `evt_`) or `Message-ID` (with or without `<>`).
    q: Option<String>,
}

/// A SIM a search found, as its latest credentials email leaves it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimSummaryView {
    /// Always `simSummary`.
    pub object: &'static str,
    pub sim: String,
    pub subscription: Option<String>,
    pub user: Option<String>,
    /// Masked for viewers.
    pub recipient: Option<String>,
    pub iccid: Option<String>,
    #[schema(value_type = String)]
    pub latest_delivery: DeliveryId,
    pub status: DeliveryStatus,
    pub kind: DeliveryKind,
    pub installed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimSummaryList {
    /// Always `list`.
    pub object: &'static str,
    pub items: Vec<SimSummaryView>,
    /// Always null: a search answers at most 50 SIMs, newest first.
    #[schema(value_type = Option<String>)]
    pub more_items_after: Option<String>,
}

/// Finds SIMs by whatever the customer gives: one summary per SIM, newest first.
#[utoipa::path(
    get, path = "/search", tag = "desk", params(SearchParams),
    responses(
        (status = 200, description = "Matching SIMs (an empty list when none)", body = SimSummaryList),
        (status = 400, description = "q is empty or not a key this searches by", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn search(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    metrics: web::Data<Metrics>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::Read)?;
    let key = SearchKey::parse(params.q.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    metrics.desk.searched(key.kind());
    let found = find(&pool, &key).await?;
    let items = found.into_iter().map(|s| summary_view(s, &auth)).collect();
    Ok(HttpResponse::Ok().json(SimSummaryList {
        object: "list",
        items,
        more_items_after: None,
    }))
}

/// The SIMs a key finds; the console's search uses it too.
pub(super) async fn find(pool: &PgPool, key: &SearchKey) -> Result<Vec<SimSummary>, ApiError> {
    let column = match key {
        SearchKey::Email(v) => Column::Recipient(v),
        SearchKey::Iccid(v) => Column::Iccid(v),
        SearchKey::Phone(v) => Column::Phone(v),
        SearchKey::Sim(v) => Column::Sim(v),
        SearchKey::Subscription(v) => Column::Subscription(v),
        SearchKey::User(v) => Column::User(v),
        SearchKey::Delivery(v) => Column::Delivery(v),
        SearchKey::Event(v) => Column::Event(v),
        SearchKey::MessageId(v) => Column::MessageId(v),
    };
    Ok(sims::search(pool, column, SEARCH_LIMIT).await?)
}

pub(super) fn summary_view(s: SimSummary, auth: &StatusAuth) -> SimSummaryView {
    SimSummaryView {
        object: "simSummary",
        sim: s.sim_id,
        subscription: s.subscription_id,
        user: s.user_id,
        recipient: s.recipient.map(|r| auth.show(&r)),
        iccid: s.iccid,
        latest_delivery: s.latest_delivery,
        status: s.status,
        kind: s.kind,
        installed_at: s.installed_at,
        updated_at: s.updated_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerdictView {
    pub state: State,
    /// One sentence a support agent can read out.
    pub text: String,
    pub action: Action,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineItem {
    pub at: DateTime<Utc>,
    pub source: Source,
    /// `event`, `queued`, `sent`, `retrying`, `failed`, `skipped`, `bounced`, `softBounce`,
    /// `linkOpened`, `installed`, `operator`, `note`.
    pub kind: &'static str,
    pub text: String,
    #[schema(value_type = Option<String>)]
    pub delivery: Option<DeliveryId>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineView {
    /// Always `timeline`.
    pub object: &'static str,
    pub sim: String,
    pub subscription: Option<String>,
    pub user: Option<String>,
    pub verdict: VerdictView,
    /// Oldest first.
    pub items: Vec<TimelineItem>,
}

/// Everything that happened to one SIM, oldest first, and a verdict with the next action.
#[utoipa::path(
    get, path = "/sims/{sim}/timeline", tag = "desk",
    params(("sim" = String, Path, description = "Gigs SIM id, `sim_…`")),
    responses(
        (status = 200, description = "The SIM's timeline and verdict", body = TimelineView),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 404, description = "No delivery names this SIM", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn sim_timeline(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::Read)?;
    let view = timeline_of(&pool, &path, &auth).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A SIM's timeline as this caller may see it; the console's SIM page uses it too.
pub(super) async fn timeline_of(
    pool: &PgPool,
    sim: &str,
    auth: &StatusAuth,
) -> Result<TimelineView, ApiError> {
    const UNKNOWN: ApiError = ApiError::NotFound("no delivery names this SIM");
    let sim = SimId::parse(sim).map_err(|_| UNKNOWN)?;
    let story = sims::story(pool, &sim).await?.ok_or(UNKNOWN)?;
    let latest = story
        .deliveries
        .iter()
        .rev()
        .find(|d| d.kind != DeliveryKind::Notice);
    let suppressed = match latest.and_then(|d| d.recipient.as_deref()) {
        Some(address) => suppressions::find(pool, address).await?.is_some(),
        None => false,
    };
    let (subscription, user) = latest
        .map(|d| (d.subscription_id.clone(), d.user_id.clone()))
        .unwrap_or_default();
    let (items, verdict) = timeline::build(&story, suppressed, Utc::now());
    Ok(TimelineView {
        object: "timeline",
        sim: sim.to_string(),
        subscription,
        user,
        verdict: VerdictView {
            state: verdict.state,
            text: auth.show_text(&verdict.text),
            action: verdict.action,
        },
        items: items
            .into_iter()
            .map(|i| TimelineItem {
                at: i.at,
                source: i.source,
                kind: i.kind,
                text: auth.show_text(&i.text),
                delivery: i.delivery,
            })
            .collect(),
    })
}
