//! `esim-courier check`: against a working setup (real PostgreSQL and SMTP server, a fake
//! Gigs) every line is `ok` and it exits 0; against a broken one it names each failure.
use std::time::Duration;

use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

use crate::{helpers::*, smtp::SmtpSink};

/// Runs `check` with `env`; returns the exit code and stdout.
async fn check(env: Vec<(&str, String)>) -> (Option<i32>, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .arg("check")
        .env_clear()
        .envs(env)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("check ends")
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn env(db: &str, gigs: &str, smtp: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db.to_owned()),
        ("GIGS_API_URL", gigs.to_owned()),
        ("GIGS_PROJECT", PROJECT.to_owned()),
        ("GIGS_API_KEY", GIGS_KEY.to_owned()),
        ("GIGS_WEBHOOK_SECRETS", SECRET.to_owned()),
        ("STATUS_API_TOKENS", TOKEN.to_owned()),
        ("SMTP_URL", smtp.to_owned()),
        ("EMAIL_FROM", "Acme Mobile <esim@acme.example>".to_owned()),
        ("PUBLIC_BASE_URL", "http://localhost:8080".to_owned()),
    ]
}

async fn gigs_answering(status: u16) -> MockServer {
    let gigs = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/subscriptions")))
        .and(query_param("limit", "1"))
        .and(header("authorization", format!("Bearer {GIGS_KEY}")))
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_json(json!({"object": "list", "items": [], "moreItemsAfter": null})),
        )
        .mount(&gigs)
        .await;
    gigs
}

fn line<'a>(out: &'a str, subject: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(&format!("{subject}:")))
        .unwrap_or_else(|| panic!("no {subject} line in:\n{out}"))
}

#[tokio::test]
async fn check_passes_against_a_working_setup_one_ok_line_each() {
    let db = fresh_database().await;
    let gigs = gigs_answering(200).await;
    let smtp = SmtpSink::start().await;

    let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port);
    let (code, out) = check(env(&db.url, &gigs.uri(), &smtp_url)).await;

    assert_eq!(code, Some(0), "{out}");
    for subject in [
        "settings",
        "DATABASE_URL",
        "SMTP_URL",
        "GIGS_API_KEY",
        "PUBLIC_BASE_URL",
    ] {
        assert!(line(&out, subject).starts_with("ok "), "{out}");
    }
    assert!(line(&out, "SMTP_URL").contains("answered EHLO"), "{out}");
    assert!(line(&out, "DATABASE_URL").contains("exists"), "{out}");
    assert_eq!(gigs.received_requests().await.unwrap().len(), 1);
    assert!(smtp.mails().is_empty(), "check sends nothing");
}

#[tokio::test]
async fn check_names_each_failure_of_a_broken_setup_and_exits_2() {
    let gigs = gigs_answering(401).await;
    let mut vars = env(
        "postgres://postgres@127.0.0.1:1/esim_courier",
        &gigs.uri(),
        "smtp://127.0.0.1:1",
    );
    vars.retain(|(k, _)| *k != "PUBLIC_BASE_URL");
    vars.push(("PUBLIC_BASE_URL", "http://esim.acme.example".into()));

    let (code, out) = check(vars).await;

    assert_eq!(code, Some(2), "{out}");
    assert!(line(&out, "settings").starts_with("ok "), "{out}");
    for subject in ["DATABASE_URL", "SMTP_URL", "GIGS_API_KEY"] {
        assert!(line(&out, subject).starts_with("FAIL "), "{out}");
    }
    assert!(line(&out, "GIGS_API_KEY").contains("401"), "{out}");
    assert!(line(&out, "PUBLIC_BASE_URL").starts_with("warn "), "{out}");
    assert!(!out.contains(GIGS_KEY), "no secret shown: {out}");
}

#[tokio::test]
async fn check_names_an_unknown_project_a_refused_login_and_every_bad_setting() {
    let db = fresh_database().await;
    let gigs = gigs_answering(404).await;
    let smtp = SmtpSink::start().await;
    // The sink offers no AUTH: configured credentials cannot be used.
    let smtp_url = format!("smtp://user:s3cret-pass@127.0.0.1:{}", smtp.port);
    let mut vars = env(&db.url, &gigs.uri(), &smtp_url);
    vars.push(("WORKER_CONCURRENCY", "0".into()));
    vars.push(("STATUS_API_ROLES", "nobody=viewer".into()));

    let (code, out) = check(vars).await;

    assert_eq!(code, Some(2), "{out}");
    assert!(
        line(&out, "WORKER_CONCURRENCY").starts_with("FAIL "),
        "{out}"
    );
    assert!(line(&out, "STATUS_API_ROLES").starts_with("FAIL "), "{out}");
    assert!(line(&out, "DATABASE_URL").starts_with("ok "), "{out}");
    assert!(line(&out, "SMTP_URL").starts_with("FAIL "), "{out}");
    assert!(!out.contains("s3cret-pass"), "{out}");
    assert!(line(&out, "GIGS_PROJECT").starts_with("FAIL "), "{out}");
}
