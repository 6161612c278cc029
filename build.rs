//! Rebuilds when a migration changes: `sqlx::migrate!` embeds them, and stable Rust
//! cannot tell it to watch the folder (sqlx's own `migrate build-script` advice).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
