//! Builds what each command runs, for `main` and tests: the shared services once, the HTTP
//! server, and the background jobs the settings turn on; one cancellation token stops them.
use std::{
    net::TcpListener,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    alerts::{AlertSender, Alerts},
    bounces::{BounceProviders, Provider, sns::SnsVerifier},
    config::{CoreSettings, DatabaseSettings, GigsSettings, Settings},
    deliveries::{Worker, policy::ReminderLimits},
    gigs::GigsClient,
    http::{self, BodyTimeout, FailureLimiter, ResendLimit, SessionRules, StatusTokens},
    install::InstallPages,
    jobs::Jobs,
    lifecycle::{Reconciler, Reconciling, Report},
    memory::HeapTrim,
    operations::{OverviewFigures, Retention},
    store,
    telemetry::Metrics,
    webhooks::{Batchers, IngestPolicy, Ingestor, WebhookVerifier},
};

/// What every command shares, built once: the pool, the metrics, the Gigs client (one
/// connection pool for the worker, install links and reconciliation), the alert switch.
#[derive(Clone)]
pub struct Services {
    pub pool: PgPool,
    pub metrics: Arc<Metrics>,
    pub gigs: GigsClient,
    pub alerts: Alerts,
}

impl Services {
    /// With a pool that connects on first use.
    pub fn new(
        database: &DatabaseSettings,
        gigs: &GigsSettings,
        alerts: Alerts,
    ) -> anyhow::Result<Self> {
        Self::with_pool(store::lazy_pool(database)?, gigs, alerts)
    }

    pub fn with_pool(pool: PgPool, gigs: &GigsSettings, alerts: Alerts) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new());
        Ok(Self {
            gigs: GigsClient::new(gigs, metrics.clone())?,
            pool,
            metrics,
            alerts,
        })
    }

    fn for_core(core: &CoreSettings, pool: PgPool) -> anyhow::Result<Self> {
        let alerts = Alerts::new(core.operations.alert_url.is_some());
        Self::with_pool(pool, &core.gigs, alerts)
    }
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
    /// Stop on SIGINT and SIGTERM (the command line; tests cancel the token instead).
    pub watch_signals: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            spawn_worker: true,
            watch_signals: false,
        }
    }
}

pub struct Application {
    core: CoreSettings,
    options: RunOptions,
    port: u16,
    server: actix_web::dev::Server,
    services: Services,
    batchers: Batchers,
    cancel: CancellationToken,
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
        let services = Services::for_core(&settings.core, pool)?;
        let (ingestor, batchers) = Ingestor::new(
            services.pool.clone(),
            ingest_policy(&settings),
            services.metrics.clone(),
        );
        let state = http::State {
            verifier: WebhookVerifier::new(
                settings.http.webhook_secrets.clone(),
                settings.http.webhook_tolerance,
            ),
            ingestor,
            tokens: StatusTokens::new(&settings.http.status_api_tokens)
                .keyed(settings.email.install_link_key.expose_secret().as_bytes()),
            install: InstallPages::new(services.gigs.clone(), &settings.email)?,
            pool: services.pool.clone(),
            metrics: services.metrics.clone(),
            resend_limit: ResendLimit(settings.http.resend_min_interval),
            body_timeout: BodyTimeout::new(settings.http.body_timeout),
            bounces: bounce_providers(&settings, services.alerts)?,
            max_connections: settings.http.max_connections,
            shutdown_grace: settings.worker.shutdown_grace,
            wrong_tokens: http::BearerFailures(FailureLimiter::new(
                settings.http.wrong_tokens_per_minute,
            )),
            console: SessionRules {
                lasts: settings.http.console_session,
                secure: settings
                    .email
                    .public_base_url
                    .as_ref()
                    .is_some_and(|u| u.scheme() == "https"),
                sign_ins: FailureLimiter::new(10),
                quiet: settings.operations.alert_quiet,
            },
        };
        let server = http::server(state, listener)?;
        Ok(Self {
            core: settings.core,
            options,
            port,
            server,
            services,
            batchers,
            cancel: CancellationToken::new(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &PgPool {
        &self.services.pool
    }

    /// Shared with workers a test builds, so their work shows in `/metrics`.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.services.metrics.clone()
    }

    /// Stops everything when cancelled.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Serves until cancelled; then the worker stops claiming at once while HTTP drains
    /// its in-flight requests, webhooks still arriving are recorded, and every job is
    /// seen to finish within `SHUTDOWN_GRACE_SECS` of the stop.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let grace = self.core.worker.shutdown_grace;
        let mut jobs = Jobs::new(self.cancel.clone());
        if self.options.watch_signals {
            jobs.task("signals", cancel_on_signal(self.cancel.clone()));
        }
        let worker = if self.options.spawn_worker {
            Some(worker(&self.core, &self.services)?)
        } else {
            None
        };
        background(&mut jobs, &self.services, &self.core, worker)?;
        jobs.periodic(OverviewFigures {
            pool: self.services.pool.clone(),
        });
        // Recording stops only after HTTP has: a webhook in flight at SIGTERM is kept.
        let http_stopped = CancellationToken::new();
        jobs.task("ingest", self.batchers.run(http_stopped.clone()));

        let handle = self.server.handle();
        let mut server = self.server;
        let (served, stopping) = tokio::select! {
            served = &mut server => (served, Instant::now()),
            _ = self.cancel.cancelled() => {
                let stopping = Instant::now();
                // The server future must be polled while it stops.
                (tokio::join!(handle.stop(true), server).1, stopping)
            }
        };
        http_stopped.cancel();
        jobs.stop(grace.saturating_sub(stopping.elapsed())).await;
        served.context("the HTTP server failed")
    }
}

/// `esim-courier worker`: no HTTP; the same worker, reconciliation, alerts and retention.
pub async fn run_worker(core: CoreSettings, cancel: CancellationToken) -> anyhow::Result<()> {
    store::create_and_migrate(&core.database).await?;
    let services = Services::for_core(&core, store::lazy_pool(&core.database)?)?;
    let mut jobs = Jobs::new(cancel.clone());
    jobs.task("signals", cancel_on_signal(cancel.clone()));
    let worker = worker(&core, &services)?;
    background(&mut jobs, &services, &core, Some(worker))?;
    if let Some(addr) = &core.operations.metrics_addr {
        let listener = TcpListener::bind(addr)
            .with_context(|| format!("cannot listen on METRICS_ADDR {addr}"))?;
        let port = listener.local_addr()?.port();
        let server =
            http::metrics_server(listener, services.pool.clone(), services.metrics.clone())?;
        let (handle, stop) = (server.handle(), cancel.clone());
        jobs.task("metrics", async move {
            let mut server = server;
            tokio::select! {
                _ = &mut server => {}
                _ = stop.cancelled() => { let _ = tokio::join!(handle.stop(true), server); }
            }
        });
        tracing::info!(port, "worker metrics served");
    }
    tracing::info!("esim-courier worker running");
    cancel.cancelled().await;
    jobs.stop(core.worker.shutdown_grace).await;
    Ok(())
}

/// `esim-courier reconcile`: one run now, unless another process is running one.
pub async fn reconcile_once(
    database: &DatabaseSettings,
    gigs: &GigsSettings,
    since: Duration,
) -> anyhow::Result<Option<Report>> {
    store::create_and_migrate(database).await?;
    let services = Services::new(database, gigs, Alerts::off())?;
    Ok(reconciler(&services, gigs).run_exclusive(since).await?)
}

fn worker(core: &CoreSettings, s: &Services) -> anyhow::Result<Arc<Worker>> {
    let (email, settings) = (&core.email, &core.worker);
    let worker = Worker::from_parts(
        s.gigs.clone(),
        email,
        settings,
        s.alerts,
        s.pool.clone(),
        s.metrics.clone(),
    )?;
    Ok(Arc::new(worker))
}

fn reconciler(services: &Services, gigs: &GigsSettings) -> Reconciler {
    Reconciler {
        gigs: services.gigs.clone(),
        pool: services.pool.clone(),
        project: gigs.project.clone(),
        metrics: services.metrics.clone(),
    }
}

/// The jobs `serve` and `worker` run besides HTTP, as the settings turn them on.
fn background(
    jobs: &mut Jobs,
    services: &Services,
    core: &CoreSettings,
    worker: Option<Arc<Worker>>,
) -> anyhow::Result<()> {
    if let Some(worker) = worker {
        jobs.task("worker", worker.run(jobs.cancel_token()));
    }
    if let Some(url) = &core.operations.alert_url {
        let sender =
            AlertSender::new(services.pool.clone(), url.clone(), services.metrics.clone())?;
        jobs.periodic(sender.watching_quiet(core.operations.alert_quiet));
    }
    if let Some(keep) = core.operations.retention {
        jobs.periodic(Retention {
            pool: services.pool.clone(),
            keep,
            metrics: services.metrics.clone(),
        });
    }
    if let Some(every) = core.lifecycle.reconcile_interval {
        jobs.periodic(Reconciling {
            reconciler: reconciler(services, &core.gigs),
            interval: every,
            window: reconcile_window(every),
        });
    }
    jobs.periodic(HeapTrim);
    Ok(())
}

fn ingest_policy(settings: &Settings) -> IngestPolicy {
    IngestPolicy {
        project: settings.gigs.project.clone(),
        trigger_events: settings.http.trigger_events.clone(),
        reminders: ReminderLimits {
            min_interval: settings.lifecycle.reminder_min_interval,
            max: settings.lifecycle.reminder_max,
        },
    }
}

/// The bounce routes of the providers that are configured.
fn bounce_providers(settings: &Settings, alerts: Alerts) -> anyhow::Result<BounceProviders> {
    let b = &settings.bounces;
    let ses = (!b.sns_topic_arns.is_empty())
        .then(|| SnsVerifier::new(b.sns_topic_arns.clone(), b.sns_cert_prefixes.clone()))
        .transpose()?
        .map(|verifier| Provider::Ses {
            verifier,
            topics: b.sns_topic_arns.clone(),
        });
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
        alerts,
    })
}

/// Cancels `cancel` on SIGINT or SIGTERM, or ends when it is cancelled otherwise.
async fn cancel_on_signal(cancel: CancellationToken) {
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = shutdown_signal() => {
            tracing::info!("shutting down: no new claims, finishing what is in flight");
            cancel.cancel();
        }
    }
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
