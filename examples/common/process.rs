//! Starting and stopping (or killing) the service under test, and reading its memory.
use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::process::{Child, Command};

pub struct Service {
    pub child: Child,
    pub port: u16,
}

pub struct Env<'a> {
    pub database_url: &'a str,
    pub gigs_url: &'a str,
    pub smtp_port: u16,
    /// More variables for the service, e.g. a setting a fault run needs.
    pub extra: &'a [(String, String)],
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn start(
    binary: &Path,
    args: &[&str],
    env: &Env<'_>,
    log: &Path,
) -> anyhow::Result<Service> {
    start_at(binary, args, env, log, free_port()).await
}

/// As `start`, on a given loopback port (a restart where the old process listened).
pub async fn start_at(
    binary: &Path,
    args: &[&str],
    env: &Env<'_>,
    log: &Path,
    port: u16,
) -> anyhow::Result<Service> {
    let file = std::fs::File::create(log)?;
    let child = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", env.database_url)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("GIGS_API_URL", env.gigs_url)
        .env("GIGS_PROJECT", super::PROJECT)
        .env("GIGS_API_KEY", "bench")
        .env("GIGS_WEBHOOK_SECRETS", super::SECRET)
        .env("STATUS_API_TOKENS", super::STATUS_TOKEN)
        .env("SMTP_URL", format!("smtp://127.0.0.1:{}", env.smtp_port))
        .env("EMAIL_FROM", "Bench Mobile <esim@bench.example>")
        .env("RUST_LOG", "warn")
        .envs(env.extra.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::from(file.try_clone()?))
        .stderr(Stdio::from(file))
        .kill_on_drop(true)
        .spawn()?;
    Ok(Service { child, port })
}

impl Service {
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn wait_ready(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = esim_courier::tls::client_builder().build()?;
        while Instant::now() < deadline {
            let ready = client.get(format!("{}/readyz", self.base())).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the service did not get ready")
    }

    /// (current, peak) resident memory in MiB, from /proc.
    pub fn rss_mb(&self) -> (f64, f64) {
        let pid = self.child.id().unwrap_or(0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// SIGKILL: no shutdown, no lease handed back, as a crash or an OOM kill.
    pub async fn kill9(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()?;
        }
        tokio::time::timeout(Duration::from_secs(40), self.child.wait()).await??;
        Ok(())
    }
}
