use std::time::Duration;

use clap::Parser;
use ingest_api::{cli, Cli, Command, Settings};

/// At exit, blocking threads still running (a validation whose task was
/// handed back stops at its next cancel check, but a thread inside one long
/// call may not) are not waited for longer than this.
const EXIT_WAIT: Duration = Duration::from_secs(2);

fn main() -> anyhow::Result<std::process::ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(run(Cli::parse()));
    runtime.shutdown_timeout(EXIT_WAIT);
    outcome
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        None => cli::serve(Settings::from_env()).await,
        Some(Command::Serve(settings)) => cli::serve(*settings).await,
        Some(Command::Validate(args)) => cli::validate(args),
        Some(Command::Upload(args)) => cli::upload(args).await,
        Some(Command::Doctor(settings)) => cli::doctor(*settings).await,
        Some(Command::Retry(args)) => cli::retry(args).await,
        Some(Command::Token(args)) => cli::token(args).await,
        Some(Command::Rejected(args)) => cli::rejected(args).await,
    }
}
