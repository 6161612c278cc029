use super::*;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn full_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GIGS_PROJECT", "acme-mobile"),
        ("GIGS_API_KEY", "gigs-key-123"),
        ("GIGS_WEBHOOK_SECRETS", SECRET),
        ("SMTP_URL", "smtp://localhost:1025"),
        ("EMAIL_FROM", "Acme Mobile <esim@acme.example>"),
        ("STATUS_API_TOKENS", "token-a, token-b"),
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
        assert_eq!(err.var, var);
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
    ];
    for (var, value) in cases {
        let mut pairs = full_env();
        pairs.retain(|(k, _)| *k != var);
        pairs.push((var, value));
        let err = Settings::from_env(&Env::from_pairs(pairs));
        let err = err.expect_err(value);
        assert_eq!(err.var, var, "{value}");
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
    for secret in ["gigs-key-123", "token-a", "MfKQ9r8G"] {
        assert!(!shown.contains(secret), "{secret} leaked in Debug");
    }
}
