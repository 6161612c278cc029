//! What operators scrape and read: `/metrics` and `/openapi.json`.
use serde_json::Value;

use crate::helpers::*;

/// Parses the text format: every sample line is `name{labels} value` with a numeric value.
fn samples(text: &str) -> Vec<(String, f64)> {
    assert!(
        text.trim_end().ends_with("# EOF"),
        "OpenMetrics text ends with # EOF"
    );
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("no value: {line}"));
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("not a number: {line}"));
            if let Some(open) = series.find('{') {
                assert!(series.ends_with('}'), "unclosed labels: {line}");
                let name = &series[..open];
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
            }
            (series.to_owned(), value)
        })
        .collect()
}

fn value(samples: &[(String, f64)], series: &str) -> f64 {
    samples
        .iter()
        .find(|(s, _)| s == series)
        .map_or(0.0, |(_, v)| *v)
}

async fn scrape(app: &TestApp) -> Vec<(String, f64)> {
    let response = app.get_anonymous("/metrics").await;
    assert_eq!(response.status(), 200);
    samples(&response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_parse_and_move_with_accepted_rejected_and_delivered_webhooks() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let before = scrape(&app).await;
    assert_eq!(value(&before, "esim_courier_queue_due_deliveries"), 0.0);

    let id = app.deliver_event(ACTIVATED).await;
    let queued = scrape(&app).await;
    let ts = now();
    let forged = [
        ("webhook-id", "msg_x".to_owned()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", signature("msg_x", ts, "other body")),
    ];
    assert_eq!(
        app.post_webhook_raw(&forged, ACTIVATED.as_bytes().to_vec())
            .await
            .status(),
        401
    );
    app.drive(&id).await;
    let after = scrape(&app).await;

    let accepted = r#"esim_courier_webhooks_total{outcome="accepted",reason=""}"#;
    let forged = r#"esim_courier_webhooks_total{outcome="rejected",reason="invalid_signature"}"#;
    assert_eq!(value(&after, accepted), 1.0);
    assert_eq!(value(&after, forged), 1.0);
    assert_eq!(value(&queued, "esim_courier_queue_due_deliveries"), 1.0);
    assert_eq!(
        value(&queued, r#"esim_courier_deliveries_open{status="pending"}"#),
        1.0
    );
    assert_eq!(value(&after, "esim_courier_queue_due_deliveries"), 0.0);
    assert_eq!(
        value(&after, r#"esim_courier_deliveries_total{status="pending"}"#),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"esim_courier_deliveries_total{status="delivered"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"esim_courier_delivery_attempt_duration_seconds_count{status="delivered"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"esim_courier_gigs_api_answers_total{call="credentials",status="200"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"esim_courier_gigs_api_call_duration_seconds_count{call="user"}"#
        ),
        1.0
    );
}

const ROUTES: [(&str, &str); 18] = [
    ("/webhooks/gigs", "post"),
    ("/webhooks/bounces/{provider}", "post"),
    ("/deliveries/retry", "post"),
    ("/suppressions", "get"),
    ("/suppressions/{email}", "delete"),
    ("/erasures", "post"),
    ("/deliveries", "get"),
    ("/deliveries/{id}", "get"),
    ("/deliveries/{id}/resend", "post"),
    ("/install/{token}", "get"),
    ("/healthz", "get"),
    ("/readyz", "get"),
    ("/metrics", "get"),
    ("/openapi.json", "get"),
    ("/search", "get"),
    ("/sims/{sim}/timeline", "get"),
    ("/audit", "get"),
    ("/alerts", "get"),
];

#[tokio::test]
async fn openapi_json_is_valid_openapi_3_and_lists_every_route() {
    let app = spawn_app().await;

    let response = app.get_anonymous("/openapi.json").await;

    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3."), "{}", spec.openapi);
    let doc: Value = serde_json::from_str(&text).unwrap();
    for (route, method) in ROUTES {
        assert!(
            doc["paths"][route][method].is_object(),
            "{method} {route} is described"
        );
    }
    let methods: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(methods, ROUTES.len());
    assert!(doc["components"]["schemas"]["DeliveryView"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // An address past its wrong tokens gets 429 on every operation that takes a token.
    for (route, method) in ROUTES {
        let op = &doc["paths"][route][method];
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(
            op["responses"]["429"].is_object(),
            secured,
            "429 on {method} {route}"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let resend = doc["paths"]["/deliveries/{id}/resend"]["post"]["responses"]["429"]["description"]
        .as_str()
        .unwrap();
    assert!(
        resend.contains("RESEND_MIN_INTERVAL_SECS") && resend.contains("WRONG_TOKENS_PER_MINUTE"),
        "both causes of a resend's 429: {resend}"
    );
}
