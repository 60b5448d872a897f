/// What went wrong talking to Druid, with Druid's own words when it gave any.
#[derive(Debug, thiserror::Error)]
pub enum DruidError {
    /// Druid did not answer at all (down, wrong URL, network).
    #[error("Druid at {url} could not be reached: {reason}")]
    Unreachable { url: String, reason: String },
    /// Druid answered with an error status.
    #[error("Druid answered {status} to {what}: {message}")]
    Rejected {
        what: &'static str,
        status: u16,
        message: String,
    },
    /// Druid answered something we could not read.
    #[error("Druid's answer to {what} was not understood: {reason}")]
    Unexpected { what: &'static str, reason: String },
    #[error("invalid Druid URL {0:?}")]
    BadUrl(String),
}

impl DruidError {
    /// Worth retrying later (Druid down or overloaded), not a verdict.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Rejected { status, .. } => *status == 502 || *status == 503 || *status == 504,
            _ => false,
        }
    }
}
