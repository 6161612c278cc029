//! The HTTP surface besides the webhook: status API, auth, health and error mapping.
mod auth;
pub(crate) mod deliveries;
pub mod error;
pub(crate) mod health;
mod openapi;

pub use auth::{StatusAuth, StatusTokens};
pub use deliveries::{get_delivery, list_deliveries, resend_delivery};
pub use error::{ApiError, error_response};
pub use health::{healthz, metrics, readyz};
pub use openapi::{ApiDoc, openapi_json};
