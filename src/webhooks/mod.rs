//! The front door: verify Gigs webhooks, parse them leniently, record them durably.
mod batch;
mod event;
mod ingest;
mod route;
mod verify;

pub use batch::Ingestor;
pub use event::{DeliveryPlan, GigsEvent, InvalidEvent, plan_delivery};
pub use ingest::{IngestKind, IngestOutcome, IngestPolicy, ingest};
pub use route::{
    __path_receive_webhook, MAX_BODY_BYTES, WebhookError, WebhookReceived, receive_webhook,
};
pub use verify::{InvalidSecret, VerifyError, WebhookSecret, WebhookVerifier, sign, signed_post};
