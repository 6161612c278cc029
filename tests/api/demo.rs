//! `demo` and its sandbox: the sandbox serves a Gigs-shaped subscription list, so
//! reconciliation against it runs; two demos at once each deliver their own email, each
//! in a database of its own that is dropped at the end.
use std::{sync::Arc, time::Duration};

use esim_courier::{
    config::GigsSettings,
    demo::sandbox,
    domain::ProjectId,
    gigs::GigsClient,
    lifecycle::{Reconciler, Report},
    store,
    telemetry::Metrics,
};
use sqlx::{Connection, PgConnection};

use crate::helpers::*;

#[tokio::test]
async fn reconciling_against_the_sandbox_checks_its_list_and_creates_nothing() {
    let db = fresh_database().await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    store::migrate(&pool).await.unwrap();
    let (url, server) = sandbox::start("jerry@example.com".into()).unwrap();
    let gigs = GigsSettings {
        api_url: url.parse().unwrap(),
        project: ProjectId::parse(sandbox::PROJECT).unwrap(),
        api_key: "sandbox".to_owned().into(),
        timeout: Duration::from_secs(5),
    };
    let metrics = Arc::new(Metrics::new());
    let reconciler = Reconciler {
        gigs: GigsClient::new(&gigs, metrics.clone()).unwrap(),
        pool: pool.clone(),
        project: gigs.project.clone(),
        metrics,
    };

    let report = reconciler
        .run_exclusive(Duration::from_secs(48 * 3600))
        .await
        .expect("the sandbox lists subscriptions");

    assert_eq!(
        report,
        Some(Report {
            checked: 1,
            created: 0,
            pages: 1
        })
    );
    server.stop(true).await;
    pool.close().await;
}

/// One `demo` run: its exit status and what it printed.
async fn demo(mail_dir: &std::path::Path) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .args(["demo", "--mail-dir"])
        .arg(mail_dir)
        .env_clear()
        .env("DATABASE_URL", format!("{}/postgres", pg_base()))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), out)
        .await
        .expect("the demo ends")
        .unwrap();
    let shown =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), shown)
}

fn after<'a>(shown: &'a str, label: &str) -> &'a str {
    shown
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} in:\n{shown}"))
        .trim()
}

#[tokio::test]
async fn two_demos_at_once_each_deliver_their_own_email_from_a_database_of_their_own() {
    let (dir_a, dir_b) = (temp_dir("demo-a"), temp_dir("demo-b"));

    let ((ok_a, shown_a), (ok_b, shown_b)) = tokio::join!(demo(&dir_a), demo(&dir_b));

    assert!(ok_a, "{shown_a}");
    assert!(ok_b, "{shown_b}");
    let mut admin = PgConnection::connect(&format!("{}/postgres", pg_base()))
        .await
        .unwrap();
    let mut databases = Vec::new();
    for (dir, shown) in [(&dir_a, &shown_a), (&dir_b, &shown_b)] {
        let delivery = after(shown, "webhook    accepted, delivery");
        let emails: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .collect();
        assert_eq!(emails.len(), 1, "{shown}");
        let email = std::fs::read_to_string(emails[0].path()).unwrap();
        assert!(email.contains(delivery), "its own email: {delivery}");
        let url = after(shown, "database   postgres://");
        let name = url.rsplit('/').next().unwrap().to_owned();
        assert!(name.starts_with("esim_courier_demo_"), "{shown}");
        assert!(shown.contains("database   dropped"), "{shown}");
        let left: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        assert!(!left, "{name} was dropped");
        databases.push(name);
    }
    assert_ne!(databases[0], databases[1]);
}
