im_macros::generate!(ext_trait = "Api", file = "specs/bad.toml", inline = r#"
[[endpoint]]
service = "openim"
command = "sendmsg"
summary = "Send."
request = [
  { wire = "To_Account", typ = "string", required = true },
]
"#);

fn main() {}
