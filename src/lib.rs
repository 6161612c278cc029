//! esim-courier: verified Gigs webhooks in, eSIM credential emails out.
pub mod bounces;
pub mod cli;
pub mod config;
pub mod deliveries;
pub mod demo;
pub mod domain;
pub mod email;
pub mod gigs;
pub mod http;
pub mod install;
pub mod lifecycle;
pub mod operations;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod webhooks;
