//! The binary as an operator runs it: shutdown, health checks, send-webhook, demo.
use std::time::Duration;

use wiremock::ResponseTemplate;

use crate::helpers::*;

async fn wait_for_status(app: &TestApp, id: &str, status: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now: String = sqlx::query_scalar("SELECT status FROM deliveries WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if now == status {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{id} never reached {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn processing(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE status = 'processing'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A `serve` process whose Gigs credentials call takes `delay`, with one delivery in flight.
async fn serve_with_slow_gigs(
    delay: Duration,
    grace: &str,
) -> (TestApp, tokio::process::Child, std::path::PathBuf, String) {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    let slow = ResponseTemplate::new(200)
        .set_body_raw(CREDENTIALS, "application/json")
        .set_delay(delay);
    app.mock_gigs_credentials(SIM, slow).await;
    let id = app.deliver_event(ACTIVATED).await;
    let log = temp_dir("serve").join("serve.log");
    let port = free_port();
    let child = courier(&app, &["serve"], &log)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("SHUTDOWN_GRACE_SECS", grace)
        .spawn()
        .unwrap();
    wait_for_status(&app, &id, "processing").await;
    (app, child, log, id)
}

#[tokio::test]
async fn sigterm_during_a_delivery_lets_it_finish_and_leaves_nothing_processing() {
    let (app, child, log, id) = serve_with_slow_gigs(Duration::from_millis(1500), "20").await;

    terminate(child, &log).await;

    assert_eq!(processing(&app).await, 0);
    assert_eq!(app.delivery(&id).await["status"], "delivered");
    assert_eq!(app.smtp.mails().len(), 1);
}

#[tokio::test]
async fn sigterm_past_the_grace_period_hands_the_delivery_back() {
    let (app, child, log, id) = serve_with_slow_gigs(Duration::from_secs(30), "1").await;

    terminate(child, &log).await;

    assert_eq!(processing(&app).await, 0);
    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "pending");
    assert_eq!(d["attempts"], 0, "the interrupted attempt is not counted");
    assert!(d["history"].to_string().contains("released at shutdown"));
    assert!(app.smtp.mails().is_empty());
}

#[tokio::test]
async fn sigterm_stops_every_background_job_within_the_grace_period() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    let stuck = ResponseTemplate::new(200)
        .set_body_raw(CREDENTIALS, "application/json")
        .set_delay(Duration::from_secs(60));
    app.mock_gigs_credentials(SIM, stuck).await;
    let id = app.deliver_event(ACTIVATED).await;
    let log = temp_dir("jobs").join("serve.log");
    // Every job on: alerts (with the quiet watch), retention, reconciliation (the default
    // interval), the worker, ingest, the heap trim and the signal watch.
    let child = courier(&app, &["serve"], &log)
        .env("LISTEN_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("SHUTDOWN_GRACE_SECS", "3")
        .env("ALERT_WEBHOOK_URL", format!("{}/alerts", app.gigs.uri()))
        .env("LOG_FORMAT", "json")
        .spawn()
        .unwrap();
    wait_for_status(&app, &id, "processing").await;

    let started = std::time::Instant::now();
    let log = terminate(child, &log).await;
    let took = started.elapsed();

    assert!(took < Duration::from_secs(3), "exited after {took:?}");
    let stopped: Vec<String> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["message"] == "background job stopped")
        .map(|l| l["job"].as_str().unwrap_or_default().to_owned())
        .collect();
    for job in [
        "signals",
        "worker",
        "ingest",
        "alerts",
        "retention",
        "reconcile",
        "heap-trim",
        "overview",
    ] {
        assert!(
            stopped.iter().any(|s| s == job),
            "{job} not seen stopping: {stopped:?}"
        );
    }
    assert_eq!(
        processing(&app).await,
        0,
        "the stuck delivery was handed back; log:\n{log}"
    );
}

async fn healthcheck(url: &str) -> Option<i32> {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .args(["healthcheck", "--url", url])
        .output()
        .await
        .unwrap()
        .status
        .code()
}

#[tokio::test]
async fn healthcheck_exits_0_only_against_a_ready_server() {
    let ready = spawn_app().await;
    let dead_db = spawn_app_on_dead_database().await;
    let nothing = format!("http://127.0.0.1:{}", free_port());

    assert_eq!(healthcheck(&ready.address).await, Some(0));
    assert_ne!(healthcheck(&dead_db.address).await, Some(0));
    assert_ne!(healthcheck(&nothing).await, Some(0));
}

#[tokio::test]
async fn send_webhook_signs_a_file_the_server_accepts() {
    let app = spawn_app().await;
    let dir = temp_dir("send");
    let file = dir.join("event.json");
    std::fs::write(&file, ACTIVATED).unwrap();
    let url = format!("{}/webhooks/gigs", app.address);
    let run = |secret: &'static str| {
        let (url, file) = (url.clone(), file.clone());
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"))
                .args(["send-webhook", "--url", &url, "--secret", secret])
                .arg(&file)
                .output()
                .await
                .unwrap()
        }
    };

    let accepted = run(SECRET).await;
    let forged = run("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").await;

    let out = String::from_utf8_lossy(&accepted.stdout);
    assert_eq!(accepted.status.code(), Some(0), "{out}");
    assert!(
        out.contains("HTTP 200") && out.contains("\"received\":true"),
        "{out}"
    );
    assert_eq!(forged.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&forged.stdout).contains("HTTP 401"));
    assert_eq!(app.count("deliveries").await, 1);
}

#[tokio::test]
async fn demo_delivers_one_email_to_a_file_with_no_gigs_account() {
    let db = fresh_database().await;
    let db_url = db.url.clone();
    let dir = temp_dir("demo");

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .args(["demo", "--database-url", &db_url, "--mail-dir"])
        .arg(&dir)
        .env_clear()
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("status     delivered"), "{stdout}");
    let emails: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    assert_eq!(emails.len(), 1);
    let path = emails[0].path();
    assert!(
        stdout.contains(&path.display().to_string()),
        "the demo says where the email is"
    );
    let eml = std::fs::read_to_string(&path).unwrap();
    assert!(
        eml.contains("multipart/alternative")
            && eml.contains("To: \"Jerry Seinfeld\" <jerry@example.com>"),
        "{eml}"
    );
}

#[tokio::test]
async fn a_worker_serves_its_metrics_on_metrics_addr() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    let log = temp_dir("worker-metrics").join("worker.log");
    let port = free_port();
    let child = courier(&app, &["worker"], &log)
        .env("METRICS_ADDR", format!("127.0.0.1:{port}"))
        .spawn()
        .unwrap();
    wait_for_status(&app, &id, "delivered").await;

    let scraped = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert!(
        scraped.contains(r#"esim_courier_deliveries_total{status="delivered"} 1"#),
        "{scraped}"
    );
    assert!(scraped.contains("esim_courier_database_up 1"));
    terminate(child, &log).await;
}
