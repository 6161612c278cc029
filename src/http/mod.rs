//! The HTTP wing: every route, bearer auth, error mapping, OpenAPI and the JSON views.
mod auth;
mod bounces;
mod deadline;
mod deliveries;
pub mod error;
mod headers;
mod health;
mod install;
mod openapi;
mod operations;
pub mod views;
mod webhooks;

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    App, FromRequest, Handler, HttpServer, Resource, Responder, Route,
    dev::Server,
    error::JsonPayloadError,
    error::QueryPayloadError,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    middleware, web,
};
use sqlx::PgPool;
use tracing_actix_web::TracingLogger;

pub use auth::{StatusAuth, StatusTokens};
pub use deliveries::ResendLimit;
pub use error::{ApiError, error_response};
pub use openapi::ApiDoc;
pub use webhooks::{BodyTimeout, MAX_BODY_BYTES, WebhookError, WebhookReceived};

use crate::{
    bounces::BounceProviders,
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
    pub resend_limit: ResendLimit,
    pub body_timeout: BodyTimeout,
    pub bounces: BounceProviders,
    /// Connections open at once across the worker threads (`HTTP_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// How long in-flight requests may finish after a stop (at most 10 s).
    pub shutdown_grace: Duration,
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
    let resend_limit = web::Data::new(state.resend_limit);
    let body_timeout = web::Data::new(state.body_timeout);
    let bounces = web::Data::new(state.bounces);
    // actix counts connections per worker thread: the limit is shared out among them.
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let per_worker = state.max_connections.div_ceil(workers);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(TracingLogger::<RedactedRootSpan>::new())
            // Outermost, so it sees the request before anything holds a reference to it.
            .wrap(middleware::from_fn(headers::detach_header_values))
            .app_data(verifier.clone())
            .app_data(ingestor.clone())
            .app_data(tokens.clone())
            .app_data(pool.clone())
            .app_data(metrics.clone())
            .app_data(install.clone())
            .app_data(resend_limit.clone())
            .app_data(body_timeout.clone())
            .app_data(bounces.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::NotFound("not found").into()),
            )
            .service(
                web::resource("/webhooks/gigs")
                    .route(web::post().to(webhooks::receive_webhook))
                    .default_service(not_allowed("POST")),
            )
            .service(
                web::resource("/webhooks/bounces/{provider}")
                    .route(web::post().to(bounces::receive_bounces))
                    .default_service(not_allowed("POST")),
            )
            .service(
                web::resource("/deliveries/retry")
                    .wrap(middleware::from_fn(deadline::body_deadline))
                    .route(web::post().to(operations::retry_deliveries))
                    .default_service(not_allowed("POST")),
            )
            .service(readable("/deliveries", deliveries::list_deliveries))
            .service(readable("/deliveries/{id}", deliveries::get_delivery))
            .service(
                web::resource("/deliveries/{id}/resend")
                    .route(web::post().to(deliveries::resend_delivery))
                    .default_service(not_allowed("POST")),
            )
            .service(readable("/install/{token}", install::open_install_link))
            .service(readable("/suppressions", operations::list_suppressions))
            .service(
                web::resource("/suppressions/{email}")
                    .route(web::delete().to(operations::delete_suppression))
                    .default_service(not_allowed("DELETE")),
            )
            .service(
                web::resource("/erasures")
                    .wrap(middleware::from_fn(deadline::body_deadline))
                    .route(web::post().to(operations::erase_user))
                    .default_service(not_allowed("POST")),
            )
            .service(readable("/healthz", health::healthz))
            .service(readable("/readyz", health::readyz))
            .service(readable("/metrics", health::metrics))
            .service(readable("/openapi.json", openapi::openapi_json))
            .default_service(web::to(not_found))
    })
    .workers(workers)
    .max_connections(per_worker)
    .listen(listener)?
    // The request head must arrive within this; the body has its own deadline.
    .client_request_timeout(Duration::from_secs(5))
    .disable_signals()
    // In-flight requests get this long after SIGTERM; the worker drains meanwhile.
    .shutdown_timeout(state.shutdown_grace.as_secs().clamp(1, 10))
    .run();
    Ok(server)
}

/// A GET route that answers HEAD too (without a body), and 405 to other methods.
fn readable<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(not_allowed("GET, HEAD"))
}

/// The route exists, but not for this method: say so, and which ones it takes.
fn not_allowed(allow: &'static str) -> Route {
    web::to(move || async move {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "methodNotAllowed",
            &format!("this route takes {allow}"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        response
    })
}

fn json_error(e: JsonPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    match e {
        JsonPayloadError::Payload(p) if deadline::is_timeout(&p) => ApiError::BodyTimeout.into(),
        e => ApiError::BadRequest(format!("invalid JSON body: {e}")).into(),
    }
}

fn query_error(e: QueryPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query: {e}")).into()
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such route"))
}
