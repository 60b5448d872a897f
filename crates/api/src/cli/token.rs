//! `ingest token create|list|revoke`: straight to the configured database,
//! with the same settings as `serve`, so it works before any server runs.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use ingest_domain::{parse_lifetime, Scope, TokenName};
use ingest_storage::tokens::{Created, NewToken, TokenSecret};

use crate::{
    backends,
    config::{TokenAction, TokenArgs},
};

pub async fn token(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let store = backends::token_store(&args.settings)
        .await
        .context("cannot open the token database")?;
    match args.action {
        TokenAction::Create {
            name,
            scope,
            expires,
        } => {
            let name = match TokenName::parse(&name) {
                Ok(name) => name,
                Err(e) => return Ok(refuse(&e.to_string())),
            };
            let scope: Scope = match scope.parse() {
                Ok(scope) => scope,
                Err(e) => return Ok(refuse(&e.to_string())),
            };
            let now = Utc::now();
            let expires_at = match expires.as_deref().map(parse_lifetime).transpose() {
                Ok(lifetime) => lifetime.map(|l| now + l),
                Err(e) => return Ok(refuse(&e.to_string())),
            };
            let secret = TokenSecret::generate().context("the OS gave no randomness")?;
            let created = store
                .create(&NewToken {
                    name: name.clone(),
                    scope,
                    digest: secret.digest(),
                    created_at: now,
                    expires_at,
                })
                .await?;
            match created {
                Created::NameTaken => Ok(refuse(&format!(
                    "a token named {name} already exists (revoked ones keep their name); pick another name"
                ))),
                Created::Created(token) => {
                    println!("{}", secret.expose());
                    eprintln!(
                        "created token {} with scope {} ({}). It is shown once and cannot be shown again; send it as `Authorization: Bearer <token>` or set INGEST_TOKEN for the CLI.",
                        token.name,
                        token.scope,
                        token
                            .expires_at
                            .map(|at| format!("expires {}", when(at)))
                            .unwrap_or_else(|| "never expires".into()),
                    );
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        TokenAction::List => {
            let tokens = store.list().await?;
            if tokens.is_empty() {
                println!(
                    "no tokens: a server on a loopback address is open to anyone on this machine"
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{:<24} {:<6} {:<17} {:<17} {:<17} {:<17}",
                "NAME", "SCOPE", "CREATED", "EXPIRES", "REVOKED", "LAST USED"
            );
            let or_dash = |at: Option<DateTime<Utc>>| at.map(when).unwrap_or_else(|| "-".into());
            for t in tokens {
                println!(
                    "{:<24} {:<6} {:<17} {:<17} {:<17} {:<17}",
                    t.name.as_str(),
                    t.scope.as_str(),
                    when(t.created_at),
                    or_dash(t.expires_at),
                    or_dash(t.revoked_at),
                    or_dash(t.last_used_at),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        TokenAction::Revoke { name } => {
            let Ok(parsed) = TokenName::parse(&name) else {
                return Ok(refuse(&format!("there is no token named {name}")));
            };
            match store.revoke(&parsed, Utc::now()).await? {
                None => Ok(refuse(&format!("there is no token named {name}"))),
                Some(token) => {
                    println!("revoked token {}; it stops working at once", token.name);
                    if !store.any_active().await? {
                        println!("no token is left: a server on a loopback address is open again");
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

fn refuse(message: &str) -> ExitCode {
    eprintln!("✗ {message}");
    ExitCode::FAILURE
}
