//! Druid's errors as a person reads them: a stable code, Druid's own words,
//! a hint naming the setting to fix, and the kind a caller acts on
//! (retry, 404, 503). Every other file of the sink words its failures here,
//! so the same Druid message always gets the same hint.

use ingest_druid::DruidError;

use crate::{SinkError, SinkErrorKind};

/// What to tell a person about a Druid error message.
pub fn druid_hint(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("could not resolve type id 's3'")
        || m.contains("unknown input source") && m.contains("s3")
    {
        "Druid has no S3 support loaded: add \"druid-s3-extensions\" to druid_extensions_loadList in druid/environment and restart Druid."
    } else if m.contains("parquet")
        && (m.contains("could not resolve type id") || m.contains("unknown"))
    {
        "Druid cannot read Parquet: add \"druid-parquet-extensions\" to druid_extensions_loadList in druid/environment and restart Druid."
    } else if m.contains("access denied")
        || m.contains("invalidaccesskeyid")
        || m.contains("signaturedoesnotmatch")
        || m.contains("status code: 403")
        || m.contains("forbidden")
    {
        "Druid reached S3 but was refused: check druid_s3_accessKey and druid_s3_secretKey in druid/environment (they must match the S3 server's credentials)."
    } else if m.contains("nosuchbucket")
        || m.contains("bucket does not exist")
        || m.contains("nosuchkey")
        || m.contains("key does not exist")
    {
        "Druid reached S3 but could not find the object: check the bucket name and druid_s3_enablePathStyleAccess=true in druid/environment (MinIO-style servers need path-style access)."
    } else if m.contains("unable to execute http request")
        || m.contains("connect")
        || m.contains("unknownhost")
        || m.contains("timed out")
    {
        "Druid could not reach S3: check druid_s3_endpoint_url and druid_s3_protocol in druid/environment (the endpoint must be reachable from Druid's processes, e.g. http://s3:9000 in docker-compose.yml)."
    } else {
        "See Druid's message above and the task log in the Druid console; `ingest doctor` checks the S3 settings."
    }
}

/// A read-probe failure as the health check words it.
pub(super) fn as_health_error(error: SinkError) -> SinkError {
    let fix = error
        .hint
        .as_deref()
        .map(|h| format!(" Fix: {h}"))
        .unwrap_or_default();
    SinkError {
        message: format!(
            "Druid answers but cannot read uploads from S3: {}.{fix}",
            error.message
        ),
        ..error
    }
}

pub(super) fn druid_failure(code: &str, error: &DruidError) -> SinkError {
    match error {
        DruidError::Unreachable { .. } => SinkError::new(
            "druid_unreachable",
            error.to_string(),
            Some("Check that Druid is running and that DRUID_URL points at its router (and DRUID_OVERLORD_URL / DRUID_COORDINATOR_URL, when set, at those processes); the task is retried automatically."),
        )
        .retryable(),
        DruidError::Rejected { message, status, .. } => {
            let sink_error = SinkError::new(code, error.to_string(), Some(druid_hint(message)));
            if error.is_transient() {
                sink_error.retryable()
            } else {
                sink_error.with_kind(rejection_kind(*status, message))
            }
        }
        other => SinkError::new(code, other.to_string(), None),
    }
}

/// What a Druid refusal means to a caller: SQL about a datasource that is
/// not (or no longer) there is `NotFound`; Druid failing itself (5xx) or a
/// Druid URL that reaches a process without that API (404: e.g. DRUID_URL at
/// an overlord, which serves no SQL; we look datasources up before acting on
/// them) is `Unavailable`; any other refusal is Druid's verdict on the
/// request.
fn rejection_kind(status: u16, message: &str) -> SinkErrorKind {
    if status >= 500 || status == 404 {
        SinkErrorKind::Unavailable
    } else if message.contains("Object '") && message.contains("not found") {
        SinkErrorKind::NotFound
    } else {
        SinkErrorKind::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn druid_refusals_have_the_kind_a_caller_can_act_on() {
        use SinkErrorKind as K;
        let missing = "org.apache.calcite.runtime.CalciteContextException: From line 1, column 46 to line 1, column 52: Object 'sales' not found";
        assert_eq!(rejection_kind(400, missing), K::NotFound);
        assert_eq!(rejection_kind(400, "Encountered \"FROM\""), K::Rejected);
        assert_eq!(
            rejection_kind(404, "<html><title>Error 404 Not Found</title></html>"),
            K::Unavailable,
            "a Druid URL at the wrong process is an outage to fix, not a refusal"
        );
        assert_eq!(
            rejection_kind(500, "java.lang.NullPointerException"),
            K::Unavailable
        );
    }

    #[test]
    fn hints_name_the_setting_to_fix() {
        let cases = [
            ("Could not resolve type id 's3' as a subtype of InputSource", "druid-s3-extensions"),
            ("com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403)", "druid_s3_accessKey"),
            ("The specified bucket does not exist (Service: Amazon S3; Error Code: NoSuchBucket)", "druid_s3_enablePathStyleAccess"),
            ("Unable to execute HTTP request: Connect to 127.0.0.1:9 failed: Connection refused", "druid_s3_endpoint_url"),
            ("The specified key does not exist. (Service: Amazon S3; Status Code: 404; Error Code: NoSuchKey)", "druid_s3_enablePathStyleAccess"),
        ];
        for (message, setting) in cases {
            assert!(
                druid_hint(message).contains(setting),
                "{message:?} should point at {setting}"
            );
        }
        // A SQL error about a datasource is not about S3.
        let sql = "CalciteContextException: From line 1, column 32 to line 1, column 54: Object 'sales' not found";
        assert!(!druid_hint(sql).contains("druid_s3"), "{}", druid_hint(sql));
    }
}
