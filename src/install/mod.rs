//! Device-aware install links: one URL in the email that does the right thing on the
//! device that opens it.
mod device;
mod links;
mod open;
mod page;

pub use device::{Device, detect};
pub use links::{InstallLinks, find_live, hash_token, record_click};
pub use open::{InstallPages, Opened};
pub use page::check_pages;
