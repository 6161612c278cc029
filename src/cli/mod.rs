//! The command line: `serve` (default), `worker`, `migrate`, `reconcile`, `check`,
//! `healthcheck`, `send-webhook`, `demo`, `sandbox`, `preview`.
mod check;
mod preview;
mod send_webhook;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::{
    config::{
        self, ConfigError, ConfigErrors, CoreSettings, DatabaseSettings, EmailSettings, Env,
        GigsSettings, LogFormat, Settings,
    },
    demo, lifecycle,
    startup::{self, Application, RunOptions},
    store, telemetry,
};

#[derive(Debug, Parser)]
#[command(
    name = "esim-courier",
    version,
    about = "Emails Gigs eSIM credentials to subscribers"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve HTTP (webhooks, status API) and run the delivery worker. The default.
    Serve {
        /// Serve HTTP only; run `worker` processes to send.
        #[arg(long)]
        no_worker: bool,
    },
    /// Run only the delivery worker, to scale sending out on the same database.
    Worker,
    /// Create the database if missing, apply migrations, and exit.
    Migrate,
    /// Check the setup without changing it: every setting, PostgreSQL, the SMTP server
    /// (EHLO, and AUTH when configured), the Gigs API key and project, PUBLIC_BASE_URL's
    /// scheme. One line each; exit 0 when all pass, 2 on any failure.
    Check,
    /// Look for eSIM subscriptions created recently whose SIM has no delivery (a missed
    /// webhook) and queue their email; prints how many it checked and created.
    Reconcile {
        /// How far back to look: 48h, 90m, 2d.
        #[arg(long, default_value = "48h")]
        since: String,
    },
    /// Exit 0 when /readyz answers 200; for container health checks.
    Healthcheck {
        /// Base URL of the server; defaults to LISTEN_ADDR's port on 127.0.0.1.
        #[arg(long)]
        url: Option<String>,
    },
    /// Sign a JSON file as Gigs would and POST it; prints the answer. For testing a
    /// deployed endpoint.
    SendWebhook(send_webhook::Args),
    /// Run one whole delivery on this machine with no Gigs account: a built-in sandbox
    /// stands in for the Gigs API, and mail goes to SMTP_URL or to .eml files.
    Demo {
        /// Where to write .eml files when SMTP_URL is unset.
        #[arg(long, default_value = "demo-mail")]
        mail_dir: PathBuf,
        /// The demo's database, kept at the end; by default a new `esim_courier_demo_…` on
        /// DATABASE_URL's server, dropped at the end (never DATABASE_URL's own database, nor
        /// another run's: the demo's worker would claim their work).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Serve the demo's stand-in for the Gigs API, for a local stack without a Gigs
    /// account (docker compose's `sandbox` service).
    Sandbox {
        /// Where to listen.
        #[arg(long, default_value = "0.0.0.0:8081")]
        listen: String,
        /// The email address of the sandbox's one user: where the email goes.
        #[arg(long, default_value = "jerry@example.com")]
        email: String,
    },
    /// Write the email as .eml, .html and .txt with sample data (brand settings and
    /// TEMPLATES_DIR from the environment); no database, Gigs or mail server needed.
    Preview(preview::Args),
}

/// Exit codes: 0 done, 1 failed while running, 2 bad configuration.
pub fn main() -> ExitCode {
    let matches = with_variables(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let env = Env::from_process();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    match runtime.block_on(run(
        cli.command.unwrap_or(Command::Serve { no_worker: false }),
        &env,
    )) {
        Ok(code) => code,
        Err(Failure::Config(errors)) => {
            // One line per problem: a newcomer fixes them all in one go.
            eprintln!("{errors}");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            // One line, each cause once, no backtrace: what an operator needs to act.
            eprintln!("error: {}", causes(&e));
            ExitCode::FAILURE
        }
    }
}

/// Loads `TEMPLATES_DIR`'s overrides and renders every email and page with them, so a
/// broken file stops the start (exit 2, naming it) rather than a delivery.
fn check_templates(email: &EmailSettings) -> Result<(), ConfigError> {
    let Some(dir) = &email.templates_dir else {
        return Ok(());
    };
    let problem = |e: crate::email::TemplateError| ConfigError {
        var: "TEMPLATES_DIR",
        problem: format!("file {e}"),
    };
    let templates = crate::email::Templates::load(Some(dir)).map_err(problem)?;
    crate::install::check_pages(templates).map_err(problem)
}

/// The settings and `LOG_FORMAT`, with the problems of both.
fn with_log_format<S>(
    env: &Env,
    settings: Result<S, ConfigErrors>,
) -> Result<(S, LogFormat), ConfigErrors> {
    match (settings, LogFormat::from_env(env)) {
        (Ok(settings), Ok(format)) => Ok((settings, format)),
        (settings, format) => {
            let mut errors = settings.err().unwrap_or_default();
            errors.extend(format.err().map(ConfigErrors::from).unwrap_or_default());
            Err(errors)
        }
    }
}

/// The chain of causes, skipping one its parent already quotes (sqlx and std errors
/// often include their source in their own message).
fn causes(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

enum Failure {
    Config(ConfigErrors),
    Run(anyhow::Error),
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Self::Config(e.into())
    }
}

impl From<ConfigErrors> for Failure {
    fn from(e: ConfigErrors) -> Self {
        Self::Config(e)
    }
}

/// `serve`, `worker` and `check` list the variables they read after their `--help`.
fn with_variables(cli: clap::Command) -> clap::Command {
    [
        ("serve", config::Command::Serve),
        ("worker", config::Command::Worker),
        ("check", config::Command::Check),
    ]
    .into_iter()
    .fold(cli, |cli, (name, command)| {
        cli.mut_subcommand(name, |c| c.after_help(config::help(command)))
    })
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self::Run(e)
    }
}

async fn run(command: Command, env: &Env) -> Result<ExitCode, Failure> {
    match command {
        Command::Serve { no_worker } => serve(env, no_worker).await?,
        Command::Worker => run_worker(env).await?,
        Command::Reconcile { since } => reconcile(env, &since).await?,
        Command::Check => return Ok(check::run(env).await),
        Command::Migrate => {
            let database = DatabaseSettings::read(env)?;
            telemetry::init(LogFormat::from_env(env)?);
            store::create_and_migrate(&database).await?;
            println!("migrations applied");
        }
        Command::Healthcheck { url } => {
            let base = url.unwrap_or_else(|| {
                let listen = env.value("LISTEN_ADDR").unwrap_or("0.0.0.0:8080");
                let port = listen.rsplit(':').next().unwrap_or("8080");
                format!("http://127.0.0.1:{port}")
            });
            return Ok(healthcheck(&base).await);
        }
        Command::SendWebhook(args) => return send_webhook::run(args).await,
        Command::Sandbox { listen, email } => {
            telemetry::init(LogFormat::from_env(env)?);
            demo::sandbox::serve(&listen, email).await?;
        }
        Command::Preview(args) => match preview::run(args) {
            Ok(()) => {}
            Err(preview::Failure::Config(e)) => return Err(e.into()),
            Err(preview::Failure::Run(e)) => return Err(e.into()),
        },
        Command::Demo {
            mail_dir,
            database_url,
        } => {
            let format = match env.value("LOG_FORMAT") {
                Some(_) => LogFormat::from_env(env)?,
                None => LogFormat::Pretty,
            };
            // Dropping the demo's database takes a checkpoint (~2 s): not worth sqlx's
            // slow-statement warning.
            telemetry::init_with_default(format, "warn,sqlx::query=error");
            let delivered = demo::run(env, &mail_dir, database_url.as_deref()).await?;
            if !delivered {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(env: &Env, no_worker: bool) -> Result<(), Failure> {
    let (settings, format) = with_log_format(env, Settings::from_env(env))?;
    check_templates(&settings.email)?;
    telemetry::init(format);
    let email_warnings = crate::email::warnings(&settings.email);
    for warning in settings.http.warnings().into_iter().chain(email_warnings) {
        tracing::warn!("{warning}");
    }
    let options = RunOptions {
        spawn_worker: !no_worker,
        watch_signals: true,
    };
    let app = Application::build(settings, options).await?;
    tracing::info!(port = app.port(), "esim-courier serving");
    app.run_until_stopped().await?;
    Ok(())
}

async fn reconcile(env: &Env, since: &str) -> Result<(), Failure> {
    let since = lifecycle::parse_since(since).map_err(|e| ConfigError {
        var: "--since",
        problem: e,
    })?;
    let (database, gigs) = match (DatabaseSettings::read(env), GigsSettings::read(env)) {
        (Ok(database), Ok(gigs)) => (database, gigs),
        (database, gigs) => {
            let mut errors = ConfigErrors::default();
            errors.extend(database.err().unwrap_or_default());
            errors.extend(gigs.err().unwrap_or_default());
            return Err(errors.into());
        }
    };
    telemetry::init(LogFormat::from_env(env)?);
    match startup::reconcile_once(&database, &gigs, since).await? {
        Some(r) => println!(
            "reconciled: checked {} subscriptions on {} pages, created {} deliveries",
            r.checked, r.pages, r.created
        ),
        None => println!("another process is reconciling now; nothing done"),
    }
    Ok(())
}

async fn run_worker(env: &Env) -> Result<(), Failure> {
    let (core, format) = with_log_format(env, CoreSettings::from_env(env))?;
    check_templates(&core.email)?;
    telemetry::init(format);
    for warning in crate::email::warnings(&core.email) {
        tracing::warn!("{warning}");
    }
    startup::run_worker(core, CancellationToken::new()).await?;
    Ok(())
}

async fn healthcheck(base: &str) -> ExitCode {
    let url = format!("{}/readyz", base.trim_end_matches('/'));
    let client = crate::tls::client_builder()
        .timeout(Duration::from_secs(5))
        .build();
    let ok = match client {
        Ok(client) => client
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success()),
        Err(_) => false,
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("not ready: {url}");
        ExitCode::FAILURE
    }
}
