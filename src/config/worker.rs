//! Settings of the delivery worker, and the log format.
use std::time::Duration;

use super::{
    ConfigError, ConfigErrors, Env,
    reader::{Range, Reader},
};

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub concurrency: usize,
    pub max_attempts: i32,
    /// How long a claim stays valid without renewal; a living worker renews its claims five
    /// times a lease, so a worker that dies loses its deliveries within one lease.
    pub lease: Duration,
    /// First retry delay; doubles each attempt up to `backoff_max`, with jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How often to look for due retries when no notification arrives.
    pub poll_interval: Duration,
    /// At shutdown, how long in-flight deliveries may finish before their leases are
    /// handed back.
    pub shutdown_grace: Duration,
}

impl WorkerSettings {
    pub fn read(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let concurrency = r.number("WORKER_CONCURRENCY", 16, Range::new(1..=1024, "deliveries"));
        let max_attempts = r.number("DELIVERY_MAX_ATTEMPTS", 10, Range::new(1..=100, "attempts"));
        let lease: u64 = r.number("DELIVERY_LEASE_SECS", 25, Range::new(5..=600, "seconds"));
        let grace: u64 = r.number("SHUTDOWN_GRACE_SECS", 20, Range::new(0..=600, "seconds"));
        r.finish(|| {
            Some(Self {
                concurrency,
                max_attempts,
                lease: Duration::from_secs(lease),
                shutdown_grace: Duration::from_secs(grace),
                ..Self::default()
            })
        })
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 16,
            max_attempts: 10,
            lease: Duration::from_secs(25),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl LogFormat {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.value("LOG_FORMAT").unwrap_or("json") {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(ConfigError {
                var: "LOG_FORMAT",
                problem: format!("is {other:?}; expected json or pretty"),
            }),
        }
    }
}
