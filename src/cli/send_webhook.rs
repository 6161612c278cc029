//! `send-webhook`: signs a JSON file as Gigs would and POSTs it, to test an endpoint.
use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context;

use super::Failure;
use crate::{config::ConfigError, domain::random_base62, webhooks};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The endpoint, e.g. https://esim.example.com/webhooks/gigs
    #[arg(long)]
    url: String,
    /// The signing secret (`whsec_…`); the environment keeps it out of `ps`.
    #[arg(long, env = "SEND_WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
    /// The `webhook-id`; random by default, so repeats are new messages.
    #[arg(long)]
    id: Option<String>,
    /// The JSON event to send, as Gigs would send it; `-` reads it from stdin.
    file: PathBuf,
}

/// Exits 0 on a 2xx answer, 1 otherwise; 2 for a bad `--secret`, as for any setting.
pub(super) async fn run(args: Args) -> Result<ExitCode, Failure> {
    let secret = webhooks::WebhookSecret::parse(&args.secret).map_err(|e| ConfigError {
        var: "--secret",
        problem: format!("is not a signing secret: {e}"),
    })?;
    Ok(post(args, &secret).await?)
}

async fn post(args: Args, secret: &webhooks::WebhookSecret) -> anyhow::Result<ExitCode> {
    let body = if args.file.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
            .context("cannot read stdin")?;
        body
    } else {
        std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let id = args
        .id
        .unwrap_or_else(|| format!("msg_{}", random_base62(24)));
    let client = crate::tls::client_builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let response = webhooks::signed_post(&client, &args.url, secret, &id, body)
        .send()
        .await
        .with_context(|| format!("cannot reach {}", args.url))?;
    let status = response.status();
    println!("HTTP {}", status.as_u16());
    println!("{}", response.text().await.unwrap_or_default());
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
