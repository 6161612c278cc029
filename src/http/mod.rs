//! The HTTP wing: every route, bearer auth, error mapping, OpenAPI and the JSON views.
mod alerts;
mod audit;
mod auth;
mod body;
mod bounces;
mod console;
mod deadline;
mod deliveries;
mod desk;
pub mod error;
mod headers;
mod health;
mod install;
mod limiter;
mod openapi;
mod operations;
mod params;
mod routing;
pub mod views;
mod webhooks;

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use sqlx::PgPool;
use tracing_actix_web::TracingLogger;

pub use auth::{BearerFailures, StatusAuth, StatusTokens};
pub use body::{BodyTimeout, MAX_BODY_BYTES};
pub use console::SessionRules;
pub use deliveries::ResendLimit;
pub use error::{ApiError, error_response};
pub use health::metrics_server;
pub use limiter::FailureLimiter;
pub use openapi::ApiDoc;
pub use webhooks::{WebhookError, WebhookReceived};

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
    pub console: SessionRules,
    /// Wrong bearer tokens counted per client address (`WRONG_TOKENS_PER_MINUTE`).
    pub wrong_tokens: auth::BearerFailures,
}

/// The server on `listener`. It does not watch signals: the caller stops it, together
/// with the worker, through its handle.
pub fn server(state: State, listener: TcpListener) -> anyhow::Result<Server> {
    // actix counts connections per worker thread: the limit is shared out among them.
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let per_worker = state.max_connections.div_ceil(workers);
    let shutdown = state.shutdown_grace.as_secs().clamp(1, 10);
    let shared = Shared::new(state)?;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(TracingLogger::<RedactedRootSpan>::new())
            // Outermost, so it sees the request before anything holds a reference to it.
            .wrap(middleware::from_fn(headers::detach_header_values))
            .configure(|cfg| shared.register(cfg))
            // Order matters where paths overlap: `/deliveries/retry` before `/deliveries/{id}`.
            .configure(webhooks::routes)
            .configure(bounces::routes)
            .configure(deliveries::routes)
            .configure(install::routes)
            .configure(operations::routes)
            .configure(desk::routes)
            .configure(audit::routes)
            .configure(alerts::routes)
            .configure(console::routes)
            .configure(health::routes)
            .configure(openapi::routes)
            .default_service(web::to(routing::not_found))
    })
    .workers(workers)
    .max_connections(per_worker)
    .listen(listener)?
    // The request head must arrive within this; the body has its own deadline.
    .client_request_timeout(Duration::from_secs(5))
    .disable_signals()
    // In-flight requests get this long after SIGTERM; the worker drains meanwhile.
    .shutdown_timeout(shutdown)
    .run();
    Ok(server)
}

/// What the handlers share, wrapped once for every worker thread.
#[derive(Clone)]
struct Shared {
    verifier: web::Data<WebhookVerifier>,
    ingestor: web::Data<Ingestor>,
    tokens: web::Data<StatusTokens>,
    install: web::Data<InstallPages>,
    pool: web::Data<PgPool>,
    metrics: web::Data<Metrics>,
    resend_limit: web::Data<ResendLimit>,
    body_timeout: web::Data<BodyTimeout>,
    bounces: web::Data<BounceProviders>,
    pages: web::Data<console::Pages>,
    console: web::Data<SessionRules>,
    failures: web::Data<auth::BearerFailures>,
}

impl Shared {
    fn new(state: State) -> anyhow::Result<Self> {
        Ok(Self {
            verifier: web::Data::new(state.verifier),
            ingestor: web::Data::new(state.ingestor),
            tokens: web::Data::new(state.tokens),
            install: web::Data::new(state.install),
            pool: web::Data::new(state.pool),
            metrics: web::Data::from(state.metrics),
            resend_limit: web::Data::new(state.resend_limit),
            body_timeout: web::Data::new(state.body_timeout),
            bounces: web::Data::new(state.bounces),
            pages: web::Data::new(console::Pages::new()?),
            console: web::Data::new(state.console),
            failures: web::Data::new(state.wrong_tokens),
        })
    }

    fn register(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.verifier.clone())
            .app_data(self.ingestor.clone())
            .app_data(self.tokens.clone())
            .app_data(self.pool.clone())
            .app_data(self.metrics.clone())
            .app_data(self.install.clone())
            .app_data(self.resend_limit.clone())
            .app_data(self.body_timeout.clone())
            .app_data(self.bounces.clone())
            .app_data(self.pages.clone())
            .app_data(self.console.clone())
            .app_data(self.failures.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(routing::json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(routing::query_error))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::NotFound("not found").into()),
            );
    }
}
