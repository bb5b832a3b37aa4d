im_macros::generate!(ext_trait = "Api", file = "specs/bad.toml", inline = r#"
[[endpoint]]
service = "openim"
command = "sendmsg"
summary = "Send."
errors = [{ code = 99999, name = "Weird", retry = "sometimes", doc = "?" }]
"#);

fn main() {}
