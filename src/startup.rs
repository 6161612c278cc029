//! Builds the application: pool, migrations, HTTP server and worker, for `main` and tests.
use std::{net::TcpListener, sync::Arc};

use actix_web::{App, HttpServer, dev::Server, error::QueryPayloadError, web};
use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing_actix_web::TracingLogger;

use crate::{
    api::{self, ApiError, StatusTokens},
    config::Settings,
    db,
    deliveries::Worker,
    gigs::GigsClient,
    install::{self, InstallPages},
    telemetry::{Metrics, RedactedRootSpan},
    webhooks::{self, IngestPolicy, Ingestor, WebhookVerifier},
};

pub struct Application {
    port: u16,
    server: Server,
    pool: PgPool,
    metrics: Arc<Metrics>,
    worker: Option<Arc<Worker>>,
    cancel: CancellationToken,
}

#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Run the background worker loop (off in tests that drive the worker by hand).
    pub spawn_worker: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { spawn_worker: true }
    }
}

impl Application {
    /// Creates and migrates the database, then binds `LISTEN_ADDR`.
    pub async fn build(settings: Settings, options: RunOptions) -> anyhow::Result<Self> {
        db::create_and_migrate(&settings.database).await?;
        let pool = db::lazy_pool(&settings.database)?;
        let listener = TcpListener::bind(&settings.http.listen_addr)
            .with_context(|| format!("cannot listen on {}", settings.http.listen_addr))?;
        Self::build_with(settings, pool, listener, options)
    }

    /// Uses a pool and listener made by the caller: tests bind port 0.
    pub fn build_with(
        settings: Settings,
        pool: PgPool,
        listener: TcpListener,
        options: RunOptions,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let cancel = CancellationToken::new();
        let metrics = Arc::new(Metrics::new());
        // One Gigs client (one connection pool) for the worker and the install links.
        let gigs = GigsClient::new(&settings.gigs, metrics.clone())?;
        let worker = options
            .spawn_worker
            .then(|| {
                let (email, worker) = (&settings.email, &settings.worker);
                Worker::from_parts(gigs.clone(), email, worker, pool.clone(), metrics.clone())
                    .map(Arc::new)
            })
            .transpose()?;
        let server = http_server(&settings, pool.clone(), metrics.clone(), gigs, listener)?;
        Ok(Self {
            port,
            server,
            pool,
            metrics,
            worker,
            cancel,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Shared with workers a test builds, so their work shows in `/metrics`.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Serves until the server stops (SIGINT/SIGTERM), then stops the worker.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let worker = self.worker.map(|w| {
            let cancel = self.cancel.clone();
            tokio::spawn(async move { w.run(cancel).await })
        });
        let served = self.server.await;
        self.cancel.cancel();
        if let Some(worker) = worker {
            worker.await.context("the worker task panicked")?;
        }
        served.context("the HTTP server failed")
    }
}

fn http_server(
    settings: &Settings,
    pool: PgPool,
    metrics: Arc<Metrics>,
    gigs: GigsClient,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    let verifier = web::Data::new(WebhookVerifier::new(
        settings.http.webhook_secrets.clone(),
        settings.http.webhook_tolerance,
    ));
    let ingestor = web::Data::new(Ingestor::start(
        pool.clone(),
        IngestPolicy {
            project: settings.gigs.project.clone(),
            trigger_events: settings.http.trigger_events.clone(),
        },
    ));
    let tokens = web::Data::new(StatusTokens::new(&settings.http.status_api_tokens));
    let install = web::Data::new(InstallPages::new(gigs, &settings.email.brand_name)?);
    let pool = web::Data::new(pool);
    let metrics = web::Data::from(metrics);
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
            .route("/deliveries", web::get().to(api::list_deliveries))
            .route("/deliveries/{id}", web::get().to(api::get_delivery))
            .route(
                "/deliveries/{id}/resend",
                web::post().to(api::resend_delivery),
            )
            .route(
                "/install/{token}",
                web::get().to(install::open_install_link),
            )
            .route("/healthz", web::get().to(api::healthz))
            .route("/readyz", web::get().to(api::readyz))
            .route("/metrics", web::get().to(api::metrics))
            .route("/openapi.json", web::get().to(api::openapi_json))
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    // In-flight requests get this long after SIGTERM; the worker drains after that.
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
