//! Captures every log line the app writes during the tests, to check for leaked secrets.
use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
};

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

static CAPTURE: OnceLock<Capture> = OnceLock::new();

/// Installs one subscriber for the whole test binary, at the most verbose level.
pub fn init() {
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(EnvFilter::new(
                "trace,h2=debug,hyper_util=debug,rustls=debug",
            ))
            .with_writer(capture.clone())
            .init();
        capture
    });
}

pub fn captured() -> String {
    let capture = CAPTURE.get().expect("logs::init ran");
    String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned()
}
