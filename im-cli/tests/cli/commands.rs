//! The `im` binary's contract, driven as a user would: every exit code,
//! stdin/@file/inline bodies, flags over the environment, the batch-send
//! report, unknown and duplicate body keys, a closed stdout, credentials in
//! a base URL, the emulator's start-up lines. A local emulator (in this
//! process) plays the server.

use std::io::{BufRead, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use im_api::emulator::{Emulator, Fault, DEFAULT_ADMIN, DEFAULT_SDKAPPID};
use im_api::types::GroupType;

const VARS: [&str; 6] = [
    "IM_SDKAPPID",
    "IM_IDENTIFIER",
    "IM_SECRET_KEY",
    "IM_USERSIG",
    "IM_REGION",
    "IM_BASE_URL",
];

/// `im` with a clean environment plus `env` and the arguments.
fn command(env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_im"));
    for v in VARS {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied()).args(args);
    cmd
}

/// `im` whose stdout is a pipe nobody reads: the read end is closed right
/// after the start, before `im` writes anything.
async fn im_stdout_closed(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = command(env, args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("run im");
        drop(child.stdout.take());
        child.wait_with_output().expect("im finished")
    })
    .await
    .expect("join")
}

/// `im` with a clean environment plus `env`, the arguments, and `stdin`.
async fn im(env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = command(env, args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let stdin = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("run im");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        child.wait_with_output().expect("im finished")
    })
    .await
    .expect("join")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .accounts(["alice", "bob", "carol"])
        .group("@TGS#G", GroupType::Public, ["alice", "bob", "carol"])
        .start()
        .await
        .unwrap()
}

/// The emulator's secret key (a random one: the emulator has no default key).
fn key(emu: &Emulator) -> String {
    emu.secret_key().expose().to_owned()
}

fn creds(emu: &Emulator) -> Vec<String> {
    vec![
        "--sdkappid".into(),
        DEFAULT_SDKAPPID.to_string(),
        "--identifier".into(),
        DEFAULT_ADMIN.into(),
        "--secret-key".into(),
        key(emu),
        "--base-url".into(),
        emu.base_url(),
    ]
}

fn args<'a>(globals: &'a [String], rest: &[&'a str]) -> Vec<&'a str> {
    globals
        .iter()
        .map(String::as_str)
        .chain(rest.iter().copied())
        .collect()
}

const GROUP_MSG: &str =
    r#"{"GroupId":"@TGS#G","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_succeeds_with_inline_file_and_stdin_bodies() {
    let emu = emulator().await;
    let g = creds(&emu);
    let out = im(
        &[],
        &args(
            &g,
            &["call", "group_open_http_svc/send_group_msg", GROUP_MSG],
        ),
        None,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let resp: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["MsgSeq"], 1);

    let dir = std::env::temp_dir().join(format!("im-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    std::fs::write(&file, GROUP_MSG.replace("hi", "from a file")).unwrap();
    let at = format!("@{}", file.display());
    let out = im(
        &[],
        &args(&g, &["call", "group_open_http_svc/send_group_msg", &at]),
        None,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));

    let out = im(
        &[],
        &args(&g, &["call", "group_open_http_svc/send_group_msg"]),
        Some(&GROUP_MSG.replace("hi", "from stdin")),
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = im(
        &[],
        &args(&g, &["call", "group_open_http_svc/send_group_msg", "-"]),
        Some(&GROUP_MSG.replace("hi", "dash")),
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(emu.inbox("bob").len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_fills_random_only_when_absent_and_keeps_the_body() {
    let emu = emulator().await;
    let g = creds(&emu);
    let with = r#"{"GroupId":"@TGS#G","Random":4242,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#;
    assert_eq!(
        code(
            &im(
                &[],
                &args(&g, &["call", "group_open_http_svc/send_group_msg", with]),
                None
            )
            .await
        ),
        0
    );
    assert_eq!(
        code(
            &im(
                &[],
                &args(
                    &g,
                    &["call", "group_open_http_svc/send_group_msg", GROUP_MSG]
                ),
                None
            )
            .await
        ),
        0
    );
    let log = emu.group_messages("@TGS#G");
    assert_eq!(log[0].random, 4242, "a given Random is sent unchanged");
    assert_ne!(log[1].random, 4242);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_exits_2_and_sends_nothing() {
    let emu = emulator().await;
    let g = creds(&emu);
    let many: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    let body = serde_json::json!({"To_Account": many, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}).to_string();
    let out = im(
        &[],
        &args(&g, &["call", "openim/batchsendmsg", &body]),
        None,
    )
    .await;
    assert_eq!(code(&out), 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("To_Account") && err.contains("501 items, at most 500"),
        "{err}"
    );

    for (body, needle) in [
        ("{not json", "JSON"),
        (r#"{"GroupId":"@TGS#G","MsgBody":[],"Extra":1}"#, "Extra"),
        (r#"{"GroupId":5,"MsgBody":[]}"#, "GroupId"),
    ] {
        let out = im(
            &[],
            &args(&g, &["call", "group_open_http_svc/send_group_msg", body]),
            None,
        )
        .await;
        assert_eq!(code(&out), 2, "{body}");
        assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
    }
    let out = im(&[], &args(&g, &["call", "no_svc/nothing", "{}"]), None).await;
    assert_eq!(code(&out), 2);
    let out = im(
        &[],
        &args(
            &g,
            &[
                "call",
                "group_open_http_svc/send_group_msg",
                "@/no/such/file.json",
            ],
        ),
        None,
    )
    .await;
    assert_eq!(code(&out), 2);
    let out = im(
        &[],
        &[
            "--sdkappid",
            "1",
            "--identifier",
            "a",
            "--secret-key",
            "k",
            "--base-url",
            "http://example.com",
            "call",
            "group_open_http_svc/send_group_msg",
            GROUP_MSG,
        ],
        None,
    )
    .await;
    assert_eq!(
        code(&out),
        2,
        "plain http to a non-loopback host is refused"
    );
    let out = im(
        &[],
        &["call", "group_open_http_svc/send_group_msg", GROUP_MSG],
        None,
    )
    .await;
    assert_eq!(code(&out), 2, "no credentials");
    assert_eq!(emu.stats().requests, 0, "nothing reached the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_failures_exit_1_with_code_and_info() {
    let emu = emulator().await;
    let g = creds(&emu);
    let body = GROUP_MSG.replace("@TGS#G", "@TGS#MISSING");
    let out = im(
        &[],
        &args(&g, &["call", "group_open_http_svc/send_group_msg", &body]),
        None,
    )
    .await;
    assert_eq!(code(&out), 1);
    let err = text(&out.stderr);
    assert!(
        err.contains("ErrorCode 10010") && err.contains("does not exist"),
        "{err}"
    );
    let resp: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["ErrorCode"], 10010);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_failures_exit_3_after_retries_with_the_identical_body() {
    let out = im(
        &[],
        &[
            "--sdkappid",
            "1",
            "--identifier",
            "a",
            "--secret-key",
            "k",
            "--base-url",
            "http://127.0.0.1:9",
            "call",
            "group_open_http_svc/send_group_msg",
            GROUP_MSG,
        ],
        None,
    )
    .await;
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("4 attempt(s)"), "{err}");
    // How to resend safely: the Random im wrote into the body, and the body.
    let random = err
        .split("\"Random\":")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u32>().ok());
    assert!(random.is_some(), "the Random value is printed: {err}");
    assert!(
        err.contains("resend it safely") && err.contains("the body as sent: {\"Random\":"),
        "{err}"
    );
    // A Random given in the body is the one printed (and sent).
    let with = GROUP_MSG.replacen('{', r#"{"Random":4242,"#, 1);
    let out = im(
        &[],
        &[
            "--sdkappid",
            "1",
            "--identifier",
            "a",
            "--secret-key",
            "k",
            "--base-url",
            "http://127.0.0.1:9",
            "call",
            "group_open_http_svc/send_group_msg",
            &with,
        ],
        None,
    )
    .await;
    assert_eq!(code(&out), 3);
    let err = text(&out.stderr);
    assert!(
        err.contains("It carried \"Random\":4242") && err.contains(&with),
        "{err}"
    );

    // An answer lost after the server did the work: retried, delivered once.
    let emu = emulator().await;
    emu.inject(Fault::DropAfterWork);
    emu.inject(Fault::Status(502));
    let g = creds(&emu);
    let out = im(
        &[],
        &args(
            &g,
            &["call", "group_open_http_svc/send_group_msg", GROUP_MSG],
        ),
        None,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(emu.inbox("bob").len(), 1);
    assert_eq!(
        emu.stats().duplicates,
        1,
        "the retry carried the same Random and was deduplicated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_win_over_the_environment() {
    let emu = emulator().await;
    let url = emu.base_url();
    let sdk = DEFAULT_SDKAPPID.to_string();
    let emu_key = key(&emu);
    let env_ok = [
        ("IM_SDKAPPID", sdk.as_str()),
        ("IM_IDENTIFIER", DEFAULT_ADMIN),
        ("IM_SECRET_KEY", emu_key.as_str()),
        ("IM_BASE_URL", url.as_str()),
    ];
    let call = ["call", "group_open_http_svc/send_group_msg", GROUP_MSG];
    assert_eq!(
        code(&im(&env_ok, &call, None).await),
        0,
        "the environment alone works"
    );

    let env_bad = [
        ("IM_SDKAPPID", "999"),
        ("IM_IDENTIFIER", "nobody"),
        ("IM_SECRET_KEY", "wrong"),
        ("IM_BASE_URL", "http://127.0.0.1:9"),
    ];
    let g = creds(&emu);
    let out = im(&env_bad, &args(&g, &call), None).await;
    assert_eq!(
        code(&out),
        0,
        "flags override every variable: {}",
        text(&out.stderr)
    );

    // A usersig flag wins over a secret key in the environment.
    let sig = im_api::Signer::new(DEFAULT_SDKAPPID, emu.secret_key()).sign(DEFAULT_ADMIN, 3600);
    let env_key = [
        ("IM_SDKAPPID", sdk.as_str()),
        ("IM_IDENTIFIER", DEFAULT_ADMIN),
        ("IM_SECRET_KEY", "wrong key"),
        ("IM_BASE_URL", url.as_str()),
    ];
    let out = im(
        &env_key,
        &[
            "--usersig",
            &sig,
            "call",
            "group_open_http_svc/send_group_msg",
            GROUP_MSG,
        ],
        None,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    // ...and without the flag the wrong key in the environment is used and refused.
    let out = im(&env_key, &call, None).await;
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("70009"), "{}", text(&out.stderr));
    // Global options come before the subcommand.
    let out = im(
        &env_ok,
        &[
            "call",
            "--sdkappid",
            "1",
            "group_open_http_svc/send_group_msg",
            GROUP_MSG,
        ],
        None,
    )
    .await;
    assert_eq!(code(&out), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usersig_prints_one_verifiable_sig() {
    let out = im(
        &[("IM_SECRET_KEY", "from-env")],
        &[
            "--sdkappid",
            "1400000001",
            "usersig",
            "alice",
            "--expire",
            "600",
        ],
        None,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let sig = text(&out.stdout);
    assert_eq!(sig.lines().count(), 1);
    let info = im_api::Signer::new(1400000001, im_api::SecretKey::new("from-env"))
        .verify_signature(sig.trim())
        .unwrap();
    assert_eq!((info.identifier.as_str(), info.expire), ("alice", 600));
    assert_eq!(
        code(&im(&[], &["usersig", "alice"], None).await),
        2,
        "no key, no sig"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_send_reports_every_failed_account() {
    let accounts: Vec<String> = (0..1100).map(|i| format!("m{i}")).collect();
    let emu = Emulator::builder()
        .accounts(accounts.iter().cloned())
        .start()
        .await
        .unwrap();
    let g = creds(&emu);
    let dir = std::env::temp_dir().join(format!("im-cli-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("to.txt");
    let mut lines = accounts.join("\n");
    lines.push_str("\n# a comment\n\nghost-one\nghost-two\nm5\n");
    std::fs::write(&list, lines).unwrap();
    let list_arg = list.display().to_string();
    let out = im(
        &[],
        &args(
            &g,
            &[
                "batch-send",
                "--to-file",
                &list_arg,
                "--text",
                "maintenance tonight",
            ],
        ),
        None,
    )
    .await;
    assert_eq!(code(&out), 1, "some failed: {}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("delivered 1100 of 1102 accounts in 3 requests (1 repeated lines skipped)"),
        "{report}"
    );
    assert!(
        report.contains("ghost-one\t70107") && report.contains("ghost-two\t70107"),
        "{report}"
    );
    assert_eq!(emu.inbox("m1099").len(), 1);

    let good = dir.join("good.txt");
    std::fs::write(&good, "m1\nm2\n").unwrap();
    let body = dir.join("body.json");
    std::fs::write(
        &body,
        r#"[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"{\"k\":1}"}}]"#,
    )
    .unwrap();
    let (good_arg, body_arg) = (good.display().to_string(), format!("@{}", body.display()));
    let out = im(
        &[],
        &args(
            &g,
            &[
                "batch-send",
                "--to-file",
                &good_arg,
                "--from",
                "m3",
                "--msg-body",
                &body_arg,
            ],
        ),
        None,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(emu.inbox("m2").last().unwrap().from, "m3");
    let out = im(
        &[],
        &args(
            &g,
            &["batch-send", "--to-file", "/no/such/list", "--text", "x"],
        ),
        None,
    )
    .await;
    assert_eq!(code(&out), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_lists_the_spec_with_rates_and_what_is_emulated() {
    let out = im(&[], &["endpoints"], None).await;
    assert_eq!(code(&out), 0);
    let list = text(&out.stdout);
    assert!(
        list.contains("group_open_http_svc/send_group_msg")
            && list.contains("200/s, 40/s per group"),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("group_open_http_svc/send_broadcast_msg") && l.contains("1/s")),
        "{list}"
    );
    let mut lines = list.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header[..3], ["ENDPOINT", "EMULATED", "RATE"]);
    assert_eq!(list.lines().count(), im_api::ENDPOINTS.len() + 1);
    let mut yes = 0;
    for line in lines {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let want = if im_api::emulator::emulates(cols[0]) {
            "yes"
        } else {
            "no"
        };
        assert_eq!(cols[1], want, "{line}");
        yes += usize::from(want == "yes");
    }
    assert_eq!(yes, im_api::emulator::emulated_endpoints().len());
    assert!(list
        .lines()
        .any(|l| l.starts_with("group_open_http_svc/send_group_msg ") && l.contains(" yes ")));
}

/// A child process killed (and reaped) when dropped, also when a test fails.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `im emulator` with `env` and `args`, and its start-up lines from stderr
/// (up to the `export` line, the last one). Dropping the `Running` stops it.
async fn start_emulator(env: &[(&str, &str)], args: &[&str]) -> (Running, String) {
    let mut cmd = command(env, args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = Running(cmd.spawn().expect("run im emulator"));
    let stderr = child.0.stderr.take().expect("stderr");
    let read = tokio::task::spawn_blocking(move || {
        let mut banner = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            banner.push_str(&line);
            banner.push('\n');
            if line.contains("export IM_SDKAPPID=") {
                break;
            }
        }
        banner
    });
    let banner = tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the emulator printed its start-up lines")
        .expect("join");
    (child, banner)
}

/// `VAR=value` from the banner's export line.
fn banner_var(banner: &str, var: &str) -> Option<String> {
    let prefix = format!("{var}=");
    banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix(prefix.as_str()).map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_subcommand_prints_its_random_key_and_serves_calls() {
    // Port 0: the emulator picks a free port and prints it (no race with
    // another process taking a port found free beforehand).
    let (child, banner) = start_emulator(&[], &["emulator", "--listen", "127.0.0.1:0"]).await;
    let url = banner_var(&banner, "IM_BASE_URL").expect("the address is printed");
    let total = im_api::ROUTES.len();
    let emulated = im_api::emulator::emulated_endpoints().len();
    assert!(
        banner.contains(&url)
            && banner.contains(&format!("sdkappid:   {DEFAULT_SDKAPPID}"))
            && banner.contains(&format!("admin:      {DEFAULT_ADMIN}"))
            && banner.contains(&format!("{emulated} of {total} emulated"))
            && banner.contains("\"not emulated\""),
        "{banner}"
    );
    let key = banner_var(&banner, "IM_SECRET_KEY").expect("the random key is printed");
    assert_eq!(key.len(), 64, "{banner}");
    assert!(
        banner.contains(&format!("secret key: {key} (random")),
        "{banner}"
    );
    let sdk = DEFAULT_SDKAPPID.to_string();
    let env = [
        ("IM_SDKAPPID", sdk.as_str()),
        ("IM_IDENTIFIER", DEFAULT_ADMIN),
        ("IM_SECRET_KEY", key.as_str()),
        ("IM_BASE_URL", url.as_str()),
    ];
    let out = im(
        &env,
        &[
            "call",
            "im_open_login_svc/account_import",
            r#"{"UserID":"zed"}"#,
        ],
        None,
    )
    .await;
    drop(child);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = im(&[], &["emulator", "--listen", "10.1.2.3:80"], None).await;
    assert_eq!(code(&out), 2, "loopback only");
}

/// `--identifier` names the only admin (it used to be added beside the
/// default `administrator`); a given key is not echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_subcommand_admits_only_the_given_identifier() {
    let given_key = "given-key-never-echoed-5f1c";
    let (child, banner) = start_emulator(
        &[("IM_SECRET_KEY", given_key)],
        &[
            "--sdkappid",
            "1400000123",
            "--identifier",
            "boss",
            "emulator",
            "--listen",
            "127.0.0.1:0",
        ],
    )
    .await;
    assert!(
        banner.contains("sdkappid:   1400000123") && banner.contains("admin:      boss"),
        "{banner}"
    );
    assert!(!banner.contains(given_key), "{banner}");
    let url = banner_var(&banner, "IM_BASE_URL").expect("the address is printed");
    let call = |identifier: &'static str| {
        let url = url.clone();
        async move {
            im(
                &[
                    ("IM_SDKAPPID", "1400000123"),
                    ("IM_IDENTIFIER", identifier),
                    ("IM_SECRET_KEY", given_key),
                    ("IM_BASE_URL", url.as_str()),
                ],
                &[
                    "call",
                    "im_open_login_svc/account_import",
                    r#"{"UserID":"zed"}"#,
                ],
                None,
            )
            .await
        }
    };
    let boss = call("boss").await;
    let default_admin = call(DEFAULT_ADMIN).await;
    drop(child);
    assert_eq!(code(&boss), 0, "{}", text(&boss.stderr));
    assert_eq!(code(&default_admin), 1, "{}", text(&default_admin.stderr));
    assert!(
        text(&default_admin.stderr).contains("60010"),
        "{}",
        text(&default_admin.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_offline() {
    let out = im(&[], &["demo"], None).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("embedded emulator") && s.contains("delivered to 1200 of 1202 in 3 requests"),
        "{s}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_keys_warn_with_the_closest_field_and_strict_refuses_them() {
    let emu = emulator().await;
    let g = creds(&emu);
    let import = "im_open_login_svc/account_import";
    // Sent with a warning naming the field the key most likely meant.
    let out = im(
        &[],
        &args(&g, &["call", import, r#"{"UserID":"zed","Nickname":"Z"}"#]),
        None,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: unknown field Nickname for account_import; did you mean Nick?"),
        "{err}"
    );
    assert!(emu.has_account("zed"));
    assert_eq!(emu.stats().unknown_keys, 1, "the key reached the server");
    // The warning explains why a required field is missing.
    let out = im(
        &[],
        &args(&g, &["call", import, r#"{"Identifier":"amy"}"#]),
        None,
    )
    .await;
    assert_eq!(code(&out), 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown field Identifier for account_import; did you mean UserID?")
            && err.contains("UserID is required"),
        "{err}"
    );
    // --strict: refused, nothing sent.
    let before = emu.stats().requests;
    let out = im(
        &[],
        &args(
            &g,
            &[
                "call",
                "--strict",
                import,
                r#"{"UserID":"kim","Nickname":"K"}"#,
            ],
        ),
        None,
    )
    .await;
    assert_eq!(code(&out), 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown field Nickname for account_import; did you mean Nick?")
            && err.contains("--strict")
            && !err.contains("warning"),
        "{err}"
    );
    assert!(!emu.has_account("kim"));
    assert_eq!(emu.stats().requests, before, "nothing reached the server");
    // --strict with known keys only: sent.
    let out = im(
        &[],
        &args(&g, &["call", import, "--strict", r#"{"UserID":"kim"}"#]),
        None,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(emu.has_account("kim"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_are_refused_by_name() {
    let emu = emulator().await;
    let g = creds(&emu);
    for (body, key) in [
        (
            r#"{"GroupId":"@TGS#G","GroupId":"@TGS#G","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#,
            "duplicate key GroupId",
        ),
        (
            r#"{"GroupId":"@TGS#G","Random":1,"Random":2,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#,
            "duplicate key Random",
        ),
        (
            r#"{"GroupId":"@TGS#G","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x","Text":"y"}}]}"#,
            "duplicate key Text (in MsgBody)",
        ),
    ] {
        let out = im(
            &[],
            &args(&g, &["call", "group_open_http_svc/send_group_msg", body]),
            None,
        )
        .await;
        assert_eq!(code(&out), 2, "{body}");
        assert!(text(&out.stderr).contains(key), "{}", text(&out.stderr));
    }
    assert_eq!(emu.stats().requests, 0, "nothing reached the server");
}

/// `im endpoints | head -1` and the like: a closed stdout ends the output
/// quietly with the command's own exit code (it was a panic, exit 101).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_quietly_with_the_contract_codes() {
    let quiet = |o: &Output| {
        let err = text(&o.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
    };
    let out = im_stdout_closed(&[], &["endpoints"]).await;
    assert_eq!(code(&out), 0);
    quiet(&out);
    let out = im_stdout_closed(
        &[("IM_SECRET_KEY", "k")],
        &["--sdkappid", "1400000001", "usersig", "alice"],
    )
    .await;
    assert_eq!(code(&out), 0);
    quiet(&out);

    let emu = emulator().await;
    let g = creds(&emu);
    let out = im_stdout_closed(
        &[],
        &args(
            &g,
            &["call", "group_open_http_svc/send_group_msg", GROUP_MSG],
        ),
    )
    .await;
    assert_eq!(code(&out), 0, "the call succeeded: {}", text(&out.stderr));
    quiet(&out);
    assert_eq!(emu.inbox("bob").len(), 1);
    // A server failure keeps its code, and stderr still tells it.
    let missing = GROUP_MSG.replace("@TGS#G", "@TGS#MISSING");
    let out = im_stdout_closed(
        &[],
        &args(
            &g,
            &["call", "group_open_http_svc/send_group_msg", &missing],
        ),
    )
    .await;
    assert_eq!(code(&out), 1);
    quiet(&out);
    assert!(text(&out.stderr).contains("10010"), "{}", text(&out.stderr));

    let out = im_stdout_closed(&[], &["demo"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    quiet(&out);
}

/// A password in `--base-url` (or IM_BASE_URL) is refused and never echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_the_base_url_are_never_echoed() {
    let call = ["call", "group_open_http_svc/send_group_msg", GROUP_MSG];
    for url in [
        "https://user:hunter2@console.tim.qq.com",
        "http://user:hunter2@127.0.0.1:9",
        "https://user:hunter2@not a host",
        "https://user:hun/ter2@example.com",
    ] {
        let mut a = vec![
            "--sdkappid",
            "1",
            "--identifier",
            "a",
            "--secret-key",
            "k",
            "--base-url",
            url,
        ];
        a.extend(call);
        let out = im(&[], &a, None).await;
        assert_eq!(code(&out), 2, "{url}");
        let err = text(&out.stderr);
        assert!(
            !err.contains("hunter2") && !err.contains("hun/ter2"),
            "{err}"
        );
        assert!(err.contains("***@"), "{err}");

        let env = [
            ("IM_SDKAPPID", "1"),
            ("IM_IDENTIFIER", "a"),
            ("IM_SECRET_KEY", "k"),
            ("IM_BASE_URL", url),
        ];
        let out = im(&env, &call, None).await;
        assert_eq!(code(&out), 2, "{url}");
        let err = text(&out.stderr);
        assert!(
            !err.contains("hunter2") && !err.contains("hun/ter2"),
            "{err}"
        );
    }
}

/// clap reads the environment, and `--help` names the variables without
/// their values: a secret in the environment never reaches the help text.
#[tokio::test]
async fn help_names_the_variables_but_not_their_values() {
    let secret = "env-secret-never-in-help-7c1d";
    let out = im(
        &[("IM_SECRET_KEY", secret), ("IM_USERSIG", secret)],
        &["--help"],
        None,
    )
    .await;
    assert_eq!(code(&out), 0);
    let help = text(&out.stdout);
    assert!(
        help.contains("IM_SECRET_KEY") && help.contains("IM_USERSIG"),
        "{help}"
    );
    assert!(!help.contains(secret), "{help}");
}

/// Keys nested in a message element are checked like top-level ones: a
/// warning with their path (sent anyway), refused with --strict; a nested
/// type error names the inner field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_unknown_keys_warn_with_their_path() {
    let emu = emulator().await;
    let g = creds(&emu);
    let send = "openim/sendmsg";
    let body = r#"{"From_Account":"alice","To_Account":"bob","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi","Bogus":1}}]}"#;
    let out = im(&[], &args(&g, &["call", send, body]), None).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: unknown field MsgBody[0].MsgContent.Bogus for sendmsg"),
        "{err}"
    );
    assert_eq!(emu.inbox("bob").len(), 1);
    let before = emu.stats().requests;
    let out = im(&[], &args(&g, &["call", "--strict", send, body]), None).await;
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert_eq!(emu.stats().requests, before, "nothing sent");
    let null_text = body.replace(r#""Text":"hi","Bogus":1"#, r#""Text":null"#);
    let out = im(&[], &args(&g, &["call", send, &null_text]), None).await;
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("Text"), "{}", text(&out.stderr));
}
