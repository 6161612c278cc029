//! `preview`: every email as `.eml`, `.html` and `.txt`, and the install pages as
//! `.html`, with sample data; nothing else needed.
use std::path::{Path, PathBuf};

use anyhow::Context;
use secrecy::SecretString;

use crate::{
    config::{ConfigError, EmailSettings, Env},
    domain::{DeliveryKind, LpaActivationCode},
    email::{
        EmailComposer, InstallDetails, Page, PageContext, Recipient, SAMPLE_ANDROID, SAMPLE_IOS,
        SAMPLE_LPA, SUPPORTED_LOCALES,
    },
    gigs::SimCredentials,
    install::qr_data_uri,
};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    Activation,
    Reminder,
    Resend,
    Notice,
}

impl From<Kind> for DeliveryKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Activation => Self::Activation,
            Kind::Reminder => Self::Reminder,
            Kind::Resend => Self::Resend,
            Kind::Notice => Self::Notice,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One language; every one when left out.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(SUPPORTED_LOCALES))]
    locale: Option<String>,
    /// One kind of email; every one when left out.
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// Where to write `email-{locale}-{kind}.{eml,html,txt}` and the install pages,
    /// `page-{locale}-{install,installed,missing}.html`.
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
        None => DeliveryKind::ALL.to_vec(),
        Some(kind) => vec![kind.into()],
    };
    let settings = settings().map_err(Failure::Config)?;
    super::check_templates(&settings).map_err(Failure::Config)?;
    write_all(&settings, &locales, &kinds, &args.out).map_err(Failure::Run)
}

/// Writes one file and prints its path.
fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    println!("{}", path.display());
    Ok(())
}

fn write_all(
    settings: &EmailSettings,
    locales: &[&'static str],
    kinds: &[DeliveryKind],
    out: &Path,
) -> anyhow::Result<()> {
    let composer = EmailComposer::new(settings)?;
    // A browser cannot resolve `cid:`; the .html files carry the QR code inline.
    let qr = qr_data_uri(SAMPLE_LPA)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for &locale in locales {
        let to = Recipient {
            mailbox: "Jerry Seinfeld <jerry@example.com>".parse()?,
            name: Some("Jerry Seinfeld"),
            preferred_locale: Some(locale),
        };
        for &kind in kinds {
            write_email(&composer, settings, &to, kind, &qr, out)?;
        }
        write_pages(&composer, settings, locale, &qr, out)?;
    }
    Ok(())
}

fn write_email(
    composer: &EmailComposer,
    settings: &EmailSettings,
    to: &Recipient<'_>,
    kind: DeliveryKind,
    qr: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let locale = to.preferred_locale.unwrap_or("en");
    let id = format!("dlv_preview{locale}{kind}");
    let (composed, rendered) = if kind == DeliveryKind::Notice {
        (
            composer.compose_notice(&id, to)?,
            composer.render_notice(to)?,
        )
    } else {
        let lpa = LpaActivationCode::parse(SAMPLE_LPA)?;
        let creds = SimCredentials {
            activation_code: Some(SecretString::from(SAMPLE_LPA)),
            ios_install_url: Some(SecretString::from(SAMPLE_IOS)),
            android_install_url: Some(SecretString::from(SAMPLE_ANDROID)),
        };
        let link = settings.public_base_url.as_ref().map(|base| {
            let base = base.as_str().trim_end_matches('/');
            format!("{base}/install/{SAMPLE_TOKEN}")
        });
        let link = link.as_deref();
        (
            composer.compose(&id, to, &lpa, &creds, link, kind)?,
            composer.render(to, &lpa, &creds, link, kind)?,
        )
    };
    let base = out.join(format!("email-{locale}-{kind}"));
    write(&base.with_extension("eml"), &composed.message.formatted())?;
    let html = rendered.html.replace("cid:esim-qr@esim-courier", qr);
    write(&base.with_extension("html"), html.as_bytes())?;
    write(&base.with_extension("txt"), rendered.text.as_bytes())
}

/// The pages the install link leads to, as a computer sees them.
fn write_pages(
    composer: &EmailComposer,
    settings: &EmailSettings,
    locale: &str,
    qr: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let lpa = LpaActivationCode::parse(SAMPLE_LPA)?;
    let install = || {
        Page::Install(InstallDetails {
            qr_data_uri: qr,
            lpa: lpa.expose(),
            smdp: lpa.smdp_address(),
            matching_id: lpa.matching_id(),
            ios_url: Some(SAMPLE_IOS),
            android_url: Some(SAMPLE_ANDROID),
        })
    };
    for (name, page) in [
        ("install", install()),
        ("installed", Page::Installed),
        ("missing", Page::Missing),
    ] {
        let html = composer.templates().render_page(&PageContext {
            locale,
            brand: settings.brand(),
            support_url: settings.support_url.as_ref().map(|u| u.as_str()),
            page,
        })?;
        write(
            &out.join(format!("page-{locale}-{name}.html")),
            html.as_bytes(),
        )?;
    }
    Ok(())
}
