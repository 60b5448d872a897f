use std::{process::ExitCode, time::Duration};

use anyhow::Context;
use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use ingest_domain::{Task, TaskStatus};
use reqwest::multipart::{Form, Part};
use tokio_util::io::ReaderStream;

use crate::config::{RetryArgs, Secret, UploadArgs};

/// A client that sends `Authorization: Bearer <INGEST_TOKEN>` when a token is set.
pub(super) fn client(token: Option<&Secret>) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        let mut value =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose().trim()))
                .context("INGEST_TOKEN is not a valid header value")?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .context("cannot build the HTTP client")
}

pub async fn upload(args: UploadArgs) -> anyhow::Result<ExitCode> {
    let server = args.server.trim_end_matches('/').to_owned();
    // Checked here so a typo fails before the file is sent.
    let column_types = args
        .column_types
        .as_deref()
        .map(super::column_types::parse)
        .transpose()?
        .map(|types| super::column_types::to_field(&types))
        .transpose()?;
    super::column_types::check_format(args.timestamp_format.as_deref())?;
    let file = tokio::fs::File::open(&args.file)
        .await
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().await?.len();
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload".into());

    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(format!("uploading {name}"));
    let counter = bar.clone();
    let stream = ReaderStream::with_capacity(file, 256 * 1024)
        .inspect_ok(move |chunk| counter.inc(chunk.len() as u64));
    let part =
        Part::stream_with_length(reqwest::Body::wrap_stream(stream), size).file_name(name.clone());
    let mut form = Form::new()
        .part("file", part)
        .text("datasource_name", args.datasource.clone())
        .text("mode", args.mode.clone());
    if let Some(column) = &args.timestamp_column {
        form = form.text("timestamp_column", column.clone());
    }
    if let Some(encoding) = &args.encoding {
        form = form.text("encoding", encoding.clone());
    }
    if let Some(sheet) = &args.sheet {
        form = form.text("sheet", sheet.clone());
    }
    if let Some(on_schema_change) = &args.on_schema_change {
        form = form.text("on_schema_change", on_schema_change.clone());
    }
    if args.yes {
        form = form.text("confirm", "true");
    }
    if let Some(types) = column_types {
        form = form.text("column_types", types);
    }
    if let Some(format) = &args.timestamp_format {
        form = form.text("timestamp_format", format.clone());
    }
    if let Some(rows) = args.max_rejected_rows {
        form = form.text("max_rejected_rows", rows.to_string());
    }
    if let Some(ratio) = args.max_rejected_ratio {
        form = form.text("max_rejected_ratio", ratio.to_string());
    }
    let client = client(args.token.as_ref())?;
    // One key per invocation: a proxy or client layer that repeats the POST
    // gets the same task back instead of a second copy.
    let idempotency_key = uuid::Uuid::new_v4().to_string();
    let answer = send(
        client
            .post(format!("{server}/api/ingest/upload"))
            .header("Idempotency-Key", idempotency_key)
            .multipart(form),
        &server,
    )
    .await;
    bar.finish_and_clear();
    let (status, body) = answer?;
    if !status.is_success() {
        return Ok(refused("upload rejected", status, &body));
    }
    let task_id = body["task_id"]
        .as_str()
        .context("no task_id in the answer")?
        .to_owned();
    println!("uploaded {name} ({size} bytes) as task {task_id}");
    if args.no_wait {
        return Ok(ExitCode::SUCCESS);
    }
    follow(&client, &server, &task_id).await
}

/// `ingest retry`: queues a failed or cancelled task again, then follows it.
pub async fn retry(args: RetryArgs) -> anyhow::Result<ExitCode> {
    let server = args.server.trim_end_matches('/').to_owned();
    let client = client(args.token.as_ref())?;
    let (status, body) = send(
        client.post(format!("{server}/api/ingest/tasks/{}/retry", args.task_id)),
        &server,
    )
    .await?;
    if !status.is_success() {
        return Ok(refused("cannot run it again", status, &body));
    }
    println!("task {} queued again", args.task_id);
    if args.no_wait {
        return Ok(ExitCode::SUCCESS);
    }
    follow(&client, &server, &args.task_id).await
}

/// Sends a request to the server; its status and JSON answer.
async fn send(
    request: reqwest::RequestBuilder,
    server: &str,
) -> anyhow::Result<(reqwest::StatusCode, serde_json::Value)> {
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach the server at {server}"))?;
    let status = response.status();
    let body = response
        .json()
        .await
        .context("the server's answer was not JSON")?;
    Ok((status, body))
}

/// Prints the server's error envelope and its hint.
pub(super) fn refused(
    what: &str,
    status: reqwest::StatusCode,
    body: &serde_json::Value,
) -> ExitCode {
    let error = &body["error"];
    eprintln!(
        "✗ {what} ({status}): {}",
        error["message"].as_str().unwrap_or("unknown error")
    );
    if let Some(hint) = error["details"]["hint"].as_str() {
        eprintln!("  hint: {hint}");
    }
    ExitCode::FAILURE
}

async fn follow(client: &reqwest::Client, server: &str, task_id: &str) -> anyhow::Result<ExitCode> {
    let mut spinner = super::task_bar::TaskBar::new();
    let mut last = None;
    loop {
        let task: Task = client
            .get(format!("{server}/api/ingest/status/{task_id}"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
            .context("unexpected status answer")?;
        if last != Some(task.status()) {
            spinner.println(format!("  {}", task.status()));
            last = Some(task.status());
        }
        spinner.show(&task);
        if task.status().is_terminal() {
            spinner.finish_and_clear();
            return Ok(report(&task));
        }
        if task.status() == TaskStatus::AwaitingConfirmation {
            spinner.finish_and_clear();
            return confirm(client, server, &task).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Shows what a waiting replace will drop and asks; a yes confirms it and
/// follows it on, anything else cancels it.
async fn confirm(client: &reqwest::Client, server: &str, task: &Task) -> anyhow::Result<ExitCode> {
    let summary = task
        .replace_effect
        .as_ref()
        .map_or("replaces rows in the file's time range", |e| &e.summary);
    println!("This {summary}.");
    print!("Go ahead? [y/N] ");
    std::io::Write::flush(&mut std::io::stdout()).ok();
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await??;
    let id = task.task_id;
    let yes = matches!(answer.trim(), "y" | "Y" | "yes");
    let action = if yes { "confirm" } else { "cancel" };
    let (status, body) = send(
        client.post(format!("{server}/api/ingest/tasks/{id}/{action}")),
        server,
    )
    .await?;
    if !status.is_success() {
        return Ok(refused(&format!("could not {action} it"), status, &body));
    }
    if !yes {
        eprintln!("✗ not confirmed: task {id} cancelled, nothing replaced");
        return Ok(ExitCode::FAILURE);
    }
    Box::pin(follow(client, server, &id.to_string())).await
}

fn report(task: &Task) -> ExitCode {
    match task.status() {
        TaskStatus::Succeeded => {
            println!(
                "✓ {} rows ingested into {} ({} rejected)",
                task.row_count.unwrap_or(0),
                task.datasource,
                task.rejected_row_count.unwrap_or(0)
            );
            if task.rejected_rows.is_some() {
                println!(
                    "  the rejected rows: ingest rejected {} -o rejected.csv",
                    task.task_id
                );
            }
            if let Some(drift) = task.schema_drift.as_ref().filter(|d| d.drifted) {
                println!("  schema changed: {}", drift.describe());
            }
            ExitCode::SUCCESS
        }
        _ => {
            match &task.error {
                Some(error) => {
                    eprintln!("✗ {}: {}", task.status(), error.message);
                    if let Some(hint) = &error.hint {
                        eprintln!("  hint: {hint}");
                    }
                }
                None => eprintln!("✗ {}", task.status()),
            }
            if task.can_retry() {
                eprintln!(
                    "  once fixed, run it again without re-sending the file: ingest retry {}",
                    task.task_id
                );
            }
            ExitCode::FAILURE
        }
    }
}
