//! `im call SERVICE/COMMAND [BODY]`: raw JSON, checked against the spec,
//! `Random`/`MsgRandom` filled when absent, otherwise sent unchanged.

use std::io::Read;

use im_api::raw::RawError;
use im_api::Error;

use crate::config::Globals;
use crate::{invalid, Exit};

/// The body as given: `@path`, `-` or absent for stdin, else the text itself.
pub fn read_body(arg: Option<&str>) -> Result<Vec<u8>, String> {
    match arg {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            Ok(buf)
        }
        Some(s) if s.starts_with('@') => {
            std::fs::read(&s[1..]).map_err(|e| format!("cannot read {}: {e}", &s[1..]))
        }
        Some(s) => Ok(s.as_bytes().to_vec()),
    }
}

pub async fn run(g: &Globals, endpoint: &str, body: Option<&str>) -> Exit {
    if im_api::raw::Route::find(endpoint).is_none() {
        return invalid(format!(
            "unknown endpoint {endpoint:?}: `im endpoints` lists them"
        ));
    }
    let body = match read_body(body) {
        Ok(b) => b,
        Err(e) => return invalid(e),
    };
    let client = match g.client() {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    match client.call_raw(endpoint, &body).await {
        Ok(resp) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&resp).unwrap_or_default()
            );
            Exit::Ok
        }
        Err(e @ (RawError::UnknownEndpoint(_) | RawError::BadJson(_) | RawError::Rejected(_))) => {
            invalid(e)
        }
        Err(RawError::Call(Error::Invalid(v))) => invalid(v),
        Err(RawError::Call(Error::Api(a))) => {
            let body = serde_json::json!({"ActionStatus": "FAIL", "ErrorCode": a.code, "ErrorInfo": a.info, "RequestId": a.request_id});
            println!(
                "{}",
                serde_json::to_string_pretty(&body).unwrap_or_default()
            );
            eprintln!(
                "im: {} failed: ErrorCode {} ({}), ErrorInfo {:?} [random={}]",
                a.endpoint, a.code, im_api::EndpointError::description(&a.kind), a.info, a.random
            );
            Exit::ServerFailure
        }
        Err(RawError::Call(e)) => {
            eprintln!("im: {e}");
            Exit::Transport
        }
        Err(e) => {
            eprintln!("im: {e}");
            Exit::Transport
        }
    }
}
