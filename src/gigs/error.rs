//! How a Gigs API call failed, and whether trying again can help.
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum GigsError {
    /// 401/403/404 and other 4xx: the same request will fail again.
    #[error("the Gigs {what} request failed: HTTP {status}{detail}")]
    Permanent {
        what: &'static str,
        status: u16,
        detail: String,
    },
    /// 408/429/5xx, timeouts and network errors.
    #[error("the Gigs {what} request failed: {cause}")]
    Transient {
        what: &'static str,
        cause: String,
        retry_after: Option<Duration>,
    },
}

impl GigsError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent { .. })
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Transient { retry_after, .. } => *retry_after,
            Self::Permanent { .. } => None,
        }
    }
}
