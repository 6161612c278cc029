//! Device-aware install links: one URL in the email that does the right thing on the
//! device that opens it, and nothing for the robots that open it first.
mod device;
mod links;
mod open;
mod page;

pub use device::{Device, detect, is_robot};
pub use links::{InstallLinks, find_live, hash_token, record_click};
pub use open::{InstallPages, Opened};
pub use page::{OneTap, Pages, check_pages, content_security_policy, qr_data_uri};
