//! Test databases: each test makes its own under `TEST_DB_PREFIX` and drops it at the end.
use sqlx::{Connection, PgConnection};

/// The base URL of the PostgreSQL server the tests create databases on.
pub fn pg_base() -> String {
    std::env::var("TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database this test made; dropped (connections and all) when the guard is.
pub struct TestDb {
    pub url: String,
    name: String,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (format!("{}/postgres", pg_base()), self.name.clone());
        // Drop cannot await, and the test's runtime may be shutting down: a thread of
        // its own does it, and the test waits for it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin).await.ok()?;
                let drop = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
                sqlx::query(&drop).execute(&mut admin).await.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// A new, empty database with a unique name under `TEST_DB_PREFIX` (default `test_`), so
/// a CI run can find and drop what it made, and only that.
pub async fn fresh_database() -> TestDb {
    let prefix = std::env::var("TEST_DB_PREFIX").unwrap_or_else(|_| "test_".into());
    let name = format!("{prefix}{}", uuid_like());
    let mut admin = PgConnection::connect(&format!("{}/postgres", pg_base()))
        .await
        .expect("PostgreSQL runs");
    sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
        .execute(&mut admin)
        .await
        .unwrap();
    TestDb {
        url: format!("{}/{name}", pg_base()),
        name,
    }
}

pub fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..16)
        .map(|_| format!("{:x}", rng.random_range(0..16)))
        .collect()
}
