//! Validated types shared across the service's edges.
mod ids;
mod lpa;
mod status;

pub use ids::{DeliveryId, InvalidId, ProjectId, SimId, SubscriptionId, UserId, random_base62};
pub use lpa::{InvalidLpa, LpaActivationCode};
pub use status::{DeliveryStatus, UnknownStatus};
