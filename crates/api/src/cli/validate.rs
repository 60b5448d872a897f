use std::{io::Read, process::ExitCode};

use anyhow::Context;
use chrono::Utc;
use ingest_domain::{FileFormat, Severity, TimestampSource, ValidationReport};
use ingest_validation::{detect_format, hint_for, Options, OutputFormat, SNIFF_LEN};

use crate::config::ValidateArgs;

pub fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let declared = args
        .format
        .as_deref()
        .map(str::parse::<FileFormat>)
        .transpose()?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = match detect_format(&head, &name, declared) {
        Ok(format) => format,
        Err(error) => {
            eprintln!("✗ {}: {error}", args.file.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let column_types = match args.column_types.as_deref() {
        Some(text) => super::column_types::parse(text)?,
        None => Default::default(),
    };
    let options = Options {
        format,
        delimiter: None,
        timestamp_column: args.timestamp_column,
        encoding: args.encoding,
        sheet: args.sheet,
        fallback_time: Utc::now(),
        output_format: match args
            .output
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
        {
            Some("json" | "ndjson" | "jsonl") => OutputFormat::Ndjson,
            _ => OutputFormat::Parquet,
        },
        column_types,
        timestamp_format: args.timestamp_format,
        rejected_rows: ingest_validation::RejectedRowsOptions {
            budget: ingest_domain::RejectionBudget {
                max_rows: args.max_rejected_rows,
                max_ratio: args.max_rejected_ratio,
            },
            quarantine: args.rejected_output.clone(),
        },
    };
    let report = ingest_validation::validate(
        &args.file,
        &options,
        args.output.as_deref(),
        &ingest_validation::Control::new((&args.limits).into())
            .with_parallelism(args.threads.parallelism()),
    )
    .with_context(|| format!("cannot validate {}", args.file.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&args.file.display().to_string(), &report);
    }
    Ok(if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_report(file: &str, report: &ValidationReport) {
    let delimiter = report
        .delimiter
        .as_deref()
        .map(|d| format!(", delimiter {:?}", d))
        .unwrap_or_default();
    println!("{file}: {}{delimiter}", report.format);
    if let Some(compression) = &report.compression {
        println!(
            "compression: {}, {} bytes → {} bytes",
            compression.codec, compression.compressed_bytes, compression.uncompressed_bytes
        );
    }
    for sheet in &report.sheets {
        println!(
            "sheet {:?}: {} rows × {} columns{}",
            sheet.name,
            sheet.rows,
            sheet.columns,
            if sheet.chosen { " (read)" } else { "" }
        );
    }
    if let Some(encoding) = &report.encoding {
        println!(
            "encoding: {} ({}% sure: {})",
            encoding.name, encoding.confidence, encoding.reason
        );
    }
    println!(
        "rows: {} read, {} accepted, {} rejected",
        report.rows_in, report.rows_accepted, report.rows_rejected
    );
    let ts = &report.timestamp;
    let range = match (ts.min, ts.max) {
        (Some(min), Some(max)) => format!("{} … {}", min.to_rfc3339(), max.to_rfc3339()),
        _ => "no values".into(),
    };
    match ts.source {
        TimestampSource::Column => println!(
            "time: column {:?} read as {}, {range}",
            ts.column.as_deref().unwrap_or_default(),
            ts.format.as_deref().unwrap_or("?")
        ),
        TimestampSource::UploadTime => {
            println!("time: no time column found; every row gets the upload time")
        }
    }
    if !report.columns.is_empty() {
        let width = report
            .columns
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(4)
            .max(6);
        println!(
            "\n  {:width$}  {:9}  {:>8}  {:24}  max",
            "column", "type", "nulls", "min"
        );
        for column in &report.columns {
            let kind = match &column.decimal_separator {
                Some(_) => format!("{} (decimal comma)", column.column_type.as_str()),
                None => column.column_type.as_str().to_owned(),
            };
            println!(
                "  {:width$}  {:9}  {:>8}  {:24}  {}",
                column.name,
                kind,
                column.null_count,
                column.min.as_deref().unwrap_or("-"),
                column.max.as_deref().unwrap_or("-"),
            );
            if let Some(reason) = &column.type_reason {
                println!("  {:width$}  ↳ {reason}", "");
            }
        }
    }
    if !report.problems.is_empty() {
        println!("\nproblems:");
        for problem in &report.problems {
            let level = if problem.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            let place = problem
                .line
                .map(|l| format!(" line {l}"))
                .unwrap_or_default();
            let column = problem
                .column
                .as_deref()
                .map(|c| format!(" column {c:?}"))
                .unwrap_or_default();
            println!(
                "  {level}{place}{column}: {} [{}]",
                problem.message, problem.code
            );
        }
        if report.problems_not_listed > 0 {
            println!("  … and {} more", report.problems_not_listed);
        }
    }
    match report.first_error() {
        Some(error) => {
            println!("\n✗ would be rejected: {}", error.message);
            if let Some(hint) = hint_for(&error.code) {
                println!("  hint: {hint}");
            }
        }
        None => println!("\n✓ would be accepted"),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::{Cli, Command};

    /// `ingest validate FILE --json EXTRA…`, its exit code as text.
    fn validate_file(file: &std::path::Path, extra: &[&str]) -> String {
        let path = file.to_string_lossy().into_owned();
        let mut argv = vec!["ingest", "validate", path.as_str(), "--json"];
        argv.extend_from_slice(extra);
        let Some(Command::Validate(args)) = Cli::parse_from(argv).command else {
            panic!("parsed as validate");
        };
        format!("{:?}", super::validate(args).expect("validates"))
    }

    fn validate_wide_file(extra: &[&str]) -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("wide.csv");
        std::fs::write(&file, "time,a,b,c\n2024-01-01T00:00:00Z,1,2,3\n").expect("write");
        validate_file(&file, extra)
    }

    #[test]
    fn the_cli_passes_type_steering_on() {
        let success = format!("{:?}", std::process::ExitCode::SUCCESS);
        assert_eq!(validate_wide_file(&["--column-types", "a=string"]), success);
        assert_eq!(
            validate_wide_file(&[
                "--column-types",
                r#"{"b":"double"}"#,
                "--timestamp-format",
                "rfc3339"
            ]),
            success
        );
        // A column the file lacks, and a format its times do not have.
        assert_ne!(
            validate_wide_file(&["--column-types", "nope=long"]),
            success
        );
        assert_ne!(
            validate_wide_file(&["--timestamp-format", "%d.%m.%Y"]),
            success
        );
    }

    #[test]
    fn the_cli_takes_a_rejected_row_budget_and_writes_the_rejected_rows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("ragged.csv");
        std::fs::write(
            &file,
            "time,a\n2024-01-01,1\n2024-01-02,2,3\n2024-01-03,3\n",
        )
        .expect("write");
        let rejected = dir.path().join("rejected.csv");
        let run = |extra: &[&str]| validate_file(&file, extra);
        let success = format!("{:?}", std::process::ExitCode::SUCCESS);
        assert_ne!(run(&[]), success, "one ragged row fails the file");
        assert!(!rejected.exists());
        let out = rejected.to_string_lossy().into_owned();
        assert_eq!(
            run(&["--max-rejected-rows", "1", "--rejected-output", &out]),
            success
        );
        let text = std::fs::read_to_string(&rejected).expect("rejected rows written");
        assert!(text.contains("3,,ragged_row,"), "{text}");
        assert_eq!(run(&["--max-rejected-ratio", "0.34"]), success);
        assert_ne!(run(&["--max-rejected-ratio", "0.3"]), success);
        let refused =
            Cli::try_parse_from(["ingest", "validate", "x.csv", "--max-rejected-ratio", "1.5"]);
        assert!(refused.is_err(), "a ratio above 1 is refused");
    }

    #[test]
    fn the_cli_enforces_a_lowered_column_limit() {
        let success = format!("{:?}", std::process::ExitCode::SUCCESS);
        assert_eq!(validate_wide_file(&[]), success);
        assert_ne!(validate_wide_file(&["--max-columns", "3"]), success);
    }
}
