//! The store's one error: a database failure classified once, by what it means to the
//! caller (retry later, bad input, a lost race, a bug), so no caller reads SQLSTATEs.
use std::{fmt, sync::Arc};

/// What a database failure means for whoever asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// PostgreSQL is unreachable, shutting down, overloaded, or the transaction lost a
    /// serialization race it may win next time: try again later (503).
    Unavailable,
    /// The request carried something PostgreSQL cannot take (e.g. a NUL in text): 400.
    InvalidInput,
    /// A unique or foreign-key constraint refused the row: another transaction wrote the
    /// same thing meanwhile. Trying again sees the winner's row.
    Conflict,
    /// Anything else is a bug or a broken schema: an opaque 500, logged at error level.
    Other,
}

/// A failed statement: its class, and the cause for the logs (never for an answer).
/// Cheap to clone, so one refused batch can answer each of its callers with the same.
#[derive(Clone)]
pub struct Error {
    fault: Fault,
    cause: Arc<sqlx::Error>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn fault(&self) -> Fault {
        self.fault
    }

    pub fn is_unavailable(&self) -> bool {
        self.fault == Fault::Unavailable
    }

    /// A statement expected a row that was not there (a store invariant broke).
    pub(super) fn missing_row() -> Self {
        sqlx::Error::RowNotFound.into()
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self {
            fault: classify(&e),
            cause: Arc::new(e),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {:?}", self.fault, self.cause)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cause.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.cause)
    }
}

/// Classifies by SQLSTATE class, so a poison input is never answered "retry later".
fn classify(e: &sqlx::Error) -> Fault {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => Fault::Unavailable,
        sqlx::Error::Database(db) => classify_code(db.code().as_deref().unwrap_or("")),
        _ => Fault::Other,
    }
}

fn classify_code(code: &str) -> Fault {
    match code {
        // Connection exceptions, refused logins, a missing database, insufficient
        // resources, operator intervention (shutdown, cannot connect now), system errors,
        // read-only transaction (a standby), serialization failures and deadlocks: all
        // fixed on the server's side, so the sender should come back.
        c if ["08", "28", "3D", "53", "57", "58"]
            .iter()
            .any(|p| c.starts_with(p)) =>
        {
            Fault::Unavailable
        }
        "25006" | "40001" | "40P01" | "55P03" => Fault::Unavailable,
        // Data exceptions (invalid text, NUL bytes, out-of-range numbers) and values too
        // large for an index.
        c if c.starts_with("22") || c == "54000" => Fault::InvalidInput,
        // Integrity constraint violations: a unique key or a foreign key another
        // transaction's row decides.
        "23505" | "23503" => Fault::Conflict,
        _ => Fault::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstate_classes_map_to_faults() {
        for unavailable in [
            "08006", "28P01", "3D000", "53300", "57P01", "57P03", "58030", "40001", "25006",
        ] {
            assert_eq!(
                classify_code(unavailable),
                Fault::Unavailable,
                "{unavailable}"
            );
        }
        for bad in ["22021", "22P05", "22P02", "22003", "54000"] {
            assert_eq!(classify_code(bad), Fault::InvalidInput, "{bad}");
        }
        for conflict in ["23505", "23503"] {
            assert_eq!(classify_code(conflict), Fault::Conflict, "{conflict}");
        }
        for other in ["42P01", "42703", "23502", "XX000", ""] {
            assert_eq!(classify_code(other), Fault::Other, "{other}");
        }
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Fault::Unavailable);
        assert_eq!(classify(&sqlx::Error::RowNotFound), Fault::Other);
    }

    #[test]
    fn a_clone_keeps_the_class_and_the_cause() {
        let e: Error = sqlx::Error::PoolClosed.into();
        let copy = e.clone();
        assert!(copy.is_unavailable());
        assert_eq!(copy.to_string(), e.to_string());
    }
}
