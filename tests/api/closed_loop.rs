//! The closed loop: whichever trigger comes first, reconciliation, installs, reminders.
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path, query_param, query_param_is_missing},
};

use crate::helpers::*;

const WEEK: Duration = Duration::from_secs(7 * 86_400);

#[tokio::test]
async fn created_then_activated_for_one_sim_sends_one_email() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;

    let first = app.deliver_event(CREATED).await;
    let response = app.post_webhook("msg_activated", ACTIVATED).await;
    let answer: Value = response.json().await.unwrap();

    assert_eq!(
        answer["delivery"],
        first.as_str(),
        "activated joins created's delivery"
    );
    assert_eq!(app.drive(&first).await["status"], "delivered");
    assert_eq!(app.worker.process_due().await.unwrap(), 0);
    assert_eq!(app.smtp.mails().len(), 1);
    assert_eq!(app.delivery(&first).await["kind"], "activation");
}

#[tokio::test]
async fn activated_alone_sends_one_email() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&id).await["status"], "delivered");
    assert_eq!(app.smtp.mails().len(), 1);
}

/// A subscription as Gigs lists it, created an hour ago.
fn subscription(id: &str, sim: &str, sim_type: &str) -> Value {
    let created = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    json!({
        "object": "subscription", "id": id, "status": "active", "createdAt": created,
        "sim": {"object": "sim", "id": sim, "type": sim_type},
        "user": {"object": "user", "id": USER_ID, "email": "jerry@example.com"},
    })
}

fn page(items: Vec<Value>, more: Option<&str>) -> ResponseTemplate {
    let body = json!({"object": "list", "items": items, "moreItemsAfter": more});
    ResponseTemplate::new(200).set_body_json(body)
}

async fn mock_list(app: &TestApp, after: Option<&str>, response: ResponseTemplate) {
    let list = Mock::given(method("GET")).and(path(format!("/projects/{PROJECT}/subscriptions")));
    let list = match after {
        Some(cursor) => list.and(query_param("after", cursor)),
        None => list.and(query_param_is_missing("after")),
    };
    list.respond_with(response).mount(&app.gigs).await;
}

#[tokio::test]
async fn reconcile_queues_only_the_esim_that_was_never_webhooked_and_only_once() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let missed_sim = "sim_missed0001";
    app.mock_gigs_credentials(
        missed_sim,
        ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"),
    )
    .await;
    let delivered = app.deliver_event(ACTIVATED).await;
    app.drive(&delivered).await;
    let items = vec![
        subscription(SUB, SIM, "eSIM"),
        subscription("sub_physical01", "sim_physical01", "pSIM"),
        subscription("sub_missed0001", missed_sim, "eSIM"),
        json!({"object": "subscription", "id": "sub_odd", "status": "someday"}),
    ];
    mock_list(&app, None, page(items, None)).await;
    let reconciler = app.reconciler();

    let report = reconciler.run_exclusive(WEEK).await.unwrap().unwrap();

    assert_eq!((report.checked, report.created), (4, 1));
    let listed: Value = app
        .get(&format!("/deliveries?sim={missed_sim}"))
        .await
        .json()
        .await
        .unwrap();
    let missed = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let d = app.drive(&missed).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["event"]["type"], "esim-courier.reconcile");
    assert!(
        d["history"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("reconcile")
    );
    assert_eq!(app.smtp.mails().len(), 2);

    let again = reconciler.run_exclusive(WEEK).await.unwrap().unwrap();
    assert_eq!(again.created, 0, "a second run creates nothing");
    assert_eq!(app.count("deliveries").await, 2);
}

#[tokio::test]
async fn two_reconcilers_at_once_create_nothing_twice() {
    let app = spawn_app().await;
    let items = (0..5)
        .map(|i| subscription(&format!("sub_race{i}"), &format!("sim_race{i}"), "eSIM"))
        .collect();
    mock_list(&app, None, page(items, None)).await;
    let (a, b) = (app.reconciler(), app.reconciler());

    let (ra, rb) = tokio::join!(a.run_exclusive(WEEK), b.run_exclusive(WEEK));

    let created: u64 = [ra.unwrap(), rb.unwrap()]
        .iter()
        .flatten()
        .map(|r| r.created)
        .sum();
    assert_eq!(created, 5);
    assert_eq!(app.count("deliveries").await, 5);
}

#[tokio::test]
async fn reconcile_follows_the_cursor_over_several_pages_and_keeps_to_the_window() {
    let app = spawn_app().await;
    let mut old = subscription("sub_old", "sim_old", "eSIM");
    old["createdAt"] = "2020-01-01T00:00:00Z".into();
    mock_list(
        &app,
        None,
        page(
            vec![subscription("sub_p1", "sim_p1", "eSIM")],
            Some("sub_p1"),
        ),
    )
    .await;
    mock_list(
        &app,
        Some("sub_p1"),
        page(
            vec![subscription("sub_p2", "sim_p2", "eSIM"), old],
            Some("sub_p2"),
        ),
    )
    .await;
    mock_list(
        &app,
        Some("sub_p2"),
        page(vec![subscription("sub_p3", "sim_p3", "eSIM")], None),
    )
    .await;

    let report = app.reconciler().run_exclusive(WEEK).await.unwrap().unwrap();

    assert_eq!((report.pages, report.checked, report.created), (3, 4, 3));
}

#[tokio::test]
async fn a_page_that_fails_for_a_moment_is_tried_again_and_the_run_goes_on() {
    let app = spawn_app().await;
    mock_list(
        &app,
        None,
        page(
            vec![subscription("sub_p1", "sim_p1", "eSIM")],
            Some("sub_p1"),
        ),
    )
    .await;
    // Twice 503, then the page: the run goes on from where it was.
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/subscriptions")))
        .and(query_param("after", "sub_p1"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "0"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&app.gigs)
        .await;
    mock_list(
        &app,
        Some("sub_p1"),
        page(vec![subscription("sub_p2", "sim_p2", "eSIM")], None),
    )
    .await;

    let report = app.reconciler().run_exclusive(WEEK).await.unwrap().unwrap();

    assert_eq!((report.pages, report.checked, report.created), (2, 2, 2));
    let tries = app.gigs.received_requests().await.unwrap().len();
    assert_eq!(tries, 4, "page 1, page 2 three times");
}

#[tokio::test]
async fn a_page_that_keeps_failing_ends_the_run_after_four_tries() {
    let app = spawn_app().await;
    mock_list(
        &app,
        None,
        ResponseTemplate::new(503).insert_header("Retry-After", "0"),
    )
    .await;

    let outcome = app.reconciler().run_exclusive(WEEK).await;

    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(app.gigs.received_requests().await.unwrap().len(), 4);
    assert_eq!(app.count("deliveries").await, 0);
}

#[tokio::test]
async fn a_page_gigs_asks_to_wait_an_hour_for_ends_the_run() {
    let app = spawn_app().await;
    mock_list(
        &app,
        None,
        ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
    )
    .await;

    assert!(app.reconciler().run_exclusive(WEEK).await.is_err());
    assert_eq!(app.gigs.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_page_is_not_tried_again() {
    let app = spawn_app().await;
    mock_list(&app, None, ResponseTemplate::new(403)).await;

    assert!(app.reconciler().run_exclusive(WEEK).await.is_err());
    assert_eq!(app.gigs.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_installed_esim_is_marked_on_its_deliveries_and_gets_no_reminder() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    app.drive(&id).await;
    age_deliveries(&app, 21).await;

    assert_eq!(
        app.post_webhook("msg_installed", INSTALLED).await.status(),
        200
    );
    let again = event_with(INSTALLED, "evt_enabled", SIM, |v| {
        v["type"] = "com.gigs.eSimProfile.enabled".into()
    });
    assert_eq!(app.post_webhook("msg_enabled", &again).await.status(), 200);

    let d = app.delivery(&id).await;
    assert!(d["installedAt"].is_string(), "{d}");
    let history = d["history"].to_string();
    assert_eq!(
        history.matches("the eSIM is installed").count(),
        1,
        "first report only"
    );
    let installed: Value = app
        .get("/deliveries?installed=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(installed["items"].as_array().unwrap().len(), 1);
    let not: Value = app
        .get("/deliveries?installed=false")
        .await
        .json()
        .await
        .unwrap();
    assert!(not["items"].as_array().unwrap().is_empty());

    let metrics = app.get_anonymous("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("esim_courier_installed_total 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("esim_courier_install_after_email_seconds_count 1\n"));
    let age = metrics
        .lines()
        .find_map(|l| l.strip_prefix("esim_courier_last_webhook_age_seconds "))
        .expect("the quiet-webhooks gauge");
    assert!(age.parse::<f64>().unwrap() < 3600.0, "{age}");

    assert_eq!(
        app.post_webhook("msg_remind", NOT_INSTALLED).await.status(),
        200
    );
    assert_eq!(
        app.count("deliveries").await,
        1,
        "no reminder after installation"
    );
    assert_eq!(app.worker.process_due().await.unwrap(), 0);
    assert_eq!(app.smtp.mails().len(), 1);
    assert!(
        app.delivery(&id).await["history"]
            .to_string()
            .contains("no reminder")
    );
}

/// Moves every delivered email `hours` into the past.
async fn age_deliveries(app: &TestApp, hours: i32) {
    sqlx::query("UPDATE deliveries SET delivered_at = delivered_at - make_interval(hours => $1)")
        .bind(hours)
        .execute(&app.pool)
        .await
        .unwrap();
}

async fn remind(app: &TestApp, n: u32) -> Value {
    let event = event_with(NOT_INSTALLED, &format!("evt_remind{n}"), SIM, |v| {
        v["data"].as_object_mut().unwrap().remove("sim");
    });
    let response = app.post_webhook(&format!("msg_remind{n}"), &event).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_reminder_goes_with_its_own_subject_and_respects_the_interval_and_the_maximum() {
    let app = spawn_app_with(Options {
        tweak: |s, _| s.lifecycle.reminder_max = 2,
        ..Options::default()
    })
    .await;
    app.mock_gigs_ok().await;
    let first = app.deliver_event(ACTIVATED).await;
    app.drive(&first).await;
    age_deliveries(&app, 21).await;

    let answer = remind(&app, 1).await;
    let reminder = answer["delivery"].as_str().expect("a reminder").to_owned();
    assert_ne!(reminder, first);
    let d = app.drive(&reminder).await;
    assert_eq!(
        (d["status"].as_str(), d["kind"].as_str()),
        (Some("delivered"), Some("reminder"))
    );
    assert_eq!(d["reminderOf"], first.as_str());
    let mails = app.smtp.mails();
    assert_eq!(mails.len(), 2);
    let subject = |i: usize| {
        mail_parser::MessageParser::default()
            .parse(&mails[i].data)
            .unwrap()
            .subject()
            .unwrap()
            .to_owned()
    };
    assert!(subject(1).starts_with("Reminder"), "{}", subject(1));
    assert_ne!(subject(0), subject(1));
    // Fresh credentials: fetched again for the reminder.
    assert!(String::from_utf8_lossy(&mails[1].data).contains("2M-3L0MX-F8HE2"));

    remind(&app, 2).await;
    assert_eq!(
        app.count("deliveries").await,
        2,
        "inside the interval: none"
    );

    age_deliveries(&app, 21).await;
    let second = remind(&app, 3).await["delivery"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.drive(&second).await["status"], "delivered");
    age_deliveries(&app, 21).await;
    remind(&app, 4).await;
    assert_eq!(app.count("deliveries").await, 3, "REMINDER_MAX=2 holds");
    assert_eq!(app.smtp.mails().len(), 3);
}

#[tokio::test]
async fn the_reconcile_command_prints_what_it_checked_and_created() {
    let app = spawn_app().await;
    mock_list(
        &app,
        None,
        page(vec![subscription("sub_cli", "sim_cli", "eSIM")], None),
    )
    .await;
    let log = temp_dir("reconcile").join("out.log");

    let status = courier(&app, &["reconcile", "--since", "2d"], &log)
        .status()
        .await
        .unwrap();

    let out = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{out}");
    assert!(
        out.contains("checked 1 subscriptions on 1 pages, created 1 deliveries"),
        "{out}"
    );
    assert_eq!(app.count("deliveries").await, 1);
}

#[tokio::test]
async fn a_reminder_queued_before_the_install_is_skipped_when_its_turn_comes() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let first = app.deliver_event(ACTIVATED).await;
    app.drive(&first).await;
    age_deliveries(&app, 21).await;
    let reminder = remind(&app, 1).await["delivery"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        app.post_webhook("msg_installed", INSTALLED).await.status(),
        200
    );

    let d = app.drive(&reminder).await;
    assert_eq!(d["status"], "skipped", "{d}");
    assert_eq!(app.smtp.mails().len(), 1);
}
