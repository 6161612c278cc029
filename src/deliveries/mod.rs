//! Deliveries: the durable queue of credential emails, its states, history and worker.
mod attempt;
mod model;
pub mod queue;
pub mod retry;
pub mod store;
pub mod worker;

pub use model::{DeliveryList, DeliveryRow, DeliveryView, EventRef, HistoryEntry};
pub use worker::Worker;

/// The channel a new pending delivery is announced on, so idle workers wake at once.
pub const NOTIFY_CHANNEL: &str = "esim_courier_deliveries";
