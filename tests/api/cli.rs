//! The binary's start-up contract: bad configuration exits 2 with one line per variable
//! naming it; a database that never answers exits 1 naming it; `--help` lists variables.
use std::{process::Command, time::Duration};

pub fn base_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GIGS_PROJECT", "acme-mobile"),
        ("GIGS_API_KEY", "key"),
        (
            "GIGS_WEBHOOK_SECRETS",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        ("SMTP_URL", "smtp://127.0.0.1:1"),
        ("EMAIL_FROM", "esim@acme.example"),
        ("STATUS_API_TOKENS", "status-token-for-cli-tests"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none"),
        // Port 0: another process on this machine may hold 8080.
        ("LISTEN_ADDR", "127.0.0.1:0"),
    ]
}

fn run(env: Vec<(&str, &str)>) -> (Option<i32>, String) {
    run_args(&["serve"], env)
}

fn run_args(args: &[&str], env: Vec<(&str, &str)>) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .args(args)
        .env_clear()
        .envs(env)
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_unset_webhook_secret_exits_2_naming_the_variable() {
    let env = base_env()
        .into_iter()
        .filter(|(k, _)| *k != "GIGS_WEBHOOK_SECRETS")
        .collect();

    let (code, stderr) = run(env);

    assert_eq!(code, Some(2));
    assert!(stderr.contains("GIGS_WEBHOOK_SECRETS"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn a_malformed_value_exits_2_naming_the_variable() {
    let mut env = base_env();
    env.push(("WORKER_CONCURRENCY", "many"));

    let (code, stderr) = run(env);

    assert_eq!(code, Some(2));
    assert!(stderr.contains("WORKER_CONCURRENCY"), "{stderr}");
}

#[test]
fn settings_that_used_to_slip_through_exit_2_before_any_database_work() {
    let cases = [
        ("DATABASE_MAX_CONNECTIONS", "0"),
        ("LISTEN_ADDR", "8080"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432"),
        ("GIGS_WEBHOOK_SECRETS", "whsec_AQ=="),
        ("EMAIL_FROM", "Acme"),
    ];
    for (var, value) in cases {
        let mut env = base_env();
        env.retain(|(k, _)| *k != var);
        env.push((var, value));

        let (code, stderr) = run(env);

        assert_eq!(code, Some(2), "{var}={value}: {stderr}");
        assert!(stderr.contains(var), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

#[test]
fn a_run_time_failure_is_one_line_with_each_cause_once_and_no_backtrace() {
    let mut env = base_env();
    env.push(("RUST_BACKTRACE", "1"));

    let (code, stderr) = run(env);

    assert_eq!(code, Some(1), "{stderr}");
    let line = stderr.trim();
    assert_eq!(line.lines().count(), 1, "{stderr}");
    assert!(
        line.starts_with("error: cannot reach PostgreSQL"),
        "{stderr}"
    );
    assert!(
        !line.contains("backtrace") && !line.contains("Stack"),
        "{stderr}"
    );
    let refused = line.matches("Connection refused").count();
    assert_eq!(refused, 1, "{stderr}");
}

#[test]
fn an_empty_environment_names_every_required_variable_one_line_each() {
    let (code, stderr) = run(vec![]);

    assert_eq!(code, Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.trim().lines().collect();
    assert_eq!(lines.len(), 6, "{stderr}");
    for var in [
        "GIGS_PROJECT",
        "GIGS_API_KEY",
        "GIGS_WEBHOOK_SECRETS",
        "SMTP_URL",
        "EMAIL_FROM",
        "STATUS_API_TOKENS",
    ] {
        assert_eq!(
            lines.iter().filter(|l| l.contains(var)).count(),
            1,
            "{var}: {stderr}"
        );
    }
}

#[test]
fn values_that_used_to_be_clamped_or_accepted_exit_2_with_one_line_naming_what_is_expected() {
    let cases = [
        ("INSTALL_LINK_TTL_DAYS", "0", "from 1 to 3650"),
        ("REQUEST_BODY_TIMEOUT_SECS", "0", "from 1 to 300"),
        ("WEBHOOK_TOLERANCE_SECS", "0", "from 10 to 3600"),
        ("TRIGGER_EVENTS", ",", "names no event"),
        ("STATUS_API_TOKENS", "support desk:tok", "too short"),
        ("STATUS_API_TOKENS", "desk:", "no token"),
        (
            "STATUS_API_TOKENS",
            "a.b:long-enough-token-1234",
            "only letters, digits",
        ),
        ("STATUS_API_ROLES", "nobody=viewer", "not the name of a"),
        (
            "STATUS_API_ROLES",
            "desk=root",
            "expected viewer, support or admin",
        ),
        (
            "GIGS_API_URL",
            "api.gigs.com",
            "expected an absolute http(s) URL",
        ),
        ("WORKER_CONCURRENCY", "sixteen", "from 1 to 1024"),
        ("CONSOLE_SESSION_HOURS", "721", "from 1 to 720"),
        ("SMTP_MAX_PER_SECOND", "0", "from 1 to 10000"),
        ("METRICS_ADDR", "9090", "host:port"),
    ];
    for (var, value, says) in cases {
        let mut env = base_env();
        env.retain(|(k, _)| *k != var);
        env.push((var, value));
        if var == "STATUS_API_ROLES" {
            env.retain(|(k, _)| *k != "STATUS_API_TOKENS");
            env.push(("STATUS_API_TOKENS", "desk:status-token-for-cli-tests"));
        }

        let (code, stderr) = run(env);

        assert_eq!(code, Some(2), "{var}={value}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{var}={value}: {stderr}");
        assert!(stderr.contains(var) && stderr.contains(says), "{stderr}");
        for leak in [
            "relative URL without a base",
            "invalid digit",
            "long-enough-token",
        ] {
            assert!(!stderr.contains(leak), "{stderr}");
        }
    }
}

#[test]
fn a_support_url_may_be_a_mailto_address() {
    let mut env = base_env();
    env.push(("SUPPORT_URL", "mailto:help@acme.example"));

    let (code, stderr) = run(env);

    assert_eq!(
        code,
        Some(1),
        "configuration passed, PostgreSQL did not: {stderr}"
    );
}

#[test]
fn send_webhook_with_a_bad_secret_exits_2_naming_it() {
    let (code, stderr) = run_args(
        &[
            "send-webhook",
            "--url",
            "http://127.0.0.1:1/webhooks/gigs",
            "--secret",
            "whsec_AQ==",
            "-",
        ],
        vec![],
    );

    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--secret"), "{stderr}");
}

#[test]
fn help_of_serve_worker_and_check_lists_the_variables_with_defaults() {
    for command in ["serve", "worker", "check"] {
        let out = Command::new(env!("CARGO_BIN_EXE_esim-courier"))
            .args([command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{help}");
        for shown in [
            "DATABASE_URL",
            "GIGS_API_KEY",
            "[default: 16]",
            "SMTP_MAX_PER_SECOND",
        ] {
            assert!(help.contains(shown), "{command}: {shown} in {help}");
        }
        assert_eq!(
            help.contains("STATUS_API_TOKENS"),
            command != "worker",
            "{help}"
        );
    }
}

#[tokio::test]
async fn a_database_that_accepts_and_never_answers_exits_1_naming_database_url() {
    // Bound and never accepted: the kernel completes the handshake, nobody speaks.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/esim_courier");
    let mut env = base_env();
    env.retain(|(k, _)| *k != "DATABASE_URL");
    env.push(("DATABASE_URL", &url));

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .arg("serve")
        .env_clear()
        .envs(env)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("serve gives up on a silent database")
        .unwrap();

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(stderr.contains("no answer within 10 s"), "{stderr}");
    drop(silent);
}
