//! The scale phase (`BENCH_ONLY=scale`): a fresh database migrated by the service, seeded
//! with a million deliveries as 90 days of a brand's traffic (`scale_seed.sql`), then the
//! status API's filters, search, timelines, the console's pages, the overview job and
//! retention measured against it, with `serve` as the other phases start it.
use std::{
    str::FromStr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use esim_courier::webhooks::WebhookSecret;
use sqlx::{
    Connection, PgConnection, PgPool, Row,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use tokio::sync::Mutex;

use crate::common::{
    self, db, load,
    process::{self, Env},
};

const SCALE_DB: &str = "esim_courier_scale";
/// A copy of the freshly seeded database, kept with `BENCH_SCALE_KEEP=1`, from which
/// `BENCH_SCALE_REUSE=1` starts again: retention then has its 30 days to erase once more.
const SEEDED_DB: &str = "esim_courier_scale_seeded";
/// SIMs seeded; with resends, notices and reminders they make just over 1,000,000
/// deliveries.
const SIMS: u64 = 908_000;
/// Requests per figure, after `WARM_UP` of the same kind with other keys.
const REQUESTS: usize = 200;
const WARM_UP: usize = 20;
/// Retention keeps 60 of the 90 seeded days: 30 days of old rows to erase.
const KEEP_DAYS: u64 = 60;
/// Webhooks a second while retention runs (and, alone, before it for comparison).
const INGEST_RATE: u64 = 100;
const SEED: &str = include_str!("scale_seed.sql");

/// One figure: its name (`scale_<name>_p99_ms`) and its latencies.
pub struct Figure {
    pub name: String,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Default)]
pub struct ScaleFigures {
    pub rows: i64,
    pub seed_s: Option<f64>,
    pub figures: Vec<Figure>,
    pub overview_job_ms: f64,
    pub ingest_p99_ms: f64,
    pub retention_rows: u64,
    pub retention_s: f64,
    pub retention_rows_per_s: f64,
    pub retention_ingest_p99_ms: f64,
    pub retention_ingest_p50_ms: f64,
    pub phase_s: f64,
}

impl ScaleFigures {
    pub fn print(&self) {
        println!("scale_rows={}", self.rows);
        if let Some(s) = self.seed_s {
            println!("scale_seed_s={s:.0}");
        }
        for f in &self.figures {
            println!("scale_{}_p99_ms={:.1}", f.name, f.p99_ms);
        }
        println!("scale_overview_job_ms={:.0}", self.overview_job_ms);
        println!("scale_ingest_p99_ms={:.1}", self.ingest_p99_ms);
        println!("scale_retention_rows={}", self.retention_rows);
        println!(
            "scale_retention_rows_per_s={:.0}",
            self.retention_rows_per_s
        );
        println!(
            "scale_retention_ingest_p99_ms={:.1}",
            self.retention_ingest_p99_ms
        );
        println!("scale_phase_s={:.0}", self.phase_s);
    }
}

/// The whole phase. `BENCH_SCALE_REUSE=1` measures an already seeded database again
/// (after new migrations, which `migrate` applies): for iterating on indexes only, since
/// an earlier run's retention has already erased the old rows.
pub async fn run(
    binary: &std::path::Path,
    dir: &std::path::Path,
    gigs_url: &str,
    smtp_port: u16,
) -> anyhow::Result<ScaleFigures> {
    let started = Instant::now();
    let mut f = ScaleFigures::default();
    let database_url = format!("{}/{SCALE_DB}", common::PG_BASE);
    let keep = std::env::var("BENCH_SCALE_KEEP").is_ok_and(|v| v == "1");
    let copy_url = format!("{}/{SEEDED_DB}", common::PG_BASE);
    let reuse = std::env::var("BENCH_SCALE_REUSE").is_ok_and(|v| v == "1");
    let from_copy = reuse && seeded(&copy_url).await;
    if from_copy {
        db::drop_db(SCALE_DB).await?;
        db::admin(&format!(
            "CREATE DATABASE {SCALE_DB} TEMPLATE {SEEDED_DB} STRATEGY FILE_COPY"
        ))
        .await?;
    }
    let reuse = from_copy || (reuse && seeded(&database_url).await);
    if !reuse {
        db::recreate(SCALE_DB).await?;
    }
    db::migrate(binary, &database_url).await?;
    if reuse {
        let from = if from_copy { SEEDED_DB } else { SCALE_DB };
        println!("    reusing the seeded {from} (BENCH_SCALE_REUSE=1)");
    } else {
        f.seed_s = Some(seed(&database_url).await?);
        if keep {
            db::drop_db(SEEDED_DB).await?;
            db::admin(&format!(
                "CREATE DATABASE {SEEDED_DB} TEMPLATE {SCALE_DB} STRATEGY FILE_COPY"
            ))
            .await?;
        }
    }
    let pool = service_pool(&database_url).await?;
    f.rows = sqlx::query_scalar("SELECT count(*) FROM deliveries")
        .fetch_one(&pool)
        .await?;
    println!("    {} deliveries", f.rows);

    let env = Env {
        database_url: &database_url,
        gigs_url,
        smtp_port,
        extra: &[],
    };
    let log = dir.join("serve-scale.log");
    let serve = process::start(binary, &["serve"], &env, &log).await?;
    serve.wait_ready().await?;
    let base = serve.base();
    let keys = Keys::pick(&pool).await?;
    let http = Http::new(&base).await?;

    println!("    the overview job once (serve runs it every minute)");
    let t = Instant::now();
    esim_courier::store::overview::refresh(&pool).await?;
    f.overview_job_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!("      {:.0} ms", f.overview_job_ms);

    let quiet = quiet_check(&pool).await?;
    println!(
        "    {:<34} p50 {:>6.1} ms  p99 {:>6.1} ms",
        quiet.name, quiet.p50_ms, quiet.p99_ms
    );
    f.figures.push(quiet);

    for (name, requests) in plan(&keys) {
        let figure = http.measure(&name, requests).await?;
        println!(
            "    {:<34} p50 {:>6.1} ms  p99 {:>6.1} ms",
            figure.name, figure.p50_ms, figure.p99_ms
        );
        f.figures.push(figure);
    }

    println!("    ingest alone: {INGEST_RATE} webhooks/s for 10 s");
    let alone = steady_ingest(&base, Duration::from_secs(10), None).await;
    f.ingest_p99_ms = crate::percentile(&alone, 0.99);
    println!(
        "      p50 {:.1} ms, p99 {:.1} ms",
        crate::percentile(&alone, 0.50),
        f.ingest_p99_ms
    );

    println!("    retention (RETENTION_DAYS={KEEP_DAYS}) while {INGEST_RATE} webhooks/s arrive");
    let retention = retention(&pool, &base, &mut f).await?;
    println!("      {retention}");

    serve.stop().await?;
    pool.close().await;
    if keep {
        println!("    kept {SCALE_DB} and its seeded copy {SEEDED_DB} (BENCH_SCALE_KEEP=1)");
    } else {
        db::drop_db(SCALE_DB).await?;
        db::drop_db(SEEDED_DB).await?;
    }
    f.phase_s = started.elapsed().as_secs_f64();
    Ok(f)
}

async fn seeded(database_url: &str) -> bool {
    let Ok(mut db) = PgConnection::connect(database_url).await else {
        return false;
    };
    let n = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM deliveries")
        .fetch_one(&mut db)
        .await;
    let _ = db.close().await;
    n.is_ok_and(|n| n >= 1_000_000)
}

/// Runs the seed script step by step on one connection (its temporary tables live
/// there); returns the seconds it took.
async fn seed(database_url: &str) -> anyhow::Result<f64> {
    let mut db = PgConnection::connect(database_url).await?;
    let script = SEED
        .replace(":sims", &SIMS.to_string())
        .replace(":'project'", &format!("'{}'", common::PROJECT));
    let started = Instant::now();
    for step in script.split("-- step: ").skip(1) {
        let (name, body) = step.split_once('\n').unwrap_or((step, ""));
        let name = name.trim();
        let t = Instant::now();
        sqlx::raw_sql(body)
            .execute(&mut db)
            .await
            .with_context(|| format!("seed step {name:?}"))?;
        println!("    seed {name}: {:.1} s", t.elapsed().as_secs_f64());
    }
    // Closed, not dropped: the seeded copy is taken from a database nobody is connected to.
    db.close().await?;
    let secs = started.elapsed().as_secs_f64();
    println!("    seeded in {secs:.0} s");
    Ok(secs)
}

/// A pool connected as the service connects (custom plans, synchronous commit).
async fn service_pool(database_url: &str) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(database_url)?.options([
        ("synchronous_commit", "on"),
        ("plan_cache_mode", "force_custom_plan"),
    ]);
    Ok(PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?)
}

/// The quiet-webhooks watch's query (every 5 s in each process where alerts are on), with
/// a quiet period no webhook is that old for, so nothing is queued.
async fn quiet_check(pool: &PgPool) -> anyhow::Result<Figure> {
    let alert = esim_courier::store::alerts::NewAlert {
        kind: esim_courier::domain::AlertKind::Quiet,
        delivery: None,
        text: "bench".into(),
        dedupe_key: "bench-quiet:".into(),
    };
    let never = Duration::from_secs(100 * 365 * 86_400);
    let mut latencies = Vec::new();
    for i in 0..(REQUESTS + WARM_UP) {
        let t = Instant::now();
        let queued = esim_courier::store::alerts::enqueue_quiet(pool, never, &alert).await?;
        anyhow::ensure!(!queued, "the quiet check queued an alert");
        if i >= WARM_UP {
            latencies.push(t.elapsed());
        }
    }
    latencies.sort();
    Ok(Figure {
        name: "alert_quiet_check".into(),
        p50_ms: crate::percentile(&latencies, 0.50),
        p99_ms: crate::percentile(&latencies, 0.99),
    })
}

/// Values picked at random (but the same each run) from the seeded rows.
struct Keys {
    sims: Vec<String>,
    subscriptions: Vec<String>,
    users: Vec<String>,
    emails: Vec<String>,
    events: Vec<String>,
    deliveries: Vec<String>,
    message_ids: Vec<String>,
    iccids: Vec<String>,
    phones: Vec<String>,
    /// Event ids of any kind, installs (no delivery of their own) included.
    any_events: Vec<String>,
    /// Deliveries of the older two thirds: deep cursors.
    deep: Vec<String>,
    /// Instants across the 90 days, RFC 3339.
    times: Vec<String>,
    audit_ids: Vec<String>,
    alert_seqs: Vec<i64>,
    suppression_emails: Vec<String>,
    suppression_seqs: Vec<i64>,
}

impl Keys {
    async fn pick(pool: &PgPool) -> anyhow::Result<Self> {
        let n = (REQUESTS + WARM_UP) as i64;
        let mut db = pool.acquire().await?;
        sqlx::query("SELECT setseed(0.5)").execute(&mut *db).await?;
        // Random rows by their seq (found through its index), not a scan per pick.
        let sample = |table: &str, column: &str, filter: &str| {
            format!(
                "SELECT {column}::text FROM {table} WHERE seq IN (
                    SELECT 1 + (random() * (SELECT max(seq) - 1 FROM {table}))::bigint
                    FROM generate_series(1, {over})) {filter}
                 ORDER BY random() LIMIT {n}",
                over = n * 4
            )
        };
        let mut column = async |sql: String| -> anyhow::Result<Vec<String>> {
            let rows = sqlx::query(&sql).fetch_all(&mut *db).await?;
            let values: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
            anyhow::ensure!(values.len() as i64 == n, "too few keys from: {sql}");
            Ok(values)
        };
        let d = |c: &str| sample("deliveries", c, "");
        let keys = Self {
            sims: column(d("sim_id")).await?,
            subscriptions: column(d("subscription_id")).await?,
            users: column(d("user_id")).await?,
            emails: column(sample(
                "deliveries",
                "recipient",
                "AND recipient IS NOT NULL",
            ))
            .await?,
            events: column(d("event_id")).await?,
            deliveries: column(d("id")).await?,
            message_ids: column(sample(
                "deliveries",
                "message_id",
                "AND message_id IS NOT NULL",
            ))
            .await?,
            iccids: column(d("iccid")).await?,
            phones: column(d("phone_number")).await?,
            any_events: column(sample("webhook_events", "event_id", "")).await?,
            deep: column(sample(
                "deliveries",
                "id",
                "AND seq < (SELECT max(seq) * 2 / 3 FROM deliveries)",
            ))
            .await?,
            times: column(format!(
                "SELECT to_char((now() - interval '90 days' + random() * interval '89 days')
                    AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                 FROM generate_series(1, {n})"
            ))
            .await?,
            audit_ids: column(sample("audit_log", "id", "")).await?,
            alert_seqs: Vec::new(),
            suppression_emails: column(format!(
                "SELECT email FROM suppressions ORDER BY random() LIMIT {n}"
            ))
            .await?,
            suppression_seqs: Vec::new(),
        };
        let alert_seqs = sqlx::query_scalar(&format!(
            "SELECT seq FROM alerts ORDER BY random() LIMIT {n}"
        ))
        .fetch_all(&mut *db)
        .await?;
        let suppression_seqs = sqlx::query_scalar(&format!(
            "SELECT seq FROM suppressions ORDER BY random() LIMIT {n}"
        ))
        .fetch_all(&mut *db)
        .await?;
        Ok(Self {
            alert_seqs,
            suppression_seqs,
            ..keys
        })
    }
}

/// How a request proves who it is.
#[derive(Clone, Copy)]
enum As {
    Api,
    Console,
}

struct Request {
    path: String,
    by: As,
    /// 200, or 303 where a console search with one match opens its SIM.
    expect: &'static [u16],
}

fn api(path: String) -> Request {
    Request {
        path,
        by: As::Api,
        expect: &[200],
    }
}

fn console(path: String) -> Request {
    Request {
        path,
        by: As::Console,
        expect: &[200],
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every figure and its requests, each with its own key.
fn plan(k: &Keys) -> Vec<(String, Vec<Request>)> {
    let n = REQUESTS + WARM_UP;
    let each = |f: &dyn Fn(usize) -> Request| (0..n).map(f).collect::<Vec<_>>();
    let mut plan: Vec<(String, Vec<Request>)> = Vec::new();
    let mut add = |name: &str, requests: Vec<Request>| plan.push((name.to_owned(), requests));

    add("deliveries", each(&|_| api("/deliveries".into())));
    add(
        "deliveries_limit_200",
        each(&|_| api("/deliveries?limit=200".into())),
    );
    add(
        "deliveries_sim",
        each(&|i| api(format!("/deliveries?sim={}", k.sims[i]))),
    );
    add(
        "deliveries_subscription",
        each(&|i| api(format!("/deliveries?subscription={}", k.subscriptions[i]))),
    );
    add(
        "deliveries_user",
        each(&|i| api(format!("/deliveries?user={}", k.users[i]))),
    );
    add(
        "deliveries_email",
        each(&|i| api(format!("/deliveries?email={}", enc(&k.emails[i])))),
    );
    add(
        "deliveries_event",
        each(&|i| api(format!("/deliveries?event={}", k.events[i]))),
    );
    for status in [
        "pending",
        "processing",
        "retrying",
        "delivered",
        "failed",
        "skipped",
        "bounced",
    ] {
        add(
            &format!("deliveries_status_{status}"),
            each(&|_| api(format!("/deliveries?status={status}"))),
        );
    }
    for installed in ["true", "false"] {
        add(
            &format!("deliveries_installed_{installed}"),
            each(&|_| api(format!("/deliveries?installed={installed}"))),
        );
    }
    for kind in ["activation", "resend", "reminder", "notice"] {
        add(
            &format!("deliveries_kind_{kind}"),
            each(&|_| api(format!("/deliveries?kind={kind}"))),
        );
    }
    add(
        "deliveries_since",
        each(&|i| api(format!("/deliveries?since={}", k.times[i]))),
    );
    add(
        "deliveries_until",
        each(&|i| api(format!("/deliveries?until={}", k.times[i]))),
    );
    add(
        "deliveries_since_until",
        each(&|i| {
            let since = &k.times[i];
            let until = &k.times[(i + 1) % k.times.len()];
            let (a, b) = if since < until {
                (since, until)
            } else {
                (until, since)
            };
            api(format!("/deliveries?since={a}&until={b}"))
        }),
    );
    add(
        "deliveries_status_since",
        each(&|i| {
            let status = ["failed", "bounced", "delivered", "skipped"][i % 4];
            api(format!("/deliveries?status={status}&since={}", k.times[i]))
        }),
    );
    add(
        "deliveries_kind_until",
        each(&|i| {
            let kind = ["resend", "reminder", "notice", "activation"][i % 4];
            api(format!("/deliveries?kind={kind}&until={}", k.times[i]))
        }),
    );
    add(
        "deliveries_deep_page",
        each(&|i| api(format!("/deliveries?after={}", k.deep[i]))),
    );
    add(
        "deliveries_status_deep_page",
        each(&|i| {
            let status = ["failed", "bounced", "delivered", "skipped"][i % 4];
            api(format!("/deliveries?status={status}&after={}", k.deep[i]))
        }),
    );

    let search = |q: &str| api(format!("/search?q={}", enc(q)));
    add("search_email", each(&|i| search(&k.emails[i])));
    add("search_iccid", each(&|i| search(&k.iccids[i])));
    add("search_phone", each(&|i| search(&k.phones[i])));
    add("search_sim", each(&|i| search(&k.sims[i])));
    add("search_sub", each(&|i| search(&k.subscriptions[i])));
    add("search_usr", each(&|i| search(&k.users[i])));
    add("search_dlv", each(&|i| search(&k.deliveries[i])));
    add("search_evt", each(&|i| search(&k.any_events[i])));
    add("search_message_id", each(&|i| search(&k.message_ids[i])));
    add(
        "search_message_id_bare",
        each(&|i| search(k.message_ids[i].trim_matches(|c| c == '<' || c == '>'))),
    );
    add(
        "timeline",
        each(&|i| api(format!("/sims/{}/timeline", k.sims[i]))),
    );
    add("audit", each(&|_| api("/audit".into())));
    add(
        "audit_filtered",
        each(&|i| match i % 3 {
            0 => api("/audit?actor=support-desk".into()),
            1 => api("/audit?action=unsuppress".into()),
            _ => api(format!("/audit?since={}", k.times[i])),
        }),
    );
    add(
        "audit_page",
        each(&|i| api(format!("/audit?after={}", k.audit_ids[i]))),
    );
    add("alerts", each(&|_| api("/alerts".into())));
    add(
        "alerts_page",
        each(&|i| api(format!("/alerts?after={}", k.alert_seqs[i]))),
    );
    add("suppressions", each(&|_| api("/suppressions".into())));
    add(
        "suppressions_page",
        each(&|i| {
            api(format!(
                "/suppressions?after={}",
                enc(&k.suppression_emails[i])
            ))
        }),
    );

    add("console_overview", each(&|_| console("/console".into())));
    add(
        "console_search",
        each(&|i| {
            let q = match i % 4 {
                0 => k.emails[i].clone(),
                1 => k.iccids[i].clone(),
                2 => k.users[i].clone(),
                _ => k.message_ids[i].clone(),
            };
            Request {
                path: format!("/console/search?q={}", enc(&q)),
                by: As::Console,
                expect: &[200, 303],
            }
        }),
    );
    add(
        "console_sim",
        each(&|i| console(format!("/console/sims/{}", k.sims[i]))),
    );
    add(
        "console_deliveries",
        each(&|_| console("/console/deliveries".into())),
    );
    add(
        "console_deliveries_filtered",
        each(&|i| {
            let status = ["", "failed", "bounced", "delivered", "skipped", "retrying"][i % 6];
            let kind = ["", "activation", "resend", "reminder", "notice"][i % 5];
            let day = |t: &str| t[..10].to_owned();
            let (since, until) = match i % 3 {
                0 => (day(&k.times[i]), String::new()),
                1 => (String::new(), day(&k.times[i])),
                _ => (String::new(), String::new()),
            };
            console(format!(
                "/console/deliveries?status={status}&kind={kind}&since={since}&until={until}"
            ))
        }),
    );
    add(
        "console_deliveries_page",
        each(&|i| console(format!("/console/deliveries?after={}", k.deep[i]))),
    );
    add(
        "console_suppressions",
        each(&|_| console("/console/suppressions".into())),
    );
    add(
        "console_suppressions_page",
        each(&|i| {
            console(format!(
                "/console/suppressions?after={}",
                k.suppression_seqs[i]
            ))
        }),
    );
    add(
        "console_alerts",
        each(&|_| console("/console/alerts".into())),
    );
    add(
        "console_alerts_page",
        each(&|i| console(format!("/console/alerts?after={}", k.alert_seqs[i]))),
    );
    add("console_audit", each(&|_| console("/console/audit".into())));
    add(
        "console_audit_page",
        each(&|i| console(format!("/console/audit?after={}", k.audit_ids[i]))),
    );
    plan
}

/// One client, signed in both ways: the API's bearer token and a console session.
struct Http {
    base: String,
    client: reqwest::Client,
    cookie: String,
}

impl Http {
    async fn new(base: &str) -> anyhow::Result<Self> {
        let client = esim_courier::tls::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()?;
        let signed_in = client
            .post(format!("{base}/console/login"))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!("token={}", crate::common::STATUS_TOKEN))
            .send()
            .await?;
        let cookie = signed_in
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("courier_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
            .with_context(|| {
                format!(
                    "no session cookie from the sign-in ({})",
                    signed_in.status()
                )
            })?;
        Ok(Self {
            base: base.to_owned(),
            client,
            cookie,
        })
    }

    /// Sends each request alone, one after the other; the first `WARM_UP` are not counted.
    async fn measure(&self, name: &str, requests: Vec<Request>) -> anyhow::Result<Figure> {
        let mut latencies = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            let url = format!("{}{}", self.base, r.path);
            let request = match r.by {
                As::Api => self
                    .client
                    .get(&url)
                    .bearer_auth(crate::common::STATUS_TOKEN),
                As::Console => self
                    .client
                    .get(&url)
                    .header(reqwest::header::COOKIE, &self.cookie),
            };
            let t = Instant::now();
            let response = request.send().await?;
            let status = response.status().as_u16();
            let body = response.bytes().await?;
            let took = t.elapsed();
            anyhow::ensure!(
                r.expect.contains(&status),
                "{name}: {} answered {status}: {}",
                r.path,
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
            if i >= WARM_UP {
                latencies.push(took);
            }
        }
        latencies.sort();
        Ok(Figure {
            name: name.to_owned(),
            p50_ms: crate::percentile(&latencies, 0.50),
            p99_ms: crate::percentile(&latencies, 0.99),
        })
    }
}

/// Signed webhooks at `INGEST_RATE` a second for `duration`, or until `stop` says so;
/// returns each accepted one's latency, sorted.
async fn steady_ingest(
    base: &str,
    duration: Duration,
    stop: Option<Arc<Mutex<bool>>>,
) -> Vec<Duration> {
    let secret = Arc::new(WebhookSecret::parse(common::SECRET).expect("secret"));
    let url = Arc::new(format!("{base}/webhooks/gigs"));
    let client = load::client();
    let deadline = Instant::now() + duration;
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / INGEST_RATE));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        ticker.tick().await;
        let stopped = match &stop {
            Some(s) => *s.lock().await,
            None => Instant::now() >= deadline,
        };
        if stopped {
            break;
        }
        let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
        tasks.spawn(async move {
            let t = Instant::now();
            load::post(&client, &url, &secret, "scale")
                .await
                .map(|_| t.elapsed())
        });
    }
    let mut latencies = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Some(l)) = joined {
            latencies.push(l);
        }
    }
    latencies.sort();
    latencies
}

/// Runs the retention job's erasure (as `serve` would with `RETENTION_DAYS=60`) while
/// webhooks arrive at a steady rate; returns a line to print.
async fn retention(pool: &PgPool, base: &str, f: &mut ScaleFigures) -> anyhow::Result<String> {
    let stop = Arc::new(Mutex::new(false));
    let load = tokio::spawn({
        let (base, stop) = (base.to_owned(), stop.clone());
        async move { steady_ingest(&base, Duration::from_secs(3600), Some(stop)).await }
    });
    let t = Instant::now();
    let keep = Duration::from_secs(KEEP_DAYS * 86_400);
    let metrics = esim_courier::telemetry::Metrics::new();
    let erased = esim_courier::operations::erase_older_than(pool, keep, &metrics).await;
    f.retention_s = t.elapsed().as_secs_f64();
    *stop.lock().await = true;
    let latencies = load.await?;
    let erased = erased?;
    f.retention_rows = erased.deliveries + erased.events;
    f.retention_rows_per_s = f.retention_rows as f64 / f.retention_s;
    f.retention_ingest_p50_ms = crate::percentile(&latencies, 0.50);
    f.retention_ingest_p99_ms = crate::percentile(&latencies, 0.99);
    Ok(format!(
        "{} deliveries and {} events erased in {:.1} s ({:.0} rows/s); {} webhooks meanwhile: p50 {:.1} ms, p99 {:.1} ms",
        erased.deliveries,
        erased.events,
        f.retention_s,
        f.retention_rows_per_s,
        latencies.len(),
        f.retention_ingest_p50_ms,
        f.retention_ingest_p99_ms
    ))
}
