//! Liveness and readiness probes, and the Prometheus scrape endpoint.
use super::routing::readable;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use sqlx::PgPool;

use crate::{store, telemetry::Metrics};

/// The only server a `worker` process runs (`METRICS_ADDR`): `/metrics`, `/healthz` and
/// `/readyz`, so its deliveries, attempts and alerts are scraped too.
pub fn metrics_server(
    listener: std::net::TcpListener,
    pool: PgPool,
    metrics: std::sync::Arc<Metrics>,
) -> std::io::Result<actix_web::dev::Server> {
    let (pool, metrics) = (web::Data::new(pool), web::Data::from(metrics));
    Ok(actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(pool.clone())
            .app_data(metrics.clone())
            .configure(routes)
    })
    .workers(1)
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(1)
    .run())
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/healthz", healthz))
        .service(readable("/readyz", readyz))
        .service(readable("/metrics", metrics));
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `unavailable`.
    pub status: &'static str,
}

/// Liveness: answers while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process runs", body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: PostgreSQL answers and the migrations are applied.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready", body = Health),
    (status = 503, description = "PostgreSQL is unreachable or not migrated", body = Health),
))]
pub async fn readyz(pool: web::Data<PgPool>) -> HttpResponse {
    if store::is_ready(&pool).await {
        HttpResponse::Ok().json(Health { status: "ready" })
    } else {
        HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable",
        })
    }
}

/// Prometheus metrics in the OpenMetrics text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Metrics", body = String,
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
))]
pub async fn metrics(metrics: web::Data<Metrics>, pool: web::Data<PgPool>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.render(store::stats::queue(&pool).await.ok().as_ref()))
}
