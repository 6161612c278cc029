//! The support desk's API: roles, the audit log, search by any key, one SIM's timeline,
//! bulk retry's dry run, and the notice a resend to a new address sends.
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::helpers::*;

/// One SIM emailed to jerry@example.com; returns its delivery.
async fn delivered(app: &TestApp) -> String {
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&id).await["status"], "delivered");
    id
}

async fn suppress(app: &TestApp, email: &str) {
    sqlx::query("INSERT INTO suppressions (email, reason, provider) VALUES ($1, 'test', 'test')")
        .bind(email)
        .execute(&app.pool)
        .await
        .unwrap();
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_viewer_reads_everything_with_addresses_masked_and_may_change_nothing() {
    let app = spawn_app().await;
    let id = delivered(&app).await;
    suppress(&app, "other@example.com").await;

    let reads = [
        "/deliveries".to_owned(),
        format!("/deliveries/{id}"),
        "/suppressions".to_owned(),
        "/search?q=jerry@example.com".to_owned(),
        format!("/sims/{SIM}/timeline"),
    ];
    for path in reads {
        let response = app.get_as(VIEWER_TOKEN, &path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("jerry@"), "{path} shows an address: {body}");
        assert!(!body.contains("other@"), "{path} shows an address: {body}");
    }
    let list = json_of(app.get_as(VIEWER_TOKEN, "/deliveries").await).await;
    assert_eq!(list["items"][0]["recipient"], "j***@example.com");

    let writes = [
        (Method::POST, format!("/deliveries/{id}/resend"), None),
        (
            Method::POST,
            "/deliveries/retry".into(),
            Some(json!({"status": "failed"})),
        ),
        (
            Method::POST,
            "/erasures".into(),
            Some(json!({"user": USER_ID})),
        ),
        (
            Method::DELETE,
            "/suppressions/other@example.com".into(),
            None,
        ),
        (Method::GET, "/audit".into(), None),
    ];
    for (method, path, body) in writes {
        let response = app.call_as(VIEWER_TOKEN, method.clone(), &path, body).await;
        assert_eq!(response.status(), 403, "{method} {path}");
        assert_eq!(json_of(response).await["type"], "forbidden", "{path}");
    }
    assert_eq!(app.count("audit_log").await, 0, "refusals change nothing");
    assert_eq!(app.count("suppressions").await, 1);
}

#[tokio::test]
async fn support_resends_and_lifts_but_only_an_admin_retries_in_bulk_erases_or_audits() {
    let app = spawn_app().await;
    let id = delivered(&app).await;
    suppress(&app, "other@example.com").await;
    let resend = format!("/deliveries/{id}/resend");

    let resent = app.call_as(NAMED_TOKEN, Method::POST, &resend, None).await;
    assert_eq!(resent.status(), 202);
    let lifted = app
        .call_as(
            NAMED_TOKEN,
            Method::DELETE,
            "/suppressions/Other@Example.com",
            None,
        )
        .await;
    assert_eq!(lifted.status(), 204);
    for (method, path, body) in [
        (
            Method::POST,
            "/deliveries/retry",
            Some(json!({"status": "failed"})),
        ),
        (Method::POST, "/erasures", Some(json!({"user": USER_ID}))),
        (Method::GET, "/audit", None),
    ] {
        let response = app.call_as(NAMED_TOKEN, method, path, body).await;
        assert_eq!(response.status(), 403, "{path}");
    }

    // An unlisted token stays an admin.
    let audit = app.get_as(TOKEN, "/audit").await;
    assert_eq!(audit.status(), 200);
    let retry = app
        .call_as(
            TOKEN,
            Method::POST,
            "/deliveries/retry",
            Some(json!({"status": "failed"})),
        )
        .await;
    assert_eq!(retry.status(), 202);
}

#[tokio::test]
async fn a_resend_is_audited_with_actor_role_and_target_and_an_erasure_entry_holds_no_address() {
    let app = spawn_app().await;
    let id = delivered(&app).await;
    let resend = format!("/deliveries/{id}/resend");
    let resent = json_of(app.call_as(NAMED_TOKEN, Method::POST, &resend, None).await).await;
    let erased = app
        .call_as(
            TOKEN,
            Method::POST,
            "/erasures",
            Some(json!({"user": USER_ID})),
        )
        .await;
    assert_eq!(erased.status(), 200);

    let audit = json_of(app.get_as(TOKEN, "/audit").await).await;

    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{audit}");
    let (erasure, resend) = (&items[0], &items[1]);
    assert_eq!(resend["object"], "auditEntry");
    assert!(resend["id"].as_str().unwrap().starts_with("aud_"));
    assert_eq!(resend["actor"], "support-desk");
    assert_eq!(resend["role"], "support");
    assert_eq!(resend["action"], "resend");
    assert_eq!(resend["target"], id.as_str());
    assert!(
        resend["detail"]
            .as_str()
            .unwrap()
            .contains(resent["id"].as_str().unwrap())
    );
    assert_eq!(erasure["action"], "erasure");
    assert_eq!(erasure["actor"], Value::Null, "the unnamed admin token");
    assert_eq!(erasure["role"], "admin");
    assert_eq!(erasure["target"], USER_ID);
    assert!(!audit.to_string().contains('@'), "{audit}");
    let only_resends = json_of(app.get_as(TOKEN, "/audit?action=resend").await).await;
    assert_eq!(only_resends["items"].as_array().unwrap().len(), 1);
    let by_actor = json_of(app.get_as(TOKEN, "/audit?actor=support-desk").await).await;
    assert_eq!(by_actor["items"][0]["action"], "resend");
    let bad = app.get_as(TOKEN, "/audit?action=reboot").await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn search_finds_a_delivered_sim_by_each_key() {
    let app = spawn_app().await;
    let id = delivered(&app).await;
    let message_id = app.delivery(&id).await["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let bare = message_id.trim_start_matches('<').trim_end_matches('>');

    let keys = [
        "  JERRY@Example.COM  ",
        "89883070000007537119",
        "+19591234567",
        SIM,
        SUB,
        USER_ID,
        id.as_str(),
        "evt_0SNlurA049MEWV5gNTcQ5A07h3Ol",
        message_id.as_str(),
        bare,
    ];
    for key in keys {
        let q: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
        let found = json_of(app.get(&format!("/search?q={q}")).await).await;
        let items = found["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{key}: {found}");
        let sim = &items[0];
        assert_eq!(sim["object"], "simSummary");
        assert_eq!(sim["sim"], SIM, "{key}");
        assert_eq!(sim["latestDelivery"], id.as_str());
        assert_eq!(sim["status"], "delivered");
        assert_eq!(sim["iccid"], "89883070000007537119");
        assert_eq!(sim["recipient"], "jerry@example.com");
    }
    let none = json_of(app.get("/search?q=nobody@example.com").await).await;
    assert_eq!(none["items"], json!([]));
    for empty in ["/search?q=", "/search?q=%20%20", "/search"] {
        assert_eq!(app.get(empty).await.status(), 400, "{empty}");
    }
}

#[tokio::test]
async fn a_sim_whose_credentials_are_not_found_reads_failed_with_resend() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    let missing = ResponseTemplate::new(404).set_body_raw(NOT_FOUND, "application/json");
    app.mock_gigs_credentials(SIM, missing).await;
    let id = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&id).await["status"], "failed");

    let timeline = json_of(app.get(&format!("/sims/{SIM}/timeline")).await).await;

    assert_eq!(timeline["object"], "timeline");
    assert_eq!(timeline["verdict"]["state"], "failed");
    assert_eq!(timeline["verdict"]["action"], "resend");
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["event", "queued", "failed"], "{timeline}");
    let unknown = app.get("/sims/sim_nobody/timeline").await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_dry_run_counts_what_bulk_retry_would_resend_and_changes_nothing() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    let missing = ResponseTemplate::new(404).set_body_raw(NOT_FOUND, "application/json");
    app.mock_gigs_credentials(SIM, missing).await;
    let id = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&id).await["status"], "failed");
    let before = app.count("deliveries").await;

    let body = json!({"status": "failed", "dryRun": true});
    let response = app
        .call_as(TOKEN, Method::POST, "/deliveries/retry", Some(body))
        .await;

    assert_eq!(response.status(), 200);
    let answer = json_of(response).await;
    assert_eq!(answer["count"], 1);
    assert_eq!(answer["dryRun"], true);
    assert_eq!(app.count("deliveries").await, before);
    assert_eq!(app.count("audit_log").await, 0);
}

#[test]
fn a_bad_status_api_roles_exits_2_naming_it() {
    for roles in ["nobody=viewer", "desk=root", "desk"] {
        let mut env = crate::cli::base_env();
        env.retain(|(k, _)| *k != "STATUS_API_TOKENS");
        env.push(("STATUS_API_TOKENS", "desk:0123456789abcdef-token"));
        env.push(("STATUS_API_ROLES", roles));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"))
            .arg("serve")
            .env_clear()
            .envs(env)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{roles}: {stderr}");
        assert!(stderr.contains("STATUS_API_ROLES"), "{roles}: {stderr}");
    }
}
