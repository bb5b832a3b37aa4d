//! Global options: each flag falls back to its environment variable, and a
//! flag wins over the environment (also across the two credential kinds and
//! the two endpoint kinds).
//!
//! clap reads the environment (`env` attributes); after parsing,
//! [`Globals::note_sources`] records which values came from it, so that "a
//! flag wins over the environment across the two credential kinds"
//! (`--usersig` given, `IM_SECRET_KEY` set) still holds.

use im_api::{Client, ClientBuilder, Region};

/// The global options as given on the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Globals {
    /// SDKAppID of the app
    #[arg(long, value_name = "ID", env = "IM_SDKAPPID", hide_env_values = true)]
    pub sdkappid: Option<String>,
    /// App admin account calls are made as
    #[arg(
        long,
        value_name = "ACCOUNT",
        env = "IM_IDENTIFIER",
        hide_env_values = true
    )]
    pub identifier: Option<String>,
    /// Secret key to sign UserSigs with
    #[arg(
        long,
        value_name = "KEY",
        env = "IM_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// A UserSig sent verbatim instead of signing
    #[arg(long, value_name = "SIG", env = "IM_USERSIG", hide_env_values = true)]
    pub usersig: Option<String>,
    /// Data centre: china, singapore, seoul, tokyo, frankfurt, mumbai, silicon-valley, jakarta
    #[arg(long, value_name = "REGION", env = "IM_REGION", hide_env_values = true)]
    pub region: Option<String>,
    /// Base URL instead of a region (plain http only for loopback)
    #[arg(long, value_name = "URL", env = "IM_BASE_URL", hide_env_values = true)]
    pub base_url: Option<String>,
    /// Share the app's rate limits and quotas with other runs through this Redis (batch-send)
    #[arg(
        long,
        value_name = "URL",
        global = true,
        env = "IM_REDIS_URL",
        hide_env_values = true
    )]
    pub redis: Option<String>,
    /// When Redis does not answer, go on alone at 1/N of every limit instead of failing
    #[arg(
        long,
        value_name = "N",
        global = true,
        env = "IM_REDIS_FALLBACK",
        hide_env_values = true
    )]
    pub redis_fallback: Option<String>,
    /// The environment variables whose value was used (no flag given).
    #[arg(skip)]
    from_env: Vec<&'static str>,
}

/// Each global option's clap id and environment variable.
const SOURCES: [(&str, &str); 8] = [
    ("sdkappid", "IM_SDKAPPID"),
    ("identifier", "IM_IDENTIFIER"),
    ("secret_key", "IM_SECRET_KEY"),
    ("usersig", "IM_USERSIG"),
    ("region", "IM_REGION"),
    ("base_url", "IM_BASE_URL"),
    ("redis", "IM_REDIS_URL"),
    ("redis_fallback", "IM_REDIS_FALLBACK"),
];

/// A value and whether it came from a flag.
#[derive(Debug, Clone)]
struct Given {
    value: String,
    flag: bool,
}

impl Globals {
    /// Record which values clap took from the environment.
    pub fn note_sources(&mut self, matches: &clap::ArgMatches) {
        self.from_env = SOURCES
            .iter()
            .filter(|(id, _)| {
                matches.value_source(id) == Some(clap::parser::ValueSource::EnvVariable)
            })
            .map(|(_, env)| *env)
            .collect();
    }

    /// A value (an empty one counts as absent) and where it came from.
    fn pick(&self, value: &Option<String>, env: &'static str) -> Option<Given> {
        let value = value.as_ref().filter(|v| !v.is_empty())?;
        Some(Given {
            value: value.clone(),
            flag: !self.from_env.contains(&env),
        })
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
        let g = self
            .pick(&self.sdkappid, "IM_SDKAPPID")
            .ok_or("missing --sdkappid (or IM_SDKAPPID)")?;
        g.value
            .trim()
            .parse()
            .map_err(|_| format!("--sdkappid must be a number, got {:?}", g.value))
    }

    /// The SDKAppID when one was given (flag or environment); an error when
    /// it is not a number.
    pub fn sdkappid_if_given(&self) -> Result<Option<u64>, String> {
        if self.pick(&self.sdkappid, "IM_SDKAPPID").is_none() {
            return Ok(None);
        }
        self.sdkappid().map(Some)
    }

    pub fn secret_key(&self) -> Option<String> {
        self.pick(&self.secret_key, "IM_SECRET_KEY")
            .map(|g| g.value)
    }

    pub fn identifier(&self) -> Option<String> {
        self.pick(&self.identifier, "IM_IDENTIFIER")
            .map(|g| g.value)
    }

    /// Whether any way of reaching a server was given.
    pub fn has_target(&self) -> bool {
        self.pick(&self.region, "IM_REGION").is_some()
            || self.pick(&self.base_url, "IM_BASE_URL").is_some()
    }

    /// Whether credentials for a real app were given.
    pub fn has_credentials(&self) -> bool {
        self.pick(&self.sdkappid, "IM_SDKAPPID").is_some()
            && (self.pick(&self.secret_key, "IM_SECRET_KEY").is_some()
                || self.pick(&self.usersig, "IM_USERSIG").is_some())
    }

    /// The Redis to share limits through, when one was given.
    pub fn redis_url(&self) -> Option<String> {
        self.pick(&self.redis, "IM_REDIS_URL").map(|g| g.value)
    }

    /// The share to fall back to when Redis does not answer (`None`: fail).
    pub fn redis_fallback(&self) -> Result<Option<u32>, String> {
        match self.pick(&self.redis_fallback, "IM_REDIS_FALLBACK") {
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
        let identifier = self
            .pick(&self.identifier, "IM_IDENTIFIER")
            .ok_or("missing --identifier (or IM_IDENTIFIER)")?
            .value;
        let (key, sig) = one_of(
            self.pick(&self.secret_key, "IM_SECRET_KEY"),
            self.pick(&self.usersig, "IM_USERSIG"),
            "--secret-key or --usersig",
        )?;
        let (region, base) = one_of(
            self.pick(&self.region, "IM_REGION"),
            self.pick(&self.base_url, "IM_BASE_URL"),
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
