//! Resend `email.bounced` and `email.complained` webhooks (Standard Webhooks signed).
use serde_json::Value;

use super::{Notice, Severity};

pub fn parse(body: &[u8]) -> Result<Vec<Notice>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not Resend JSON: {e}"))?;
    let data = &v["data"];
    let (severity, cause) = match v["type"].as_str().unwrap_or_default() {
        "email.bounced" => {
            let bounce = &data["bounce"];
            let severity = match bounce["type"].as_str() {
                Some("Permanent") => Severity::Hard,
                _ => Severity::Soft,
            };
            let cause = bounce["message"].as_str().unwrap_or("bounced").to_owned();
            (severity, cause)
        }
        "email.complained" => (Severity::Complaint, "marked as spam".to_owned()),
        _ => return Ok(Vec::new()),
    };
    let recipients = data["to"].as_array().cloned().unwrap_or_default();
    Ok(recipients
        .iter()
        .filter_map(Value::as_str)
        .map(|email| Notice {
            provider: "resend",
            severity,
            email: Some(email.to_owned()),
            message_id: None,
            delivery: None,
            cause: cause.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_bounce_is_hard_for_its_recipient() {
        let notices = parse(include_bytes!(
            "../../tests/fixtures/bounces/resend.bounce.json"
        ))
        .unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].severity, Severity::Hard);
        assert_eq!(notices[0].email.as_deref(), Some("jerry@example.com"));
        assert!(
            parse(br#"{"type":"email.delivered","data":{}}"#)
                .unwrap()
                .is_empty()
        );
    }
}
