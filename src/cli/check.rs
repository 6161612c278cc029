//! `check`: every setting parsed, then PostgreSQL, the SMTP server, the Gigs API key and
//! the public URL tried as `serve` would use them; one line each, changing nothing.
use std::{path::Path, process::ExitCode, sync::Arc, time::Duration};

use lettre::{
    AsyncSmtpTransport, Tokio1Executor,
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
        extension::ClientId,
    },
};
use secrecy::ExposeSecret;

use crate::{
    config::{
        DatabaseSettings, EmailSettings, Env, GigsSettings, Settings, SmtpServer, SmtpTls, SmtpUrl,
    },
    domain::random_base62,
    gigs::{GigsClient, GigsError},
    store,
    telemetry::Metrics,
};

/// The mail server must greet (and log in) within this.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The lines printed so far; any `FAIL` makes the exit code 2.
#[derive(Default)]
struct Report {
    failed: bool,
}

impl Report {
    fn line(&mut self, status: &str, subject: &str, detail: impl std::fmt::Display) {
        self.failed |= status == "FAIL";
        println!("{status:<5} {subject}: {detail}");
    }

    fn result(&mut self, subject: &str, result: Result<String, String>) {
        match result {
            Ok(detail) => self.line("ok", subject, detail),
            Err(detail) => self.line("FAIL", subject, detail),
        }
    }
}

/// Exit 0 when everything passed (warnings allowed), 2 on any failure.
pub async fn run(env: &Env) -> ExitCode {
    let mut report = Report::default();
    settings(&mut report, env);
    let skipped = |report: &mut Report, what: &str| {
        report.line(
            "skip",
            what,
            "not tried: its settings have problems (above)",
        );
    };
    match DatabaseSettings::read(env) {
        Ok(db) => report.result("DATABASE_URL", database(&db).await),
        Err(_) => skipped(&mut report, "DATABASE_URL"),
    }
    match EmailSettings::read(env) {
        Ok(email) => {
            report.result("SMTP_URL", smtp(&email.smtp_url).await);
            public_url(&mut report, &email);
        }
        Err(_) => skipped(&mut report, "SMTP_URL"),
    }
    match GigsSettings::read(env) {
        Ok(gigs) => gigs_api(&mut report, &gigs).await,
        Err(_) => skipped(&mut report, "GIGS_API_KEY"),
    }
    if report.failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Every variable, and the templates of `TEMPLATES_DIR` rendered once.
fn settings(report: &mut Report, env: &Env) {
    match super::with_log_format(env, Settings::from_env(env)) {
        Ok((settings, _)) => match super::check_templates(&settings.email) {
            Ok(()) => report.line("ok", "settings", "every variable parsed"),
            Err(e) => report.line("FAIL", e.var, e.problem),
        },
        Err(errors) => {
            for e in errors {
                report.line("FAIL", e.var, e.problem);
            }
        }
    }
}

async fn database(db: &DatabaseSettings) -> Result<String, String> {
    let shown = url::Url::parse(db.url.expose_secret())
        .map(|u| {
            let host = u.host_str().unwrap_or_default().to_owned();
            let port = u.port().unwrap_or(5432);
            (
                format!("{host}:{port}"),
                u.path().trim_start_matches('/').to_owned(),
            )
        })
        .unwrap_or_default();
    let (server, name) = shown;
    match store::database_exists(db).await {
        Ok(true) => Ok(format!(
            "PostgreSQL at {server} answered; database {name} exists"
        )),
        Ok(false) => Ok(format!(
            "PostgreSQL at {server} answered; database {name} does not exist yet (serve and \
             migrate create it)"
        )),
        Err(e) => Err(format!("{e:#}")),
    }
}

async fn smtp(url: &SmtpUrl) -> Result<String, String> {
    match url {
        SmtpUrl::File(dir) => writable(dir),
        SmtpUrl::Server(server) => greet(server).await,
    }
}

/// `file://`: the folder exists (or can be made) and takes a file.
fn writable(dir: &Path) -> Result<String, String> {
    let probe = dir.join(format!(".esim-courier-check-{}", random_base62(8)));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"check"))
        .and_then(|()| std::fs::remove_file(&probe))
        .map(|()| format!("{} is writable", dir.display()))
        .map_err(|e| format!("cannot write .eml files in {}: {e}", dir.display()))
}

/// EHLO (after TLS or STARTTLS as configured), and AUTH when credentials are set.
async fn greet(server: &SmtpServer) -> Result<String, String> {
    let transport = transport(server).map_err(|e| format!("{e}"))?;
    let at = format!("{}:{}", server.host, server.port);
    let login = if server.credentials.is_some() {
        " and accepted the login"
    } else {
        ""
    };
    match tokio::time::timeout(SMTP_TIMEOUT, transport.test_connection()).await {
        Ok(Ok(true)) => Ok(format!("the mail server at {at} answered EHLO{login}")),
        Ok(Ok(false)) => Err(format!("the mail server at {at} closed the connection")),
        Ok(Err(e)) => Err(format!("the mail server at {at} failed: {e}")),
        Err(_) => Err(format!(
            "the mail server at {at} did not answer within {} s",
            SMTP_TIMEOUT.as_secs()
        )),
    }
}

fn transport(server: &SmtpServer) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let params = || TlsParameters::new(server.host.clone());
    let tls = match server.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::StartTls { required: true } => Tls::Required(params()?),
        SmtpTls::StartTls { required: false } => Tls::Opportunistic(params()?),
        SmtpTls::Implicit => Tls::Wrapper(params()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
        .port(server.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    if let Some((user, password)) = &server.credentials {
        let password = password.expose_secret().to_owned();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    if let Some(hello) = &server.hello {
        builder = builder.hello_name(ClientId::Domain(hello.clone()));
    }
    Ok(builder.build())
}

/// One cheap authenticated GET: a page of one subscription of the project.
async fn gigs_api(report: &mut Report, gigs: &GigsSettings) {
    let client = match GigsClient::new(gigs, Arc::new(Metrics::new())) {
        Ok(client) => client,
        Err(e) => return report.line("FAIL", "GIGS_API_URL", e),
    };
    let project = &gigs.project;
    match client.subscriptions_page(None, 1).await {
        Ok(_) => report.line(
            "ok",
            "GIGS_API_KEY",
            format!(
                "Gigs at {} lists project {project}'s subscriptions",
                gigs.api_url
            ),
        ),
        Err(GigsError::Permanent {
            status: status @ (401 | 403),
            ..
        }) => report.line(
            "FAIL",
            "GIGS_API_KEY",
            format!("Gigs refused the key for project {project} (HTTP {status})"),
        ),
        Err(GigsError::Permanent { status: 404, .. }) => report.line(
            "FAIL",
            "GIGS_PROJECT",
            format!("Gigs knows no project {project} (HTTP 404)"),
        ),
        Err(e) => report.line("FAIL", "GIGS_API_URL", format!("at {}: {e}", gigs.api_url)),
    }
}

/// Install links go out in emails: over plain http, anyone on the path reads them.
fn public_url(report: &mut Report, email: &EmailSettings) {
    let Some(url) = &email.public_base_url else {
        return report.line(
            "ok",
            "PUBLIC_BASE_URL",
            "unset: emails carry no /install link",
        );
    };
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match (url.scheme(), local) {
        ("https", _) => report.line("ok", "PUBLIC_BASE_URL", format!("{url} is https")),
        (_, true) => report.line("ok", "PUBLIC_BASE_URL", format!("{url} is local")),
        _ => report.line(
            "warn",
            "PUBLIC_BASE_URL",
            format!("{url} is plain http: install links would travel unencrypted; use https"),
        ),
    }
}
