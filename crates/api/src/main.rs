use clap::Parser;
use ingest_api::{cli, Cli, Command, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        None => cli::serve(Settings::from_env()).await,
        Some(Command::Serve(settings)) => cli::serve(*settings).await,
        Some(Command::Validate(args)) => cli::validate(args),
        Some(Command::Upload(args)) => cli::upload(args).await,
        Some(Command::Doctor(settings)) => cli::doctor(*settings).await,
        Some(Command::Retry(args)) => cli::retry(args).await,
        Some(Command::Token(args)) => cli::token(args).await,
    }
}
