//! The closed loop's background work: reconciling against Gigs, one replica at a time.
mod reconcile;

pub use reconcile::{Reconciler, Reconciling, Report, parse_since};
