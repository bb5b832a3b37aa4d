// The bad endpoint is dropped, the good one is still generated: user code
// that uses the good one compiles, and only the spec error is reported.
im_macros::generate!(ext_trait = "Api", module = "ext", file = "specs/mixed.toml", inline = r#"
[[endpoint]]
service = "openim"
command = "good"
summary = "Fine."
request = [{ wire = "To_Account", type = "string", required = true }]

[[endpoint]]
service = "openim"
command = "bad"
summary = "Broken."
request = [{ wire = "To_Account", type = "stirng", required = true }]
"#);

fn main() {
    let _request = ext::api::good::Request::new("bob");
    let _ = <im_api::Client as ext::Api>::good;
}
