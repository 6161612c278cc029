//! Identifiers: the service's own delivery ids and the Gigs ids it stores and puts in URLs.
use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid {what} id")]
pub struct InvalidId {
    pub what: &'static str,
}

pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Random base62 text; 24 characters carry about 143 bits.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// Gigs ids end up in API paths, so only URL-safe characters are let in.
fn is_id_text(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
        #[serde(try_from = "String", into = "String")]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: impl Into<String>) -> Result<Self, InvalidId> {
                let s = s.into();
                if is_id_text(&s) && s.starts_with($prefix) {
                    Ok(Self(s))
                } else {
                    Err(InvalidId { what: $what })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// A delivery of this service: `dlv_` and random base62.
    DeliveryId, "delivery", "dlv_"
);
text_id!(
    /// A Gigs project id.
    ProjectId, "project", ""
);
text_id!(
    /// A Gigs SIM id.
    SimId, "SIM", ""
);
text_id!(
    /// A Gigs subscription id.
    SubscriptionId, "subscription", ""
);
text_id!(
    /// A Gigs user id.
    UserId, "user", ""
);

impl DeliveryId {
    pub fn generate() -> Self {
        Self(format!("dlv_{}", random_base62(24)))
    }
}

text_id!(
    /// An audit log entry: `aud_` and random base62.
    AuditId, "audit entry", "aud_"
);

impl AuditId {
    pub fn generate() -> Self {
        Self(format!("aud_{}", random_base62(24)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_delivery_ids_parse_and_differ() {
        let a = DeliveryId::generate();
        let b = DeliveryId::generate();
        assert_ne!(a, b);
        assert_eq!(DeliveryId::parse(a.as_str()).unwrap(), a);
        assert_eq!(a.as_str().len(), 28);
    }

    #[test]
    fn ids_reject_path_characters_and_wrong_prefixes() {
        for bad in ["", "sim/../x", "a b", "sim?x=1", &"x".repeat(129)] {
            assert!(SimId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(DeliveryId::parse("sim_123").is_err());
        assert!(SimId::parse("sim_0SNlurA049MEWV1BAAmWZULA4lf6").is_ok());
    }
}
