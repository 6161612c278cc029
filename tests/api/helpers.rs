//! `spawn_app`: a fresh database, the real app on port 0, the SMTP sink and a fake Gigs.
use std::{net::TcpListener, sync::Arc, time::Duration};

use esim_courier::{
    config::{
        DEFAULT_TRIGGER_EVENTS, DatabaseSettings, EmailSettings, GigsSettings, HttpSettings,
        LifecycleSettings, OperationsSettings, Settings, SmtpUrl, WorkerSettings,
    },
    deliveries::Worker,
    domain::ProjectId,
    startup::{Application, RunOptions},
    store,
    webhooks::{WebhookSecret, sign},
};
use secrecy::SecretString;
use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::smtp::SmtpSink;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const TOKEN: &str = "status-token-for-tests";
/// Configured as `support-desk:…`: actions taken with it are recorded by that name.
pub const NAMED_TOKEN: &str = "desk-token-for-tests";
pub const PROJECT: &str = "acme-mobile";
pub const GIGS_KEY: &str = "gigs-test-key";

pub const ACTIVATED: &str = include_str!("../fixtures/gigs/event.subscription.activated.json");
pub const CHANGE: &str = include_str!("../fixtures/gigs/event.subscriptionChange.applied.json");
pub const CREDENTIALS: &str = include_str!("../fixtures/gigs/simCredentials.json");
pub const USER: &str = include_str!("../fixtures/gigs/user.json");
pub const CREATED: &str = include_str!("../fixtures/gigs/event.subscription.created.json");
pub const INSTALLED: &str = include_str!("../fixtures/gigs/event.eSimProfile.installed.json");
pub const NOT_INSTALLED: &str =
    include_str!("../fixtures/gigs/event.reminder.subscription.simNotInstalled.json");
pub const NOT_FOUND: &str = include_str!("../fixtures/gigs/error.notFound.json");

pub const SIM: &str = "sim_0SNlurA049MEWV1BAAmWZULA4lf6";
pub const USER_ID: &str = "usr_0SNlurA049MEWV4OpCwsNyC9Kn2d";
pub const SUB: &str = "sub_0SNlurA049MEWV2gSfSxi00xlPIi";
pub const ACTIVATION_CODE: &str = "LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";

/// The base URL of the PostgreSQL server the tests create databases on.
pub fn pg_base() -> String {
    std::env::var("TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

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

/// A database this test made; dropped (connections and all) when the guard is.
pub struct TestDb {
    pub url: String,
    name: String,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (format!("{}/postgres", pg_base()), self.name.clone());
        // Drop cannot await, and the test's runtime may be shutting down: a thread of
        // its own does it, and the test waits for it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin).await.ok()?;
                let drop = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
                sqlx::query(&drop).execute(&mut admin).await.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// A new, empty database with a unique name under `TEST_DB_PREFIX` (default `test_`), so
/// a CI run can find and drop what it made, and only that.
pub async fn fresh_database() -> TestDb {
    let prefix = std::env::var("TEST_DB_PREFIX").unwrap_or_else(|_| "test_".into());
    let name = format!("{prefix}{}", uuid_like());
    let mut admin = PgConnection::connect(&format!("{}/postgres", pg_base()))
        .await
        .expect("PostgreSQL runs");
    sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
        .execute(&mut admin)
        .await
        .unwrap();
    TestDb {
        url: format!("{}/{name}", pg_base()),
        name,
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..16)
        .map(|_| format!("{:x}", rng.random_range(0..16)))
        .collect()
}

pub fn settings(db_url: &str, gigs_url: &str, smtp_port: u16, opts: &Options) -> Settings {
    Settings {
        database: DatabaseSettings {
            url: SecretString::from(db_url.to_owned()),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
        },
        http: HttpSettings {
            listen_addr: "127.0.0.1:0".into(),
            webhook_secrets: vec![WebhookSecret::parse(SECRET).unwrap()],
            webhook_tolerance: Duration::from_secs(300),
            trigger_events: DEFAULT_TRIGGER_EVENTS.map(str::to_owned).to_vec(),
            status_api_tokens: vec![
                SecretString::from(TOKEN),
                SecretString::from(format!("support-desk:{NAMED_TOKEN}")),
            ],
            resend_min_interval: Duration::from_secs(60),
            body_timeout: Duration::from_secs(10),
            max_connections: 1_000,
        },
        gigs: GigsSettings {
            api_url: gigs_url.parse().unwrap(),
            project: ProjectId::parse(PROJECT).unwrap(),
            api_key: SecretString::from(GIGS_KEY),
            timeout: Duration::from_secs(5),
        },
        email: EmailSettings {
            smtp_url: SmtpUrl::parse(&format!("smtp://127.0.0.1:{smtp_port}")).unwrap(),
            from: "Acme Mobile <esim@acme.example>".parse().unwrap(),
            reply_to: Some("help@acme.example".parse().unwrap()),
            brand_name: "Acme Mobile".into(),
            support_url: Some("https://acme.example/help".parse().unwrap()),
            public_base_url: None,
            templates_dir: None,
            install_link_ttl: Duration::from_secs(30 * 86_400),
            install_link_key: SecretString::from("link-key-for-tests"),
        },
        worker: WorkerSettings {
            concurrency: 8,
            max_attempts: opts.max_attempts,
            lease: Duration::from_secs(60),
            backoff_base: Duration::from_millis(2),
            backoff_max: Duration::from_millis(20),
            poll_interval: Duration::from_millis(100),
            shutdown_grace: Duration::from_secs(5),
        },
        lifecycle: LifecycleSettings {
            reconcile_interval: None,
            ..LifecycleSettings::default()
        },
        bounces: Default::default(),
        operations: OperationsSettings {
            retention: None,
            ..OperationsSettings::default()
        },
    }
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
        RunOptions { spawn_worker },
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

/// A copy of the fixture event with fresh ids, so tests do not collide.
pub fn event_with(
    base: &str,
    event_id: &str,
    sim_id: &str,
    edit: impl FnOnce(&mut Value),
) -> String {
    let mut v: Value = serde_json::from_str(base).unwrap();
    v["id"] = event_id.into();
    v["data"]["sim"]["id"] = sim_id.into();
    edit(&mut v);
    serde_json::to_string(&v).unwrap()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn signature(webhook_id: &str, ts: i64, body: &str) -> String {
    sign(
        &WebhookSecret::parse(SECRET).unwrap(),
        webhook_id,
        ts,
        body.as_bytes(),
    )
}

impl TestApp {
    pub async fn post_webhook(&self, webhook_id: &str, body: &str) -> reqwest::Response {
        let ts = now();
        self.post_webhook_raw(
            &[
                ("webhook-id", webhook_id.to_owned()),
                ("webhook-timestamp", ts.to_string()),
                ("webhook-signature", signature(webhook_id, ts, body)),
            ],
            body.as_bytes().to_vec(),
        )
        .await
    }

    pub async fn post_webhook_raw(
        &self,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}/webhooks/gigs", self.address))
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.body(body).send().await.expect("request sent")
    }

    /// Sends a signed webhook and returns the delivery id it answered with.
    pub async fn deliver_event(&self, body: &str) -> String {
        let webhook_id = format!("msg_{}", uuid_like());
        let response = self.post_webhook(&webhook_id, body).await;
        assert_eq!(response.status(), 200);
        let json: Value = response.json().await.unwrap();
        json["delivery"].as_str().expect("a delivery").to_owned()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    }

    /// A GET without credentials, as probes and scrapers send.
    pub async fn get_anonymous(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.address);
        self.client.get(url).send().await.unwrap()
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    }

    pub async fn delivery(&self, id: &str) -> Value {
        let response = self.get(&format!("/deliveries/{id}")).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Runs the worker until the delivery reaches a final state, making retries due at
    /// once instead of waiting out their backoff.
    pub async fn drive(&self, id: &str) -> Value {
        for _ in 0..30 {
            sqlx::query("UPDATE deliveries SET next_attempt_at = now() WHERE status = 'retrying'")
                .execute(&self.pool)
                .await
                .unwrap();
            self.worker.process_due().await.unwrap();
            let d = self.delivery(id).await;
            if ["delivered", "failed", "skipped"].contains(&d["status"].as_str().unwrap()) {
                return d;
            }
        }
        panic!("delivery {id} did not settle");
    }

    /// Gigs answers the user and the credentials from the documentation fixtures.
    pub async fn mock_gigs_ok(&self) {
        self.mock_gigs_user(USER_ID, USER).await;
        self.mock_gigs_credentials(
            SIM,
            ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"),
        )
        .await;
    }

    pub async fn mock_gigs_user(&self, user: &str, body: &str) {
        Mock::given(method("GET"))
            .and(path(format!("/projects/{PROJECT}/users/{user}")))
            .and(header(
                "authorization",
                format!("Bearer {GIGS_KEY}").as_str(),
            ))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
            )
            .mount(&self.gigs)
            .await;
    }

    pub async fn mock_gigs_credentials(&self, sim: &str, response: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path(format!("/projects/{PROJECT}/sims/{sim}/credentials")))
            .and(header(
                "authorization",
                format!("Bearer {GIGS_KEY}").as_str(),
            ))
            .respond_with(response)
            .mount(&self.gigs)
            .await;
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
            project: settings.gigs.project,
            metrics,
        }
    }

    /// A second process of the service on the same database, Gigs and SMTP sink.
    pub async fn twin(&self) -> TestApp {
        let gigs = MockServer::start().await;
        let smtp = SmtpSink::start().await;
        let settings = settings(&self.db_url, &gigs.uri(), smtp.port, &Options::default());
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

/// The real binary, configured for this app's database, fake Gigs and SMTP sink.
pub fn courier(app: &TestApp, args: &[&str], log: &std::path::Path) -> tokio::process::Command {
    let file = std::fs::File::create(log).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"));
    cmd.args(args)
        .env_clear()
        .env("DATABASE_URL", &app.db_url)
        .env("GIGS_API_URL", app.gigs.uri())
        .env("GIGS_PROJECT", PROJECT)
        .env("GIGS_API_KEY", GIGS_KEY)
        .env("GIGS_WEBHOOK_SECRETS", SECRET)
        .env("STATUS_API_TOKENS", TOKEN)
        .env("SMTP_URL", format!("smtp://127.0.0.1:{}", app.smtp.port))
        .env("EMAIL_FROM", "Acme Mobile <esim@acme.example>")
        .env("RUST_LOG", "debug")
        // Logs go to a file: a pipe nobody reads fills up and stalls the process.
        .stdout(std::process::Stdio::from(file.try_clone().unwrap()))
        .stderr(std::process::Stdio::from(file))
        .kill_on_drop(true);
    cmd
}

/// A free port on loopback, for a process that binds it itself.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("esim-courier-{name}-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sends SIGTERM and waits for a clean exit; returns the process's log.
pub async fn terminate(mut child: tokio::process::Child, log: &std::path::Path) -> String {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(40), child.wait())
        .await
        .expect("the process stops on SIGTERM")
        .unwrap();
    let log = std::fs::read_to_string(log).unwrap();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    log
}
