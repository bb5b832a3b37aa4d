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
    /// The emulator checked the request and found it valid, but does not
    /// emulate this endpoint (see `im_api::emulator::emulated_endpoints`).
    /// Tencent's servers never answer this.
    NotEmulated(NotEmulatedError),
}

/// An endpoint the emulator checks but does not emulate.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NotEmulatedError {
    /// `service/command`.
    pub endpoint: &'static str,
    /// The `random` query value of the request.
    pub random: u32,
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
    /// `service/command`.
    pub endpoint: &'static str,
    /// The `random` query value of the request.
    pub random: u32,
    /// The HTTP status, when the server answered with something other than 200.
    pub status: Option<u16>,
    /// The attempt timed out.
    pub timeout: bool,
    /// Attempts made, retries included.
    pub attempts: u32,
    /// The underlying error, with any URL removed.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// A body that does not decode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecodeError {
    /// `service/command`.
    pub endpoint: &'static str,
    /// The `random` query value of the request.
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
            Self::NotEmulated(n) => Some(n.random),
        }
    }

    /// `service/command` of the call.
    pub fn endpoint(&self) -> &'static str {
        match self {
            Self::Invalid(v) => v.endpoint,
            Self::Api(a) => a.endpoint,
            Self::Transport(t) => t.endpoint,
            Self::Decode(d) => d.endpoint,
            Self::NotEmulated(n) => n.endpoint,
        }
    }

    /// How a retry policy treats this failure.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Self::Invalid(_) | Self::Decode(_) | Self::NotEmulated(_) => RetryClass::Permanent,
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
            Self::NotEmulated(n) => write!(
                f,
                "{}: the request is valid, but the emulator does not emulate this endpoint [random={}]",
                n.endpoint, n.random
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
    /// No SDKAppID.
    #[error("sdkappid is required")]
    MissingSdkAppId,
    /// No admin identifier.
    #[error("identifier (the App admin account) is required")]
    MissingIdentifier,
    /// Neither a secret key nor a UserSig.
    #[error("a secret key or a fixed usersig is required")]
    MissingCredentials,
    /// Both a secret key and a UserSig.
    #[error("give a secret key or a fixed usersig, not both")]
    ConflictingCredentials,
    /// Both a region and a base URL.
    #[error("give a region or a base URL, not both")]
    ConflictingEndpoint,
    /// A base URL that is not allowed (credentials are never shown).
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL, credentials removed.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// reqwest could not build its client.
    #[error("could not build the HTTP client: {0}")]
    Http(String),
}

/// An error code from any endpoint, with the meaning and retry class its
/// endpoint gave it (see [`AnyError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnyCode {
    code: i64,
    retry: RetryClass,
    description: &'static str,
}

impl EndpointError for AnyCode {
    fn from_code(code: i64) -> Self {
        let info = crate::ErrorInfo::unlisted(code);
        Self {
            code,
            retry: info.retry,
            description: info.description,
        }
    }
    fn info(&self) -> crate::ErrorInfo {
        crate::ErrorInfo {
            code: self.code,
            retry: self.retry,
            description: self.description,
        }
    }
}

impl From<crate::ErrorInfo> for AnyCode {
    fn from(info: crate::ErrorInfo) -> Self {
        Self {
            code: info.code,
            retry: info.retry,
            description: info.description,
        }
    }
}

impl fmt::Display for AnyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

/// Any endpoint's failure, for code that calls several endpoints: `?`
/// converts every [`Error<E>`] into it, keeping the code, its meaning and
/// its retry class. Dereferences to [`Error<AnyCode>`].
///
/// ```no_run
/// # use im_api::{api::{account_import, send_group_msg}, types::MsgElement, AnyError, Client};
/// async fn onboard(client: &Client, user: &str) -> Result<(), AnyError> {
///     client.account_import(account_import::Request::new(user)).await?;
///     client
///         .send_group_msg(send_group_msg::Request::new("@TGS#1", [MsgElement::text("welcome")]))
///         .await?;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct AnyError(Error<AnyCode>);

impl AnyError {
    /// The error with an endpoint-independent code type.
    pub fn into_inner(self) -> Error<AnyCode> {
        self.0
    }
}

impl std::ops::Deref for AnyError {
    type Target = Error<AnyCode>;
    fn deref(&self) -> &Error<AnyCode> {
        &self.0
    }
}

impl<E: EndpointError> From<Error<E>> for AnyError {
    fn from(e: Error<E>) -> Self {
        AnyError(match e {
            Error::Invalid(v) => Error::Invalid(v),
            Error::Transport(t) => Error::Transport(t),
            Error::Decode(d) => Error::Decode(d),
            Error::NotEmulated(n) => Error::NotEmulated(n),
            Error::Api(a) => Error::Api(ApiError {
                endpoint: a.endpoint,
                code: a.code,
                kind: AnyCode::from(a.kind.info()),
                info: a.info,
                display: a.display,
                request_id: a.request_id,
                random: a.random,
                attempts: a.attempts,
            }),
        })
    }
}

impl fmt::Display for AnyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for AnyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}
