//! Validated types shared across the service's edges.
mod alert_kind;
mod audit_action;
mod ids;
mod kind;
mod lpa;
mod mask;
mod role;
mod secret;
mod status;
mod text_column;

pub(crate) use text_column::text_column;

pub use alert_kind::{AlertKind, UnknownAlertKind};
pub use audit_action::{AuditAction, UnknownAction};
pub use ids::{
    AuditId, BASE62, DeliveryId, InvalidId, ProjectId, SimId, SubscriptionId, UserId, random_base62,
};
pub use kind::{DeliveryKind, UnknownKind};
pub use lpa::{InvalidLpa, LpaActivationCode};
pub use mask::{mask_addresses, mask_email};
pub use role::{Permission, Role, UnknownRole};
pub use secret::{InvalidSecret, WebhookSecret};
pub use status::{DeliveryStatus, UnknownStatus};
