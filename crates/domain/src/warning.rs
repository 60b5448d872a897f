use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Something worth a person's attention that did not stop the request or
/// the task (an ignored upload field, a file uploaded twice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Warning {
    /// Stable snake_case identifier, e.g. `unknown_field`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// Field, earlier task, hint: whatever locates it.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub details: Value,
}

impl Warning {
    pub fn new(code: &str, message: impl Into<String>, details: Value) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            details,
        }
    }
}
