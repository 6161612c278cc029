//! Liveness and readiness probes.
use actix_web::{HttpResponse, web};
use serde_json::json;
use sqlx::PgPool;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn readyz(pool: web::Data<PgPool>) -> HttpResponse {
    if crate::db::is_ready(&pool).await {
        HttpResponse::Ok().json(json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable"}))
    }
}
