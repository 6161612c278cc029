//! Amazon SES notifications (the `Message` of an SNS notification): bounces, complaints.
//! SES rewrites `Message-ID`, so a delivery is found by our own header first.
use serde_json::Value;

use super::{Notice, Severity};
use crate::{domain::DeliveryId, email::DELIVERY_HEADER};

/// The notices in an SES notification; deliveries and other types give none.
pub fn parse(message: &str) -> Result<Vec<Notice>, String> {
    let v: Value = serde_json::from_str(message).map_err(|e| format!("not SES JSON: {e}"))?;
    let kind = v
        .get("notificationType")
        .or_else(|| v.get("eventType"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let message_id = v
        .pointer("/mail/commonHeaders/messageId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let delivery = our_delivery(&v);
    let notice = |email: Option<&str>, severity, cause: String| Notice {
        provider: "ses",
        severity,
        email: email.map(str::to_owned),
        message_id: message_id.clone(),
        delivery: delivery.clone(),
        cause,
    };
    match kind {
        "Bounce" => {
            let bounce = &v["bounce"];
            let severity = match bounce["bounceType"].as_str() {
                Some("Permanent") => Severity::Hard,
                _ => Severity::Soft,
            };
            let sub = bounce["bounceSubType"].as_str().unwrap_or("General");
            Ok(recipients(bounce, "bouncedRecipients")
                .map(|r| {
                    let cause = r["diagnosticCode"]
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| {
                            format!(
                                "{} bounce ({sub})",
                                bounce["bounceType"].as_str().unwrap_or("unknown")
                            )
                        });
                    notice(r["emailAddress"].as_str(), severity, cause)
                })
                .collect())
        }
        "Complaint" => {
            let complaint = &v["complaint"];
            let cause = complaint["complaintFeedbackType"]
                .as_str()
                .map(|t| format!("complaint: {t}"))
                .unwrap_or_else(|| "marked as spam".to_owned());
            Ok(recipients(complaint, "complainedRecipients")
                .map(|r| {
                    notice(
                        r["emailAddress"].as_str(),
                        Severity::Complaint,
                        cause.clone(),
                    )
                })
                .collect())
        }
        _ => Ok(Vec::new()),
    }
}

/// Our delivery id, from the original headers SES passes back in `mail.headers`.
fn our_delivery(v: &Value) -> Option<DeliveryId> {
    v.pointer("/mail/headers")?
        .as_array()?
        .iter()
        .find(|h| {
            h["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(DELIVERY_HEADER))
        })
        .and_then(|h| h["value"].as_str())
        .and_then(|d| DeliveryId::parse(d.trim()).ok())
}

/// The recipient objects of a bounce or complaint; none when the field is missing.
fn recipients<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v[key].as_array().into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permanent_bounce_is_hard_with_the_diagnostic_as_cause() {
        let sns: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/bounces/ses-sns.bounce.json"
        ))
        .unwrap();
        let notices = parse(sns["Message"].as_str().unwrap()).unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].severity, Severity::Hard);
        assert_eq!(notices[0].email.as_deref(), Some("jerry@example.com"));
        assert_eq!(notices[0].cause, "smtp; 550 5.1.1 user unknown");
        let soft = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Transient",
            "bouncedRecipients":[{"emailAddress":"a@b.example"}]},
            "mail":{"commonHeaders":{"messageId":"<dlv_x@acme.example>"}}}"#;
        let notices = parse(soft).unwrap();
        assert_eq!(notices[0].severity, Severity::Soft);
        assert_eq!(
            notices[0].message_id.as_deref(),
            Some("<dlv_x@acme.example>")
        );
        assert!(
            parse(r#"{"notificationType":"Delivery"}"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn our_delivery_header_in_mail_headers_names_the_delivery() {
        let message = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",
            "bouncedRecipients":[{"emailAddress":"a@b.example"}]},
            "mail":{"headers":[{"name":"From","value":"x@y.example"},
                {"name":"x-pm-metadata-delivery","value":"dlv_0123456789abcdefghijklmn"}],
                "commonHeaders":{"messageId":"<0100018c@email.amazonses.com>"}}}"#;
        let notices = parse(message).unwrap();
        assert_eq!(
            notices[0].delivery.as_ref().map(|d| d.as_str()),
            Some("dlv_0123456789abcdefghijklmn")
        );
        let forged = message.replace("dlv_0123456789abcdefghijklmn", "not-an-id");
        assert!(parse(&forged).unwrap()[0].delivery.is_none());
    }
}
