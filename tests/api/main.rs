//! Black-box tests: the real app on port 0, a fresh PostgreSQL database per test, a real
//! SMTP server over TCP, and wiremock standing in for the Gigs API.
mod actions;
mod batches;
mod bounces;
mod brand;
mod cli;
mod closed_loop;
mod console;
mod deliveries;
mod desk;
mod desk_story;
mod erasure;
mod faults;
mod flood;
mod helpers;
mod hostile;
mod install;
mod lifecycle;
mod logs;
mod operations;
mod pace;
mod proxy;
mod secrets;
mod smtp;
mod status;
mod webhooks;
mod workers;
