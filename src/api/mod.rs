//! The HTTP surface besides the webhook: status API, auth, health and error mapping.
mod auth;
mod deliveries;
pub mod error;
mod health;

pub use auth::{StatusAuth, StatusTokens};
pub use deliveries::{get_delivery, list_deliveries, resend_delivery};
pub use error::{ApiError, error_response};
pub use health::{healthz, readyz};
