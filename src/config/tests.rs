use std::time::Duration;

use super::*;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn full_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GIGS_PROJECT", "acme-mobile"),
        ("GIGS_API_KEY", "gigs-key-123"),
        ("GIGS_WEBHOOK_SECRETS", SECRET),
        ("SMTP_URL", "smtp://localhost:1025"),
        ("EMAIL_FROM", "Acme Mobile <esim@acme.example>"),
        (
            "STATUS_API_TOKENS",
            "token-a-0123456789, token-b-0123456789",
        ),
    ]
}

fn without(var: &str) -> Env {
    Env::from_pairs(full_env().into_iter().filter(|(k, _)| *k != var))
}

#[test]
fn a_complete_environment_loads_with_the_spec_defaults() {
    let s = Settings::from_env(&Env::from_pairs(full_env())).unwrap();
    assert_eq!(s.http.listen_addr, "0.0.0.0:8080");
    assert_eq!(s.http.webhook_tolerance, Duration::from_secs(300));
    assert_eq!(s.http.trigger_events, DEFAULT_TRIGGER_EVENTS.to_vec());
    assert_eq!(s.http.status_api_tokens.len(), 2);
    assert_eq!(s.gigs.api_url.as_str(), "https://api.gigs.com/");
    assert_eq!(s.worker.concurrency, 16);
    assert_eq!(s.worker.max_attempts, 10);
    assert_eq!(s.email.brand_name, "Your mobile provider");
}

#[test]
fn each_required_variable_is_named_when_missing() {
    for var in [
        "GIGS_PROJECT",
        "GIGS_API_KEY",
        "GIGS_WEBHOOK_SECRETS",
        "SMTP_URL",
        "EMAIL_FROM",
        "STATUS_API_TOKENS",
    ] {
        let err = Settings::from_env(&without(var)).unwrap_err();
        assert_eq!(err.vars(), vec![var]);
        assert!(err.to_string().contains(var));
    }
}

#[test]
fn malformed_values_are_rejected_by_name() {
    let cases = [
        ("WEBHOOK_TOLERANCE_SECS", "five"),
        ("WORKER_CONCURRENCY", "0"),
        ("DELIVERY_MAX_ATTEMPTS", "-1"),
        ("GIGS_API_URL", "ftp://x"),
        ("GIGS_WEBHOOK_SECRETS", "whsec_***notbase64***"),
        ("SMTP_URL", "http://mail"),
        ("SMTP_URL", "smtp://mail.example?tls=sometimes"),
        ("SMTP_URL", "file://"),
        ("DATABASE_URL", "postgres://host:notaport/db"),
        ("EMAIL_FROM", "not an address"),
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_URL", "postgres://postgres@localhost:5432"),
        ("DATABASE_URL", "postgres://postgres@localhost:5432/"),
        ("DATABASE_MAX_CONNECTIONS", "0"),
        ("HTTP_MAX_CONNECTIONS", "0"),
        ("HTTP_MAX_CONNECTIONS", "many"),
        ("LISTEN_ADDR", "0.0.0.0"),
        ("LISTEN_ADDR", "0.0.0.0:http"),
        ("LISTEN_ADDR", "0.0.0.0:99999"),
        ("LISTEN_ADDR", "bad host:8080"),
        ("GIGS_WEBHOOK_SECRETS", "whsec_AQ=="),
        ("RESEND_MIN_INTERVAL_SECS", "soon"),
        ("BOUNCE_SNS_CERT_PREFIXES", "https://certs.example"),
        ("ALERT_QUIET_HOURS", "99999"),
    ];
    for (var, value) in cases {
        let mut pairs = full_env();
        pairs.retain(|(k, _)| *k != var);
        pairs.push((var, value));
        let err = Settings::from_env(&Env::from_pairs(pairs));
        let err = err.expect_err(value);
        assert_eq!(err.vars(), vec![var], "{value}");
    }
}

#[test]
fn lists_split_on_commas_and_spaces() {
    let mut pairs = full_env();
    pairs.retain(|(k, _)| *k != "GIGS_WEBHOOK_SECRETS");
    let two = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    pairs.push(("GIGS_WEBHOOK_SECRETS", two));
    pairs.push(("TRIGGER_EVENTS", "a.b c.d"));
    let s = Settings::from_env(&Env::from_pairs(pairs)).unwrap();
    assert_eq!(s.http.webhook_secrets.len(), 2);
    assert_eq!(s.http.trigger_events, vec!["a.b", "c.d"]);
}

#[test]
fn debug_output_never_shows_secrets() {
    let s = Settings::from_env(&Env::from_pairs(full_env())).unwrap();
    let shown = format!("{s:?}");
    for secret in ["gigs-key-123", "token-a-0123", "MfKQ9r8G"] {
        assert!(!shown.contains(secret), "{secret} leaked in Debug");
    }
}

#[test]
fn listen_addresses_with_a_host_name_or_ip_are_fine() {
    for addr in ["0.0.0.0:8080", "[::]:8080", "localhost:8080", "127.0.0.1:0"] {
        let mut pairs = full_env();
        pairs.push(("LISTEN_ADDR", addr));
        let s = Settings::from_env(&Env::from_pairs(pairs)).expect(addr);
        assert_eq!(s.http.listen_addr, addr);
    }
}

#[test]
fn problems_are_explained_in_one_line() {
    let mut pairs = full_env();
    pairs.retain(|(k, _)| *k != "EMAIL_FROM");
    pairs.push(("EMAIL_FROM", "Acme"));
    let err = Settings::from_env(&Env::from_pairs(pairs))
        .unwrap_err()
        .to_string();
    assert!(err.contains("Name <address@domain>"), "{err}");
    assert!(!err.contains('\n'), "{err}");
    let mut pairs = full_env();
    pairs.retain(|(k, _)| *k != "GIGS_WEBHOOK_SECRETS");
    pairs.push(("GIGS_WEBHOOK_SECRETS", "whsec_AQ=="));
    let err = Settings::from_env(&Env::from_pairs(pairs))
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 bytes is too short"), "{err}");
}

#[test]
fn an_unknown_trigger_event_is_warned_about_by_name() {
    let s = Settings::from_env(&Env::from_pairs(full_env())).unwrap();
    assert!(s.http.warnings().is_empty());
    let mut pairs = full_env();
    pairs.push(("TRIGGER_EVENTS", "com.gigs.subscription.activate"));
    let s = Settings::from_env(&Env::from_pairs(pairs)).unwrap();
    let warnings = s.http.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("\"com.gigs.subscription.activate\""),
        "{warnings:?}"
    );
}

fn with(extra: &[(&'static str, &'static str)]) -> Env {
    let mut pairs = full_env();
    pairs.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    pairs.extend_from_slice(extra);
    Env::from_pairs(pairs)
}

#[test]
fn an_empty_environment_names_every_required_variable_at_once() {
    let errors = Settings::from_env(&Env::from_pairs([])).unwrap_err();
    let mut vars = errors.vars();
    vars.sort_unstable();
    assert_eq!(
        vars,
        [
            "EMAIL_FROM",
            "GIGS_API_KEY",
            "GIGS_PROJECT",
            "GIGS_WEBHOOK_SECRETS",
            "SMTP_URL",
            "STATUS_API_TOKENS"
        ]
    );
    let shown = errors.to_string();
    assert_eq!(shown.lines().count(), 6, "{shown}");
    assert!(
        shown
            .lines()
            .all(|l| l.ends_with("is required but not set"))
    );
}

#[test]
fn every_malformed_variable_is_reported_in_one_run_one_line_each() {
    let env = with(&[
        ("WORKER_CONCURRENCY", "0"),
        ("LISTEN_ADDR", "nowhere"),
        ("EMAIL_FROM", "Acme"),
        ("RETENTION_DAYS", "forever"),
        ("STATUS_API_TOKENS", "x"),
        ("METRICS_ADDR", "9090"),
    ]);
    let errors = Settings::from_env(&env).unwrap_err();
    let mut vars = errors.vars();
    vars.sort_unstable();
    assert_eq!(
        vars,
        [
            "EMAIL_FROM",
            "LISTEN_ADDR",
            "METRICS_ADDR",
            "RETENTION_DAYS",
            "STATUS_API_TOKENS",
            "WORKER_CONCURRENCY"
        ]
    );
    assert_eq!(errors.to_string().lines().count(), 6);
}

#[test]
fn every_number_outside_its_range_is_refused_naming_the_range() {
    let cases = [
        ("INSTALL_LINK_TTL_DAYS", "0", "from 1 to 3650"),
        ("REQUEST_BODY_TIMEOUT_SECS", "0", "from 1 to 300"),
        ("REQUEST_BODY_TIMEOUT_SECS", "301", "from 1 to 300"),
        ("WEBHOOK_TOLERANCE_SECS", "0", "from 10 to 3600"),
        ("RESEND_MIN_INTERVAL_SECS", "9999999", "from 0 to 2592000"),
        ("SHUTDOWN_GRACE_SECS", "601", "from 0 to 600"),
        ("DATABASE_MAX_CONNECTIONS", "1001", "from 1 to 1000"),
        ("DELIVERY_LEASE_SECS", "4", "from 5 to 600"),
        ("DELIVERY_MAX_ATTEMPTS", "-1", "from 1 to 100"),
        ("RECONCILE_INTERVAL_MINS", "10081", "from 0 to 10080"),
        ("REMINDER_MAX", "101", "from 0 to 100"),
        ("ALERT_QUIET_HOURS", "8761", "from 0 to 8760"),
        ("CONSOLE_SESSION_HOURS", "0", "from 1 to 720"),
        ("SMTP_MAX_PER_SECOND", "0", "from 1 to 10000"),
        ("HTTP_MAX_CONNECTIONS", "12x", "from 1 to 100000"),
        ("WRONG_TOKENS_PER_MINUTE", "0", "from 1 to 100000"),
    ];
    for (var, value, range) in cases {
        let errors = Settings::from_env(&with(&[(var, value)])).expect_err(var);
        assert_eq!(errors.vars(), vec![var], "{var}={value}");
        let line = errors.to_string();
        assert!(line.contains(range), "{line}");
        assert!(line.contains("expected a whole number"), "{line}");
    }
}

#[test]
fn problems_say_what_is_expected_not_what_the_parser_said() {
    for (var, value) in [
        ("GIGS_API_URL", "api.gigs.com"),
        ("SUPPORT_URL", "acme.example/help"),
        ("PUBLIC_BASE_URL", "/relative"),
        ("SMTP_URL", "mail.example:25"),
        ("WORKER_CONCURRENCY", "sixteen"),
        ("ALERT_WEBHOOK_URL", "hooks"),
    ] {
        let line = Settings::from_env(&with(&[(var, value)]))
            .expect_err(var)
            .to_string();
        for leak in ["relative URL without a base", "invalid digit", "invalid"] {
            assert!(!line.contains(leak), "{line}");
        }
        assert!(line.contains("expected"), "{line}");
    }
}

#[test]
fn a_trigger_list_naming_no_event_is_refused() {
    for value in [",", " , ,"] {
        let errors = Settings::from_env(&with(&[("TRIGGER_EVENTS", value)])).unwrap_err();
        assert_eq!(errors.vars(), vec!["TRIGGER_EVENTS"]);
        assert!(errors.to_string().contains("names no event"));
    }
}

#[test]
fn a_support_address_may_be_a_mailto_link() {
    let s = Settings::from_env(&with(&[("SUPPORT_URL", "mailto:help@acme.example")])).unwrap();
    assert_eq!(
        s.email.support_url.as_ref().unwrap().as_str(),
        "mailto:help@acme.example"
    );
    for bad in ["mailto:", "ftp://acme.example/help", "javascript:alert(1)"] {
        assert!(
            Settings::from_env(&with(&[("SUPPORT_URL", bad)])).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn the_third_release_variables_are_read_with_their_defaults() {
    let s = Settings::from_env(&Env::from_pairs(full_env())).unwrap();
    assert_eq!(s.http.console_session, Duration::from_secs(12 * 3600));
    assert_eq!(s.email.smtp_max_per_second, None);
    assert_eq!(s.operations.metrics_addr, None);
    let s = Settings::from_env(&with(&[
        ("CONSOLE_SESSION_HOURS", "720"),
        ("SMTP_MAX_PER_SECOND", "14"),
        ("METRICS_ADDR", "0.0.0.0:9090"),
    ]))
    .unwrap();
    assert_eq!(s.http.console_session, Duration::from_secs(720 * 3600));
    assert_eq!(s.email.smtp_max_per_second, Some(14));
    assert_eq!(s.operations.metrics_addr.as_deref(), Some("0.0.0.0:9090"));
}

#[test]
fn help_lists_exactly_the_variables_the_settings_read() {
    let env = Env::from_pairs(full_env());
    Settings::from_env(&env).unwrap();
    LogFormat::from_env(&env).unwrap();
    let listed: std::collections::BTreeSet<String> = VARIABLES
        .iter()
        .map(|v| v.name.to_owned())
        .filter(|n| n != "RUST_LOG")
        .collect();
    assert_eq!(env.asked(), listed);
    let worker = help(Command::Worker);
    assert!(worker.contains("DATABASE_URL") && worker.contains("SMTP_MAX_PER_SECOND"));
    assert!(!worker.contains("LISTEN_ADDR"), "worker serves no HTTP");
    assert!(help(Command::Serve).contains("WEBHOOK_TOLERANCE_SECS"));
}

#[test]
fn the_readme_configuration_tables_name_exactly_the_variables_read() {
    let readme = include_str!("../../README.md");
    let start = readme.find("## Configuration").unwrap();
    let end = start
        + readme[start..]
            .find("\n## ")
            .unwrap_or(readme.len() - start);
    let documented: std::collections::BTreeSet<String> = readme[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect();
    let read: std::collections::BTreeSet<String> = VARIABLES
        .iter()
        .map(|v| v.name.to_owned())
        .filter(|n| n != "RUST_LOG")
        .collect();
    assert_eq!(
        documented, read,
        "README's tables and the variables the code reads differ"
    );
}
