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
    let mut file: syn::File = syn::parse2(tokens).expect("generated code parses");
    file.items = file.items.into_iter().flat_map(expand_cfg_items).collect();
    prettyplease::unparse(&file)
}

/// `::im_api::__cfg_items! { #[cfg(..)] items }` (a shared type that only
/// some API families use) shown as what it expands to, the items each with
/// the `cfg`, so that the snapshot stays formatted code, not a token run.
fn expand_cfg_items(item: syn::Item) -> Vec<syn::Item> {
    match item {
        syn::Item::Macro(m)
            if m.mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "__cfg_items") =>
        {
            let parser = |input: syn::parse::ParseStream| {
                let attrs = input.call(syn::Attribute::parse_outer)?;
                let mut items = Vec::new();
                while !input.is_empty() {
                    let item: syn::Item = input.parse()?;
                    items.push(syn::parse_quote!(#(#attrs)* #item));
                }
                Ok(items)
            };
            syn::parse::Parser::parse2(parser, m.mac.tokens).expect("cfg items parse")
        }
        syn::Item::Mod(mut m) => {
            if let Some((brace, items)) = m.content.take() {
                let items = items.into_iter().flat_map(expand_cfg_items).collect();
                m.content = Some((brace, items));
            }
            vec![syn::Item::Mod(m)]
        }
        other => vec![other],
    }
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

/// im-api has one cargo feature per API family (spec file with endpoints),
/// and `full` lists them all: checked against the spec files, so a new
/// family cannot be forgotten (its code would never be compiled).
#[test]
fn im_api_has_a_feature_per_family() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec =
        im_codegen::load(&read_dir(&root.join("specs")), &[]).unwrap_or_else(|d| panic!("{d}"));
    let families: std::collections::BTreeSet<String> =
        spec.endpoints.iter().map(|e| e.family()).collect();
    let manifest: toml::Table = std::fs::read_to_string(root.join("im-api/Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let features = manifest["features"].as_table().unwrap();
    let full: std::collections::BTreeSet<String> = features["full"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(full, families, "im-api's `full` feature and the families");
    for f in &families {
        assert!(features.contains_key(f), "no feature `{f}` in im-api");
    }
    let default: Vec<&str> = features["default"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(default.contains(&"full"), "every family by default");
}
