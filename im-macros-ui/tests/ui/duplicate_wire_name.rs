im_macros::generate!(ext_trait = "Api", file = "specs/bad.toml", inline = r#"
[[endpoint]]
service = "openim"
command = "sendmsg"
summary = "Send."
request = [
  { wire = "From_Account", type = "string" },
  { wire = "From_Account", type = "string" },
]
"#);

fn main() {}
