//! What a stranger or a bad record can send: stalled bodies, odd bytes, floods of resends.
use std::time::Duration;

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use wiremock::ResponseTemplate;

use crate::helpers::*;

/// Sends a webhook's head and part of its body, then stalls; returns what the server says,
/// or `None` if it said nothing within `wait`.
async fn stall(app: &TestApp, head_extra: &str, wait: Duration) -> Option<String> {
    stall_on(app, "/webhooks/gigs", 900_000, head_extra, wait).await
}

/// The same on any route, declaring `content_length` and sending 4 KiB of it (spaces).
async fn stall_on(
    app: &TestApp,
    route: &str,
    content_length: usize,
    head_extra: &str,
    wait: Duration,
) -> Option<String> {
    let port = app.address.rsplit(':').next().unwrap();
    let mut conn = TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let head = format!(
        "POST {route} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {content_length}\r\n{head_extra}\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&[b' '; 4096]).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(wait, conn.read_to_end(&mut answer)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

fn signed_looking_headers() -> String {
    let ts = now();
    format!(
        "webhook-id: msg_stall\r\nwebhook-timestamp: {ts}\r\nwebhook-signature: {}\r\n",
        signature("msg_stall", ts, "{}")
    )
}

#[tokio::test]
async fn a_stalled_body_is_cut_at_the_deadline_with_408() {
    let app = spawn_app_with(Options {
        tweak: |s, _| s.http.body_timeout = Duration::from_secs(1),
        ..Options::default()
    })
    .await;

    let answer = stall(&app, &signed_looking_headers(), Duration::from_secs(20)).await;

    let answer = answer.expect("the server answers and closes, not the client");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.to_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert_eq!(app.count("webhook_events").await, 0);
}

#[tokio::test]
async fn a_body_that_can_never_verify_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    // No signature headers: refused from the head alone, without waiting for the body.
    let answer = stall(&app, "", Duration::from_secs(5)).await;
    assert!(
        answer
            .expect("an answer at once")
            .starts_with("HTTP/1.1 400")
    );
    let stale = format!(
        "webhook-id: m\r\nwebhook-timestamp: 1\r\nwebhook-signature: {}\r\n",
        signature("m", 1, "{}")
    );
    let answer = stall(&app, &stale, Duration::from_secs(5)).await;
    assert!(
        answer
            .expect("an answer at once")
            .starts_with("HTTP/1.1 401")
    );
}

#[tokio::test]
async fn a_name_with_a_line_break_is_left_out_of_the_header_and_the_email_goes() {
    let app = spawn_app().await;
    let mut user: Value = serde_json::from_str(USER).unwrap();
    user["fullName"] = "Jerry\r\nBcc: victim@example.com".into();
    app.mock_gigs_user(USER_ID, &user.to_string()).await;
    let credentials = ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json");
    app.mock_gigs_credentials(SIM, credentials).await;
    let id = app.deliver_event(ACTIVATED).await;

    let d = app.drive(&id).await;

    assert_eq!(d["status"], "delivered", "{d}");
    let mails = app.smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, ["jerry@example.com"]);
    let raw = String::from_utf8_lossy(&mails[0].data).into_owned();
    let to = raw
        .lines()
        .find(|l| l.starts_with("To:"))
        .expect("a To header");
    assert_eq!(to.trim(), "To: jerry@example.com");
    let headers = raw.split("\r\n\r\n").next().unwrap();
    assert!(!headers.lines().any(|l| l.starts_with("Bcc:")), "{headers}");
}

#[tokio::test]
async fn a_nul_in_a_list_filter_is_a_400_not_a_503() {
    let app = spawn_app().await;
    for filter in ["sim=a%00b", "email=x%00%40y", "after=dlv_%00"] {
        let response = app.get(&format!("/deliveries?{filter}")).await;
        assert_eq!(response.status(), 400, "{filter}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["type"], "invalidRequest");
    }
}

#[tokio::test]
async fn a_signed_event_holding_a_nul_is_a_400_and_writes_nothing() {
    let app = spawn_app().await;
    let poison = event_with(ACTIVATED, "evt_nul", "sim_nul", |v| {
        v["data"]["user"]["fullName"] = "a\u{0}b".into()
    });

    let response = app.post_webhook("msg_nul", &poison).await;

    assert_eq!(response.status(), 400);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["type"], "invalidPayload");
    assert_eq!(app.count("webhook_events").await, 0);
}

#[tokio::test]
async fn resends_of_one_sim_are_limited_with_retry_after() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let first = app.deliver_event(ACTIVATED).await;
    app.drive(&first).await;

    let resend = |id: String| {
        let app = &app;
        async move { app.post(&format!("/deliveries/{id}/resend")).await }
    };
    assert_eq!(resend(first.clone()).await.status(), 202);
    let flood: Vec<_> =
        futures_util::future::join_all((0..10).map(|_| resend(first.clone()))).await;

    for response in &flood {
        assert_eq!(response.status(), 429);
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
    }
    assert_eq!(
        app.count("deliveries").await,
        2,
        "one original and one resend"
    );
}

#[tokio::test]
async fn a_skipped_psim_delivery_cannot_be_resent() {
    let app = spawn_app().await;
    let psim = event_with(ACTIVATED, "evt_psim", "sim_psim", |v| {
        v["data"]["sim"]["type"] = "pSIM".into()
    });
    let id = app.deliver_event(&psim).await;
    assert_eq!(app.delivery(&id).await["status"], "skipped");

    let response = app.post(&format!("/deliveries/{id}/resend")).await;

    assert_eq!(response.status(), 409);
    assert_eq!(app.count("deliveries").await, 1);
}

#[tokio::test]
async fn head_answers_like_get_and_a_wrong_method_is_405() {
    let app = spawn_app().await;
    let head = app
        .client
        .head(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);

    let get = app.get_anonymous("/webhooks/gigs").await;
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let json: Value = get.json().await.unwrap();
    assert_eq!(json["type"], "methodNotAllowed");
    let delete = app
        .client
        .delete(format!("{}/deliveries", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 405);
    assert_eq!(delete.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn connections_past_the_limit_wait_in_the_backlog_until_one_closes() {
    let app = spawn_app_with(Options {
        tweak: |s, _| {
            s.http.max_connections = 1;
            // The held connections stay held however slow this machine is.
            s.http.body_timeout = Duration::from_secs(120);
        },
        ..Options::default()
    })
    .await;
    let addr = format!("127.0.0.1:{}", app.address.rsplit(':').next().unwrap());
    // actix shares the limit out among its worker threads, at least one each.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut held = Vec::new();
    for _ in 0..workers {
        let mut conn = TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /webhooks/gigs HTTP/1.1\r\nhost: x\r\ncontent-length: 900000\r\n{}\r\n",
            signed_looking_headers()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        held.push(conn);
    }
    let mut waiting = TcpStream::connect(&addr).await.unwrap();
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();

    // Not a wait for work: a window in which no answer may come.
    let early =
        tokio::time::timeout(Duration::from_secs(1), waiting.read_to_end(&mut answer)).await;
    assert!(
        early.is_err(),
        "answered past the limit: {}",
        String::from_utf8_lossy(&answer)
    );
    drop(held);
    tokio::time::timeout(Duration::from_secs(30), waiting.read_to_end(&mut answer))
        .await
        .expect("still not answered after the held connections closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_stalled_body_on_an_operator_route_is_cut_at_the_deadline_with_408() {
    let app = spawn_app_with(Options {
        tweak: |s, _| s.http.body_timeout = Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    for route in ["/erasures", "/deliveries/retry"] {
        let auth = format!("authorization: Bearer {TOKEN}\r\n");
        // Far past the 1 s deadline; without one the connection would stay open.
        let answer = stall_on(&app, route, 60_000, &auth, Duration::from_secs(30))
            .await
            .unwrap_or_else(|| panic!("{route}: still open"));
        assert!(answer.starts_with("HTTP/1.1 408"), "{route}: {answer}");
        assert!(answer.contains("requestTimeout"), "{route}: {answer}");
    }
}
