//! Strangers cannot keep a signed Gigs webhook waiting: bounce routes refuse what their
//! headers already tell before reading a body, and big stalled bodies hold slots of their
//! own lane, never the small bodies' way in.
use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::*;

const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:esim-bounces";

fn bounce_settings(s: &mut esim_courier::config::Settings, _: &str) {
    s.bounces.sns_topic_arns = vec![TOPIC.into()];
    s.bounces.basic_auth = Some(("postmark".into(), "pm-pass".into()));
}

/// Sends a request head declaring `length` and 4 KiB of body, then stalls; returns the
/// answer's first line and how long it took, or `None` if none came within `wait`.
async fn stalled(
    app: &TestApp,
    route: &str,
    length: usize,
    headers: &str,
    wait: Duration,
) -> Option<(String, Duration)> {
    let port = app.address.rsplit(':').next().unwrap();
    let mut conn = TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let started = Instant::now();
    let head = format!(
        "POST {route} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {length}\r\n{headers}\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let _ = conn.write_all(&[b' '; 4096]).await;
    let mut answer = Vec::new();
    // A server that refuses without reading may reset: what it sent first still counts.
    let _ = tokio::time::timeout(wait, conn.read_to_end(&mut answer))
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&answer);
    Some((
        text.lines().next().unwrap_or_default().to_owned(),
        started.elapsed(),
    ))
}

#[tokio::test]
async fn bounce_routes_refuse_what_the_headers_tell_before_reading_a_body() {
    let app = spawn_app_with(Options {
        tweak: bounce_settings,
        ..Options::default()
    })
    .await;
    let wait = Duration::from_secs(5);
    let cases = [
        ("/webhooks/bounces/postmark", String::new(), "401"),
        (
            "/webhooks/bounces/postmark",
            "authorization: Basic cG9zdG1hcms6d3Jvbmc=\r\n".into(),
            "401",
        ),
        ("/webhooks/bounces/ses", String::new(), "400"),
        (
            "/webhooks/bounces/ses",
            "x-amz-sns-message-type: Notification\r\nx-amz-sns-topic-arn: arn:aws:sns:eu-west-1:666:theirs\r\n".into(),
            "403",
        ),
    ];
    for (route, headers, status) in cases {
        // The body never comes: an answer before the body deadline (10 s) was given
        // without reading it.
        let (line, _) = stalled(&app, route, 200_000, &headers, wait)
            .await
            .unwrap_or_else(|| panic!("{route} {headers:?}: held past {wait:?}"));
        assert!(line.contains(status), "{route} {headers:?}: {line}");
    }
}

#[tokio::test]
async fn big_stalled_bodies_cannot_keep_a_small_signed_webhook_waiting() {
    let app = spawn_app().await;
    // More big stalled bodies than the webhook lane has slots: the ones that find none
    // are told to come back (503) within a second, and the slots stay full.
    let (refused, mut told) = tokio::sync::mpsc::unbounded_channel();
    let mut strangers = Vec::new();
    for i in 0..70 {
        let ts = now();
        let id = format!("msg_big{i}");
        let headers = format!(
            "webhook-id: {id}\r\nwebhook-timestamp: {ts}\r\nwebhook-signature: {}\r\n",
            signature(&id, ts, "{}")
        );
        let (app_address, refused) = (app.address.clone(), refused.clone());
        strangers.push(tokio::spawn(async move {
            let port = app_address.rsplit(':').next().unwrap().to_owned();
            let mut conn = TcpStream::connect(format!("127.0.0.1:{port}"))
                .await
                .unwrap();
            let head = format!(
                "POST /webhooks/gigs HTTP/1.1\r\nhost: x\r\ncontent-length: 900000\r\n{headers}\r\n"
            );
            conn.write_all(head.as_bytes()).await.unwrap();
            let _ = conn.write_all(&[b' '; 100_000]).await;
            let mut answer = [0u8; 64];
            let n =
                match tokio::time::timeout(Duration::from_secs(12), conn.read(&mut answer)).await {
                    Ok(Ok(n)) => n,
                    _ => 0,
                };
            // 503: refused a slot; anything else: a slot holder cut at the deadline.
            let _ = refused.send(String::from_utf8_lossy(&answer[..n]).contains(" 503 "));
        }));
    }
    let full = tokio::time::timeout(Duration::from_secs(10), told.recv()).await;
    assert!(
        matches!(full, Ok(Some(true))),
        "no stranger was refused: the slots never filled"
    );

    let signed = app.post_webhook("msg_small", CREATED).await;

    assert_eq!(signed.status(), 200);
    // Answered while every slot was still held: no holder has been cut at its deadline yet,
    // so the webhook never waited for one.
    while let Ok(refused) = told.try_recv() {
        assert!(
            refused,
            "a slot holder was cut before the signed webhook was answered"
        );
    }
    for s in strangers {
        s.abort();
    }
}
