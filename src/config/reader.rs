//! Reading variables while collecting every problem, so one run names them all; and the
//! one rule for numbers (a documented range, exit 2 outside it).
use std::{fmt::Display, ops::RangeInclusive, str::FromStr};

use url::Url;

use super::{ConfigError, ConfigErrors, Env, env::split_list};

/// Reads one section's variables; each problem is kept and reading goes on.
pub(super) struct Reader<'e> {
    env: &'e Env,
    problems: ConfigErrors,
}

impl<'e> Reader<'e> {
    pub fn new(env: &'e Env) -> Self {
        Self {
            env,
            problems: ConfigErrors::default(),
        }
    }

    /// The trimmed value, unchecked.
    pub fn value(&self, var: &str) -> Option<&'e str> {
        self.env.value(var)
    }

    pub fn problem(&mut self, var: &'static str, problem: impl Display) {
        self.problems.push(ConfigError {
            var,
            problem: problem.to_string(),
        });
    }

    /// A required variable, parsed; `None` (and a problem) when unset or malformed.
    pub fn required<T>(
        &mut self,
        var: &'static str,
        parse: impl FnOnce(&'e str) -> Result<T, String>,
    ) -> Option<T> {
        match self.value(var) {
            None => {
                self.problem(var, "is required but not set");
                None
            }
            Some(v) => self.parsed(var, parse(v)),
        }
    }

    /// An optional variable, parsed; `None` when unset, or malformed (a problem then).
    pub fn optional<T>(
        &mut self,
        var: &'static str,
        parse: impl FnOnce(&'e str) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.value(var)?;
        self.parsed(var, parse(v))
    }

    /// Keeps `result`'s problem, if any, as `var`'s.
    pub fn parsed<T>(&mut self, var: &'static str, result: Result<T, String>) -> Option<T> {
        result.map_err(|e| self.problem(var, e)).ok()
    }

    /// A list variable's entries; `None` when unset.
    pub fn list(&self, var: &str) -> Option<Vec<&'e str>> {
        self.value(var).map(split_list)
    }

    /// A whole number within `range` (`unit` names what it counts), else `default` and a
    /// problem naming the range: one rule for every number.
    pub fn number<T>(&mut self, var: &'static str, default: T, range: Range<T>) -> T
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        self.optional_number(var, range).unwrap_or(default)
    }

    /// As `number`, with no default: `None` when unset.
    pub fn optional_number<T>(&mut self, var: &'static str, range: Range<T>) -> Option<T>
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        let v = self.value(var)?;
        match v.parse::<T>() {
            Ok(n) if range.values.contains(&n) => Some(n),
            _ => {
                self.problem(var, format!("is {v:?}; expected {range}"));
                None
            }
        }
    }

    /// Merges a nested section's problems into this one's.
    pub fn section<S>(&mut self, read: Result<S, ConfigErrors>) -> Option<S> {
        read.map_err(|e| self.problems.extend(e)).ok()
    }

    /// The settings, or every problem found. `build` gets `Some` of each required value
    /// when there was no problem, so its `?`s never return `None` then.
    pub fn finish<S>(self, build: impl FnOnce() -> Option<S>) -> Result<S, ConfigErrors> {
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        Ok(build().expect("with no problem, every required value was read"))
    }
}

/// A number's documented range and what it counts, as the error line names them.
pub(super) struct Range<T> {
    values: RangeInclusive<T>,
    unit: &'static str,
}

impl<T> Range<T> {
    pub const fn new(values: RangeInclusive<T>, unit: &'static str) -> Self {
        Self { values, unit }
    }
}

impl<T: Display> Display for Range<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" of {}", self.unit)
        };
        write!(
            f,
            "a whole number{unit} from {} to {}",
            self.values.start(),
            self.values.end()
        )
    }
}

/// `var`'s `http(s)://host…` URL, with a problem that says what is expected.
pub(crate) fn http_url(v: &str) -> Result<Url, String> {
    match Url::parse(v) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(format!(
            "is {v:?}; expected an absolute http(s) URL, e.g. https://host.example/path"
        )),
    }
}

/// `host:port`, with a port number; the host is resolved when binding.
pub(super) fn host_port(v: &str) -> Result<String, String> {
    if v.parse::<std::net::SocketAddr>().is_ok() {
        return Ok(v.to_owned());
    }
    match v.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty()
                && port.parse::<u16>().is_ok()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-')) =>
        {
            Ok(v.to_owned())
        }
        _ => Err(format!("is {v:?}; expected host:port, e.g. 0.0.0.0:8080")),
    }
}
