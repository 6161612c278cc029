//! What every black-box test stands on: the app on port 0 with its own database, the SMTP
//! sink, a fake Gigs, and the requests a test sends. One file per concern.
mod app;
mod database;
mod gigs;
mod process;
mod requests;

pub use app::*;
pub use database::*;
pub use process::*;
pub use requests::*;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const TOKEN: &str = "status-token-for-tests";
/// Configured as `support-desk:…`: actions taken with it are recorded by that name.
pub const NAMED_TOKEN: &str = "desk-token-for-tests";
/// Configured as `viewer-desk:…` with the role `viewer` (`support-desk` is `support`; the
/// unnamed `TOKEN` is not listed, so it is an admin).
pub const VIEWER_TOKEN: &str = "viewer-token-for-tests";
pub const PROJECT: &str = "acme-mobile";
pub const GIGS_KEY: &str = "gigs-test-key";

pub const ACTIVATED: &str = include_str!("../../fixtures/gigs/event.subscription.activated.json");
pub const CHANGE: &str = include_str!("../../fixtures/gigs/event.subscriptionChange.applied.json");
pub const CREDENTIALS: &str = include_str!("../../fixtures/gigs/simCredentials.json");
pub const USER: &str = include_str!("../../fixtures/gigs/user.json");
pub const CREATED: &str = include_str!("../../fixtures/gigs/event.subscription.created.json");
pub const INSTALLED: &str = include_str!("../../fixtures/gigs/event.eSimProfile.installed.json");
pub const NOT_INSTALLED: &str =
    include_str!("../../fixtures/gigs/event.reminder.subscription.simNotInstalled.json");
pub const NOT_FOUND: &str = include_str!("../../fixtures/gigs/error.notFound.json");

pub const SIM: &str = "sim_0SNlurA049MEWV1BAAmWZULA4lf6";
pub const USER_ID: &str = "usr_0SNlurA049MEWV4OpCwsNyC9Kn2d";
pub const SUB: &str = "sub_0SNlurA049MEWV2gSfSxi00xlPIi";
pub const ACTIVATION_CODE: &str = "LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";
