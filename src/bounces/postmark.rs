//! Postmark bounce and spam-complaint webhooks; our delivery id comes back in `Metadata`
//! (sent as the `X-PM-Metadata-delivery` header).
use serde_json::Value;

use super::{Notice, Severity};
use crate::domain::DeliveryId;

/// Postmark's bounce types that mean the address does not work.
const HARD: [&str; 5] = [
    "HardBounce",
    "BadEmailAddress",
    "ManuallyDeactivated",
    "Unsubscribe",
    "Blocked",
];

pub fn parse(body: &[u8]) -> Result<Vec<Notice>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not Postmark JSON: {e}"))?;
    let record = v["RecordType"].as_str().unwrap_or_default();
    let kind = v["Type"].as_str().unwrap_or_default();
    let severity = match (record, kind) {
        ("SpamComplaint", _) | (_, "SpamComplaint") => Severity::Complaint,
        ("Bounce", t) if HARD.contains(&t) => Severity::Hard,
        ("Bounce", _) => Severity::Soft,
        _ => return Ok(Vec::new()),
    };
    let cause = v["Details"]
        .as_str()
        .filter(|d| !d.is_empty())
        .or(v["Description"].as_str())
        .unwrap_or(kind)
        .to_owned();
    Ok(vec![Notice {
        provider: "postmark",
        severity,
        email: v["Email"].as_str().map(str::to_owned),
        message_id: None,
        delivery: v
            .pointer("/Metadata/delivery")
            .and_then(Value::as_str)
            .and_then(|d| DeliveryId::parse(d).ok()),
        cause,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_hard_bounce_names_our_delivery() {
        let notices = parse(include_bytes!(
            "../../tests/fixtures/bounces/postmark.bounce.json"
        ))
        .unwrap();
        assert_eq!(notices[0].severity, Severity::Hard);
        assert_eq!(
            notices[0].delivery.as_ref().unwrap().as_str(),
            "dlv_3v98N5qsBI3EldkhSGI8Kgls"
        );
        assert!(notices[0].cause.contains("550 5.1.1"));
        let soft = br#"{"RecordType":"Bounce","Type":"SoftBounce","Email":"a@b.example"}"#;
        assert_eq!(parse(soft).unwrap()[0].severity, Severity::Soft);
        assert!(parse(br#"{"RecordType":"Delivery"}"#).unwrap().is_empty());
    }
}
