//! Black-box tests: the real app on port 0, a fresh PostgreSQL database per test, a real
//! SMTP server over TCP, and wiremock standing in for the Gigs API.
mod actions;
mod batches;
mod bounces;
mod brand;
mod browser;
mod cli;
mod closed_loop;
mod console;
mod deliveries;
mod desk;
mod desk_story;
mod faults;
mod helpers;
mod hostile;
mod install;
mod lifecycle;
mod logs;
mod operations;
mod proxy;
mod secrets;
mod smtp;
mod status;
mod webhooks;
mod workers;
