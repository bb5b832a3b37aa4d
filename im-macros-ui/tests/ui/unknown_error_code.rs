im_macros::generate!(ext_trait = "Api", file = "specs/bad.toml", inline = r#"
[[endpoint]]
service = "openim"
command = "sendmsg"
summary = "Send."
errors = [90001, 99999, 70001]
"#);

fn main() {}
