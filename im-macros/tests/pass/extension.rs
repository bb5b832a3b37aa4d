// A well-formed extension spec compiles warning-free against im-api.
#![deny(warnings)]

im_macros::generate!(ext_trait = "Api", file = "specs/ok.toml", inline = r#"
[[struct]]
name = "Local"
doc = "A local type."
fields = [{ wire = "Value", type = "u64", required = true, doc = "A value." }]

[[endpoint]]
service = "openim"
command = "sendmsg"
summary = "Send a one-to-one message."
errors = [90001, { code = 99999, name = "Weird", retry = "retryable", doc = "Odd." }]
request = [
  { wire = "To_Account", type = "string", required = true, non_empty = true, doc = "Recipient." },
  { wire = "MsgRandom", type = "u32", required = true, fill = "random", doc = "Dedup value." },
  { wire = "MsgBody", type = "[MsgElement]", required = true, min_items = 1, doc = "Body." },
  { wire = "Extra", type = "Local", doc = "Local." },
]
response = [{ wire = "MsgKey", type = "string", doc = "Key." }]
"#);

fn main() {
    let request = api::sendmsg::Request::new("bob", [im_api::types::MsgElement::text("hi")]).extra(types::Local::new(1));
    let _ = request;
    let _ = ENDPOINTS;
}
