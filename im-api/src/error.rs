//! The one error type of a call: one level deep, with the `random` request
//! value on every variant that reached the network (Tencent support asks for
//! it), and never the usersig or the URL.

use std::fmt;

use crate::endpoint::{EndpointError, RetryClass};
use crate::validate::ValidationError;

/// Why a call failed. `E` is the endpoint's typed error-code enum.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E> {
    /// The request broke a limit of its spec. Nothing was sent.
    Invalid(ValidationError),
    /// The server answered with `ErrorCode != 0`.
    Api(ApiError<E>),
    /// No usable answer: connection, TLS, timeout, or an HTTP status other than 200.
    Transport(TransportError),
    /// HTTP 200 with a body that is not the expected JSON.
    Decode(DecodeError),
}

/// The server's answer to a failed call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError<E> {
    /// `service/command`.
    pub endpoint: &'static str,
    /// `ErrorCode` (0 when the server said `FAIL` without a code).
    pub code: i64,
    /// The typed code for this endpoint.
    pub kind: E,
    /// `ErrorInfo`.
    pub info: String,
    /// `ErrorDisplay`, when sent.
    pub display: Option<String>,
    /// `RequestId`, when sent.
    pub request_id: Option<String>,
    /// The `random` query value of the request.
    pub random: u32,
    /// Attempts made, retries included.
    pub attempts: u32,
}

/// No usable HTTP answer.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportError {
    pub endpoint: &'static str,
    pub random: u32,
    /// The HTTP status, when the server answered with something other than 200.
    pub status: Option<u16>,
    /// The attempt timed out.
    pub timeout: bool,
    pub attempts: u32,
    /// The underlying error, with any URL removed.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// A body that does not decode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecodeError {
    pub endpoint: &'static str,
    pub random: u32,
    /// What serde_json said.
    pub message: String,
}

impl<E: EndpointError> Error<E> {
    /// The server's `ErrorCode`, when the server answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Api(a) => Some(a.code),
            _ => None,
        }
    }

    /// The typed code, when the server answered with one.
    pub fn kind(&self) -> Option<&E> {
        match self {
            Self::Api(a) => Some(&a.kind),
            _ => None,
        }
    }

    /// The server's answer, when there is one.
    pub fn api(&self) -> Option<&ApiError<E>> {
        match self {
            Self::Api(a) => Some(a),
            _ => None,
        }
    }

    /// The `random` query value of the request, when one was sent.
    pub fn random(&self) -> Option<u32> {
        match self {
            Self::Invalid(_) => None,
            Self::Api(a) => Some(a.random),
            Self::Transport(t) => Some(t.random),
            Self::Decode(d) => Some(d.random),
        }
    }

    /// `service/command` of the call.
    pub fn endpoint(&self) -> &'static str {
        match self {
            Self::Invalid(v) => v.endpoint,
            Self::Api(a) => a.endpoint,
            Self::Transport(t) => t.endpoint,
            Self::Decode(d) => d.endpoint,
        }
    }

    /// How a retry policy treats this failure.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Self::Invalid(_) | Self::Decode(_) => RetryClass::Permanent,
            Self::Api(a) => a.kind.retry_class(),
            Self::Transport(t) => match t.status {
                Some(429) => RetryClass::RateLimited,
                Some(s) if s >= 500 || s == 408 => RetryClass::Retryable,
                Some(_) => RetryClass::Permanent,
                None => RetryClass::Retryable,
            },
        }
    }

    /// Whether retrying the identical request may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.retry_class(),
            RetryClass::Retryable | RetryClass::RateLimited
        )
    }
}

impl<E: EndpointError> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(v) => fmt::Display::fmt(v, f),
            Self::Api(a) => {
                write!(
                    f,
                    "{}: error {}: {}",
                    a.endpoint,
                    a.code,
                    a.kind.description()
                )?;
                if !a.info.is_empty() {
                    write!(f, " (ErrorInfo: {})", a.info)?;
                }
                write!(f, " [random={}", a.random)?;
                if let Some(id) = &a.request_id {
                    write!(f, ", RequestId={id}")?;
                }
                f.write_str("]")
            }
            Self::Transport(t) => {
                write!(f, "{}: ", t.endpoint)?;
                match (t.status, t.timeout) {
                    (Some(s), _) => write!(f, "HTTP status {s}")?,
                    (None, true) => f.write_str("timed out")?,
                    (None, false) => f.write_str("transport error")?,
                }
                if let Some(s) = &t.source {
                    write!(f, ": {s}")?;
                }
                write!(f, " after {} attempt(s) [random={}]", t.attempts, t.random)
            }
            Self::Decode(d) => write!(
                f,
                "{}: undecodable response: {} [random={}]",
                d.endpoint, d.message, d.random
            ),
        }
    }
}

impl<E: EndpointError> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport(t) => t
                .source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

/// Why `ClientBuilder::build` refused a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    #[error("sdkappid is required")]
    MissingSdkAppId,
    #[error("identifier (the App admin account) is required")]
    MissingIdentifier,
    #[error("a secret key or a fixed usersig is required")]
    MissingCredentials,
    #[error("give a secret key or a fixed usersig, not both")]
    ConflictingCredentials,
    #[error("give a region or a base URL, not both")]
    ConflictingEndpoint,
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl { url: String, reason: &'static str },
    #[error("could not build the HTTP client: {0}")]
    Http(String),
}
