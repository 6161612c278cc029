//! The headers our messages carry beyond lettre's own.
use lettre::message::header::{Header, HeaderName, HeaderValue};

/// The header every email carries with its delivery id: Postmark echoes it as metadata
/// in its bounce webhooks, SES returns it in `mail.headers`; other servers ignore it.
pub const DELIVERY_HEADER: &str = "X-PM-Metadata-delivery";

/// [`DELIVERY_HEADER`] with the delivery's id.
#[derive(Clone)]
pub(super) struct DeliveryMetadata(pub(super) String);

impl Header for DeliveryMetadata {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str(DELIVERY_HEADER)
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): vacation responders and other robots
/// leave the message alone, so no auto-reply loops back to the sender.
#[derive(Clone)]
pub(super) struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}
