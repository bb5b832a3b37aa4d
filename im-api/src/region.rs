//! Region domains. The SDKAppID's data centre decides which one to use; the
//! wrong one answers 70016/70020 or 60026.
//!
//! Seeds disagree on the list (zh: China only; en: + Singapore, Seoul,
//! Frankfurt, Mumbai, Silicon Valley; ja: + Jakarta, no Mumbai). We ship the
//! union plus Tokyo from newer pages; Mumbai is kept as a legacy domain.

/// A data centre of Tencent Cloud IM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// China: `console.tim.qq.com`.
    China,
    /// Singapore: `adminapisgp.im.qcloud.com`.
    Singapore,
    /// Seoul: `adminapikr.im.qcloud.com`.
    Seoul,
    /// Tokyo: `adminapijpn.im.qcloud.com` (newer pages only; no backup domain listed).
    Tokyo,
    /// Frankfurt: `adminapiger.im.qcloud.com`.
    Frankfurt,
    /// Mumbai: `adminapiind.im.qcloud.com` (en seed; dropped from 2025 zh pages).
    Mumbai,
    /// Silicon Valley: `adminapiusa.im.qcloud.com`.
    SiliconValley,
    /// Jakarta: `adminapiidn.im.qcloud.com` (ja seed and newer pages).
    Jakarta,
}

impl Region {
    /// Every region, in documentation order.
    pub const ALL: [Region; 8] = [
        Self::China,
        Self::Singapore,
        Self::Seoul,
        Self::Tokyo,
        Self::Frankfurt,
        Self::Mumbai,
        Self::SiliconValley,
        Self::Jakarta,
    ];

    /// The primary REST domain.
    pub fn domain(self) -> &'static str {
        match self {
            Self::China => "console.tim.qq.com",
            Self::Singapore => "adminapisgp.im.qcloud.com",
            Self::Seoul => "adminapikr.im.qcloud.com",
            Self::Tokyo => "adminapijpn.im.qcloud.com",
            Self::Frankfurt => "adminapiger.im.qcloud.com",
            Self::Mumbai => "adminapiind.im.qcloud.com",
            Self::SiliconValley => "adminapiusa.im.qcloud.com",
            Self::Jakarta => "adminapiidn.im.qcloud.com",
        }
    }

    /// The backup domain Tencent lists for DNS hijacking, when there is one.
    pub fn backup_domain(self) -> Option<&'static str> {
        Some(match self {
            Self::China => "adminapi.my-imcloud.com",
            Self::Singapore => "adminapisgp.my-imcloud.com",
            Self::Seoul => "adminapikr.my-imcloud.com",
            Self::Tokyo => return None,
            Self::Frankfurt => "adminapiger.my-imcloud.com",
            Self::Mumbai => "adminapiind.my-imcloud.com",
            Self::SiliconValley => "adminapiusa.my-imcloud.com",
            Self::Jakarta => "adminapiidn.my-imcloud.com",
        })
    }

    /// Parse a region name as used by `IM_REGION` (case-insensitive):
    /// china, singapore, seoul, tokyo, frankfurt, mumbai, silicon-valley/usa, jakarta.
    pub fn parse(s: &str) -> Option<Region> {
        Some(
            match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
                "china" | "cn" => Self::China,
                "singapore" | "sgp" => Self::Singapore,
                "seoul" | "kr" => Self::Seoul,
                "tokyo" | "jpn" => Self::Tokyo,
                "frankfurt" | "ger" => Self::Frankfurt,
                "mumbai" | "ind" => Self::Mumbai,
                "silicon-valley" | "siliconvalley" | "usa" => Self::SiliconValley,
                "jakarta" | "idn" => Self::Jakarta,
                _ => return None,
            },
        )
    }
}
