//! `im emulator`: the local emulator in the foreground until Ctrl-C. What a
//! caller needs to reach it (address, SDKAppID, admin, the secret key when
//! it is a random one, which endpoints are emulated) is printed once on
//! stderr at start-up.

use std::net::SocketAddr;

use im_api::emulator::{emulated_endpoints, Emulator, NOT_EMULATED_CODE};

use crate::config::Globals;
use crate::{invalid, Exit};

pub async fn run(
    g: &Globals,
    listen: SocketAddr,
    callback_url: Option<String>,
    callback_token: Option<String>,
) -> Exit {
    if !listen.ip().is_loopback() {
        return invalid("the emulator listens on loopback addresses only");
    }
    // The console switches a user of the command expects on: broadcasts
    // and push to all users.
    let mut b = Emulator::builder()
        .listen(listen)
        .broadcast_enabled(true)
        .push_enabled(true);
    let callback = match callback_url {
        None => None,
        Some(url) => {
            let Some(shown) = shown_url(&url) else {
                return invalid("--callback-url must be an http:// or https:// URL");
            };
            let token = callback_token.unwrap_or_default();
            b = b.callback(url, token.clone());
            Some((shown, !token.is_empty()))
        }
    };
    match g.sdkappid_if_given() {
        Ok(Some(app)) => b = b.sdkappid(app),
        Ok(None) => {}
        Err(e) => return invalid(e),
    }
    let key_given = g.secret_key();
    if let Some(key) = &key_given {
        b = b.secret_key(key.clone());
    }
    // Only this identifier is an admin: the default one is not added beside it.
    if let Some(id) = g.identifier() {
        b = b.identifier(id);
    }
    let emu = match b.start().await {
        Ok(e) => e,
        Err(e) => return invalid(format!("cannot listen on {listen}: {e}")),
    };
    banner(&emu, key_given.is_some(), callback);
    let _ = tokio::signal::ctrl_c().await;
    Exit::Ok
}

/// The start-up lines (stderr: stdout stays free for nothing else to mix in).
fn banner(emu: &Emulator, key_given: bool, callback: Option<(String, bool)>) {
    let total = im_api::ROUTES.len();
    let emulated = emulated_endpoints().len();
    errln!(
        "im emulator listening on {} (loopback only; Ctrl-C stops it)",
        emu.base_url()
    );
    errln!("  sdkappid:   {}", emu.sdkappid());
    errln!(
        "  admin:      {} (the only identifier that may call it)",
        emu.identifier()
    );
    let key = emu.secret_key();
    if key_given {
        errln!("  secret key: the one given (--secret-key or IM_SECRET_KEY)");
    } else {
        errln!(
            "  secret key: {} (random for this run; set one with --secret-key or IM_SECRET_KEY)",
            key.expose()
        );
    }
    errln!(
        "  endpoints:  {emulated} of {total} emulated; the other {} are checked against the spec \
         and answer \"not emulated\" (ErrorCode {NOT_EMULATED_CODE}); `im endpoints` shows which",
        total - emulated
    );
    if let Some((url, signed)) = callback {
        let how = if signed {
            "signed with the given token"
        } else {
            "unsigned: no token given"
        };
        errln!("  callbacks:  {url} ({how})");
    }
    let secret = if key_given {
        String::new()
    } else {
        format!(" IM_SECRET_KEY={}", key.expose())
    };
    errln!(
        "  for the im command: export IM_SDKAPPID={} IM_IDENTIFIER={}{secret} IM_BASE_URL={}",
        emu.sdkappid(),
        sh_quote(emu.identifier()),
        emu.base_url()
    );
}

/// An http(s) URL as safe to print: without credentials or query (either
/// may carry the app's secrets); `None` when it is not http(s).
fn shown_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let rest = &rest[..end];
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{host}{path}"))
}

/// A word as the shell reads it back: quoted unless plainly safe.
fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@#%+=:,./_-".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn callback_urls_are_shown_without_secrets() {
        use super::shown_url;
        assert_eq!(
            shown_url("https://u:p@hook.example/im?key=s#x").as_deref(),
            Some("https://hook.example/im")
        );
        assert_eq!(
            shown_url("http://127.0.0.1:9000").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(shown_url("ftp://x/y"), None);
        assert_eq!(shown_url("http://"), None);
        assert_eq!(shown_url("hook.example"), None);
    }

    #[test]
    fn shell_words() {
        assert_eq!(super::sh_quote("administrator"), "administrator");
        assert_eq!(super::sh_quote("a b"), "'a b'");
        assert_eq!(super::sh_quote("it's"), r"'it'\''s'");
        assert_eq!(super::sh_quote(""), "''");
    }
}
