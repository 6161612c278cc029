//! `spawn_app`: a fresh database, the real app on port 0, the SMTP sink and a fake Gigs.
use std::{net::TcpListener, sync::Arc, time::Duration};

use esim_courier::{
    config::{Env, Settings},
    deliveries::Worker,
    startup::{Application, RunOptions},
    store,
};
use sqlx::PgPool;
use wiremock::MockServer;

use super::{GIGS_KEY, NAMED_TOKEN, SECRET, TOKEN, TestDb, VIEWER_TOKEN, fresh_database};
use crate::smtp::SmtpSink;

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub db_url: String,
    pub client: reqwest::Client,
    pub gigs: MockServer,
    pub smtp: SmtpSink,
    pub worker: Arc<Worker>,
    /// Dropped with the app: the test's database goes with it.
    pub db: Option<TestDb>,
}

pub struct Options {
    pub spawn_worker: bool,
    pub max_attempts: i32,
    /// Sets PUBLIC_BASE_URL to the app's own address.
    pub install_links: bool,
    /// Any other setting a test needs changed; gets the fake Gigs' URL, which can also
    /// serve what else a test needs on HTTP.
    pub tweak: fn(&mut Settings, &str),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            spawn_worker: false,
            max_attempts: 5,
            install_links: false,
            tweak: |_, _| {},
        }
    }
}

/// The settings of a test app, read by the real configuration code from the variables an
/// operator would set; only what no variable sets (backoff, polling, timeouts) is shortened
/// after.
pub fn settings(db_url: &str, gigs_url: &str, smtp_port: u16, opts: &Options) -> Settings {
    let smtp = format!("smtp://127.0.0.1:{smtp_port}");
    let tokens = format!("{TOKEN} support-desk:{NAMED_TOKEN} viewer-desk:{VIEWER_TOKEN}");
    let attempts = opts.max_attempts.to_string();
    let env = Env::from_pairs([
        ("DATABASE_URL", db_url),
        ("DATABASE_MAX_CONNECTIONS", "10"),
        ("LISTEN_ADDR", "127.0.0.1:0"),
        ("GIGS_WEBHOOK_SECRETS", SECRET),
        ("STATUS_API_TOKENS", tokens.as_str()),
        (
            "STATUS_API_ROLES",
            "support-desk=support,viewer-desk=viewer",
        ),
        ("GIGS_API_URL", gigs_url),
        ("GIGS_PROJECT", super::PROJECT),
        ("GIGS_API_KEY", GIGS_KEY),
        ("SMTP_URL", smtp.as_str()),
        ("EMAIL_FROM", "Acme Mobile <esim@acme.example>"),
        ("EMAIL_REPLY_TO", "help@acme.example"),
        ("BRAND_NAME", "Acme Mobile"),
        ("SUPPORT_URL", "https://acme.example/help"),
        ("INSTALL_LINK_SECRET", "link-key-for-tests"),
        ("WORKER_CONCURRENCY", "8"),
        ("DELIVERY_MAX_ATTEMPTS", attempts.as_str()),
        ("DELIVERY_LEASE_SECS", "60"),
        ("SHUTDOWN_GRACE_SECS", "5"),
        ("RECONCILE_INTERVAL_MINS", "0"),
        ("RETENTION_DAYS", "0"),
    ]);
    let mut settings = Settings::from_env(&env).expect("the test settings are valid");
    settings.database.acquire_timeout = Duration::from_secs(2);
    settings.gigs.timeout = Duration::from_secs(5);
    let worker = &mut settings.worker;
    worker.backoff_base = Duration::from_millis(2);
    worker.backoff_max = Duration::from_millis(20);
    worker.poll_interval = Duration::from_millis(100);
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    crate::logs::init();
    let db = fresh_database().await;
    let db_url = db.url.clone();
    let gigs = MockServer::start().await;
    let smtp = SmtpSink::start().await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = settings(&db_url, &gigs.uri(), smtp.port, &opts);
    if opts.install_links {
        settings.email.public_base_url = Some(format!("http://127.0.0.1:{port}").parse().unwrap());
    }
    (opts.tweak)(&mut settings, &gigs.uri());
    store::create_and_migrate(&settings.database).await.unwrap();
    let pool = store::lazy_pool(&settings.database).unwrap();
    let mut app = start(
        settings,
        pool,
        listener,
        opts.spawn_worker,
        db_url,
        gigs,
        smtp,
    );
    app.db = Some(db);
    app
}

/// Starts the app on `listener` and a worker the test drives by hand.
fn start(
    settings: Settings,
    pool: PgPool,
    listener: TcpListener,
    spawn_worker: bool,
    db_url: String,
    gigs: MockServer,
    smtp: SmtpSink,
) -> TestApp {
    let app = Application::build_with(
        settings.clone(),
        pool.clone(),
        listener,
        RunOptions {
            spawn_worker,
            watch_signals: false,
        },
    )
    .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics = app.metrics();
    tokio::spawn(app.run_until_stopped());
    let worker = Arc::new(Worker::new(&settings, pool.clone(), metrics).unwrap());
    TestApp {
        address,
        pool,
        db_url,
        client: esim_courier::tls::client_builder().build().unwrap(),
        gigs,
        smtp,
        worker,
        db: None,
    }
}

impl TestApp {
    /// Metrics to hand to parts a test builds.
    pub fn worker_metrics(&self) -> Arc<esim_courier::telemetry::Metrics> {
        Arc::new(esim_courier::telemetry::Metrics::new())
    }

    /// A worker that queues an alert when a delivery fails (ALERT_WEBHOOK_URL set).
    pub fn worker_with_alerts(&self) -> Arc<Worker> {
        let mut settings = settings(
            &self.db_url,
            &self.gigs.uri(),
            self.smtp.port,
            &Options::default(),
        );
        settings.operations.alert_url = Some("http://127.0.0.1:9/alerts".parse().unwrap());
        let pool = store::lazy_pool(&settings.database).unwrap();
        Arc::new(Worker::new(&settings, pool, self.worker_metrics()).unwrap())
    }

    /// What `esim-courier reconcile` runs, on this app's database and fake Gigs.
    pub fn reconciler(&self) -> esim_courier::lifecycle::Reconciler {
        let settings = settings(
            &self.db_url,
            &self.gigs.uri(),
            self.smtp.port,
            &Options::default(),
        );
        let metrics = Arc::new(esim_courier::telemetry::Metrics::new());
        esim_courier::lifecycle::Reconciler {
            gigs: esim_courier::gigs::GigsClient::new(&settings.gigs, metrics.clone()).unwrap(),
            pool: self.pool.clone(),
            project: settings.gigs.project.clone(),
            metrics,
        }
    }

    /// A second process of the service on the same database, Gigs and SMTP sink.
    pub async fn twin(&self) -> TestApp {
        self.twin_with(|_| {}).await
    }

    /// A twin whose settings `tweak` changes (another INSTALL_LINK_SECRET, say).
    pub async fn twin_with(&self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let gigs = MockServer::start().await;
        let smtp = SmtpSink::start().await;
        let mut settings = settings(&self.db_url, &gigs.uri(), smtp.port, &Options::default());
        tweak(&mut settings);
        let pool = store::lazy_pool(&settings.database).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        start(
            settings,
            pool,
            listener,
            false,
            self.db_url.clone(),
            gigs,
            smtp,
        )
    }
}

/// The app with a pool pointing at a port where no PostgreSQL listens.
pub async fn spawn_app_on_dead_database() -> TestApp {
    crate::logs::init();
    let gigs = MockServer::start().await;
    let smtp = SmtpSink::start().await;
    let db_url = "postgres://postgres@127.0.0.1:1/nowhere".to_owned();
    let mut settings = settings(&db_url, &gigs.uri(), smtp.port, &Options::default());
    settings.database.acquire_timeout = Duration::from_millis(500);
    let pool = store::lazy_pool(&settings.database).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    start(settings, pool, listener, false, db_url, gigs, smtp)
}
