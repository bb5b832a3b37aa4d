im_macros::generate!(ext_trait = "Api", file = "specs/bad.toml", inline = r#"
[[endpoint]]
service = "openim"
command = "sendmsg"
summary = "Send."
request = [
  { wire = "To_Account", type = "string", max_items = 500 },
  { wire = "To_List", type = "[string]", min_items = 10, max_items = 5 },
]
"#);

fn main() {}
