//! Settings read from the environment, each checked once at start.
mod email;
mod env;
mod http;
mod lifecycle;
mod operations;
mod smtp;

use std::{str::FromStr, time::Duration};

pub use email::{DEFAULT_BRAND_NAME, EmailSettings};
pub use env::Env;
use env::malformed;
pub use http::{DEFAULT_TRIGGER_EVENTS, HttpSettings, KNOWN_TRIGGER_EVENTS};
pub use lifecycle::LifecycleSettings;
pub use operations::{BounceSettings, OperationsSettings};
pub use smtp::{SmtpServer, SmtpTls, SmtpUrl};

use secrecy::SecretString;
use url::Url;

use crate::domain::ProjectId;

/// A missing or malformed variable; its `Display` is the one line printed before exit 2.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl DatabaseSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env
            .get("DATABASE_URL")
            .unwrap_or("postgres://postgres@localhost:5432/esim_courier");
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(malformed("DATABASE_URL", "expected a postgres:// URL"));
        }
        let options = <sqlx::postgres::PgConnectOptions as FromStr>::from_str(url)
            .map_err(|_| malformed("DATABASE_URL", "not a valid PostgreSQL URL"))?;
        // Without one, the server's default (the user's name, often the maintenance
        // database `postgres`) would silently receive the service's tables.
        if options.get_database().is_none_or(str::is_empty) {
            return Err(malformed(
                "DATABASE_URL",
                "names no database; expected postgres://user@host:5432/esim_courier",
            ));
        }
        let max_connections: u32 = env.parsed("DATABASE_MAX_CONNECTIONS", 24)?;
        if !(1..=1000).contains(&max_connections) {
            return Err(malformed("DATABASE_MAX_CONNECTIONS", "must be 1 to 1000"));
        }
        Ok(Self {
            url: SecretString::from(url.to_owned()),
            max_connections,
            acquire_timeout: Duration::from_secs(3),
        })
    }
}

#[derive(Debug, Clone)]
pub struct GigsSettings {
    pub api_url: Url,
    pub project: ProjectId,
    pub api_key: SecretString,
    pub timeout: Duration,
}

impl GigsSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let api_url = parse_http_url(
            "GIGS_API_URL",
            env.get("GIGS_API_URL").unwrap_or("https://api.gigs.com"),
        )?;
        let project = ProjectId::parse(env.required("GIGS_PROJECT")?)
            .map_err(|e| malformed("GIGS_PROJECT", e))?;
        Ok(Self {
            api_url,
            project,
            api_key: SecretString::from(env.required("GIGS_API_KEY")?.to_owned()),
            timeout: Duration::from_secs(10),
        })
    }
}

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
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let concurrency: usize = env.parsed("WORKER_CONCURRENCY", 16)?;
        if concurrency == 0 || concurrency > 1024 {
            return Err(malformed("WORKER_CONCURRENCY", "must be 1 to 1024"));
        }
        let max_attempts: i32 = env.parsed("DELIVERY_MAX_ATTEMPTS", 10)?;
        if !(1..=100).contains(&max_attempts) {
            return Err(malformed("DELIVERY_MAX_ATTEMPTS", "must be 1 to 100"));
        }
        let lease: u64 = env.parsed("DELIVERY_LEASE_SECS", 25)?;
        if !(5..=600).contains(&lease) {
            return Err(malformed("DELIVERY_LEASE_SECS", "must be 5 to 600"));
        }
        Ok(Self {
            concurrency,
            max_attempts,
            lease: Duration::from_secs(lease),
            shutdown_grace: Duration::from_secs(env.parsed("SHUTDOWN_GRACE_SECS", 20)?),
            ..Self::default()
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
        match env.get("LOG_FORMAT").unwrap_or("json") {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(malformed(
                "LOG_FORMAT",
                format!("{other:?} is not json or pretty"),
            )),
        }
    }
}

pub(crate) fn parse_http_url(var: &'static str, v: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(v).map_err(|e| malformed(var, e))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(malformed(var, "expected an http(s) URL"));
    }
    Ok(url)
}

/// What every sending process needs: `worker` reads these alone.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    pub database: DatabaseSettings,
    pub gigs: GigsSettings,
    pub email: EmailSettings,
    pub worker: WorkerSettings,
    pub lifecycle: LifecycleSettings,
    pub operations: OperationsSettings,
}

impl CoreSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseSettings::from_env(env)?,
            gigs: GigsSettings::from_env(env)?,
            email: EmailSettings::from_env(env)?,
            worker: WorkerSettings::from_env(env)?,
            lifecycle: LifecycleSettings::from_env(env)?,
            operations: OperationsSettings::from_env(env)?,
        })
    }
}

/// Everything `serve` needs: the core, and what the HTTP side adds.
#[derive(Debug, Clone)]
pub struct Settings {
    pub core: CoreSettings,
    pub http: HttpSettings,
    pub bounces: BounceSettings,
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            core: CoreSettings::from_env(env)?,
            http: HttpSettings::from_env(env)?,
            bounces: BounceSettings::from_env(env)?,
        })
    }
}

/// `settings.email` and the like read through to the core.
impl std::ops::Deref for Settings {
    type Target = CoreSettings;

    fn deref(&self) -> &CoreSettings {
        &self.core
    }
}

impl std::ops::DerefMut for Settings {
    fn deref_mut(&mut self) -> &mut CoreSettings {
        &mut self.core
    }
}

#[cfg(test)]
mod tests;
