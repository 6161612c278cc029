//! The front door's logic: verify Gigs webhooks, parse them leniently, plan and batch
//! their records. No HTTP and no SQL here.
mod batch;
mod event;
mod follow_up;
mod plan;
mod verify;

pub use batch::{Batchers, IngestError, Ingestor};
pub use event::{DeliveryPlan, GigsEvent, InvalidEvent, plan_delivery};
pub use plan::{
    FollowUp, INSTALL_EVENTS, IngestPolicy, REMINDER_EVENT, SAME_SIM_NOTE, decide, follow_up,
};
pub use verify::{InvalidSecret, VerifyError, WebhookSecret, WebhookVerifier, sign, signed_post};

pub use crate::store::events::{IngestKind, IngestOutcome};
