//! Settings read from the environment, each checked once at start; every problem is
//! reported in one run.
mod bounces;
mod email;
mod env;
mod http;
mod lifecycle;
mod operations;
mod reader;
mod services;
mod smtp;
mod tokens;
mod variables;
mod worker;

use std::fmt;

pub use bounces::BounceSettings;
pub use email::{DEFAULT_BRAND_NAME, EmailSettings};
pub use env::Env;
pub use http::{DEFAULT_TRIGGER_EVENTS, HttpSettings, KNOWN_TRIGGER_EVENTS};
pub use lifecycle::LifecycleSettings;
pub use operations::OperationsSettings;
pub use services::{DEFAULT_DATABASE_URL, DatabaseSettings, GigsSettings};
pub use smtp::{SmtpServer, SmtpTls, SmtpUrl};
pub use tokens::{MIN_TOKEN_CHARS, StatusToken};
pub use variables::{Command, VARIABLES, Variable, help};
pub use worker::{LogFormat, WorkerSettings};

use reader::Reader;

/// One missing or malformed variable; its `Display` is one line.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

/// Every problem a run found, in the order read; shown one line each.
#[derive(Debug, Default)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    pub fn iter(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter()
    }

    /// The variables named, in order (one per problem).
    pub fn vars(&self) -> Vec<&'static str> {
        self.0.iter().map(|e| e.var).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The first problem alone (a caller that reports one).
    pub fn into_first(self) -> ConfigError {
        self.0.into_iter().next().unwrap_or(ConfigError {
            var: "(none)",
            problem: "no problem was recorded".into(),
        })
    }

    pub fn push(&mut self, e: ConfigError) {
        self.0.push(e);
    }

    pub fn extend(&mut self, more: ConfigErrors) {
        self.0.extend(more.0);
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        Self(vec![e])
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}

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
    pub fn from_env(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let database = r.section(DatabaseSettings::read(env));
        let gigs = r.section(GigsSettings::read(env));
        let email = r.section(EmailSettings::read(env));
        let worker = r.section(WorkerSettings::read(env));
        let lifecycle = r.section(LifecycleSettings::read(env));
        let operations = r.section(OperationsSettings::read(env));
        r.finish(|| {
            Some(Self {
                database: database?,
                gigs: gigs?,
                email: email?,
                worker: worker?,
                lifecycle: lifecycle?,
                operations: operations?,
            })
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
    pub fn from_env(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let core = r.section(CoreSettings::from_env(env));
        let http = r.section(HttpSettings::read(env));
        let bounces = r.section(BounceSettings::read(env));
        r.finish(|| {
            Some(Self {
                core: core?,
                http: http?,
                bounces: bounces?,
            })
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
