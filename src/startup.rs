//! Builds the application (pool, migrations, HTTP server, worker) for `main` and tests,
//! and stops it: one cancellation token ends HTTP and claiming together.
use std::{net::TcpListener, sync::Arc, time::Duration};

use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    alerts::Alerts,
    bounces::{BounceProviders, Provider, sns::SnsVerifier},
    config::{
        DatabaseSettings, EmailSettings, GigsSettings, LifecycleSettings, OperationsSettings,
        Settings, WorkerSettings,
    },
    deliveries::Worker,
    deliveries::policy::ReminderLimits,
    gigs::GigsClient,
    http::{self, BodyTimeout, ResendLimit, StatusTokens},
    install::InstallPages,
    lifecycle::{Reconciler, Report},
    memory, operations, store,
    telemetry::Metrics,
    webhooks::{IngestPolicy, Ingestor, WebhookVerifier},
};

pub struct Application {
    operations: OperationsSettings,
    port: u16,
    server: actix_web::dev::Server,
    pool: PgPool,
    metrics: Arc<Metrics>,
    worker: Option<Arc<Worker>>,
    reconcile: Option<(Arc<Reconciler>, Duration)>,
    cancel: CancellationToken,
}

/// How far back a periodic reconciliation looks: two days (covers a weekend outage), or
/// twice the interval when runs are further apart, so no subscription falls between two.
pub fn reconcile_window(interval: Duration) -> Duration {
    Duration::from_secs(48 * 3600).max(interval * 2)
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
    /// Binds `LISTEN_ADDR` (first: a taken port is told before any database work), then
    /// creates and migrates the database.
    pub async fn build(settings: Settings, options: RunOptions) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.http.listen_addr)
            .with_context(|| format!("cannot listen on {}", settings.http.listen_addr))?;
        store::create_and_migrate(&settings.database).await?;
        let pool = store::lazy_pool(&settings.database)?;
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
        let metrics = Arc::new(Metrics::new());
        // One Gigs client (one connection pool) for the worker and the install links.
        let gigs = GigsClient::new(&settings.gigs, metrics.clone())?;
        let worker = options
            .spawn_worker
            .then(|| {
                let email = &settings.email;
                let alerts = Alerts::new(settings.operations.alert_url.is_some());
                let (worker, pool) = (&settings.worker, pool.clone());
                Worker::from_parts(gigs.clone(), email, worker, alerts, pool, metrics.clone())
                    .map(Arc::new)
            })
            .transpose()?;
        let reconcile = settings.lifecycle.reconcile_interval.map(|every| {
            let reconciler = Reconciler {
                gigs: gigs.clone(),
                pool: pool.clone(),
                project: settings.gigs.project.clone(),
                metrics: metrics.clone(),
            };
            (Arc::new(reconciler), every)
        });
        let state = http::State {
            verifier: WebhookVerifier::new(
                settings.http.webhook_secrets.clone(),
                settings.http.webhook_tolerance,
            ),
            ingestor: Ingestor::start(
                pool.clone(),
                IngestPolicy {
                    project: settings.gigs.project.clone(),
                    trigger_events: settings.http.trigger_events.clone(),
                    reminders: ReminderLimits {
                        min_interval: settings.lifecycle.reminder_min_interval,
                        max: settings.lifecycle.reminder_max,
                    },
                },
                metrics.clone(),
            ),
            tokens: StatusTokens::new(&settings.http.status_api_tokens),
            install: InstallPages::new(gigs, &settings.email)?,
            pool: pool.clone(),
            metrics: metrics.clone(),
            resend_limit: ResendLimit(settings.http.resend_min_interval),
            body_timeout: BodyTimeout::new(settings.http.body_timeout),
            bounces: bounce_providers(&settings)?,
            max_connections: settings.http.max_connections,
        };
        let server = http::server(state, listener)?;
        Ok(Self {
            operations: settings.operations.clone(),
            port,
            server,
            pool,
            metrics,
            worker,
            reconcile,
            cancel: CancellationToken::new(),
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

    /// Stops everything when cancelled: `serve` cancels on SIGINT/SIGTERM.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Serves until cancelled; then the worker stops claiming at once while HTTP drains
    /// its in-flight requests, and both finish within their grace periods.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let worker = self.worker.map(|w| {
            let cancel = self.cancel.clone();
            tokio::spawn(async move { w.run(cancel).await })
        });
        operations::spawn(&self.pool, &self.operations, &self.metrics, &self.cancel)?;
        tokio::spawn(memory::trim_periodically(self.cancel.clone()));
        if let Some((reconciler, every)) = self.reconcile {
            let cancel = self.cancel.clone();
            tokio::spawn(reconciler.every(every, reconcile_window(every), cancel));
        }
        let handle = self.server.handle();
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            handle.stop(true).await;
        });
        let served = self.server.await;
        self.cancel.cancel();
        if let Some(worker) = worker {
            worker.await.context("the worker task panicked")?;
        }
        served.context("the HTTP server failed")
    }
}

/// What `esim-courier worker` reads: everything but HTTP.
pub struct WorkerParts {
    pub database: DatabaseSettings,
    pub gigs: GigsSettings,
    pub email: EmailSettings,
    pub worker: WorkerSettings,
    pub lifecycle: LifecycleSettings,
    pub operations: OperationsSettings,
}

/// The parts `esim-courier worker` runs: no HTTP, the same worker, reconciliation and
/// shutdown.
pub async fn run_worker(parts: WorkerParts, cancel: CancellationToken) -> anyhow::Result<()> {
    store::create_and_migrate(&parts.database).await?;
    let pool = store::lazy_pool(&parts.database)?;
    let metrics = Arc::new(Metrics::new());
    let gigs = GigsClient::new(&parts.gigs, metrics.clone())?;
    if let Some(every) = parts.lifecycle.reconcile_interval {
        let reconciler = Reconciler {
            gigs: gigs.clone(),
            pool: pool.clone(),
            project: parts.gigs.project.clone(),
            metrics: metrics.clone(),
        };
        tokio::spawn(Arc::new(reconciler).every(every, reconcile_window(every), cancel.clone()));
    }
    operations::spawn(&pool, &parts.operations, &metrics, &cancel)?;
    tokio::spawn(memory::trim_periodically(cancel.clone()));
    let alerts = Alerts::new(parts.operations.alert_url.is_some());
    let worker = Worker::from_parts(gigs, &parts.email, &parts.worker, alerts, pool, metrics)?;
    tracing::info!("esim-courier worker running");
    Arc::new(worker).run(cancel).await;
    Ok(())
}

/// `esim-courier reconcile`: one run now, unless another process is running one.
pub async fn reconcile_once(
    database: &DatabaseSettings,
    gigs: &GigsSettings,
    since: Duration,
) -> anyhow::Result<Option<Report>> {
    store::create_and_migrate(database).await?;
    let pool = store::lazy_pool(database)?;
    let metrics = Arc::new(Metrics::new());
    let reconciler = Reconciler {
        gigs: GigsClient::new(gigs, metrics.clone())?,
        pool,
        project: gigs.project.clone(),
        metrics,
    };
    Ok(reconciler.run_exclusive(since).await?)
}

/// The bounce routes of the providers that are configured.
fn bounce_providers(settings: &Settings) -> anyhow::Result<BounceProviders> {
    let b = &settings.bounces;
    let ses = (!b.sns_topic_arns.is_empty())
        .then(|| SnsVerifier::new(b.sns_topic_arns.clone(), b.sns_cert_prefixes.clone()))
        .transpose()?
        .map(Provider::Ses);
    let resend = (!b.secrets.is_empty()).then(|| {
        Provider::Resend(WebhookVerifier::new(
            b.secrets.clone(),
            settings.http.webhook_tolerance,
        ))
    });
    let postmark = b
        .basic_auth
        .clone()
        .map(|(user, password)| Provider::Postmark { user, password });
    Ok(BounceProviders {
        ses,
        postmark,
        resend,
        alerts: Alerts::new(settings.operations.alert_url.is_some()),
    })
}

/// Cancels `cancel` on SIGINT or SIGTERM: `serve` and `worker` stop by this one path.
pub fn cancel_on_signal(cancel: CancellationToken) {
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new claims, finishing what is in flight");
        cancel.cancel();
    });
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM can be handled");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
