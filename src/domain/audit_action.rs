//! What an audit entry records: an operator's action, or a console sign-in.
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum AuditAction {
    Resend,
    Retry,
    Unsuppress,
    Erasure,
    SignIn,
    SignInFailed,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown audit action {0:?}")]
pub struct UnknownAction(pub String);

impl AuditAction {
    pub const ALL: [AuditAction; 6] = [
        Self::Resend,
        Self::Retry,
        Self::Unsuppress,
        Self::Erasure,
        Self::SignIn,
        Self::SignInFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resend => "resend",
            Self::Retry => "retry",
            Self::Unsuppress => "unsuppress",
            Self::Erasure => "erasure",
            Self::SignIn => "signIn",
            Self::SignInFailed => "signInFailed",
        }
    }
}

impl FromStr for AuditAction {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Self, UnknownAction> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAction(s.to_owned()))
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::domain::text_column!(AuditAction);
