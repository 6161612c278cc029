//! Device-aware install links: one URL in the email that does the right thing on the
//! device that opens it.
mod device;
mod links;
mod page;
mod route;

pub use device::{Device, detect};
pub use links::{InstallLinks, hash_token, revoke_for_sim};
pub use route::{__path_open_install_link, InstallPages, open_install_link};
