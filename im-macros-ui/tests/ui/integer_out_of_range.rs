im_macros::generate!(ext_trait = "Api", file = "specs/bad.toml", inline = r#"
[[endpoint]]
service = "openim"
command = "sendmsg"
summary = "Send."
request = [
  { wire = "MsgRandom", type = "u32", max = 4294967296 },
]
"#);

fn main() {}
