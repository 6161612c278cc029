//! The Gigs REST API client: users, subscriptions and SIM credentials, fetched at send time.
mod client;
mod error;
mod types;

pub use client::GigsClient;
pub use error::GigsError;
pub use types::{ListPage, SimCredentials, Subscription, User};
