//! `demo`: one whole delivery on this machine, through the real webhook endpoint, with a
//! built-in sandbox standing in for the Gigs API.
pub mod sandbox;

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use serde_json::{Value, json};

use crate::{
    config::{DEFAULT_DATABASE_URL, DatabaseSettings, Env, Settings},
    domain::random_base62,
    startup::{Application, RunOptions},
    store,
    webhooks::{WebhookSecret, signed_post},
};

const DEMO_RECIPIENT: &str = "jerry@example.com";

/// A database of this run's own on the server of `DATABASE_URL` (default: localhost):
/// the demo's worker claims every pending delivery it sees, so it must see neither real
/// ones nor another demo's.
fn demo_database(env: &Env) -> anyhow::Result<String> {
    let server = env.value("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL);
    let mut url = url::Url::parse(server).context("DATABASE_URL is not a URL")?;
    url.set_path(&format!(
        "/esim_courier_demo_{}",
        random_base62(10).to_ascii_lowercase()
    ));
    Ok(url.to_string())
}

/// Runs the demo; true when the email was delivered. Its own database (unless
/// `--database-url` named one) is dropped at the end, Ctrl-C included.
pub async fn run(env: &Env, mail_dir: &Path, database_url: Option<&str>) -> anyhow::Result<bool> {
    let (database_url, own) = match database_url {
        Some(url) => (url.to_owned(), false),
        None => (demo_database(env)?, true),
    };
    let database = DatabaseSettings::read(&Env::from_pairs([("DATABASE_URL", &*database_url)]))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("esim-courier demo");
    println!("  database   {}", redact_password(&database_url));
    let outcome = tokio::select! {
        outcome = deliver(env, mail_dir, &database_url) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    if own {
        match store::drop_database(&database).await {
            Ok(()) => println!("  database   dropped"),
            Err(e) => println!("  database   not dropped: {e:#}"),
        }
    }
    outcome
}

/// The service on a free port, one webhook through it, and the delivery waited for.
async fn deliver(env: &Env, mail_dir: &Path, database_url: &str) -> anyhow::Result<bool> {
    let (smtp_url, eml_dir) = match env.value("SMTP_URL") {
        Some(url) => (url.to_owned(), None),
        None => {
            std::fs::create_dir_all(mail_dir)?;
            let dir = mail_dir.canonicalize()?;
            (format!("file://{}", dir.display()), Some(dir))
        }
    };
    let (gigs_url, sandbox) = sandbox::start(DEMO_RECIPIENT.to_owned())?;
    let secret = format!("whsec_{}", B64.encode(random_base62(32)));
    let token = random_base62(32);
    // Bound first: the emailed install link names the demo's own address.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let mut settings = demo_settings(database_url, &gigs_url, &smtp_url, &secret, &token)?;
    settings.email.public_base_url = Some(base.parse()?);

    println!("  Gigs API   sandbox at {gigs_url}");
    store::create_and_migrate(&settings.database).await?;
    let pool = store::lazy_pool(&settings.database)?;
    let app = Application::build_with(settings, pool, listener, RunOptions::default())?;
    let stop = app.cancel_token();
    let running = tokio::spawn(app.run_until_stopped());
    println!("  service    {base}");

    let client = crate::tls::client_builder().build()?;
    let outcome = async {
        let delivery = send_event(&client, &base, &secret).await?;
        println!("  webhook    accepted, delivery {delivery}");
        wait_for_delivery(&client, &base, &token, &delivery).await
    }
    .await;
    // Stopped before its database is dropped, so its worker does not log the loss.
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), running).await;
    sandbox.stop(true).await;
    let final_state = outcome?;
    print_outcome(&final_state, eml_dir.as_deref(), &smtp_url);
    Ok(final_state["status"] == "delivered")
}

fn demo_settings(
    database_url: &str,
    gigs_url: &str,
    smtp_url: &str,
    secret: &str,
    token: &str,
) -> anyhow::Result<Settings> {
    let link_key = random_base62(32);
    let env = Env::from_pairs([
        ("DATABASE_URL", database_url),
        ("DATABASE_MAX_CONNECTIONS", "5"),
        ("LISTEN_ADDR", "127.0.0.1:0"),
        ("GIGS_WEBHOOK_SECRETS", secret),
        ("STATUS_API_TOKENS", token),
        ("GIGS_API_URL", gigs_url),
        ("GIGS_PROJECT", sandbox::PROJECT),
        ("GIGS_API_KEY", "sandbox"),
        ("SMTP_URL", smtp_url),
        ("EMAIL_FROM", "Demo Mobile <esim@demo.example>"),
        ("BRAND_NAME", "Demo Mobile"),
        ("SUPPORT_URL", "https://demo.example/help"),
        ("INSTALL_LINK_SECRET", link_key.as_str()),
        // One delivery, at once: a reconciliation would only add log lines.
        ("RECONCILE_INTERVAL_MINS", "0"),
    ]);
    let mut settings = Settings::from_env(&env).map_err(|e| anyhow::anyhow!("{e}"))?;
    settings.worker.poll_interval = Duration::from_millis(200);
    Ok(settings)
}

/// A subscription activation for a new eSIM, with fresh ids so each run is new.
fn event() -> Value {
    let suffix = random_base62(12);
    json!({
        "object": "event",
        "id": format!("evt_demo{suffix}"),
        "type": "com.gigs.subscription.activated",
        "time": chrono::Utc::now().to_rfc3339(),
        "project": sandbox::PROJECT,
        "source": "https://api.gigs.com",
        "specversion": "1.0",
        "version": "2025-05-22",
        "data": {
            "object": "subscription",
            "id": sandbox::SUBSCRIPTION,
            "status": "active",
            "sim": {"object": "sim", "id": format!("sim_demo{suffix}"), "type": "eSIM"},
            "user": {"object": "user", "id": sandbox::USER, "email": DEMO_RECIPIENT},
        }
    })
}

async fn send_event(client: &reqwest::Client, base: &str, secret: &str) -> anyhow::Result<String> {
    let body = serde_json::to_vec(&event())?;
    let id = format!("msg_{}", random_base62(24));
    let url = format!("{base}/webhooks/gigs");
    let answer: Value = signed_post(client, &url, &WebhookSecret::parse(secret)?, &id, body)
        .send()
        .await?
        .error_for_status()
        .context("the webhook was refused")?
        .json()
        .await?;
    answer["delivery"]
        .as_str()
        .map(str::to_owned)
        .context("the webhook created no delivery")
}

async fn wait_for_delivery(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let delivery: Value = client
            .get(format!("{base}/deliveries/{id}"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let status = delivery["status"].as_str().unwrap_or_default();
        if ["delivered", "failed", "skipped"].contains(&status) || Instant::now() > deadline {
            return Ok(delivery);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn print_outcome(delivery: &Value, eml_dir: Option<&Path>, smtp_url: &str) {
    println!(
        "  status     {}",
        delivery["status"].as_str().unwrap_or("?")
    );
    if let Some(reason) = delivery["reason"].as_str() {
        println!("  reason     {reason}");
    }
    for step in delivery["history"].as_array().into_iter().flatten() {
        println!(
            "    {}  {:<10} {}",
            step["at"].as_str().unwrap_or_default(),
            step["status"].as_str().unwrap_or_default(),
            step["detail"].as_str().unwrap_or_default()
        );
    }
    match eml_dir.and_then(newest_eml) {
        Some(path) => println!("  email      {}", path.display()),
        None if eml_dir.is_none() => println!("  email      sent to {}", redact_password(smtp_url)),
        None => println!("  email      none written"),
    }
}

fn newest_eml(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
