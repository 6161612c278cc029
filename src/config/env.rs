//! Where variables come from: the process, or a map in tests. Remembers which were asked
//! for, so a test can hold the `--help` table to what the code reads.
use std::{
    collections::{BTreeSet, HashMap},
    sync::Mutex,
};

/// Where settings come from: the process environment, or a map in tests.
pub struct Env {
    vars: HashMap<String, String>,
    asked: Mutex<BTreeSet<String>>,
}

impl Env {
    pub fn from_process() -> Self {
        Self::new(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self::new(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    fn new(vars: HashMap<String, String>) -> Self {
        Self {
            vars,
            asked: Mutex::default(),
        }
    }

    /// The trimmed value; unset and blank are the same.
    pub fn value(&self, var: &str) -> Option<&str> {
        self.asked.lock().expect("lock").insert(var.to_owned());
        self.vars
            .get(var)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every variable asked for so far.
    #[cfg(test)]
    pub(super) fn asked(&self) -> BTreeSet<String> {
        self.asked.lock().expect("lock").clone()
    }
}

/// A list variable's entries, split on commas and white space; empty entries dropped.
pub(super) fn split_list(v: &str) -> Vec<&str> {
    v.split([',', ' ', '\n', '\t'])
        .filter(|s| !s.is_empty())
        .collect()
}
