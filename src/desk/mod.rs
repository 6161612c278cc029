//! The support desk's logic: what a search key is, and what one SIM's story and verdict
//! are. No HTTP and no SQL here.
pub mod search;
pub mod timeline;

pub use search::{BadSearch, SearchKey};
