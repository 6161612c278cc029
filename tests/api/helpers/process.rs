//! The real binary as a child process: its environment, a log file, SIGTERM.
use std::{net::TcpListener, time::Duration};

use super::{GIGS_KEY, PROJECT, SECRET, TOKEN, TestApp, uuid_like};

/// The real binary, configured for this app's database, fake Gigs and SMTP sink.
pub fn courier(app: &TestApp, args: &[&str], log: &std::path::Path) -> tokio::process::Command {
    let file = std::fs::File::create(log).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_esim-courier"));
    cmd.args(args)
        .env_clear()
        .env("DATABASE_URL", &app.db_url)
        .env("GIGS_API_URL", app.gigs.uri())
        .env("GIGS_PROJECT", PROJECT)
        .env("GIGS_API_KEY", GIGS_KEY)
        .env("GIGS_WEBHOOK_SECRETS", SECRET)
        .env("STATUS_API_TOKENS", TOKEN)
        .env("SMTP_URL", format!("smtp://127.0.0.1:{}", app.smtp.port))
        .env("EMAIL_FROM", "Acme Mobile <esim@acme.example>")
        .env("RUST_LOG", "debug")
        // Logs go to a file: a pipe nobody reads fills up and stalls the process.
        .stdout(std::process::Stdio::from(file.try_clone().unwrap()))
        .stderr(std::process::Stdio::from(file))
        .kill_on_drop(true);
    cmd
}

/// A free port on loopback, for a process that binds it itself.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("esim-courier-{name}-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sends SIGTERM and waits for a clean exit; returns the process's log.
pub async fn terminate(mut child: tokio::process::Child, log: &std::path::Path) -> String {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(40), child.wait())
        .await
        .expect("the process stops on SIGTERM")
        .unwrap();
    let log = std::fs::read_to_string(log).unwrap();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    log
}
