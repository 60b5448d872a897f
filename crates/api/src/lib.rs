//! The ingest service as a library: the binary wires it up, tests start it
//! on port 0.

pub mod auth;
pub mod backends;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod http_limits;
pub mod preview_gate;
pub mod routes;
mod serve;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::{Cli, Command, Settings};
pub use startup::Application;
