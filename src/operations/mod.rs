//! Background work for operators that is not about one delivery: retention, and the
//! console overview's figures.
mod overview;
mod retention;

pub use overview::OverviewFigures;
pub use retention::{Retention, erase_older_than, run_retention};
