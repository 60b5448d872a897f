//! The `ingest` subcommands. This is the binary's edge: errors become
//! messages and exit codes here.

mod column_types;
mod doctor;
mod rejected;
mod task_bar;
mod token;
mod upload;
mod validate;

use std::process::ExitCode;

pub use doctor::doctor;
pub use rejected::rejected;
pub use token::token;
pub use upload::{retry, upload};
pub use validate::validate;

use crate::{config::Settings, startup::Application, telemetry};

pub async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    telemetry::init();
    let app = Application::build(settings).await?;
    println!("ingest listening on http://{}", app.address());
    app.run(true).await?;
    Ok(ExitCode::SUCCESS)
}
