//! `im spec`, driven as a user would: the export (checked by a real OpenAPI
//! 3.1 validator when one is installed, and always on CI), its coverage of
//! every endpoint, field, limit and callback, the round trip through
//! `import`, Tencent's own OpenAPI file, `import --write`, `diff` between
//! directories and git revisions, and `lint`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use im_codegen::{Field, Spec, TypeDef};
use serde_json::Value;

/// The pinned validator `.ci/run` installs.
const VALIDATOR: &str = "openapi-spec-validator==0.9.0";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn specs() -> PathBuf {
    root().join("specs")
}

/// `im` run from the workspace root, without `IM_SPEC_DIR` unless `env` sets it.
fn im(env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_im"))
        .current_dir(root())
        .env_remove("IM_SPEC_DIR")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run im")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("im-spec-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn spec_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("spec directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// A copy of the project's spec files in a new directory `dir`.
fn copy_specs(dir: &Path) {
    std::fs::create_dir_all(dir).expect("spec copy directory");
    for p in spec_files(&specs()) {
        let dest = dir.join(p.file_name().expect("file name"));
        std::fs::copy(p, dest).expect("copy");
    }
}

/// Replace `old`, which must occur once, in the spec file `file` of `dir`.
fn edit(dir: &Path, file: &str, old: &str, new: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(text.matches(old).count(), 1, "{old:?} in {file}");
    std::fs::write(path, text.replacen(old, new, 1)).expect("write");
}

/// The project's spec, loaded as the build loads it.
fn load_spec() -> Spec {
    let sources: Vec<im_codegen::Source> = spec_files(&specs())
        .iter()
        .map(|p| im_codegen::Source {
            name: p.display().to_string(),
            text: std::fs::read_to_string(p).expect("spec file"),
        })
        .collect();
    im_codegen::load(&sources, &[]).unwrap_or_else(|d| panic!("{d}"))
}

/// `im spec export --out FILE` of the project's spec into `dir`.
fn export(dir: &Path, file: &str) -> (PathBuf, Value) {
    let out = dir.join(file);
    let o = im(
        &[],
        &[
            "spec",
            "export",
            "--spec",
            path_str(&specs()),
            "--out",
            path_str(&out),
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let written = std::fs::read_to_string(&out).expect("the export");
    let doc = if file.ends_with(".json") {
        serde_json::from_str(&written).expect("JSON")
    } else {
        Value::Null
    };
    (out, doc)
}

#[test]
fn export_is_valid_openapi_3_1() {
    let dir = scratch("validate");
    let (file, doc) = export(&dir, "openapi.json");
    assert_eq!(doc["openapi"], "3.1.0");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let installed = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            !ci,
            "CI=true but python3 cannot import openapi_spec_validator (pip install {VALIDATOR})"
        );
        eprintln!(
            "skipped: python3 -c 'import openapi_spec_validator' failed; `pip install {VALIDATOR}` to run this check"
        );
        return;
    }
    let o = Command::new("python3")
        .args([
            "-m",
            "openapi_spec_validator",
            "--schema",
            "3.1",
            path_str(&file),
        ])
        .output()
        .expect("run openapi-spec-validator");
    assert!(
        o.status.success(),
        "openapi-spec-validator rejects the export:\n{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

#[test]
fn export_goes_to_stdout_from_the_default_spec_directory() {
    let o = im(&[], &["spec", "export"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(doc["openapi"], "3.1.0");
}

/// The schema of a field carries its limits.
fn check_field(s: &Value, f: &Field, at: &str) {
    let at = format!("{at}, field {}", f.wire);
    assert!(s.is_object(), "{at}: missing from the export");
    let l = &f.limits;
    let exact = [
        ("maxItems", l.max_items.map(Value::from)),
        ("x-im-max-bytes", l.max_bytes.map(Value::from)),
        ("x-im-min-bytes", l.min_bytes.map(Value::from)),
        ("minimum", l.min.map(Value::from)),
        ("maximum", l.max.map(Value::from)),
        ("x-im-max-json-bytes", l.max_json_bytes.map(Value::from)),
        (
            "x-im-legacy-max-json-bytes",
            l.legacy_max_json_bytes.map(Value::from),
        ),
    ];
    for (key, want) in exact {
        if let Some(want) = want {
            assert_eq!(s[key], want, "{at}: {key}");
        }
    }
    if let Some(min) = l.min_items {
        assert!(
            s["minItems"].as_u64().is_some_and(|m| m >= min),
            "{at}: minItems"
        );
    }
    if l.non_empty {
        assert_eq!(s["x-im-non-empty"], true, "{at}: non_empty");
    }
    if let Some(n) = l.item_max_bytes {
        assert_eq!(s["items"]["x-im-max-bytes"], n, "{at}: item_max_bytes");
    }
    if f.fill_random {
        assert_eq!(s["x-im-fill"], "random", "{at}: fill");
    }
}

/// Every field of `fields` in the object schema `object`, with `required`.
fn check_object(object: &Value, fields: &[Field], at: &str) {
    let required: Vec<&str> = object["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for f in fields {
        check_field(&object["properties"][f.wire.as_str()], f, at);
        assert_eq!(
            required.contains(&f.wire.as_str()),
            f.required,
            "{at}, field {}: required",
            f.wire
        );
    }
}

#[test]
fn export_has_every_endpoint_field_limit_type_and_callback() {
    let spec = load_spec();
    let dir = scratch("coverage");
    let (_, doc) = export(&dir, "openapi.json");
    for ep in &spec.endpoints {
        let at = ep.path();
        let op = &doc["paths"][format!("/v4/{}/{}", ep.service, ep.command)]["post"];
        assert!(op.is_object(), "{at}: no operation");
        assert_eq!(op["operationId"], ep.rust.as_str(), "{at}");
        let request = &op["requestBody"]["content"]["application/json"]["schema"];
        check_object(request, &ep.request, &at);
        let response = &op["responses"]["200"]["content"]["application/json"]["schema"];
        check_object(&response["allOf"][1], &ep.response, &at);
        assert_eq!(
            op["x-im-rate"]["per_second"].as_u64(),
            ep.rate.per_second.map(u64::from),
            "{at}: rate"
        );
        let codes: Vec<i64> = op["x-im-errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["code"].as_i64()).collect())
            .unwrap_or_default();
        for e in &ep.errors {
            assert!(codes.contains(&e.code), "{at}: error {}", e.code);
        }
        if !ep.aliases.is_empty() {
            assert_eq!(
                op["x-im-aliases"],
                serde_json::json!(ep.aliases),
                "{at}: aliases"
            );
        }
        assert_eq!(
            op["x-im-paging"].is_object(),
            ep.page.is_some(),
            "{at}: paging"
        );
        assert_eq!(
            op["x-im-chunk"].is_object(),
            ep.chunk.is_some(),
            "{at}: chunk"
        );
        assert_eq!(
            op["x-im-conflicts"].as_array().map_or(0, Vec::len),
            ep.conflicts.len(),
            "{at}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for t in &spec.types {
        let at = format!("type {}", t.name());
        let s = &schemas[t.name()];
        match t {
            TypeDef::Struct(st) => check_object(s, &st.fields, &at),
            TypeDef::Enum(e) => {
                let listed = s["anyOf"][0]["enum"].as_array().map_or(0, Vec::len);
                assert_eq!(listed, e.values.len(), "{at}: values");
                assert_eq!(s["x-im-open"], true, "{at}");
            }
            TypeDef::Union(u) => {
                assert_eq!(s["discriminator"]["propertyName"], u.tag.as_str(), "{at}");
                for v in &u.variants {
                    let target = &s["discriminator"]["mapping"][v.wire.as_str()];
                    assert!(target.is_string(), "{at}: variant {}", v.wire);
                }
            }
        }
    }
    for cb in &spec.callbacks {
        let op = &doc["webhooks"][cb.command.as_str()]["post"];
        let at = format!("callback {}", cb.command);
        check_object(
            &op["requestBody"]["content"]["application/json"]["schema"],
            &cb.request,
            &at,
        );
        let answer = &op["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][1];
        check_object(answer, &cb.answer, &at);
    }
    let servers: Vec<&str> = doc["servers"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["url"].as_str()).collect())
        .unwrap_or_default();
    for region in im_api::Region::ALL {
        assert!(
            servers.contains(&format!("https://{}", region.domain()).as_str()),
            "{region:?}"
        );
    }
    for p in ["sdkappid", "identifier", "usersig", "random", "contenttype"] {
        assert_eq!(doc["components"]["parameters"][p]["in"], "query", "{p}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["UserSig"]["type"],
        "apiKey"
    );
}

#[test]
fn export_then_import_reports_no_differences() {
    let dir = scratch("roundtrip");
    for name in ["openapi.json", "openapi.yaml"] {
        let (file, _) = export(&dir, name);
        let o = im(
            &[],
            &[
                "spec",
                "import",
                path_str(&file),
                "--spec",
                path_str(&specs()),
            ],
        );
        let out = text(&o.stdout);
        assert_eq!(code(&o), 0, "{name}:\n{out}{}", text(&o.stderr));
        assert!(out.contains("Mode: exact"), "{out}");
        assert!(out.contains("No differences."), "{out}");
    }
}

/// Tencent's OpenAPI file (shared/ lies beside the clone, on CI too).
fn tencent_file() -> Option<PathBuf> {
    [
        root().join("../shared/reference/tencent-openapi-2022.yaml"),
        PathBuf::from("/work/shared/reference/tencent-openapi-2022.yaml"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

#[test]
fn tencent_openapi_file_gives_a_report() {
    let Some(file) = tencent_file() else {
        eprintln!("skipped: shared/reference/tencent-openapi-2022.yaml not found");
        return;
    };
    let o = im(
        &[],
        &[
            "spec",
            "import",
            path_str(&file),
            "--spec",
            path_str(&specs()),
        ],
    );
    let out = text(&o.stdout);
    assert_eq!(code(&o), 1, "{out}{}", text(&o.stderr));
    assert!(out.contains("Mode: lenient"), "{out}");
    let summary = out
        .lines()
        .find(|l| l.starts_with("- Endpoints: "))
        .expect("summary line");
    let matched: usize = summary["- Endpoints: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(matched >= 70, "{summary}");
    assert!(out.contains("## Differences by endpoint"), "{out}");
}

#[test]
fn import_write_adds_what_is_missing_in_a_new_checked_file() {
    let dir = scratch("write");
    let (file, _) = export(&dir, "openapi.json");
    let specs_dir = dir.join("specs");
    copy_specs(&specs_dir);
    // This copy forgets `im_open_login_svc/kick`.
    let account = specs_dir.join("account.toml");
    let original = std::fs::read_to_string(&account).expect("account.toml");
    let blocks: Vec<&str> = original.split("\n[[endpoint]]\n").collect();
    let kept: Vec<&str> = blocks
        .iter()
        .copied()
        .filter(|b| !b.contains("command = \"kick\""))
        .collect();
    assert_eq!(kept.len() + 1, blocks.len());
    std::fs::write(account, kept.join("\n[[endpoint]]\n")).expect("write");
    let before: Vec<(PathBuf, String)> = spec_files(&specs_dir)
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).expect("read");
            (p, t)
        })
        .collect();

    let args = [
        "spec",
        "import",
        path_str(&file),
        "--spec",
        path_str(&specs_dir),
        "--write",
    ];
    let o = im(&[], &args);
    let out = text(&o.stdout);
    assert_eq!(code(&o), 1, "{out}{}", text(&o.stderr));
    assert!(out.contains("`im_open_login_svc/kick`"), "{out}");
    let written = std::fs::read_to_string(specs_dir.join("imported.toml")).expect("imported.toml");
    assert!(written.contains("command = \"kick\""), "{written}");
    assert!(written.contains("partial = true"), "{written}");
    assert!(written.contains("wire = \"UserID\""), "{written}");
    for (p, t) in &before {
        assert_eq!(
            &std::fs::read_to_string(p).expect("read"),
            t,
            "{} changed",
            p.display()
        );
    }

    let o = im(&[], &["spec", "lint", path_str(&specs_dir)]);
    assert_eq!(code(&o), 0, "{}", text(&o.stdout));
    let o = im(&[], &args);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(!specs_dir.join("imported_2.toml").exists());
}

#[test]
fn diff_classifies_changes_and_exits_1_when_breaking() {
    let base = scratch("diff");
    let (old, new) = (base.join("old"), base.join("new"));
    copy_specs(&old);
    copy_specs(&new);
    let diff = || {
        let o = im(&[], &["spec", "diff", path_str(&old), path_str(&new)]);
        (code(&o), text(&o.stdout) + &text(&o.stderr))
    };
    let (status, out) = diff();
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("No API changes."), "{out}");

    edit(
        &new,
        "account.toml",
        "  { wire = \"IsNeedDetail\", type = \"bool01\",",
        "  { wire = \"Extra2\", type = \"string\", doc = \"x\" },\n  { wire = \"IsNeedDetail\", type = \"bool01\",",
    );
    let (status, out) = diff();
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("## Additions"), "{out}");
    assert!(
        out.contains("`openim/query_online_status`: new request field `Extra2` (string)"),
        "{out}"
    );
    assert!(!out.contains("## Breaking changes"), "{out}");

    edit(
        &new,
        "account.toml",
        "max_items = 100, doc = \"The accounts to check",
        "max_items = 50, doc = \"The accounts to check",
    );
    edit(
        &new,
        "account.toml",
        "  { wire = \"QueryResult\", type = \"[OnlineStatusResult]\", doc = \"One status per account that could be queried.\" },\n",
        "",
    );
    let (status, out) = diff();
    assert_eq!(status, 1, "{out}");
    let breaking = out.find("## Breaking changes").expect("breaking section");
    let additions = out.find("## Additions").expect("additions section");
    for line in [
        "`im_open_login_svc/account_check`: request field `CheckItem`: max_items changed from 100 to 50",
        "`openim/query_online_status`: response field `QueryResult` removed",
    ] {
        let at = out.find(line).unwrap_or_else(|| panic!("{line}\n{out}"));
        assert!(breaking < at && at < additions, "{out}");
    }
}

#[test]
fn diff_reads_git_revisions() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root())
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !git(&["rev-parse", "--verify", "HEAD"]) {
        eprintln!("skipped: not a git checkout");
        return;
    }
    let o = im(
        &[],
        &["spec", "diff", "HEAD", "no-such-revision-or-directory"],
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    if !git(&["diff", "--quiet", "HEAD", "--", "specs", "im-codegen"]) {
        eprintln!("skipped: specs/ or im-codegen/ differ from HEAD, whose spec may not load with this build");
        return;
    }
    let o = im(&[], &["spec", "diff", "HEAD", "specs"]);
    let out = text(&o.stdout);
    assert_eq!(code(&o), 0, "{out}{}", text(&o.stderr));
    assert!(out.contains("No API changes."), "{out}");
}

#[test]
fn lint_is_clean_and_points_at_problems() {
    let o = im(&[], &["spec", "lint", path_str(&specs())]);
    assert_eq!(code(&o), 0, "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("no problems"));

    let dir = scratch("lint");
    copy_specs(&dir);
    let original = std::fs::read_to_string(dir.join("account.toml")).expect("account.toml");
    let needle = "{ wire = \"Nick\", type = \"string\"";
    let offset = original.find(needle).expect("Nick");
    let line = original[..offset].matches('\n').count() + 1;
    edit(
        &dir,
        "account.toml",
        needle,
        "{ wire = \"Nick\", type = \"strng\"",
    );
    let o = im(&[("IM_SPEC_DIR", path_str(&dir))], &["spec", "lint"]);
    let out = text(&o.stdout);
    assert_eq!(code(&o), 1, "{out}");
    assert!(out.contains(&format!("account.toml:{line}:")), "{out}");
    assert!(out.contains("strng"), "{out}");
    assert!(out.contains("1 problem(s)"), "{out}");
}
