//! The validation pass: every spec mistake is found in one run and named by
//! file:line:col, entry and field.

use im_codegen::{load, Source};

fn src(name: &str, text: &str) -> Source {
    Source {
        name: name.into(),
        text: text.into(),
    }
}

fn errors(text: &str) -> Vec<String> {
    let with_catalogue = [src("errors.toml", "[[error]]\ncode = 10002\nname = \"InternalError\"\nretry = \"retryable\"\ndoc = \"x\"\n"), src("bad.toml", text)];
    match load(&with_catalogue, &[]) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn collects_every_semantic_error_with_location() {
    let text = r#"
[[struct]]
name = "Thing"
fields = [
  { wire = "A", type = "string", max_items = 3 },
  { wire = "A", type = "u32" },
]

[[endpoint]]
service = "svc"
command = "cmd"
summary = "Does it."
group_types = ["Lobby"]
errors = [10002, 10002, 60007, 12345]
request = [
  { wire = "Random", type = "u32", min = -1 },
  { wire = "Big", type = "u32", max = 4294967296 },
  { wire = "Which", type = "Mystery" },
  { wire = "N", type = "u64", min = 5, max = 1 },
  { wire = "S", type = "string", fill = "random" },
]
response = [
  { wire = "Out", type = "[string]", max_items = 2 },
]
"#;
    let errs = errors(text);
    let expected = [
        "bad.toml:5:46: struct `Thing`, field `A`: `max_items` does not apply to type `string`",
        "bad.toml:6:12: struct `Thing`, field `A`: duplicate wire name",
        "bad.toml:13:16: endpoint `svc/cmd`: unknown group type `Lobby`",
        "bad.toml:14:18: endpoint `svc/cmd`: error 10002 is listed twice",
        "bad.toml:14:25: endpoint `svc/cmd`: error 60007 is a public code",
        "bad.toml:14:32: endpoint `svc/cmd`: error 12345 is not in the error catalogue",
        "bad.toml:16:42: endpoint `svc/cmd`, field `Random`: -1 is outside the range of `u32`",
        "bad.toml:17:39: endpoint `svc/cmd`, field `Big`: 4294967296 is outside the range of `u32`",
        "bad.toml:18:28: endpoint `svc/cmd`, field `Which`: unknown type `Mystery`",
        "bad.toml:19:37: endpoint `svc/cmd`, field `N`: `min` (5) is greater than `max` (1)",
        "bad.toml:20:41: endpoint `svc/cmd`, field `S`: `fill = \"random\"` needs type u32",
        "bad.toml:23:12: endpoint `svc/cmd`, field `Out`: limits apply to request fields only",
    ];
    assert_eq!(errs.len(), expected.len(), "{errs:#?}");
    for (got, want) in errs.iter().zip(expected) {
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
}

#[test]
fn toml_errors_name_the_position_and_other_files_still_load() {
    let sources = [
        src(
            "a.toml",
            "[[endpoint]]\nservice = \"s\"\ncommand = \"c\"\nsummary = \"x\"\ntypo = 1\n",
        ),
        src("b.toml", "[[struct]]\nname = \"lower_case\"\n"),
    ];
    let errs: Vec<String> = load(&sources, &[])
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0].starts_with("a.toml:5:1: unknown field `typo`"),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].starts_with("b.toml:2:8: type `lower_case`: type names must be UpperCamelCase"),
        "{}",
        errs[1]
    );
}

#[test]
fn names_that_collide_after_snake_casing_are_caught() {
    let errs = errors(
        r#"
[[endpoint]]
service = "s"
command = "c"
summary = "x"
request = [
  { wire = "From_Account", type = "string" },
  { wire = "FromAccount", type = "string" },
  { wire = "Type", type = "string" },
]
"#,
    );
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].contains(
            "field `FromAccount`: Rust name `from_account` collides with field `From_Account`"
        ),
        "{}",
        errs[0]
    );
}

#[test]
fn duplicate_endpoints_and_method_names() {
    let errs = errors(
        r#"
[[endpoint]]
service = "s"
command = "c"
summary = "x"

[[endpoint]]
service = "s"
command = "c"
summary = "x"

[[endpoint]]
service = "t"
command = "c"
summary = "x"
"#,
    );
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs[0].contains("duplicate endpoint"));
    assert!(errs[1].contains("method name `c` is already used by `s/c`"));
    assert!(errs[2].contains("method name `c` is already used by `s/c`"));
}

#[test]
fn the_real_specs_load_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut sources = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for f in files {
        sources.push(src(
            &f.display().to_string(),
            &std::fs::read_to_string(&f).unwrap(),
        ));
    }
    let spec = load(&sources, &[]).unwrap_or_else(|d| panic!("{d}"));
    assert!(spec.endpoints.len() >= 3);
    let batch = spec
        .endpoints
        .iter()
        .find(|e| e.command == "batchsendmsg")
        .unwrap();
    let pf = batch
        .partial_failure
        .as_ref()
        .expect("ErrorList is the partial failure list");
    assert_eq!(pf.list, "ErrorList");
    assert_eq!(
        pf.entry,
        Some((
            "AccountError".to_owned(),
            "To_Account".to_owned(),
            "ErrorCode".to_owned()
        ))
    );
    let chunk = batch.chunk.as_ref().expect("To_Account is chunked");
    assert_eq!(
        (chunk.field.as_str(), chunk.key.as_deref()),
        ("To_Account", None)
    );
    let to = batch
        .request
        .iter()
        .find(|f| f.wire == "To_Account")
        .unwrap();
    assert_eq!(
        (to.limits.min_items, to.limits.max_items),
        (Some(1), Some(500))
    );
}

#[test]
fn union_variants_must_name_known_types_and_at_most_one_must_name_a_tag() {
    let errs = errors(
        r#"
[[enum]]
name = "Mood"
values = [{ wire = "Happy" }]

[[struct]]
name = "Note"
fields = [{ wire = "Text", type = "string", required = true }]

[[union]]
name = "Thing"
tag = "Kind"
content = "Body"
at_most_one = ["NOTE", "Nope"]
variants = [
  { wire = "NOTE", type = "Note" },
  { wire = "MOOD", type = "Mood" },
  { wire = "TEXT", type = "string" },
  { wire = "LOST", type = "Missing" },
]
"#,
    );
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0].contains(
            "field `LOST`: unknown type `Missing`: a union variant holds a declared type or a field type"
        ),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].contains("field `Nope`: `at_most_one` names no variant tag"),
        "{}",
        errs[1]
    );
}

/// im-api's shared types live in types.toml only: it is what extension crates
/// resolve names against (`im_codegen::builtin_sources`), so a type declared
/// in an endpoint file would be invisible to them.
#[test]
fn im_api_declares_types_only_in_types_toml() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".toml") || name == "types.toml" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for table in ["[[struct]]", "[[enum]]", "[[union]]"] {
            assert!(
                !text.lines().any(|l| l.trim() == table),
                "{name} declares a {table}: move it to types.toml"
            );
        }
    }
}

/// Every Rust name derived from a wire name keeps acronyms together: no
/// `all_c2_c_unread_msg_num`, no `user_i_ds`. A segment never starts with a
/// digit, and a one-letter segment only stands for a one-letter word of the
/// wire name (`iOSBadge` -> `i_os_badge`).
#[test]
fn derived_names_keep_acronyms_together() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut sources = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            sources.push(src(
                &p.display().to_string(),
                &std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    let spec = load(&sources, &[]).unwrap_or_else(|d| panic!("{d}"));
    let mut names: Vec<(String, String)> = Vec::new();
    for e in &spec.endpoints {
        names.push((e.command.clone(), e.rust.clone()));
        for f in e.request.iter().chain(&e.response) {
            names.push((f.wire.clone(), f.rust.clone()));
        }
    }
    for t in &spec.types {
        if let im_codegen::TypeDef::Struct(s) = t {
            for f in &s.fields {
                names.push((f.wire.clone(), f.rust.clone()));
            }
        }
    }
    assert!(names.len() > 1000, "{}", names.len());
    let mut bad = Vec::new();
    for (wire, rust) in &names {
        let segs: Vec<&str> = rust.trim_start_matches("r#").split('_').collect();
        let digit_start = segs
            .iter()
            .any(|s| s.starts_with(|c: char| c.is_ascii_digit()));
        let lone = segs.iter().enumerate().any(|(i, s)| {
            s.len() == 1
                && !(i == 0
                    && wire.starts_with(|c: char| c.is_ascii_lowercase())
                    && wire.chars().nth(1).is_some_and(char::is_uppercase))
        });
        if digit_start || lone {
            bad.push(format!("{wire} -> {rust}"));
        }
    }
    assert!(bad.is_empty(), "names that split an acronym: {bad:#?}");
    let find = |w: &str| {
        names
            .iter()
            .find(|(wire, _)| wire == w)
            .map(|(_, r)| r.as_str())
    };
    assert_eq!(find("AllC2CUnreadMsgNum"), Some("all_c2c_unread_msg_num"));
    assert_eq!(
        find("get_c2c_unread_msg_num"),
        Some("get_c2c_unread_msg_num")
    );
}
