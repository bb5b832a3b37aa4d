im_macros::generate!(file = "specs/ok.toml", inline = r#"
[[endpoint]]
service = "openim"
command = "sendmsg"
summary = "Send."
"#);

fn main() {}
