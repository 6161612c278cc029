//! The status API: auth, one delivery, lists with filters and cursors, health probes.
use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_status_api_needs_one_of_the_tokens() {
    let app = spawn_app().await;
    for path in ["/deliveries", "/deliveries/dlv_x"] {
        let url = format!("{}{path}", app.address);
        let none = app.client.get(&url).send().await.unwrap();
        assert_eq!(none.status(), 401, "{path}");
        let json: Value = none.json().await.unwrap();
        assert_eq!(json["object"], "error");
        assert_eq!(json["type"], "unauthorized");
        let wrong = app
            .client
            .get(&url)
            .bearer_auth("nope")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
    }
    let resend = app
        .client
        .post(format!("{}/deliveries/dlv_x/resend", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resend.status(), 401);
}

#[tokio::test]
async fn an_unknown_delivery_is_404_json() {
    let app = spawn_app().await;
    for id in ["dlv_doesnotexist", "not-an-id"] {
        let response = app.get(&format!("/deliveries/{id}")).await;
        assert_eq!(response.status(), 404);
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["type"], "notFound");
    }
}

async fn seed(app: &TestApp, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let body = event_with(
            ACTIVATED,
            &format!("evt_seed_{i}"),
            &format!("sim_seed_{i}"),
            |v| {
                v["data"]["user"]["email"] = format!("user{}@example.com", i % 3).into();
            },
        );
        ids.push(app.deliver_event(&body).await);
    }
    ids
}

#[tokio::test]
async fn forty_five_deliveries_page_as_20_20_5_newest_first_each_once() {
    let app = spawn_app().await;
    let created = seed(&app, 45).await;

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let path = match &after {
            Some(a) => format!("/deliveries?limit=20&after={a}"),
            None => "/deliveries?limit=20".to_owned(),
        };
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.unwrap();
        assert_eq!(page["object"], "list");
        let items = page["items"].as_array().unwrap();
        pages.push(items.len());
        seen.extend(items.iter().map(|d| d["id"].as_str().unwrap().to_owned()));
        match page["moreItemsAfter"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(pages, vec![20, 20, 5]);
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 45);
}

#[tokio::test]
async fn list_filters_narrow_the_results() {
    let app = spawn_app().await;
    let ids = seed(&app, 6).await;
    let skipped = event_with(ACTIVATED, "evt_p", "sim_p", |v| {
        v["data"]["sim"]["type"] = "pSIM".into()
    });
    let skipped_id = app.deliver_event(&skipped).await;

    let list = |query: String| {
        let app = &app;
        async move {
            let page: Value = app
                .get(&format!("/deliveries?{query}"))
                .await
                .json()
                .await
                .unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("sim=sim_seed_2".into()).await, vec![ids[2].clone()]);
    assert_eq!(
        list("email=USER1@example.com".into()).await,
        vec![ids[4].clone(), ids[1].clone()]
    );
    assert_eq!(
        list("status=skipped".into()).await,
        vec![skipped_id.clone()]
    );
    assert_eq!(list("event=evt_seed_3".into()).await, vec![ids[3].clone()]);
    assert_eq!(
        list(format!("user={USER_ID}&status=pending&limit=2")).await,
        vec![ids[5].clone(), ids[4].clone()]
    );
    assert_eq!(list(format!("subscription={SUB}")).await.len(), 7);
    assert!(list("sim=sim_none".into()).await.is_empty());
}

#[tokio::test]
async fn bad_list_parameters_get_400() {
    let app = spawn_app().await;
    for query in [
        "limit=0",
        "limit=201",
        "limit=ten",
        "status=done",
        "after=dlv_unknown",
        "after=xyz",
        "colour=red",
    ] {
        let response = app.get(&format!("/deliveries?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["type"], "invalidRequest", "{query}");
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let health = app.get_anonymous("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get_anonymous("/readyz").await;
    assert_eq!(ready.status(), 200);

    let dead = spawn_app_on_dead_database().await;
    let health = dead.get_anonymous("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = dead.get_anonymous("/readyz").await;
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn an_address_that_keeps_guessing_tokens_is_slowed_and_the_guesses_counted() {
    let app = spawn_app().await;
    let guess = |token: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(format!("{}/deliveries", app.address))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..20 {
        assert_eq!(guess("a-wrong-guess-of-a-token").await, 401, "guess {i}");
    }

    assert_eq!(
        guess("a-wrong-guess-of-a-token").await,
        429,
        "refused unchecked"
    );
    let limited = app.get("/deliveries").await;
    assert_eq!(
        limited.status(),
        429,
        "the right token too, from that address, for a minute"
    );
    assert!(limited.headers().contains_key("retry-after"));
    let metrics = app.get_anonymous("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("esim_courier_wrong_credentials_total 20"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("wrong"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
