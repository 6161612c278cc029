//! Reading variables: from the process, or from a map in tests; one error per variable.
use std::{collections::HashMap, fmt, str::FromStr};

use super::ConfigError;

/// Where settings come from: the process environment, or a map in tests.
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    pub fn value(&self, var: &str) -> Option<&str> {
        self.get(var)
    }

    pub(super) fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub(super) fn required(&self, var: &'static str) -> Result<&str, ConfigError> {
        self.get(var).ok_or_else(|| missing(var))
    }

    pub(super) fn required_list(&self, var: &'static str) -> Result<Vec<&str>, ConfigError> {
        self.list(var).ok_or_else(|| missing(var))
    }

    pub(super) fn parsed<T: FromStr>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|e| malformed(var, e)),
        }
    }

    pub(super) fn list(&self, var: &'static str) -> Option<Vec<&str>> {
        self.get(var).map(|v| {
            v.split([',', ' ', '\n', '\t'])
                .filter(|s| !s.is_empty())
                .collect()
        })
    }
}

pub(super) fn missing(var: &'static str) -> ConfigError {
    ConfigError {
        var,
        problem: "is required but not set".into(),
    }
}

pub(super) fn malformed(var: &'static str, e: impl fmt::Display) -> ConfigError {
    ConfigError {
        var,
        problem: format!("is malformed: {e}"),
    }
}
