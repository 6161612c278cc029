//! Two `esim-courier worker` processes on one database send each delivery once.
use std::{collections::HashSet, time::Duration};

use mail_parser::MessageParser;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path_regex},
};

use crate::helpers::*;

fn spawn_worker(app: &TestApp, log: &std::path::Path) -> tokio::process::Child {
    courier(app, &["worker"], log)
        .env("WORKER_CONCURRENCY", "8")
        .spawn()
        .expect("the worker starts")
}

#[tokio::test]
async fn two_worker_processes_send_200_deliveries_exactly_once() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    Mock::given(method("GET"))
        .and(path_regex(format!(
            r"^/projects/{PROJECT}/sims/[^/]+/credentials$"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"))
        .mount(&app.gigs)
        .await;
    let mut ids = Vec::new();
    for i in 0..200 {
        let body = event_with(
            ACTIVATED,
            &format!("evt_w{i}"),
            &format!("sim_w{i}"),
            |_| {},
        );
        ids.push(app.deliver_event(&body).await);
    }

    let dir = temp_dir("workers");
    let log_paths = [dir.join("worker-1.log"), dir.join("worker-2.log")];
    let workers = [
        spawn_worker(&app, &log_paths[0]),
        spawn_worker(&app, &log_paths[1]),
    ];
    let mails = app.smtp.wait_for(200, Duration::from_secs(120)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let open = loop {
        let open: i64 =
            sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE status <> 'delivered'")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if open == 0 || tokio::time::Instant::now() > deadline {
            break open;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut logs = String::new();
    for (worker, path) in workers.into_iter().zip(&log_paths) {
        logs.push_str(&terminate(worker, path).await);
    }
    assert_eq!(
        open, 0,
        "every delivery ends delivered; worker logs:\n{logs}"
    );

    let mails_after = app.smtp.mails();
    assert_eq!(mails.len(), 200);
    assert_eq!(mails_after.len(), 200, "no email was sent twice");
    let message_ids: HashSet<String> = mails_after
        .iter()
        .map(|m| {
            MessageParser::default()
                .parse(&m.data)
                .unwrap()
                .message_id()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: HashSet<String> = ids.iter().map(|id| format!("{id}@acme.example")).collect();
    assert_eq!(message_ids, expected);
    assert!(logs.contains("delivered"), "the workers logged their work");
    for secret in [
        "2M-3L0MX-F8HE2",
        "esimsetup.apple.com",
        "esimsetup.android.com",
    ] {
        assert!(!logs.contains(secret), "{secret} in a worker's logs");
    }
}
