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
