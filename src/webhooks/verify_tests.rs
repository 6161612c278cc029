use std::collections::HashMap;

use super::*;

const S1: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID1: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS1: i64 = 1614265330;
const BODY1: &[u8] = br#"{"test": 2432232314}"#;
const SIG1: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const S2: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ID2: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const TS2: i64 = 1649367553;
const BODY2: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
const SIG2: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

fn verifier(secrets: &[&str]) -> WebhookVerifier {
    let secrets = secrets
        .iter()
        .map(|s| WebhookSecret::parse(s).unwrap())
        .collect();
    WebhookVerifier::new(secrets, Duration::from_secs(300))
}

fn headers(pairs: &[(&str, String)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn check(
    v: &WebhookVerifier,
    h: &HashMap<String, String>,
    body: &[u8],
    now: i64,
) -> Result<String, VerifyError> {
    v.verify(|name| h.get(name).map(String::as_str), body, now)
        .map(str::to_owned)
}

/// name, headers, body, now, expected error
type Case<'a> = (&'a str, HashMap<String, String>, &'a [u8], i64, VerifyError);

fn std_headers(id: &str, ts: &str, sig: &str) -> HashMap<String, String> {
    headers(&[
        ("webhook-id", id.into()),
        ("webhook-timestamp", ts.into()),
        ("webhook-signature", sig.into()),
    ])
}

#[test]
fn the_published_standard_webhooks_vectors_verify() {
    for (secret, id, ts, body, sig) in [(S1, ID1, TS1, BODY1, SIG1), (S2, ID2, TS2, BODY2, SIG2)] {
        let h = std_headers(id, &ts.to_string(), sig);
        assert_eq!(check(&verifier(&[secret]), &h, body, ts).unwrap(), id);
        assert_eq!(
            sign(&WebhookSecret::parse(secret).unwrap(), id, ts, body),
            sig
        );
    }
}

#[test]
fn negative_cases_fail_with_the_right_error() {
    let v = verifier(&[S1]);
    let ts = TS1.to_string();
    let truncated = &SIG1[..SIG1.len() - 4];
    let mut tampered = BODY1.to_vec();
    tampered[3] ^= 0x01;
    use VerifyError::*;
    let cases: Vec<Case> = vec![
        (
            "no id",
            headers(&[
                ("webhook-timestamp", ts.clone()),
                ("webhook-signature", SIG1.into()),
            ]),
            BODY1,
            TS1,
            MissingHeader("webhook-id"),
        ),
        (
            "no timestamp",
            headers(&[
                ("webhook-id", ID1.into()),
                ("webhook-signature", SIG1.into()),
            ]),
            BODY1,
            TS1,
            MissingHeader("webhook-timestamp"),
        ),
        (
            "no signature",
            headers(&[
                ("webhook-id", ID1.into()),
                ("webhook-timestamp", ts.clone()),
            ]),
            BODY1,
            TS1,
            MissingHeader("webhook-signature"),
        ),
        (
            "non-integer timestamp",
            std_headers(ID1, "1614265330.5", SIG1),
            BODY1,
            TS1,
            InvalidTimestamp,
        ),
        (
            "word timestamp",
            std_headers(ID1, "yesterday", SIG1),
            BODY1,
            TS1,
            InvalidTimestamp,
        ),
        (
            "negative timestamp",
            std_headers(ID1, "-1614265330", SIG1),
            BODY1,
            TS1,
            InvalidTimestamp,
        ),
        (
            "stale timestamp",
            std_headers(ID1, &ts, SIG1),
            BODY1,
            TS1 + 301,
            TimestampOutOfTolerance,
        ),
        (
            "future timestamp",
            std_headers(ID1, &ts, SIG1),
            BODY1,
            TS1 - 301,
            TimestampOutOfTolerance,
        ),
        (
            "one changed byte of body",
            std_headers(ID1, &ts, SIG1),
            &tampered,
            TS1,
            NoMatchingSignature,
        ),
        (
            "truncated signature",
            std_headers(ID1, &ts, truncated),
            BODY1,
            TS1,
            NoMatchingSignature,
        ),
        (
            "other message id",
            std_headers("msg_other", &ts, SIG1),
            BODY1,
            TS1,
            NoMatchingSignature,
        ),
        (
            "only foreign-version entries",
            std_headers(ID1, &ts, &SIG1.replace("v1,", "v2,")),
            BODY1,
            TS1,
            NoMatchingSignature,
        ),
        (
            "v1a asymmetric entry",
            std_headers(ID1, &ts, &SIG1.replace("v1,", "v1a,")),
            BODY1,
            TS1,
            NoMatchingSignature,
        ),
    ];
    for (name, h, body, now, want) in cases {
        assert_eq!(check(&v, &h, body, now).unwrap_err(), want, "{name}");
    }
    let wrong_secret = verifier(&[S2]);
    let h = std_headers(ID1, &ts, SIG1);
    assert_eq!(
        check(&wrong_secret, &h, BODY1, TS1).unwrap_err(),
        NoMatchingSignature,
        "wrong secret"
    );
}

#[test]
fn accepted_variants_pass() {
    let ts = TS1.to_string();
    let bare = S1.trim_start_matches("whsec_");
    let h = std_headers(ID1, &ts, SIG1);
    assert!(
        check(&verifier(&[bare]), &h, BODY1, TS1).is_ok(),
        "secret without whsec_"
    );

    let svix = headers(&[
        ("svix-id", ID1.into()),
        ("svix-timestamp", ts.clone()),
        ("svix-signature", SIG1.into()),
    ]);
    assert!(
        check(&verifier(&[S1]), &svix, BODY1, TS1).is_ok(),
        "svix-* headers"
    );

    let multi = format!("v2,AAAA v1,bm90IGl0 {SIG1} v1,also-not-base64");
    let h = std_headers(ID1, &ts, &multi);
    assert!(
        check(&verifier(&[S1]), &h, BODY1, TS1).is_ok(),
        "one valid entry of several"
    );

    let h = std_headers(ID1, &ts, SIG1);
    assert!(
        check(&verifier(&[S2, S1]), &h, BODY1, TS1).is_ok(),
        "second of two secrets"
    );

    assert!(
        check(&verifier(&[S1]), &h, BODY1, TS1 + 300).is_ok(),
        "edge of the window"
    );
}

#[test]
fn debug_output_shows_no_key() {
    let v = verifier(&[S1]);
    let shown = format!("{v:?} {:?}", WebhookSecret::parse(S1).unwrap());
    assert!(!shown.contains("MfKQ9r8G"));
}
