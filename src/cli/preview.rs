//! `preview`: the email as `.eml`, `.html` and `.txt` with sample data, nothing else needed.
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use secrecy::SecretString;

use crate::{
    config::{ConfigError, EmailSettings, Env},
    domain::{DeliveryKind, LpaActivationCode},
    email::{
        EmailComposer, Recipient, SAMPLE_ANDROID, SAMPLE_IOS, SAMPLE_LPA, SUPPORTED_LOCALES, qr_png,
    },
    gigs::SimCredentials,
};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    Activation,
    Reminder,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One language; every one when left out.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(SUPPORTED_LOCALES))]
    locale: Option<String>,
    /// One kind of email; both when left out.
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// Where to write `email-{locale}-{kind}.{eml,html,txt}`.
    #[arg(long, default_value = "email-preview")]
    out: PathBuf,
}

/// A sample install-link token: the shape of a real one, installing nothing.
const SAMPLE_TOKEN: &str = "Xq3bT9wLr2mPz8KdVh4sNc7YfJ1gAeU6";

pub enum Failure {
    Config(ConfigError),
    Run(anyhow::Error),
}

/// The settings `preview` reads: those of the email. `SMTP_URL` and `EMAIL_FROM` get
/// sample values when unset, since nothing is sent.
fn settings() -> Result<EmailSettings, ConfigError> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    for (var, sample) in [
        ("SMTP_URL", "file:///tmp"),
        ("EMAIL_FROM", "Acme Mobile <esim@acme.example>"),
    ] {
        if !vars.iter().any(|(k, v)| k == var && !v.trim().is_empty()) {
            vars.push((var.to_owned(), sample.to_owned()));
        }
    }
    EmailSettings::from_env(&Env::from_pairs(
        vars.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}

pub fn run(args: Args) -> Result<(), Failure> {
    let locales: Vec<&'static str> = SUPPORTED_LOCALES
        .into_iter()
        .filter(|l| args.locale.as_deref().is_none_or(|wanted| wanted == *l))
        .collect();
    let kinds = match args.kind {
        None => vec![DeliveryKind::Activation, DeliveryKind::Reminder],
        Some(Kind::Activation) => vec![DeliveryKind::Activation],
        Some(Kind::Reminder) => vec![DeliveryKind::Reminder],
    };
    let settings = settings().map_err(Failure::Config)?;
    super::check_templates(&settings).map_err(Failure::Config)?;
    write_all(&settings, &locales, &kinds, &args.out).map_err(Failure::Run)
}

fn write_all(
    settings: &EmailSettings,
    locales: &[&'static str],
    kinds: &[DeliveryKind],
    out: &Path,
) -> anyhow::Result<()> {
    let composer = EmailComposer::new(settings)?;
    let lpa = LpaActivationCode::parse(SAMPLE_LPA)?;
    let creds = SimCredentials {
        activation_code: Some(SecretString::from(SAMPLE_LPA)),
        ios_install_url: Some(SecretString::from(SAMPLE_IOS)),
        android_install_url: Some(SecretString::from(SAMPLE_ANDROID)),
    };
    let link = settings.public_base_url.as_ref().map(|base| {
        format!(
            "{}/install/{SAMPLE_TOKEN}",
            base.as_str().trim_end_matches('/')
        )
    });
    // A browser cannot resolve `cid:`; the .html file carries the QR code inline.
    let qr = format!("data:image/png;base64,{}", B64.encode(qr_png(SAMPLE_LPA)?));
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for &locale in locales {
        let to = Recipient {
            mailbox: "Jerry Seinfeld <jerry@example.com>".parse()?,
            name: Some("Jerry Seinfeld"),
            preferred_locale: Some(locale),
        };
        for &kind in kinds {
            let id = format!("dlv_preview{locale}{kind}");
            let composed = composer.compose(&id, &to, &lpa, &creds, link.as_deref(), kind)?;
            let rendered = composer.render(&to, &lpa, &creds, link.as_deref(), kind)?;
            let base = out.join(format!("email-{locale}-{kind}"));
            let write = |ext: &str, bytes: &[u8]| {
                let path = base.with_extension(ext);
                std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("{}", path.display());
                anyhow::Ok(())
            };
            write("eml", &composed.message.formatted())?;
            let html = rendered.html.replace("cid:esim-qr@esim-courier", &qr);
            write("html", html.as_bytes())?;
            write("txt", rendered.text.as_bytes())?;
        }
    }
    Ok(())
}
