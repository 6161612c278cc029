//! The binary's start-up contract: bad configuration exits 2 with one line naming it.
use std::process::Command;

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
        ("STATUS_API_TOKENS", "t"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none"),
    ]
}

fn run(env: Vec<(&str, &str)>) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .arg("serve")
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
