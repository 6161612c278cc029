//! Validated types shared across the service's edges.
mod ids;
mod lpa;
mod secret;
mod status;

pub use ids::{
    BASE62, DeliveryId, InvalidId, ProjectId, SimId, SubscriptionId, UserId, random_base62,
};
pub use lpa::{InvalidLpa, LpaActivationCode};
pub use secret::{InvalidSecret, WebhookSecret};
pub use status::{DeliveryStatus, UnknownStatus};
