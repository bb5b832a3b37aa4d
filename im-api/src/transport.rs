//! HTTP transport: reqwest (rustls) with a connection pool and timeouts.
//! Builds the request URL and sends one attempt. The URL carries the usersig,
//! so it is never logged and is stripped from every error.

use std::time::Duration;

use bytes::Bytes;

use crate::error::BuildError;

#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// `scheme://host[:port][/prefix]` without a trailing slash.
    base: String,
    /// The largest response body read into memory.
    max_response_bytes: usize,
}

/// A 200 answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub body: Bytes,
    /// The emulator marked the endpoint as checked but not emulated.
    pub not_emulated: bool,
}

/// One attempt's outcome when no usable 200 body came back.
#[derive(Debug)]
pub(crate) struct AttemptError {
    pub status: Option<u16>,
    pub timeout: bool,
    /// The body was over the size cap (not worth retrying).
    pub too_large: Option<usize>,
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub(crate) struct Query<'a> {
    pub sdkappid: u64,
    pub identifier: &'a str,
    pub usersig: &'a str,
    pub random: u32,
}

impl Transport {
    pub(crate) fn new(
        base: String,
        connect_timeout: Duration,
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<Self, BuildError> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            // A redirect would re-send the body and the usersig to a URL the
            // server picks (and could leave https): never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .user_agent(concat!("im-api/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BuildError::Http(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base,
            max_response_bytes,
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn url(&self, path: &str, q: &Query<'_>) -> String {
        let mut url = String::with_capacity(self.base.len() + path.len() + 96 + q.usersig.len());
        url.push_str(&self.base);
        url.push_str(path);
        url.push_str("?sdkappid=");
        url.push_str(&q.sdkappid.to_string());
        url.push_str("&identifier=");
        encode_component(q.identifier, &mut url);
        url.push_str("&usersig=");
        encode_component(q.usersig, &mut url);
        url.push_str("&random=");
        url.push_str(&q.random.to_string());
        url.push_str("&contenttype=json");
        url
    }

    pub(crate) async fn post(&self, url: String, body: Bytes) -> Result<Answer, AttemptError> {
        let strip = |e: reqwest::Error| AttemptError {
            status: e.status().map(|s| s.as_u16()),
            timeout: e.is_timeout(),
            too_large: None,
            source: Some(Box::new(e.without_url())),
        };
        let resp = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(strip)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(AttemptError {
                status: Some(status),
                timeout: false,
                too_large: None,
                source: None,
            });
        }
        let max = self.max_response_bytes;
        let too_large = || AttemptError {
            status: None,
            timeout: false,
            too_large: Some(max),
            source: None,
        };
        let not_emulated = resp
            .headers()
            .get("x-im-emulator")
            .is_some_and(|v| v.as_bytes() == b"not-emulated");
        let buf = read_capped(resp, max).await.map_err(|e| match e {
            ReadError::TooLarge => too_large(),
            ReadError::Transport(e) => strip(e),
        })?;
        Ok(Answer {
            body: Bytes::from(buf),
            not_emulated,
        })
    }
}

/// Why a body could not be read whole.
pub(crate) enum ReadError {
    /// Over the cap (declared or while reading).
    TooLarge,
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

/// A response body of at most `max` bytes, refused as soon as its declared
/// length or the bytes read go over.
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Transport)? {
        if buf.len() + chunk.len() > max {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// A query value, percent-encoded (for `format!`/`push_str`).
pub(crate) fn query_value(s: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE)
}

/// What a query value keeps unencoded: RFC 3986's unreserved characters.
/// Everything else is percent-encoded, including the `*` of UserSig's
/// base64 alphabet (a server decodes `%2A` back to `*`).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encode a query value onto `out`.
fn encode_component(s: &str, out: &mut String) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{}", query_value(s));
}

/// Check a base URL: http(s), no credentials, query or fragment, and plain
/// http only for loopback hosts. Returns it without a trailing slash.
pub(crate) fn check_base_url(raw: &str) -> Result<String, BuildError> {
    let bad = |reason| BuildError::InvalidBaseUrl {
        url: without_userinfo(raw),
        reason,
    };
    let url = reqwest::Url::parse(raw).map_err(|_| bad("not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials in the URL are not allowed"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a query or fragment is not allowed"));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("no host"))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = bare.eq_ignore_ascii_case("localhost")
                || bare
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(bad(
                    "plain http is allowed only for loopback hosts; use https",
                ));
            }
        }
        _ => return Err(bad("the scheme must be https (or http for loopback)")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `raw` for an error message: everything between the scheme and the last
/// `@` (where a `user:password@` goes, even in a URL that does not parse)
/// replaced by `***`, so a password given in a base URL is never echoed.
fn without_userinfo(raw: &str) -> String {
    let Some(at) = raw.rfind('@') else {
        return raw.to_owned();
    };
    let start = match raw.find("://") {
        Some(i) if i + 3 <= at => i + 3,
        _ => 0,
    };
    format!("{}***{}", &raw[..start], &raw[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_never_echoed() {
        for (raw, shown) in [
            ("https://user:hunter2@h.com/", "https://***@h.com/"),
            ("http://user:hunter2@10.0.0.1:80", "http://***@10.0.0.1:80"),
            ("https://user:hunter2@bad host", "https://***@bad host"),
            ("https://user:hun/ter2@h.com", "https://***@h.com"),
            ("https://user:hunter2@x@h.com", "https://***@h.com"),
            ("user:hunter2@h.com", "***@h.com"),
            ("ftp://:hunter2@127.0.0.1", "ftp://***@127.0.0.1"),
        ] {
            let err = check_base_url(raw).unwrap_err();
            let text = err.to_string();
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains(shown), "{text}");
            match err {
                BuildError::InvalidBaseUrl { url, .. } => assert_eq!(url, shown),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(without_userinfo("https://h.com/p"), "https://h.com/p");
        assert_eq!(without_userinfo("@"), "***@");
        assert_eq!(without_userinfo("user:pw@h.com://x"), "***@h.com://x");
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://console.tim.qq.com/").unwrap(),
            "https://console.tim.qq.com"
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            check_base_url("http://localhost:1").unwrap(),
            "http://localhost:1"
        );
        assert_eq!(check_base_url("http://[::1]:9").unwrap(), "http://[::1]:9");
        assert!(check_base_url("http://example.com").is_err());
        assert!(check_base_url("http://10.0.0.1").is_err());
        assert!(check_base_url("ftp://127.0.0.1").is_err());
        assert!(check_base_url("https://u:p@h.com").is_err());
        assert!(check_base_url("https://h.com/?a=b").is_err());
        assert!(check_base_url("console.tim.qq.com").is_err());
    }

    #[test]
    fn query_is_encoded() {
        let mut s = String::new();
        encode_component("a b&c=d/é", &mut s);
        assert_eq!(s, "a%20b%26c%3Dd%2F%C3%A9");
        let mut sig = String::new();
        encode_component("eJw*abc-_", &mut sig);
        assert_eq!(sig, "eJw%2Aabc-_");
    }
}
