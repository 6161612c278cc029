//! Why a delivery exists: the automatic first email, an operator's resend, a reminder, or
//! the notice to a previous address that a resend went elsewhere.
use std::{fmt, str::FromStr};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryKind {
    Activation,
    Resend,
    Reminder,
    /// To the address a SIM's previous email went to, when a resend goes to a new one:
    /// no credentials, only that it happened and how to get help.
    Notice,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown delivery kind {0:?}")]
pub struct UnknownKind(pub String);

impl DeliveryKind {
    pub const ALL: [DeliveryKind; 4] =
        [Self::Activation, Self::Resend, Self::Reminder, Self::Notice];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::Resend => "resend",
            Self::Reminder => "reminder",
            Self::Notice => "notice",
        }
    }
}

impl FromStr for DeliveryKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

impl fmt::Display for DeliveryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::domain::text_column!(DeliveryKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_string() {
        for kind in DeliveryKind::ALL {
            assert_eq!(kind.as_str().parse::<DeliveryKind>().unwrap(), kind);
        }
        assert_eq!(DeliveryKind::Notice.as_str(), "notice");
        assert!("notices".parse::<DeliveryKind>().is_err());
    }
}
