//! Documentation text of endpoints: what it does, where Tencent documents
//! it, its rates and quotas, and a short example built from the spec.

use super::Gen;
use crate::model::*;

/// How deep the example builder follows nested required structs.
const MAX_EXAMPLE_DEPTH: usize = 4;

impl Gen<'_> {
    /// The doc shared by an endpoint's module and its `Client` method.
    /// `link_errors`: link the error enum (method docs), else name it (module docs).
    pub(super) fn endpoint_doc(&self, e: &Endpoint, link_errors: bool) -> String {
        let mut s = format!("{}\n\n", e.summary);
        if !e.doc.is_empty() {
            s.push_str(&e.doc);
            s.push_str("\n\n");
        }
        s.push_str(&format!("`POST /v4/{}`", e.path()));
        if let Some(r) = e.rate.per_second {
            s.push_str(&format!("; at most {r} calls/s"));
        }
        if let Some(r) = e.rate.per_group_per_second {
            s.push_str(&format!(", {r} messages/s per group"));
        }
        s.push('.');
        for q in &e.rate.quotas {
            let what = q
                .count
                .as_ref()
                .map_or("calls".to_owned(), |c| format!("`{c}` items"));
            s.push_str(&format!(" At most {} {what} per {}", q.limit, q.per.name()));
            if !q.doc.is_empty() {
                s.push_str(&format!(" ({})", q.doc.trim_end_matches('.')));
            }
            s.push('.');
        }
        if !e.group_types.is_empty() {
            s.push_str(&format!(" Group types: {}.", e.group_types.join(", ")));
        }
        if !e.errors.is_empty() {
            let list: Vec<String> = e.errors.iter().map(|x| x.code.to_string()).collect();
            let target = if !link_errors {
                "`Error`".to_owned()
            } else if self.internal {
                format!("[`api::{0}::Error`](crate::api::{0}::Error)", e.rust)
            } else {
                format!("[`api::{0}::Error`](api::{0}::Error)", e.rust)
            };
            s.push_str(&format!(
                " Documented error codes: {} (see {target}).",
                list.join(", ")
            ));
        }
        if e.partial_failure.is_some() {
            s.push_str(" Per-item failures are returned in the response, not as an error.");
        }
        if let Some(c) = &e.chunk {
            s.push_str(&format!(
                " `{}` may be split across calls: `Client::send_chunked`.",
                c.field
            ));
        }
        if let Some(p) = &e.page {
            s.push_str(&format!(
                " Paged: `Client::pages` yields every `{}`.",
                p.items
            ));
        }
        if e.partial {
            s.push_str("\n\nThe spec entry is partial: Tencent publishes no full field table, so unmodelled fields pass through `extra`.");
        }
        let links: Vec<String> = e
            .sources
            .iter()
            .filter(|u| u.starts_with("http"))
            .map(|u| {
                format!(
                    "[{}]({u})",
                    u.trim_start_matches("https://")
                        .trim_start_matches("http://")
                )
            })
            .collect();
        if !links.is_empty() {
            s.push_str(&format!(
                "\n\nTencent's documentation: {}.",
                links.join(", ")
            ));
        }
        if self.internal {
            s.push_str("\n\n# Example\n\n");
            s.push_str(&self.example_call(e));
        }
        s
    }

    /// A compiled (not run) example calling the endpoint with its required fields.
    fn example_call(&self, e: &Endpoint) -> String {
        let m = &e.rust;
        let args = self.ctor_args(&e.request, "Request", &format!("{m}::"), 0);
        let mut s = String::from("```no_run\n");
        s.push_str(
            "# async fn example(client: &im_api::Client) -> Result<(), im_api::AnyError> {\n",
        );
        s.push_str(&format!("use im_api::api::{m};\n\n"));
        s.push_str(&format!("let request = {m}::Request::new({args});\n"));
        s.push_str(&format!("let response = client.{m}(request).await?;\n"));
        s.push_str("# let _ = response;\n# Ok(()) }\n```");
        s
    }

    /// The arguments of `new` for a record: positional, or a `Required` struct.
    fn ctor_args(&self, fields: &[Field], name: &str, prefix: &str, depth: usize) -> String {
        let ctor: Vec<&Field> = fields.iter().filter(|f| f.in_constructor()).collect();
        if needs_required_struct(&ctor) {
            let struct_name = required_struct_name(name);
            let inits: Vec<String> = ctor
                .iter()
                .map(|f| format!("{}: {}", f.rust, self.owned_expr(f, &f.ty, depth)))
                .collect();
            format!("{prefix}{struct_name} {{ {} }}", inits.join(", "))
        } else {
            ctor.iter()
                .map(|f| self.param_expr(f, &f.ty, depth))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// A value for a setter/constructor parameter (`impl Into<String>`, iterators).
    fn param_expr(&self, f: &Field, ty: &Ty, depth: usize) -> String {
        match ty {
            Ty::String => format!("{:?}", example_string(&f.wire)),
            Ty::Array(inner) => format!("[{}]", self.param_expr(f, inner, depth)),
            Ty::Map(inner) => format!(
                "[(String::from(\"key\"), {})]",
                self.owned_expr(f, inner, depth)
            ),
            other => self.owned_expr(f, other, depth),
        }
    }

    /// A value of the field's stored (owned) type.
    fn owned_expr(&self, f: &Field, ty: &Ty, depth: usize) -> String {
        match ty {
            Ty::String => format!("{:?}.into()", example_string(&f.wire)),
            Ty::U32 | Ty::U64 | Ty::I32 | Ty::I64 | Ty::I64OrString => f
                .limits
                .min
                .unwrap_or(1)
                .max(f.limits.min.unwrap_or(i64::MIN))
                .to_string(),
            Ty::F64 => "0.0".into(),
            Ty::Bool01 | Ty::Bool => "true".into(),
            Ty::Json => "Default::default()".into(),
            Ty::Array(inner) => format!("vec![{}]", self.owned_expr(f, inner, depth)),
            Ty::Map(_) => "Default::default()".into(),
            Ty::Named(n) => self.named_expr(n, depth),
        }
    }

    fn named_expr(&self, n: &str, depth: usize) -> String {
        let path = format!("im_api::types::{n}");
        match self.spec.type_def(n) {
            Some(TypeDef::Enum(e)) => match e.values.first() {
                Some(v) => format!("{path}::{}", v.name),
                None => "Default::default()".into(),
            },
            Some(TypeDef::Struct(s)) if depth < MAX_EXAMPLE_DEPTH => {
                let args = self.ctor_args(&s.fields, &s.name, "im_api::types::", depth + 1);
                format!("{path}::new({args})")
            }
            Some(TypeDef::Union(u)) if u.name == "MsgElement" => format!("{path}::text(\"hello\")"),
            Some(TypeDef::Union(u)) if depth < MAX_EXAMPLE_DEPTH => match u.variants.first() {
                Some(v) => {
                    let f = Field::plain(&v.wire, v.ty.clone());
                    format!(
                        "{path}::{}({})",
                        v.name,
                        self.owned_expr(&f, &v.ty, depth + 1)
                    )
                }
                None => "todo!()".into(),
            },
            _ => "todo!()".into(),
        }
    }
}

/// Whether a constructor takes a `Required` struct instead of positional
/// arguments: two or more of its parameters have the same type, so a
/// positional call could swap them silently.
pub(super) fn needs_required_struct(ctor: &[&Field]) -> bool {
    ctor.iter()
        .enumerate()
        .any(|(i, a)| ctor[i + 1..].iter().any(|b| b.ty == a.ty))
}

/// `Required` for an endpoint's `Request`, `{Name}Required` for a shared type.
pub(super) fn required_struct_name(record: &str) -> String {
    if record == "Request" {
        "Required".to_owned()
    } else {
        format!("{record}Required")
    }
}

/// A readable example string for a wire name.
fn example_string(wire: &str) -> &'static str {
    let w = wire.to_ascii_lowercase();
    if w.contains("account") || w == "userid" || w.contains("user_id") {
        "alice"
    } else if w.contains("groupid") {
        "@TGS#2C5SZEAEF"
    } else if w.contains("msgkey") {
        "31906_833502_1572869830"
    } else if w.contains("text") || w.contains("content") || w.contains("desc") {
        "hello"
    } else {
        "example"
    }
}
