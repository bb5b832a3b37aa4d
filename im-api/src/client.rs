//! `Client`: cheap to clone (an `Arc` inside), configured by `ClientBuilder`.
//! Every endpoint method generated from the spec ends in [`Client::call`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tracing::Instrument as _;

use crate::auth::{Auth, SigCache};
use crate::endpoint::{Endpoint, EndpointError, EndpointMeta, RetryClass};
use crate::envelope::Envelope;
use crate::error::{ApiError, BuildError, DecodeError, Error, TransportError};
use crate::limiter::{LimiterError, Limits, LocalLimiter, RateLimiter};
use crate::random::random_u32;
use crate::region::Region;
use crate::retry::RetryPolicy;
use crate::transport::{Query, Transport, check_base_url};
use crate::usersig::{SecretKey, Signer};
use crate::validate::{Problem, ValidationError, Violation};

/// A client for the Tencent Cloud IM server REST API.
///
/// Cloning is cheap and clones share the connection pool and the cached
/// admin UserSig. Build one with [`Client::builder`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    sdkappid: u64,
    identifier: String,
    auth: Auth,
    transport: Transport,
    retry: RetryPolicy,
    limiter: Option<Arc<dyn RateLimiter>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("sdkappid", &self.inner.sdkappid)
            .field("identifier", &self.inner.identifier)
            .field("base_url", &self.inner.transport.base())
            .field("auth", &self.inner.auth)
            .field("retry", &self.inner.retry)
            .field("limiter", &self.inner.limiter)
            .finish()
    }
}

/// Configures a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    sdkappid: Option<u64>,
    identifier: Option<String>,
    secret_key: Option<SecretKey>,
    usersig: Option<String>,
    region: Option<Region>,
    backup_domain: bool,
    base_url: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    sig_ttl: Duration,
    sig_renew_margin: Duration,
    retry: RetryPolicy,
    limiter: LimiterChoice,
    max_response_bytes: usize,
}

#[derive(Clone)]
enum LimiterChoice {
    Local(Box<Limits>),
    Custom(Arc<dyn RateLimiter>),
    Off,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("sdkappid", &self.sdkappid)
            .field("identifier", &self.identifier)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("usersig", &self.usersig.as_ref().map(|_| "<redacted>"))
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            sdkappid: None,
            identifier: None,
            secret_key: None,
            usersig: None,
            region: None,
            backup_domain: false,
            base_url: None,
            connect_timeout: Duration::from_secs(5),
            // Tencent processes for up to 3 s and asks for a longer client timeout.
            timeout: Duration::from_secs(10),
            sig_ttl: Duration::from_secs(24 * 3600),
            sig_renew_margin: Duration::from_secs(600),
            retry: RetryPolicy::default(),
            limiter: LimiterChoice::Local(Box::default()),
            max_response_bytes: 16 << 20,
        }
    }
}

impl ClientBuilder {
    /// The app's SDKAppID.
    pub fn sdkappid(mut self, sdkappid: u64) -> Self {
        self.sdkappid = Some(sdkappid);
        self
    }
    /// The App admin account every call is made as.
    pub fn identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = Some(identifier.into());
        self
    }
    /// Sign the admin UserSig from this secret key (cached and renewed).
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(SecretKey::new(key));
        self
    }
    /// Send this UserSig verbatim instead of signing (no key needed; not renewed).
    pub fn usersig(mut self, usersig: impl Into<String>) -> Self {
        self.usersig = Some(usersig.into());
        self
    }
    /// The data centre of the SDKAppID.
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }
    /// Use the region's backup domain (for DNS hijacking), where one is listed.
    pub fn backup_domain(mut self, yes: bool) -> Self {
        self.backup_domain = yes;
        self
    }
    /// Send to this base URL instead of a region domain (an emulator, a
    /// proxy). Plain `http` is accepted only for loopback hosts.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// Connection timeout (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }
    /// Timeout of one attempt (default 10 s; Tencent's servers take up to 3 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    /// The largest response body read into memory (default 16 MiB; Tencent
    /// refuses answers over 1 MB with 10018). A larger one is a `Decode` error.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }
    /// Validity of the signed admin UserSig (default 24 h, Tencent's advised minimum).
    pub fn usersig_ttl(mut self, t: Duration) -> Self {
        self.sig_ttl = t;
        self
    }
    /// Renew the cached UserSig this long before it expires (default 10 min).
    pub fn usersig_renew_margin(mut self, t: Duration) -> Self {
        self.sig_renew_margin = t;
        self
    }

    /// How failed attempts are retried (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Pace calls to `service/command` at `per_second` instead of the spec's
    /// documented rate (editions and paid upgrades differ).
    pub fn rate_limit(self, service_command: impl Into<String>, per_second: f64) -> Self {
        self.local_limits(|l| l.rate(service_command, per_second))
    }
    /// Keep `limit` for the quota of `service/command` over `window_secs`
    /// instead of the documented one (editions and purchased packs differ,
    /// e.g. `quota_limit("openim/batchsendmsg", 60, 18_000)`).
    pub fn quota_limit(
        self,
        service_command: impl Into<String>,
        window_secs: u64,
        limit: u64,
    ) -> Self {
        self.local_limits(|l| l.quota_limit(service_command, window_secs, limit))
    }
    /// Pace with these limits in this process (rates, quotas, scale, share:
    /// see [`Limits`]).
    pub fn limits(self, limits: Limits) -> Self {
        self.local_limits(|_| limits)
    }
    /// The in-process limiter's limits, changed by `f`.
    fn local_limits(mut self, f: impl FnOnce(Limits) -> Limits) -> Self {
        let limits = match std::mem::replace(&mut self.limiter, LimiterChoice::Off) {
            LimiterChoice::Local(l) => *l,
            _ => Limits::default(),
        };
        self.limiter = LimiterChoice::Local(Box::new(f(limits)));
        self
    }
    /// Use this limiter (e.g. one shared between processes) instead of the
    /// in-process [`LocalLimiter`].
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = LimiterChoice::Custom(limiter);
        self
    }
    /// Do not pace calls at all (the server's answers still are retried).
    pub fn no_rate_limit(mut self) -> Self {
        self.limiter = LimiterChoice::Off;
        self
    }

    /// Check the configuration and make the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let sdkappid = self.sdkappid.ok_or(BuildError::MissingSdkAppId)?;
        let identifier = self
            .identifier
            .filter(|s| !s.trim().is_empty())
            .ok_or(BuildError::MissingIdentifier)?;
        let auth = match (self.secret_key, self.usersig) {
            (Some(_), Some(_)) => return Err(BuildError::ConflictingCredentials),
            (None, None) => return Err(BuildError::MissingCredentials),
            (None, Some(sig)) => Auth::Fixed(sig.into()),
            (Some(key), None) => Auth::Signed(SigCache::new(
                Signer::new(sdkappid, key),
                identifier.clone(),
                self.sig_ttl.as_secs().max(60),
                self.sig_renew_margin.as_secs(),
            )),
        };
        let base = match (self.region, self.base_url) {
            (Some(_), Some(_)) => return Err(BuildError::ConflictingEndpoint),
            (None, Some(url)) => check_base_url(&url)?,
            (Some(r), None) => {
                let domain = if self.backup_domain {
                    r.backup_domain().unwrap_or(r.domain())
                } else {
                    r.domain()
                };
                format!("https://{domain}")
            }
            (None, None) => {
                return Err(BuildError::InvalidBaseUrl {
                    url: String::new(),
                    reason: "choose the region of your SDKAppID (or a base URL): a wrong region fails with 70016/70020/60026",
                });
            }
        };
        let transport = Transport::new(
            base,
            self.connect_timeout,
            self.timeout,
            self.max_response_bytes,
        )?;
        let limiter: Option<Arc<dyn RateLimiter>> = match self.limiter {
            LimiterChoice::Off => None,
            LimiterChoice::Custom(l) => Some(l),
            LimiterChoice::Local(limits) => Some(Arc::new(LocalLimiter::with_limits(*limits))),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                sdkappid,
                identifier,
                auth,
                transport,
                retry: self.retry,
                limiter,
            }),
        })
    }
}

impl Client {
    /// Configure a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The SDKAppID it calls for.
    pub fn sdkappid(&self) -> u64 {
        self.inner.sdkappid
    }

    /// The admin identifier it signs as.
    pub fn identifier(&self) -> &str {
        &self.inner.identifier
    }

    /// `scheme://host[:port]` requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.transport.base()
    }

    /// How many times the admin UserSig has been signed (0 with a fixed usersig).
    pub fn usersig_sign_count(&self) -> u64 {
        match &self.inner.auth {
            Auth::Signed(c) => c.sign_count(),
            Auth::Fixed(_) => 0,
        }
    }

    /// Send any generated request. Every endpoint method ends here:
    /// validate (nothing is sent on a violation), fill `Random`/`MsgRandom`
    /// once, then attempt: wait for the rate limiter, send, check the
    /// envelope, decode. Failures the spec classes as retryable or rate
    /// limited are retried by the [`RetryPolicy`] with the identical body and
    /// `random`; a refused UserSig (70001 and the other `resign` codes) is
    /// re-signed and sent once more.
    pub async fn call<R: Endpoint>(&self, request: R) -> Result<R::Response, Error<R::Error>> {
        self.call_paced(request, true).await
    }

    /// Wait for a slot of `meta`'s rate (for callers that then use
    /// `call_paced(.., false)`).
    #[cfg(feature = "group-message")]
    pub(crate) async fn pace(&self, meta: &'static EndpointMeta) {
        if let Some(limiter) = &self.inner.limiter {
            // Failing closed means waiting here: nothing is sent meanwhile.
            while let Err(e) = limiter.acquire(meta, None, 0).await {
                tracing::warn!(error = %e, "rate limiter unavailable: waiting");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    /// The rate limiter, when calls are paced.
    #[cfg(feature = "c2c-message")]
    pub(crate) fn limiter(&self) -> Option<&Arc<dyn RateLimiter>> {
        self.inner.limiter.as_ref()
    }

    /// `call`, but the first attempt waits for the limiter only when
    /// `pace_first` (retries always do).
    pub(crate) async fn call_paced<R: Endpoint>(
        &self,
        mut request: R,
        pace_first: bool,
    ) -> Result<R::Response, Error<R::Error>> {
        let meta = R::META;
        let endpoint = &meta.path[4..];
        let violations = request.violations();
        if !violations.is_empty() {
            return Err(Error::Invalid(ValidationError {
                endpoint,
                violations,
            }));
        }
        request.fill_random(&mut random_u32);
        let body = match serde_json::to_vec(&request) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                return Err(Error::Decode(DecodeError {
                    endpoint,
                    random: 0,
                    message: format!("request did not encode: {e}"),
                }));
            }
        };
        let group = request.rate_group();
        self.send(
            meta,
            pace_first,
            group,
            body,
            decode_typed::<R::Response>,
            R::Error::from_code,
        )
        .await
    }

    /// Send an encoded body (raw calls): the same attempts, pacing and retries.
    #[cfg(feature = "raw")]
    pub(crate) async fn send_bytes<Resp, E: EndpointError>(
        &self,
        meta: &'static EndpointMeta,
        group: Option<&str>,
        body: Bytes,
        decode: Decode<Resp>,
        classify: fn(i64) -> E,
    ) -> Result<Resp, Error<E>> {
        self.send(meta, true, group, body, decode, classify).await
    }

    async fn send<Resp, E: EndpointError>(
        &self,
        meta: &'static EndpointMeta,
        pace_first: bool,
        group: Option<&str>,
        body: Bytes,
        decode: Decode<Resp>,
        classify: fn(i64) -> E,
    ) -> Result<Resp, Error<E>> {
        let inner = &*self.inner;
        let endpoint = &meta.path[4..];
        let random = random_u32();
        // The items of the list the endpoint's quotas count (recipients).
        let items = crate::limiter::counted_items(meta, &body);
        let span = tracing::debug_span!("im_api.call", endpoint, random);
        async move {
            let mut start = None;
            let mut attempts = 0u32;
            let mut resigned = false;
            loop {
                attempts += 1;
                let paced = match (pace_first || attempts > 1, &inner.limiter) {
                    (true, Some(limiter)) => limiter.acquire(meta, group, items).await,
                    _ => Ok(()),
                };
                // The deadline counts from the first attempt, not from the
                // wait for it (a quota may hold a call back for minutes).
                let start = *start.get_or_insert_with(Instant::now);
                let sig = inner.auth.current();
                let err = match paced {
                    Err(e) => match limiter_error(endpoint, random, attempts, e) {
                        invalid @ Error::Invalid(_) => return Err(invalid),
                        err => err,
                    },
                    Ok(()) => match self
                        .attempt(
                            meta.path,
                            &sig,
                            random,
                            body.clone(),
                            attempts,
                            decode,
                            classify,
                        )
                        .await
                    {
                        Ok(resp) => return Ok(resp),
                        Err(err) => err,
                    },
                };
                let class = err.retry_class();
                if class == RetryClass::Resign && !resigned && inner.auth.refused(&sig) {
                    resigned = true;
                    tracing::debug!(attempt = attempts, "usersig refused: re-signing");
                    continue;
                }
                match inner.retry.backoff(class, attempts + 1, start.elapsed()) {
                    Some(wait) => {
                        tracing::debug!(
                            attempt = attempts,
                            code = err.code(),
                            wait_ms = wait.as_millis() as u64,
                            "retrying"
                        );
                        tokio::time::sleep(wait).await;
                    }
                    None => {
                        if attempts > 1 {
                            tracing::debug!(attempts, endpoint, "giving up");
                        }
                        return Err(err);
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// One attempt: send, check the envelope, decode.
    #[allow(clippy::too_many_arguments)]
    async fn attempt<Resp, E: EndpointError>(
        &self,
        path: &'static str,
        sig: &str,
        random: u32,
        body: Bytes,
        attempts: u32,
        decode: Decode<Resp>,
        classify: fn(i64) -> E,
    ) -> Result<Resp, Error<E>> {
        let inner = &*self.inner;
        let endpoint = &path[4..];
        let url = inner.transport.url(
            path,
            &Query {
                sdkappid: inner.sdkappid,
                identifier: &inner.identifier,
                usersig: sig,
                random,
            },
        );
        let answer = match inner.transport.post(url, body).await {
            Ok(b) => b,
            Err(a) if a.too_large.is_some() => {
                return Err(Error::Decode(DecodeError {
                    endpoint,
                    random,
                    message: format!(
                        "the response body is over the {}-byte cap (ClientBuilder::max_response_bytes)",
                        a.too_large.unwrap_or_default()
                    ),
                }));
            }
            Err(a) => {
                tracing::debug!(
                    attempt = attempts,
                    status = a.status,
                    timeout = a.timeout,
                    "transport failure"
                );
                return Err(Error::Transport(TransportError {
                    endpoint,
                    random,
                    status: a.status,
                    timeout: a.timeout,
                    attempts,
                    source: a.source,
                }));
            }
        };
        if answer.not_emulated {
            return Err(Error::NotEmulated(crate::error::NotEmulatedError {
                endpoint,
                random,
            }));
        }
        let bytes = answer.body;
        let decode_err = |e: serde_json::Error| {
            Error::Decode(DecodeError {
                endpoint,
                random,
                message: e.to_string(),
            })
        };
        let env: Envelope = serde_json::from_slice(&bytes).map_err(decode_err)?;
        if env.failed() {
            let code = env.error_code.unwrap_or(0);
            // Partial failure: the per-item list carries the outcome.
            if let Ok((resp, failed_items)) = decode(&bytes)
                && failed_items > 0
            {
                tracing::debug!(attempt = attempts, code, failed_items, "partial failure");
                return Ok(resp);
            }
            tracing::debug!(attempt = attempts, code, "server error");
            return Err(Error::Api(ApiError {
                endpoint,
                code,
                kind: classify(code),
                info: env.error_info.unwrap_or_default(),
                display: env.error_display,
                request_id: env.request_id,
                random,
                attempts,
            }));
        }
        tracing::debug!(attempt = attempts, "ok");
        decode(&bytes).map(|(r, _)| r).map_err(decode_err)
    }
}

/// A call the limiter did not let through (nothing was sent): one that can
/// never fit is invalid; a limiter that could not decide (its store did not
/// answer) is a transport failure, retried like one.
fn limiter_error<E>(
    endpoint: &'static str,
    random: u32,
    attempts: u32,
    e: LimiterError,
) -> Error<E> {
    match e {
        LimiterError::TooLarge {
            field,
            items,
            capacity,
            ..
        } => Error::Invalid(ValidationError {
            endpoint,
            violations: vec![Violation {
                field: field.to_owned(),
                problem: Problem::TooManyItems {
                    max: capacity,
                    actual: items,
                },
            }],
        }),
        e => {
            tracing::debug!(attempt = attempts, error = %e, "rate limiter unavailable");
            Error::Transport(TransportError {
                endpoint,
                random,
                status: None,
                timeout: false,
                attempts,
                source: Some(Box::new(e)),
            })
        }
    }
}

/// Decodes a success body and counts the items its failure list names.
type Decode<Resp> = fn(&[u8]) -> Result<(Resp, usize), serde_json::Error>;

fn decode_typed<Resp>(bytes: &[u8]) -> Result<(Resp, usize), serde_json::Error>
where
    Resp: serde::de::DeserializeOwned + crate::__private::PartialFailures,
{
    let resp: Resp = serde_json::from_slice(bytes)?;
    let failed = resp.partial_failures();
    Ok((resp, failed))
}
