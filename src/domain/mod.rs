//! Validated types shared across the service's edges.
mod alert_kind;
mod ids;
mod kind;
mod lpa;
mod role;
mod secret;
mod status;
mod text_column;

pub(crate) use text_column::text_column;

pub use alert_kind::{AlertKind, UnknownAlertKind};
pub use ids::{
    BASE62, DeliveryId, InvalidId, ProjectId, SimId, SubscriptionId, UserId, random_base62,
};
pub use kind::{DeliveryKind, UnknownKind};
pub use lpa::{InvalidLpa, LpaActivationCode};
pub use role::{Role, UnknownRole};
pub use secret::{InvalidSecret, WebhookSecret};
pub use status::{DeliveryStatus, UnknownStatus};
