//! UserSig (TLSSigAPIv2): generation and verification.
//!
//! The algorithm of Tencent's official helpers (PyPI/npm/Go `tls-sig-api-v2`):
//! HMAC-SHA256 over fixed lines, a small JSON document, zlib, then base64 with
//! `+`→`*`, `/`→`-`, `=`→`_`. The secret key is used as its UTF-8 bytes.

use std::fmt;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The app's secret key from the console. Never printed.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wrap a key (as the console shows it).
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }
    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
    /// The key itself (to hand to a client or print once; never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Signs and verifies UserSigs for one SDKAppID.
#[derive(Clone, Debug)]
pub struct Signer {
    sdkappid: u64,
    key: SecretKey,
}

/// What a verified UserSig says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigInfo {
    /// The identifier it was signed for.
    pub identifier: String,
    /// The SDKAppID it was signed for.
    pub sdkappid: u64,
    /// Unix seconds when it was signed.
    pub time: u64,
    /// Validity in seconds from `time`.
    pub expire: u64,
}

impl SigInfo {
    /// Whether the sig is still valid at `now` (valid while `now <= time + expire`).
    pub fn valid_at(&self, now: u64) -> bool {
        now <= self.time.saturating_add(self.expire)
    }
}

/// Why a UserSig did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigError {
    /// Not base64 (in the UserSig alphabet).
    #[error("usersig is not valid base64")]
    Base64,
    /// Not zlib data.
    #[error("usersig does not inflate (zlib)")]
    Zlib,
    /// Not the expected JSON document.
    #[error("usersig does not hold the expected JSON: {0}")]
    Json(String),
    /// Signed for another SDKAppID.
    #[error("usersig was signed for SDKAppID {found}, not {expected}")]
    SdkAppId {
        /// This signer's.
        expected: u64,
        /// The UserSig's.
        found: u64,
    },
    /// Signed for another identifier.
    #[error("usersig was signed for identifier {found:?}, not {expected:?}")]
    Identifier {
        /// The one asked for.
        expected: String,
        /// The UserSig's.
        found: String,
    },
    /// The signature does not match the key.
    #[error("usersig signature does not match the key")]
    Signature,
    /// No longer valid.
    #[error("usersig expired at {expired_at} (now {now})")]
    Expired {
        /// Unix seconds it expired at.
        expired_at: u64,
        /// Unix seconds now.
        now: u64,
    },
}

impl Signer {
    /// A signer for `sdkappid` with its secret key.
    pub fn new(sdkappid: u64, key: SecretKey) -> Self {
        Self { sdkappid, key }
    }

    /// The SDKAppID it signs for.
    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    fn hmac(&self, identifier: &str, time: u64, expire: u64, userbuf: Option<&str>) -> String {
        let mac = self.keyed_mac(identifier, time, expire, userbuf);
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// The HMAC-SHA256 state over a sig's content, ready to finalize or verify.
    fn keyed_mac(
        &self,
        identifier: &str,
        time: u64,
        expire: u64,
        userbuf: Option<&str>,
    ) -> Hmac<Sha256> {
        let mut content = format!(
            "TLS.identifier:{identifier}\nTLS.sdkappid:{}\nTLS.time:{time}\nTLS.expire:{expire}\n",
            self.sdkappid
        );
        if let Some(buf) = userbuf {
            content.push_str("TLS.userbuf:");
            content.push_str(buf);
            content.push('\n');
        }
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.key.bytes()).expect("HMAC takes any key length");
        mac.update(content.as_bytes());
        mac
    }

    /// A UserSig for `identifier`, signed at `time` (Unix seconds), valid `expire` seconds.
    pub fn sign_at(&self, identifier: &str, expire: u64, time: u64) -> String {
        self.sign_inner(identifier, expire, time, None)
    }

    /// A UserSig carrying `userbuf` (TRTC PrivateMapKey style).
    pub fn sign_with_userbuf_at(
        &self,
        identifier: &str,
        expire: u64,
        time: u64,
        userbuf: &[u8],
    ) -> String {
        self.sign_inner(identifier, expire, time, Some(&STANDARD.encode(userbuf)))
    }

    /// A UserSig signed now.
    pub fn sign(&self, identifier: &str, expire: u64) -> String {
        self.sign_at(identifier, expire, unix_now())
    }

    fn sign_inner(
        &self,
        identifier: &str,
        expire: u64,
        time: u64,
        userbuf: Option<&str>,
    ) -> String {
        let sig = self.hmac(identifier, time, expire, userbuf);
        let mut doc = serde_json::Map::new();
        doc.insert("TLS.ver".into(), "2.0".into());
        doc.insert("TLS.identifier".into(), identifier.into());
        doc.insert("TLS.sdkappid".into(), self.sdkappid.into());
        doc.insert("TLS.expire".into(), expire.into());
        doc.insert("TLS.time".into(), time.into());
        if let Some(buf) = userbuf {
            doc.insert("TLS.userbuf".into(), buf.into());
        }
        doc.insert("TLS.sig".into(), sig.into());
        let json = serde_json::to_vec(&doc).expect("a map of strings and numbers serializes");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&json).expect("writing to a Vec cannot fail");
        let compressed = z.finish().expect("writing to a Vec cannot fail");
        base64_url(&STANDARD.encode(compressed))
    }

    /// Decode a UserSig, check its signature against this key and its
    /// SDKAppID and identifier, and that it is valid at `now`.
    pub fn verify_at(&self, sig: &str, identifier: &str, now: u64) -> Result<SigInfo, SigError> {
        let info = self.verify_signature(sig)?;
        if info.identifier != identifier {
            return Err(SigError::Identifier {
                expected: identifier.into(),
                found: info.identifier,
            });
        }
        if !info.valid_at(now) {
            return Err(SigError::Expired {
                expired_at: info.time.saturating_add(info.expire),
                now,
            });
        }
        Ok(info)
    }

    /// Decode a UserSig and check its SDKAppID and signature, not its age.
    pub fn verify_signature(&self, sig: &str) -> Result<SigInfo, SigError> {
        let (info, mac, userbuf) = decode(sig)?;
        if info.sdkappid != self.sdkappid {
            return Err(SigError::SdkAppId {
                expected: self.sdkappid,
                found: info.sdkappid,
            });
        }
        let given = STANDARD
            .decode(mac.as_bytes())
            .map_err(|_| SigError::Signature)?;
        // `verify_slice` compares in constant time.
        self.keyed_mac(&info.identifier, info.time, info.expire, userbuf.as_deref())
            .verify_slice(&given)
            .map_err(|_| SigError::Signature)?;
        Ok(info)
    }
}

/// Decode a UserSig without checking it: the claims, the MAC and the userbuf.
pub fn decode(sig: &str) -> Result<(SigInfo, String, Option<String>), SigError> {
    let b64: String = sig
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    let compressed = STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| SigError::Base64)?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .take(64 * 1024)
        .read_to_end(&mut json)
        .map_err(|_| SigError::Zlib)?;
    let v: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| SigError::Json(e.to_string()))?;
    let field = |k: &str| {
        v.get(k)
            .ok_or_else(|| SigError::Json(format!("missing {k}")))
    };
    let num = |k: &str| -> Result<u64, SigError> {
        let f = field(k)?;
        f.as_u64()
            .or_else(|| f.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| SigError::Json(format!("{k} is not a number")))
    };
    let string = |k: &str| -> Result<String, SigError> {
        field(k)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| SigError::Json(format!("{k} is not a string")))
    };
    let info = SigInfo {
        identifier: string("TLS.identifier")?,
        sdkappid: num("TLS.sdkappid")?,
        time: num("TLS.time")?,
        expire: num("TLS.expire")?,
    };
    let userbuf = v
        .get("TLS.userbuf")
        .and_then(|u| u.as_str())
        .map(str::to_owned);
    Ok((info, string("TLS.sig")?, userbuf))
}

fn base64_url(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    #[test]
    fn hmac_matches_reference_vectors() {
        let s = Signer::new(1400000000, SecretKey::new(KEY));
        assert_eq!(
            s.hmac("xiaojun", 1700000000, 15552000, None),
            "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="
        );
        assert_eq!(
            s.hmac("xiaojun", 1700000000, 15552000, Some("YWJj")),
            "QjT201xPkXk/aM1e+y0vakZb0K2iPrFue++0s5y6bFM="
        );
    }

    #[test]
    fn round_trip_and_rejections() {
        let s = Signer::new(1400000000, SecretKey::new(KEY));
        let sig = s.sign_at("admin", 86400, 1_700_000_000);
        assert!(!sig.contains(['+', '/', '=']));
        let info = s.verify_at(&sig, "admin", 1_700_000_100).unwrap();
        assert_eq!(
            info,
            SigInfo {
                identifier: "admin".into(),
                sdkappid: 1400000000,
                time: 1_700_000_000,
                expire: 86400
            }
        );
        assert!(matches!(
            s.verify_at(&sig, "admin", 1_700_086_401),
            Err(SigError::Expired { .. })
        ));
        assert!(matches!(
            s.verify_at(&sig, "bob", 1_700_000_100),
            Err(SigError::Identifier { .. })
        ));
        let other = Signer::new(1400000000, SecretKey::new("another key"));
        assert_eq!(
            other.verify_at(&sig, "admin", 1_700_000_100),
            Err(SigError::Signature)
        );
        let other_app = Signer::new(1400000001, SecretKey::new(KEY));
        assert!(matches!(
            other_app.verify_at(&sig, "admin", 1_700_000_100),
            Err(SigError::SdkAppId { .. })
        ));
        assert_eq!(s.verify_at("not a sig!", "admin", 0), Err(SigError::Base64));
        let with_buf = s.sign_with_userbuf_at("admin", 60, 1_700_000_000, b"abc");
        assert_eq!(decode(&with_buf).unwrap().2.as_deref(), Some("YWJj"));
        s.verify_at(&with_buf, "admin", 1_700_000_000).unwrap();
    }

    #[test]
    fn key_is_redacted() {
        let s = Signer::new(1, SecretKey::new("super-secret"));
        assert!(!format!("{s:?}").contains("super-secret"));
    }
}
