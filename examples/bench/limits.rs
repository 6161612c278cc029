//! This machine's limits: durable one-row inserts (pgbench), and how fast the SMTP sink
//! accepts the service's message from a bare client.
use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use esim_courier::{
    config::{EmailSettings, SmtpUrl},
    domain::LpaActivationCode,
    email::{EmailComposer, Recipient},
    gigs::SimCredentials,
};
use secrecy::SecretString;
use sqlx::{Connection, PgConnection};
use tokio::task::JoinSet;

use crate::common::{self, db, smtp::SmtpSink};

const PGBENCH_DB: &str = "esim_courier_pgbench";

pub async fn pgbench(dir: &Path) -> anyhow::Result<f64> {
    db::recreate(PGBENCH_DB).await?;
    let mut db = PgConnection::connect(&format!("{}/{PGBENCH_DB}", common::PG_BASE)).await?;
    sqlx::query("CREATE TABLE events (id bigserial PRIMARY KEY, payload jsonb NOT NULL)")
        .execute(&mut db)
        .await?;
    let payload = format!(r#"{{"object":"event","pad":"{}"}}"#, "x".repeat(1000));
    let script = dir.join("pgbench-insert.sql");
    std::fs::write(
        &script,
        format!("INSERT INTO events (payload) VALUES ('{payload}');\n"),
    )?;
    let out = tokio::process::Command::new("pgbench")
        .args([
            "-n",
            "-c",
            "64",
            "-j",
            "2",
            "-T",
            "10",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-f",
        ])
        .arg(&script)
        .arg(PGBENCH_DB)
        .env("PGOPTIONS", "-c synchronous_commit=on")
        .output()
        .await
        .context("pgbench runs (Debian: postgresql-contrib)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .with_context(|| {
            format!(
                "no tps in pgbench output: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    Ok(tps)
}

/// The email the service sends, composed by its own code with sample credentials.
pub fn sample_message() -> anyhow::Result<lettre::Message> {
    let sample = Sample::new()?;
    sample.compose(&EmailComposer::new(&sample.settings)?)
}

/// How fast this machine composes that email (the templates, the QR code, the MIME
/// message as it goes on the wire) with every core at it: the pipeline's other limit.
pub fn compose_limit(duration: Duration) -> anyhow::Result<f64> {
    let sample = Sample::new()?;
    let composer = EmailComposer::new(&sample.settings)?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let deadline = started + duration;
    let composed = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<u64> {
                    let mut n = 0;
                    while Instant::now() < deadline {
                        std::hint::black_box(sample.compose(&composer)?.formatted());
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("compose thread"))
            .sum::<anyhow::Result<u64>>()
    })?;
    Ok(composed as f64 / started.elapsed().as_secs_f64())
}

struct Sample {
    settings: EmailSettings,
    creds: SimCredentials,
    lpa: LpaActivationCode,
}

impl Sample {
    const CODE: &str = "LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";

    fn new() -> anyhow::Result<Self> {
        let settings = EmailSettings {
            smtp_url: SmtpUrl::parse("smtp://127.0.0.1:25").unwrap(),
            from: "Bench Mobile <esim@bench.example>".parse()?,
            reply_to: None,
            brand_name: "Your mobile provider".into(),
            support_url: None,
            public_base_url: None,
            templates_dir: None,
            install_link_ttl: Duration::from_secs(86_400),
            install_link_key: SecretString::from("link-key-for-tests"),
            smtp_max_per_second: None,
        };
        let url = |host: &str| {
            Some(SecretString::from(format!(
                "https://{host}/esim_qrcode_provisioning?carddata={}",
                Self::CODE
            )))
        };
        let creds = SimCredentials {
            activation_code: Some(SecretString::from(Self::CODE.to_owned())),
            android_install_url: url("esimsetup.android.com"),
            ios_install_url: url("esimsetup.apple.com"),
        };
        let lpa = LpaActivationCode::parse(Self::CODE)?;
        Ok(Self {
            settings,
            creds,
            lpa,
        })
    }

    fn compose(&self, composer: &EmailComposer) -> anyhow::Result<lettre::Message> {
        let recipient = Recipient {
            mailbox: "Jerry Seinfeld <jerry@example.com>".parse()?,
            name: Some("Jerry Seinfeld"),
            preferred_locale: Some("en-US"),
        };
        let composed = composer.compose(
            "dlv_bench",
            &recipient,
            &self.lpa,
            &self.creds,
            None,
            esim_courier::domain::DeliveryKind::Activation,
        )?;
        Ok(composed.message)
    }
}

/// 16 connections (the worker's default concurrency) of a bare SMTP client, with
/// TCP_NODELAY, sending the service's message as fast as the sink takes it.
pub async fn sink_limit(
    sink: &SmtpSink,
    message: &lettre::Message,
    duration: Duration,
) -> anyhow::Result<f64> {
    let data = Arc::new(dot_stuffed(&message.formatted()));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..16 {
        let (data, port) = (data.clone(), sink.port);
        tasks.spawn(async move { bare_client(port, &data, deadline).await });
    }
    let mut sent = 0;
    while let Some(joined) = tasks.join_next().await {
        sent += joined??;
    }
    Ok(sent as f64 / started.elapsed().as_secs_f64())
}

fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    for line in message.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b"\r\n.\r\n");
    out
}

async fn bare_client(port: u16, data: &[u8], deadline: Instant) -> anyhow::Result<u64> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    // Reads one reply, multi-line ones included, and checks its class.
    async fn reply(
        read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
        line: &mut String,
        class: u8,
    ) -> anyhow::Result<()> {
        loop {
            line.clear();
            read.read_line(line).await?;
            anyhow::ensure!(
                line.as_bytes().first() == Some(&class),
                "unexpected reply {line:?}"
            );
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }
    reply(&mut read, &mut line, b'2').await?;
    write.write_all(b"EHLO bench\r\n").await?;
    reply(&mut read, &mut line, b'2').await?;
    let mut sent = 0;
    while Instant::now() < deadline {
        write
            .write_all(b"MAIL FROM:<esim@bench.example>\r\n")
            .await?;
        reply(&mut read, &mut line, b'2').await?;
        write.write_all(b"RCPT TO:<jerry@example.com>\r\n").await?;
        reply(&mut read, &mut line, b'2').await?;
        write.write_all(b"DATA\r\n").await?;
        reply(&mut read, &mut line, b'3').await?;
        write.write_all(data).await?;
        reply(&mut read, &mut line, b'2').await?;
        sent += 1;
    }
    write.write_all(b"QUIT\r\n").await?;
    Ok(sent)
}
