//! Settings of what the service talks to: PostgreSQL and the Gigs API.
use std::{str::FromStr, time::Duration};

use secrecy::SecretString;
use url::Url;

use super::{
    ConfigErrors, Env,
    reader::{Range, Reader, http_url},
};
use crate::domain::ProjectId;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost:5432/esim_courier";

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// Reaching PostgreSQL at start: an address that accepts and never answers must not
    /// leave the process silent.
    pub connect_timeout: Duration,
}

impl DatabaseSettings {
    pub fn read(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let url = r.value("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL);
        let url = r.parsed("DATABASE_URL", check_database_url(url));
        let max_connections = r.number(
            "DATABASE_MAX_CONNECTIONS",
            24,
            Range::new(1..=1000, "connections"),
        );
        r.finish(|| {
            Some(Self {
                url: SecretString::from(url?),
                max_connections,
                acquire_timeout: Duration::from_secs(3),
                connect_timeout: Duration::from_secs(10),
            })
        })
    }
}

/// A PostgreSQL URL naming a database. Its value is never quoted: it may hold a password.
fn check_database_url(url: &str) -> Result<String, String> {
    const EXPECTED: &str = "expected postgres://user[:password]@host:5432/esim_courier";
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(format!("is not a postgres:// URL; {EXPECTED}"));
    }
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .map_err(|_| format!("is not a valid PostgreSQL URL; {EXPECTED}"))?;
    // Without one, the server's default (the user's name, often the maintenance
    // database `postgres`) would silently receive the service's tables.
    if options.get_database().is_none_or(str::is_empty) {
        return Err(format!("names no database; {EXPECTED}"));
    }
    Ok(url.to_owned())
}

#[derive(Debug, Clone)]
pub struct GigsSettings {
    pub api_url: Url,
    pub project: ProjectId,
    pub api_key: SecretString,
    pub timeout: Duration,
}

impl GigsSettings {
    pub fn read(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let api_url = r.parsed(
            "GIGS_API_URL",
            http_url(r.value("GIGS_API_URL").unwrap_or("https://api.gigs.com")),
        );
        let project = r.required("GIGS_PROJECT", |v| {
            ProjectId::parse(v).map_err(|e| format!("is {v:?}: {e}"))
        });
        let api_key = r.required("GIGS_API_KEY", |v| Ok(SecretString::from(v.to_owned())));
        r.finish(|| {
            Some(Self {
                api_url: api_url?,
                project: project?,
                api_key: api_key?,
                timeout: Duration::from_secs(10),
            })
        })
    }
}
