//! What the example harnesses (`bench`, `faults`) share: the service's process, signed
//! webhook load, the SMTP sink and the PostgreSQL server, all on loopback.
pub mod db;
pub mod load;
pub mod process;
#[path = "../../tests/api/smtp.rs"]
pub mod smtp;

/// The status API token the services are started with (too short a token is refused).
pub const STATUS_TOKEN: &str = "bench-status-token";
/// The local PostgreSQL server (trust auth); the harnesses make their own databases there.
pub const PG_BASE: &str = "postgres://postgres@127.0.0.1:5432";
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const PROJECT: &str = "demo-project";

/// The `Message-ID` is `<dlv_…@domain>`: the delivery id, found without a MIME parser.
pub fn message_delivery_id(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(&data[..data.len().min(4096)]).ok()?;
    let start = text.find("Message-ID: <")? + "Message-ID: <".len();
    let end = text[start..].find('@')?;
    Some(text[start..start + end].to_owned())
}
