//! Two `esim-courier worker` processes on one database send each delivery once.
use std::{collections::HashSet, process::Stdio, time::Duration};

use mail_parser::MessageParser;
use tokio::process::{Child, Command};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path_regex},
};

use crate::helpers::*;

/// Logs go to a file: a pipe nobody reads fills up and stalls the worker.
fn spawn_worker(app: &TestApp, log: &std::path::Path) -> Child {
    let file = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .arg("worker")
        .env_clear()
        .env("DATABASE_URL", &app.db_url)
        .env("GIGS_API_URL", app.gigs.uri())
        .env("GIGS_PROJECT", PROJECT)
        .env("GIGS_API_KEY", GIGS_KEY)
        .env("SMTP_URL", format!("smtp://127.0.0.1:{}", app.smtp.port))
        .env("EMAIL_FROM", "Acme Mobile <esim@acme.example>")
        .env("WORKER_CONCURRENCY", "8")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .kill_on_drop(true)
        .spawn()
        .expect("the worker starts")
}

async fn stop(mut child: Child, log: &std::path::Path) -> String {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the worker stops on SIGTERM")
        .unwrap();
    assert!(exit.success(), "worker exit: {exit:?}");
    std::fs::read_to_string(log).unwrap()
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

    let dir = std::env::temp_dir().join(format!("esim-courier-workers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
        logs.push_str(&stop(worker, path).await);
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
