//! Background work for operators that is not about one delivery: retention.
mod retention;

pub use retention::{Retention, run_retention};
