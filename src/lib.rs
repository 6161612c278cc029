//! esim-courier: verified Gigs webhooks in, eSIM credential emails out.
pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod deliveries;
pub mod demo;
pub mod domain;
pub mod email;
pub mod gigs;
pub mod install;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
