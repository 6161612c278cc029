//! What an alert is about: a delivery that failed, one that bounced, or webhooks gone quiet.
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    Failed,
    Bounced,
    Quiet,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown alert kind {0:?}")]
pub struct UnknownAlertKind(pub String);

impl AlertKind {
    pub const ALL: [AlertKind; 3] = [Self::Failed, Self::Bounced, Self::Quiet];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Bounced => "bounced",
            Self::Quiet => "quiet",
        }
    }
}

impl FromStr for AlertKind {
    type Err = UnknownAlertKind;

    fn from_str(s: &str) -> Result<Self, UnknownAlertKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownAlertKind(s.to_owned()))
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::domain::text_column!(AlertKind);
