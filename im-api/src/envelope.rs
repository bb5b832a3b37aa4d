//! The response envelope every endpoint shares: `ActionStatus`, `ErrorCode`,
//! `ErrorInfo` and, when present, `ErrorDisplay` and `RequestId`. Decoded
//! once here instead of in every generated response.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Envelope {
    #[serde(rename = "ActionStatus", default)]
    pub action_status: Option<String>,
    #[serde(rename = "ErrorCode", default)]
    pub error_code: Option<i64>,
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: Option<String>,
    #[serde(rename = "ErrorDisplay", default)]
    pub error_display: Option<String>,
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

impl Envelope {
    /// `ErrorCode != 0` is failure; without a code, `ActionStatus: "FAIL"` is.
    pub(crate) fn failed(&self) -> bool {
        match self.error_code {
            Some(code) => code != 0,
            None => self.action_status.as_deref() == Some("FAIL"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(s: &str) -> Envelope {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn failure_signal() {
        assert!(!env(r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#).failed());
        assert!(env(r#"{"ActionStatus":"FAIL","ErrorCode":10010,"ErrorInfo":"x"}"#).failed());
        assert!(
            env(r#"{"ErrorCode":70001}"#).failed(),
            "ActionStatus may be missing"
        );
        assert!(env(r#"{"ActionStatus":"FAIL","ErrorInfo":""}"#).failed());
        assert!(!env(r#"{}"#).failed());
        assert!(
            !env(r#"{"ActionStatus":"FAIL","ErrorCode":0}"#).failed(),
            "the code decides"
        );
    }
}
