//! Snapshots of the generated code, formatted with prettyplease, so a
//! reviewer sees exactly what a spec change does to the bindings.
//! Update with `INSTA_UPDATE=always cargo test -p im-codegen` (or cargo insta review).

use std::path::Path;

use im_codegen::{expand, Mode, Options, Source};

fn read_dir(dir: &Path) -> Vec<Source> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| Source {
            name: format!("specs/{}", f.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(f).unwrap(),
        })
        .collect()
}

fn pretty(sources: &[Source], mode: Mode) -> String {
    let (tokens, diags) = expand(sources, &Options { mode });
    assert!(diags.is_empty(), "{diags}");
    prettyplease::unparse(&syn::parse2(tokens).expect("generated code parses"))
}

#[test]
fn im_api_bindings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let code = pretty(&read_dir(&root.join("specs")), Mode::Internal);
    insta::assert_snapshot!("im_api_bindings", code);
}

#[test]
fn extension_bindings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("tests/specs/extra.toml")).unwrap();
    let code = pretty(
        &[Source {
            name: "specs/extra.toml".into(),
            text,
        }],
        Mode::Extension {
            trait_name: "ExtraApi".into(),
            module: "extra_api".into(),
        },
    );
    insta::assert_snapshot!("extension_bindings", code);
}

#[test]
fn small_spec_reads_like_hand_written_code() {
    let text = r#"
[[enum]]
name = "Color"
doc = "A color."
values = [{ wire = "RED", doc = "Red." }, { wire = "DarkBlue", doc = "Dark blue." }]

[[endpoint]]
service = "demo_svc"
command = "paint"
summary = "Paint something."
rate = { per_second = 5 }
errors = [{ code = 10001, name = "NoPaint", retry = "retryable", doc = "Out of paint." }]
request = [
  { wire = "Target_Id", type = "string", required = true, non_empty = true, doc = "What to paint." },
  { wire = "Color", type = "Color", doc = "Which color." },
  { wire = "Coats", type = "u32", min = 1, max = 3, doc = "How many coats." },
  { wire = "Dry", type = "bool01", doc = "Wait until dry." },
]
response = [
  { wire = "PaintedAt", type = "i64", required = true, doc = "When." },
]
"#;
    let code = pretty(
        &[Source {
            name: "demo.toml".into(),
            text: text.into(),
        }],
        Mode::Extension {
            trait_name: "DemoApi".into(),
            module: "demo_api".into(),
        },
    );
    insta::assert_snapshot!("small_spec", code);
}
