//! `ingest rejected TASK_ID [-o FILE]`: downloads the rows a task rejected,
//! streamed to the file (or standard output) as they arrive.

use std::process::ExitCode;

use anyhow::Context;
use futures::TryStreamExt;
use tokio::io::AsyncWriteExt;

use super::upload::{client, refused};
use crate::config::RejectedArgs;

pub async fn rejected(args: RejectedArgs) -> anyhow::Result<ExitCode> {
    let server = args.server.trim_end_matches('/').to_owned();
    let client = client(args.token.as_ref())?;
    let response = client
        .get(format!(
            "{server}/api/ingest/tasks/{}/rejected",
            args.task_id
        ))
        .send()
        .await
        .with_context(|| format!("cannot reach the server at {server}"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        return Ok(refused("no rejected rows to download", status, &body));
    }
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = match &args.output {
        Some(path) => Box::new(
            tokio::fs::File::create(path)
                .await
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(tokio::io::stdout()),
    };
    let mut body = response.bytes_stream();
    let mut written = 0u64;
    while let Some(chunk) = body.try_next().await.context("the download was cut off")? {
        out.write_all(&chunk).await.context("cannot write")?;
        written += chunk.len() as u64;
    }
    out.flush().await.context("cannot write")?;
    if let Some(path) = &args.output {
        eprintln!(
            "✓ rejected rows of task {} written to {} ({written} bytes)",
            args.task_id,
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
