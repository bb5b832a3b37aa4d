//! `im callbacks serve`: a verified callback is answered like a default app
//! and printed as one JSON line; unsigned, wrongly signed, stale, replayed
//! and other-app requests are refused with the reason on stderr and never
//! printed as events; the token is never printed. The emulator, configured
//! with the command's address and token, calls it back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::Duration;

use im_api::api::send_group_msg;
use im_api::callbacks::sign;
use im_api::emulator::{Emulator, DEFAULT_SDKAPPID};
use im_api::types::{GroupType, MsgElement};
use serde_json::{json, Value};

const TOKEN: &str = "cli-callback-token-0123456789";

const VARS: [&str; 7] = [
    "IM_SDKAPPID",
    "IM_IDENTIFIER",
    "IM_SECRET_KEY",
    "IM_USERSIG",
    "IM_REGION",
    "IM_BASE_URL",
    "IM_CALLBACK_TOKEN",
];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn im() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_im"));
    for v in VARS {
        cmd.env_remove(v);
    }
    cmd
}

/// `im callbacks serve` on a free port.
struct Server {
    child: Child,
    addr: String,
    stderr: BufReader<ChildStderr>,
}

fn start() -> Server {
    let mut child = im()
        .args([
            "--sdkappid",
            &DEFAULT_SDKAPPID.to_string(),
            "callbacks",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--token",
            TOKEN,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run im");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("the start-up line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Server {
        child,
        addr,
        stderr,
    }
}

impl Server {
    /// Stop the command; what it printed on stdout and stderr.
    fn stop(self) -> (String, String) {
        let Server {
            mut child,
            mut stderr,
            ..
        } = self;
        let _ = child.kill();
        let out = child.wait_with_output().expect("im stopped");
        let mut err = String::new();
        stderr.read_to_string(&mut err).expect("stderr");
        (String::from_utf8_lossy(&out.stdout).into_owned(), err)
    }
}

/// A raw HTTP/1.1 POST: (status, body).
fn post(addr: &str, query: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /any/path?{query} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("an answer");
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {resp:?}"));
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn query(app: u64, token: &str, time: i64) -> String {
    format!(
        "SdkAppid={app}&CallbackCommand=Group.CallbackAfterGroupFull&contenttype=json&ClientIP=1.2.3.4&OptPlatform=RESTAPI&Sign={}&RequestTime={time}",
        sign(token, time)
    )
}

const BODY: &str = r#"{"CallbackCommand":"Group.CallbackAfterGroupFull","GroupId":"@TGS#FULL","EventTime":"1700000000000"}"#;

#[test]
fn serve_prints_verified_callbacks_and_refuses_the_rest() {
    let server = start();
    let t = now();
    let (status, answer) = post(&server.addr, &query(DEFAULT_SDKAPPID, TOKEN, t), BODY);
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        answer,
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
    );

    let refused = [
        (query(DEFAULT_SDKAPPID, TOKEN, t), "replay"),
        (
            format!("SdkAppid={DEFAULT_SDKAPPID}&CallbackCommand=Group.CallbackAfterGroupFull&contenttype=json"),
            "no Sign",
        ),
        (query(DEFAULT_SDKAPPID, "not the token", t), "does not match"),
        (query(DEFAULT_SDKAPPID, TOKEN, t - 3600), "outside the window"),
        (query(DEFAULT_SDKAPPID + 1, TOKEN, t), "not this app's"),
    ];
    for (q, _) in &refused {
        let (status, body) = post(&server.addr, q, BODY);
        assert_ne!(status, 200, "{q}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["ActionStatus"], "FAIL");
    }

    let (out, err) = server.stop();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "only the verified callback is printed: {out}"
    );
    let event: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(event["command"], "Group.CallbackAfterGroupFull");
    assert_eq!(event["body"]["GroupId"], "@TGS#FULL");
    assert_eq!(event["query"]["ClientIP"], "1.2.3.4");
    assert_eq!(event["query"]["SdkAppid"], DEFAULT_SDKAPPID.to_string());
    assert!(event["query"].get("Sign").is_none(), "Sign is not printed");
    for (_, reason) in &refused {
        assert!(err.contains(reason), "{reason:?} missing from {err}");
    }
    assert!(
        !out.contains(TOKEN) && !err.contains(TOKEN),
        "the token is never printed"
    );
}

#[test]
fn serve_needs_a_token_and_an_app() {
    let out = im()
        .args([
            "--sdkappid",
            "1400000000",
            "callbacks",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token"));
    let out = im()
        .args([
            "callbacks",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--token",
            TOKEN,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_calls_the_command_back() {
    let server = tokio::task::spawn_blocking(start).await.unwrap();
    let emu = Emulator::builder()
        .accounts(["alice", "bob"])
        .group("@TGS#CLI", GroupType::Public, ["alice", "bob"])
        .callback(format!("http://{}/im/callback", server.addr), TOKEN)
        .start()
        .await
        .unwrap();
    emu.client()
        .send_group_msg(
            send_group_msg::Request::new("@TGS#CLI", [MsgElement::text("hello")])
                .from_account("alice"),
        )
        .await
        .unwrap();
    // The after-callback is sent in the background.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (out, err) = tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap();
    let commands: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["command"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        commands,
        ["Group.CallbackBeforeSendMsg", "Group.CallbackAfterSendMsg"],
        "stderr: {err}"
    );
    assert_eq!(emu.inbox("bob").len(), 1);
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
}

/// `im emulator --callback-url --callback-token` calls `im callbacks serve`
/// back: both commands as users run them, nothing in-process.
#[test]
fn the_emulator_command_calls_the_callbacks_command_back() {
    let server = start();
    let hook = format!("http://{}/im/callback?app=secret-query", server.addr);
    let mut emu = im()
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--callback-url",
            &hook,
            "--callback-token",
            TOKEN,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run im emulator");
    let mut banner = String::new();
    for line in BufReader::new(emu.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("export IM_SDKAPPID=") {
            break;
        }
    }
    assert!(
        banner.contains(&format!(
            "callbacks:  http://{}/im/callback (signed",
            server.addr
        )),
        "{banner}"
    );
    assert!(
        !banner.contains(TOKEN) && !banner.contains("secret-query"),
        "{banner}"
    );
    let key = banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("IM_SECRET_KEY="))
        .expect("the random key")
        .to_owned();
    // Port 0: the emulator picks a free port and prints it.
    let base_url = banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("IM_BASE_URL="))
        .expect("the address")
        .to_owned();
    let call = |path: &str, body: &str| {
        let out = im()
            .env("IM_SDKAPPID", DEFAULT_SDKAPPID.to_string())
            .env("IM_IDENTIFIER", "administrator")
            .env("IM_SECRET_KEY", &key)
            .env("IM_BASE_URL", &base_url)
            .args(["call", path, body])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    call(
        "im_open_login_svc/multiaccount_import",
        r#"{"Accounts":["alice","bob"]}"#,
    );
    call(
        "openim/sendmsg",
        r#"{"From_Account":"alice","To_Account":"bob","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}"#,
    );
    // The after-callback is sent in the background.
    std::thread::sleep(Duration::from_millis(500));
    let _ = emu.kill();
    let _ = emu.wait();
    let (out, err) = server.stop();
    let commands: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["command"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        commands,
        ["C2C.CallbackBeforeSendMsg", "C2C.CallbackAfterSendMsg"],
        "stderr: {err}"
    );
}
