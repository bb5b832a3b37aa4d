//! The `im` binary's contract, driven as a user would: every exit code,
//! stdin/@file/inline bodies, flags over the environment, the batch-send
//! report. A local emulator (in this process) plays the server.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use im_api::emulator::{Emulator, Fault, DEFAULT_ADMIN, DEFAULT_KEY, DEFAULT_SDKAPPID};
use im_api::types::GroupType;

const VARS: [&str; 6] = [
    "IM_SDKAPPID",
    "IM_IDENTIFIER",
    "IM_SECRET_KEY",
    "IM_USERSIG",
    "IM_REGION",
    "IM_BASE_URL",
];

/// `im` with a clean environment plus `env`, the arguments, and `stdin`.
async fn im(env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_im"));
    for v in VARS {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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

fn creds(emu: &Emulator) -> Vec<String> {
    vec![
        "--sdkappid".into(),
        DEFAULT_SDKAPPID.to_string(),
        "--identifier".into(),
        DEFAULT_ADMIN.into(),
        "--secret-key".into(),
        DEFAULT_KEY.into(),
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
        err.contains("ErrorCode 10010") && err.contains("group not found"),
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
    assert!(
        text(&out.stderr).contains("4 attempt(s)"),
        "{}",
        text(&out.stderr)
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
    let env_ok = [
        ("IM_SDKAPPID", sdk.as_str()),
        ("IM_IDENTIFIER", DEFAULT_ADMIN),
        ("IM_SECRET_KEY", DEFAULT_KEY),
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
    let sig = im_api::Signer::new(DEFAULT_SDKAPPID, im_api::SecretKey::new(DEFAULT_KEY))
        .sign(DEFAULT_ADMIN, 3600);
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
        report.contains("ghost-one\t90012") && report.contains("ghost-two\t90012"),
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
async fn endpoints_lists_the_spec_with_rates() {
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
    assert_eq!(list.lines().count(), im_api::ENDPOINTS.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_subcommand_serves_calls() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_im"))
        .args(["emulator", "--listen", &listen])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://{listen}");
    let mut ok = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&listen).is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ok, "the emulator came up");
    let sdk = DEFAULT_SDKAPPID.to_string();
    let env = [
        ("IM_SDKAPPID", sdk.as_str()),
        ("IM_IDENTIFIER", DEFAULT_ADMIN),
        ("IM_SECRET_KEY", DEFAULT_KEY),
        ("IM_BASE_URL", url.as_str()),
    ];
    let body = r#"{"GroupId":"@TGS#NONE","Content":"hello"}"#;
    let out = im(
        &env,
        &[
            "call",
            "group_open_http_svc/send_group_system_notification",
            body,
        ],
        None,
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = im(&[], &["emulator", "--listen", "10.1.2.3:80"], None).await;
    assert_eq!(code(&out), 2, "loopback only");
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
