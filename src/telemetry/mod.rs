//! Logging (JSON or pretty lines on stdout, level from `RUST_LOG`) and metrics.
mod desk;
mod lifecycle;
mod metrics;
mod operations;
mod queue;
mod request_span;

pub use desk::DeskMetrics;
pub use lifecycle::LifecycleMetrics;
pub use metrics::{CallOutcome, Metrics, WebhookOutcome};
pub use operations::OperationsMetrics;
pub use request_span::RedactedRootSpan;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    init_with_default(format, "info");
}

/// Like `init`, with another level when `RUST_LOG` is unset (the demo keeps quiet).
pub fn init_with_default(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests, repeated commands) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
    log_panics();
}

/// A panic becomes one log line in the configured format, not plain text in a JSON
/// stream. The message is kept short: it is ours, but may quote what it choked on.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let message: String = message.chars().take(200).collect();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(panic.message = %message, panic.location = %location, "panic");
    }));
}

pub use crate::domain::mask_email;
