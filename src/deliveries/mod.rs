//! Deliveries: the worker that claims due deliveries, runs attempts and records outcomes.
mod attempt;
pub mod decide;
mod notice;
mod outcome;
pub mod pace;
pub mod policy;
mod resend;
pub mod retry;
pub mod worker;

pub use attempt::{AttemptError, Resolved};
pub use decide::{Decision, Outcome};
pub use resend::{Resend, ResendBy, resend};
pub use worker::Worker;
