//! Global options: each flag falls back to its environment variable, and a
//! flag wins over the environment (also across the two credential kinds and
//! the two endpoint kinds).
//!
//! Not clap's `env` attribute: a value read by clap no longer says whether
//! it came from a flag or the environment (the derive API drops
//! `value_source`), and "a flag wins over the environment across the two
//! credential kinds" (`--usersig` given, `IM_SECRET_KEY` set) needs exactly
//! that. The variables are still shown in `--help` ([env: ...]).

use im_api::{Client, ClientBuilder, Region};

/// The global options as given on the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Globals {
    /// SDKAppID of the app [env: IM_SDKAPPID]
    #[arg(long, value_name = "ID")]
    pub sdkappid: Option<String>,
    /// App admin account calls are made as [env: IM_IDENTIFIER]
    #[arg(long, value_name = "ACCOUNT")]
    pub identifier: Option<String>,
    /// Secret key to sign UserSigs with [env: IM_SECRET_KEY]
    #[arg(long, value_name = "KEY")]
    pub secret_key: Option<String>,
    /// A UserSig sent verbatim instead of signing [env: IM_USERSIG]
    #[arg(long, value_name = "SIG")]
    pub usersig: Option<String>,
    /// Data centre: china, singapore, seoul, tokyo, frankfurt, mumbai, silicon-valley, jakarta [env: IM_REGION]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Base URL instead of a region (plain http only for loopback) [env: IM_BASE_URL]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Share the app's rate limits and quotas with other runs through this Redis (batch-send) [env: IM_REDIS_URL]
    #[arg(long, value_name = "URL", global = true)]
    pub redis: Option<String>,
    /// When Redis does not answer, go on alone at 1/N of every limit instead of failing [env: IM_REDIS_FALLBACK]
    #[arg(long, value_name = "N", global = true)]
    pub redis_fallback: Option<String>,
}

/// A value and whether it came from a flag.
#[derive(Debug, Clone)]
struct Given {
    value: String,
    flag: bool,
}

fn pick(flag: &Option<String>, env: &str) -> Option<Given> {
    match flag {
        Some(v) => Some(Given {
            value: v.clone(),
            flag: true,
        }),
        None => std::env::var(env)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|value| Given { value, flag: false }),
    }
}

/// Of two alternatives, the one given by flag wins over the environment;
/// both at the same level is a usage error.
fn one_of(
    a: Option<Given>,
    b: Option<Given>,
    what: &str,
) -> Result<(Option<String>, Option<String>), String> {
    match (a, b) {
        (Some(a), Some(b)) if a.flag == b.flag => Err(format!("give {what}, not both")),
        (Some(a), Some(b)) => Ok(if a.flag {
            (Some(a.value), None)
        } else {
            (None, Some(b.value))
        }),
        (a, b) => Ok((a.map(|g| g.value), b.map(|g| g.value))),
    }
}

impl Globals {
    pub fn sdkappid(&self) -> Result<u64, String> {
        let g = pick(&self.sdkappid, "IM_SDKAPPID").ok_or("missing --sdkappid (or IM_SDKAPPID)")?;
        g.value
            .trim()
            .parse()
            .map_err(|_| format!("--sdkappid must be a number, got {:?}", g.value))
    }

    /// The SDKAppID when one was given (flag or environment); an error when
    /// it is not a number.
    pub fn sdkappid_if_given(&self) -> Result<Option<u64>, String> {
        if pick(&self.sdkappid, "IM_SDKAPPID").is_none() {
            return Ok(None);
        }
        self.sdkappid().map(Some)
    }

    pub fn secret_key(&self) -> Option<String> {
        pick(&self.secret_key, "IM_SECRET_KEY").map(|g| g.value)
    }

    pub fn identifier(&self) -> Option<String> {
        pick(&self.identifier, "IM_IDENTIFIER").map(|g| g.value)
    }

    /// Whether any way of reaching a server was given.
    pub fn has_target(&self) -> bool {
        pick(&self.region, "IM_REGION").is_some() || pick(&self.base_url, "IM_BASE_URL").is_some()
    }

    /// Whether credentials for a real app were given.
    pub fn has_credentials(&self) -> bool {
        pick(&self.sdkappid, "IM_SDKAPPID").is_some()
            && (pick(&self.secret_key, "IM_SECRET_KEY").is_some()
                || pick(&self.usersig, "IM_USERSIG").is_some())
    }

    /// The Redis to share limits through, when one was given.
    pub fn redis_url(&self) -> Option<String> {
        pick(&self.redis, "IM_REDIS_URL").map(|g| g.value)
    }

    /// The share to fall back to when Redis does not answer (`None`: fail).
    pub fn redis_fallback(&self) -> Result<Option<u32>, String> {
        match pick(&self.redis_fallback, "IM_REDIS_FALLBACK") {
            None => Ok(None),
            Some(g) => match g.value.trim().parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Some(n)),
                _ => Err(format!(
                    "--redis-fallback must be a number of processes (1 or more), got {:?}",
                    g.value
                )),
            },
        }
    }

    /// A client from the options; a usage error as text.
    pub fn client(&self) -> Result<Client, String> {
        self.builder()?.build().map_err(|e| e.to_string())
    }

    /// A client builder from the options, to adjust before `build`.
    pub fn builder(&self) -> Result<ClientBuilder, String> {
        let sdkappid = self.sdkappid()?;
        let identifier = pick(&self.identifier, "IM_IDENTIFIER")
            .ok_or("missing --identifier (or IM_IDENTIFIER)")?
            .value;
        let (key, sig) = one_of(
            pick(&self.secret_key, "IM_SECRET_KEY"),
            pick(&self.usersig, "IM_USERSIG"),
            "--secret-key or --usersig",
        )?;
        let (region, base) = one_of(
            pick(&self.region, "IM_REGION"),
            pick(&self.base_url, "IM_BASE_URL"),
            "--region or --base-url",
        )?;
        let mut b = Client::builder().sdkappid(sdkappid).identifier(identifier);
        b = match (key, sig) {
            (Some(k), _) => b.secret_key(k),
            (_, Some(s)) => b.usersig(s),
            _ => {
                return Err(
                    "missing --secret-key or --usersig (or IM_SECRET_KEY / IM_USERSIG)".into(),
                )
            }
        };
        b = match (region, base) {
            (Some(r), _) => {
                b.region(Region::parse(&r).ok_or_else(|| format!("unknown region {r:?}"))?)
            }
            (_, Some(u)) => b.base_url(u),
            _ => return Err("missing --region or --base-url (or IM_REGION / IM_BASE_URL)".into()),
        };
        Ok(b)
    }
}
