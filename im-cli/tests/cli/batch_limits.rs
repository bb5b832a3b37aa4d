//! `im batch-send` and the limits: a closed stdout ends quietly with the
//! contract's exit code, an unreachable server is a transport failure
//! (exit 3), and `--redis` (or `IM_REDIS_URL`) that does not answer fails
//! closed before anything is sent. (Sharing one quota between processes
//! through a real Redis is tested in tests/tests/e2e/redis_limiter.rs.)

use std::process::{Command, Output, Stdio};

use im_api::emulator::{Emulator, DEFAULT_ADMIN, DEFAULT_SDKAPPID};

/// The key the test emulators verify with (they have no default key).
const KEY: &str = "batch-limits-test-key";

const VARS: [&str; 8] = [
    "IM_SDKAPPID",
    "IM_IDENTIFIER",
    "IM_SECRET_KEY",
    "IM_USERSIG",
    "IM_REGION",
    "IM_BASE_URL",
    "IM_REDIS_URL",
    "IM_REDIS_FALLBACK",
];

/// `im` with a clean environment plus `env`; `close_stdout` closes the
/// read end of its stdout right away (as `| head -0` would).
async fn im(env: &[(&str, &str)], args: &[String], close_stdout: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_im"));
    for v in VARS {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("run im");
        if close_stdout {
            drop(child.stdout.take());
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

/// A list of accounts in a temporary file; its path.
fn list(name: &str, accounts: &[String]) -> String {
    let dir = std::env::temp_dir().join(format!("im-cli-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, accounts.join("\n")).unwrap();
    path.display().to_string()
}

fn args(base_url: &str, rest: &[&str]) -> Vec<String> {
    let app = DEFAULT_SDKAPPID.to_string();
    let mut a: Vec<String> = [
        "--sdkappid",
        app.as_str(),
        "--identifier",
        DEFAULT_ADMIN,
        "--secret-key",
        KEY,
        "--base-url",
        base_url,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    a.extend(rest.iter().map(|s| (*s).to_owned()));
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_send_to_a_closed_stdout_ends_quietly_with_its_exit_code() {
    let accounts: Vec<String> = (0..600).map(|i| format!("c{i}")).collect();
    let emu = Emulator::builder()
        .secret_key(KEY)
        .accounts(accounts.iter().cloned())
        .start()
        .await
        .unwrap();
    let mut with_ghost = accounts.clone();
    with_ghost.push("ghost".into());
    let path = list("closed.txt", &with_ghost);
    let out = im(
        &[],
        &args(
            &emu.base_url(),
            &["batch-send", "--to-file", &path, "--text", "hi"],
        ),
        true,
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(code(&out), 1, "one account failed: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    assert_eq!(emu.inbox("c599").len(), 1, "the send itself went through");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_transport_failure() {
    let path = list("unreachable.txt", &["a".into(), "b".into()]);
    // Nothing listens on port 1 of loopback: every attempt is refused.
    let out = im(
        &[],
        &args(
            "http://127.0.0.1:1",
            &["batch-send", "--to-file", &path, "--text", "hi"],
        ),
        false,
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(code(&out), 3, "{stdout}{stderr}");
    assert!(stdout.contains("delivered 0 of 2 accounts"), "{stdout}");
    assert!(
        stdout.contains("a\t-\t"),
        "each account is listed: {stdout}"
    );
    assert!(stderr.contains("transport error"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_limiter_that_does_not_answer_fails_closed_before_sending() {
    let emu = Emulator::builder()
        .secret_key(KEY)
        .accounts(["a"])
        .start()
        .await
        .unwrap();
    let path = list("redis.txt", &["a".into()]);
    // As a flag after the subcommand, and from the environment.
    let flag = args(
        &emu.base_url(),
        &[
            "batch-send",
            "--redis",
            "redis://127.0.0.1:1/",
            "--to-file",
            &path,
            "--text",
            "hi",
        ],
    );
    let from_env = args(
        &emu.base_url(),
        &["batch-send", "--to-file", &path, "--text", "hi"],
    );
    for (env, args) in [
        (vec![], flag),
        (vec![("IM_REDIS_URL", "redis://127.0.0.1:1/")], from_env),
    ] {
        let out = im(&env, &args, false).await;
        let err = text(&out.stderr);
        assert_eq!(code(&out), 3, "{err}");
        assert!(
            err.contains("redis://127.0.0.1:1/") && err.contains("nothing was sent"),
            "{err}"
        );
    }
    assert_eq!(emu.stats().requests, 0, "nothing reached the server");

    let bad = args(
        &emu.base_url(),
        &[
            "batch-send",
            "--redis",
            "redis://127.0.0.1:1/",
            "--redis-fallback",
            "many",
            "--to-file",
            &path,
            "--text",
            "hi",
        ],
    );
    assert_eq!(code(&im(&[], &bad, false).await), 2);
}
