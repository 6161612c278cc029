//! Property tests of the webhook front door: the signature verifier, `sign` and the event parser.
//!
//! Hostile input must never panic, a signed message always verifies, and any one change to
//! a signed message (a body byte, a header value, the signature) never does.
use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use esim_courier::webhooks::{
    GigsEvent, VerifyError, WebhookSecret, WebhookVerifier, plan_delivery, sign,
};
use proptest::prelude::*;
use serde_json::Value;

const TOLERANCE: u64 = 300;
/// A fixed "now" around today's clock; the window logic does not depend on its value.
const NOW: i64 = 1_750_000_000;
const NAMES: [&str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];

type Headers = Vec<(String, String)>;

fn verify<'a>(
    v: &WebhookVerifier,
    h: &'a Headers,
    body: &[u8],
    now: i64,
) -> Result<&'a str, VerifyError> {
    v.verify(
        |name| {
            h.iter()
                .find(|(k, _)| k == name)
                .map(|(_, val)| val.as_str())
        },
        body,
        now,
    )
}

fn verifier(secrets: &[WebhookSecret]) -> WebhookVerifier {
    WebhookVerifier::new(secrets.to_vec(), Duration::from_secs(TOLERANCE))
}

/// A secret as configured: `whsec_` + base64 of 16–64 random bytes, or the bare base64.
fn secret() -> impl Strategy<Value = WebhookSecret> {
    (prop::collection::vec(any::<u8>(), 16..64), any::<bool>()).prop_map(|(key, prefixed)| {
        let b64 = B64.encode(key);
        let text = if prefixed {
            format!("whsec_{b64}")
        } else {
            b64
        };
        WebhookSecret::parse(&text).expect("base64 of a 16-byte key or longer is a secret")
    })
}

/// A webhook id as a sender might send it: any non-empty text.
fn webhook_id() -> impl Strategy<Value = String> {
    prop_oneof![
        "msg_[A-Za-z0-9]{1,32}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty())
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..2048)
}

/// Header values, weighted towards what reaches the deeper checks.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{0,25}",
        "-?[0-9]{1,10}",
        "(v[0-9],[A-Za-z0-9+/=]{0,48} ?){0,4}",
        Just(String::new()),
    ]
}

/// Arbitrary header sets: the six names the verifier reads (either spelling), plus noise.
fn headers() -> impl Strategy<Value = Headers> {
    let name = prop_oneof![
        Just("webhook-id".to_owned()),
        Just("webhook-timestamp".to_owned()),
        Just("webhook-signature".to_owned()),
        Just("svix-id".to_owned()),
        Just("svix-timestamp".to_owned()),
        Just("svix-signature".to_owned()),
        "[a-z-]{1,20}",
    ];
    prop::collection::vec((name, header_value()), 0..8)
}

/// The three headers of a correctly signed message, in the given spelling.
fn signed_headers(secret: &WebhookSecret, id: &str, ts: i64, body: &[u8], svix: bool) -> Headers {
    let prefix = if svix { "svix" } else { "webhook" };
    vec![
        (format!("{prefix}-id"), id.to_owned()),
        (format!("{prefix}-timestamp"), ts.to_string()),
        (format!("{prefix}-signature"), sign(secret, id, ts, body)),
    ]
}

/// JSON values of any shape, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "(sim|sub|usr|evt)_[A-Za-z0-9]{0,30}".prop_map(Value::String),
        prop_oneof![
            Just("eSIM"),
            Just("pSIM"),
            Just("subscription"),
            Just("event")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("object".to_owned()),
            Just("id".to_owned()),
            Just("type".to_owned()),
            Just("sim".to_owned()),
            Just("user".to_owned()),
            Just("email".to_owned()),
            Just("subscription".to_owned()),
            Just("data".to_owned()),
            any::<String>(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_headers_and_bodies_never_panic_nor_verify(
        secrets in prop::collection::vec(secret(), 0..3),
        h in headers(),
        body in body(),
        now in prop_oneof![Just(NOW), any::<i64>()],
    ) {
        // Without the secret no random signature matches (2^-256 per try).
        let result = verify(&verifier(&secrets), &h, &body, now);
        prop_assert!(result.is_err(), "verified: {result:?}");
    }

    #[test]
    fn a_signed_message_always_verifies(
        secret in secret(),
        others in prop::collection::vec(secret(), 0..3),
        id in webhook_id(),
        skew in -(TOLERANCE as i64)..=(TOLERANCE as i64),
        body in body(),
        svix in any::<bool>(),
        position in any::<prop::sample::Index>(),
    ) {
        let ts = NOW + skew;
        let h = signed_headers(&secret, &id, ts, &body, svix);
        // Secret rotation: the right secret anywhere among others.
        let mut secrets = others;
        secrets.insert(position.index(secrets.len() + 1), secret);
        prop_assert_eq!(verify(&verifier(&secrets), &h, &body, NOW), Ok(id.as_str()));
    }

    #[test]
    fn extra_signature_entries_do_not_hide_a_good_one(
        secret in secret(),
        id in webhook_id(),
        body in body(),
        junk in prop::collection::vec("(v[0-9]|v1),[A-Za-z0-9+/=]{0,48}", 0..4),
        position in any::<prop::sample::Index>(),
    ) {
        let mut h = signed_headers(&secret, &id, NOW, &body, false);
        let mut entries = junk;
        entries.insert(position.index(entries.len() + 1), h[2].1.clone());
        h[2].1 = entries.join(" ");
        prop_assert_eq!(verify(&verifier(&[secret]), &h, &body, NOW), Ok(id.as_str()));
    }

    #[test]
    fn one_changed_body_byte_never_verifies(
        secret in secret(),
        id in webhook_id(),
        body in prop::collection::vec(any::<u8>(), 1..2048),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let h = signed_headers(&secret, &id, NOW, &body, false);
        let mut changed = body.clone();
        changed[position.index(body.len())] ^= flip;
        prop_assert_eq!(
            verify(&verifier(&[secret]), &h, &changed, NOW),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn an_added_or_removed_body_byte_never_verifies(
        secret in secret(),
        id in webhook_id(),
        body in prop::collection::vec(any::<u8>(), 1..2048),
        position in any::<prop::sample::Index>(),
        extra in any::<u8>(),
        add in any::<bool>(),
    ) {
        let h = signed_headers(&secret, &id, NOW, &body, false);
        let mut changed = body.clone();
        if add {
            changed.insert(position.index(body.len() + 1), extra);
        } else {
            changed.remove(position.index(body.len()));
        }
        prop_assert!(verify(&verifier(&[secret]), &h, &changed, NOW).is_err());
    }

    #[test]
    fn one_changed_header_value_never_verifies(
        secret in secret(),
        id in webhook_id(),
        body in body(),
        which in 0usize..3,
        replacement in header_value(),
    ) {
        let mut h = signed_headers(&secret, &id, NOW, &body, false);
        prop_assume!(h[which].1 != replacement);
        h[which].1 = replacement;
        let result = verify(&verifier(&[secret]), &h, &body, NOW);
        prop_assert!(result.is_err(), "{} changed and still verified", NAMES[which]);
    }

    #[test]
    fn one_changed_signature_character_never_verifies(
        secret in secret(),
        id in webhook_id(),
        body in body(),
        position in any::<prop::sample::Index>(),
        replacement in prop::char::range(' ', '~'),
    ) {
        let mut h = signed_headers(&secret, &id, NOW, &body, false);
        let mut sig: Vec<char> = h[2].1.chars().collect();
        let at = position.index(sig.len());
        prop_assume!(sig[at] != replacement);
        sig[at] = replacement;
        h[2].1 = sig.into_iter().collect();
        prop_assert!(verify(&verifier(&[secret]), &h, &body, NOW).is_err());
    }

    #[test]
    fn another_secret_never_verifies(
        signer in secret(),
        configured in prop::collection::vec(secret(), 1..3),
        id in webhook_id(),
        body in body(),
    ) {
        let h = signed_headers(&signer, &id, NOW, &body, false);
        let result = verify(&verifier(&configured), &h, &body, NOW);
        prop_assert_eq!(result, Err(VerifyError::NoMatchingSignature));
    }

    #[test]
    fn a_signed_message_outside_the_window_is_refused(
        secret in secret(),
        id in webhook_id(),
        body in body(),
        off in (TOLERANCE as i64 + 1)..1_000_000_000,
        later in any::<bool>(),
    ) {
        let ts = if later { NOW + off } else { NOW - off };
        let h = signed_headers(&secret, &id, ts, &body, false);
        prop_assert_eq!(
            verify(&verifier(&[secret]), &h, &body, NOW),
            Err(VerifyError::TimestampOutOfTolerance)
        );
    }

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = GigsEvent::parse(&body);
    }

    #[test]
    fn parse_and_plan_never_panic_on_arbitrary_json(value in json()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        if let Ok(event) = GigsEvent::parse(&bytes) {
            prop_assert!(!event.id.trim().is_empty());
            prop_assert!(!event.event_type.trim().is_empty());
            let _ = plan_delivery(&event);
        }
    }

    #[test]
    fn any_event_envelope_parses_whatever_its_data_and_extra_fields(
        id in "evt_[A-Za-z0-9]{1,30}",
        event_type in "com\\.gigs\\.[a-zA-Z.]{1,40}",
        data in json(),
        extra in prop::collection::vec(("[a-z]{1,12}", json()), 0..4),
    ) {
        let mut envelope = serde_json::Map::new();
        for (k, v) in extra {
            envelope.insert(format!("x_{k}"), v);
        }
        envelope.insert("object".into(), "event".into());
        envelope.insert("id".into(), id.clone().into());
        envelope.insert("type".into(), event_type.clone().into());
        envelope.insert("data".into(), data);
        let bytes = serde_json::to_vec(&Value::Object(envelope)).unwrap();
        let event = GigsEvent::parse(&bytes).expect("a well-formed envelope parses");
        prop_assert_eq!(&event.id, &id);
        prop_assert_eq!(&event.event_type, &event_type);
        let _ = plan_delivery(&event);
    }
}
