//! The HTTP wing: every route, bearer auth, error mapping, OpenAPI and the JSON views.
mod auth;
mod deliveries;
pub mod error;
mod health;
mod install;
mod openapi;
pub mod views;
mod webhooks;

use std::{net::TcpListener, sync::Arc};

use actix_web::{App, HttpServer, dev::Server, error::QueryPayloadError, web};
use sqlx::PgPool;
use tracing_actix_web::TracingLogger;

pub use auth::{StatusAuth, StatusTokens};
pub use error::{ApiError, error_response};
pub use openapi::ApiDoc;
pub use webhooks::{MAX_BODY_BYTES, WebhookError, WebhookReceived};

use crate::{
    install::InstallPages,
    telemetry::{Metrics, RedactedRootSpan},
    webhooks::{Ingestor, WebhookVerifier},
};

/// What the handlers share.
pub struct State {
    pub verifier: WebhookVerifier,
    pub ingestor: Ingestor,
    pub tokens: StatusTokens,
    pub install: InstallPages,
    pub pool: PgPool,
    pub metrics: Arc<Metrics>,
}

/// The server on `listener`. It does not watch signals: the caller stops it, together
/// with the worker, through its handle.
pub fn server(state: State, listener: TcpListener) -> anyhow::Result<Server> {
    let verifier = web::Data::new(state.verifier);
    let ingestor = web::Data::new(state.ingestor);
    let tokens = web::Data::new(state.tokens);
    let install = web::Data::new(state.install);
    let pool = web::Data::new(state.pool);
    let metrics = web::Data::from(state.metrics);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(TracingLogger::<RedactedRootSpan>::new())
            .app_data(verifier.clone())
            .app_data(ingestor.clone())
            .app_data(tokens.clone())
            .app_data(pool.clone())
            .app_data(metrics.clone())
            .app_data(install.clone())
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::NotFound("not found").into()),
            )
            .route("/webhooks/gigs", web::post().to(webhooks::receive_webhook))
            .route("/deliveries", web::get().to(deliveries::list_deliveries))
            .route("/deliveries/{id}", web::get().to(deliveries::get_delivery))
            .route(
                "/deliveries/{id}/resend",
                web::post().to(deliveries::resend_delivery),
            )
            .route(
                "/install/{token}",
                web::get().to(install::open_install_link),
            )
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(health::metrics))
            .route("/openapi.json", web::get().to(openapi::openapi_json))
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .disable_signals()
    // In-flight requests get this long after SIGTERM; the worker drains meanwhile.
    .shutdown_timeout(10)
    .run();
    Ok(server)
}

fn query_error(e: QueryPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query: {e}")).into()
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such route"))
}
