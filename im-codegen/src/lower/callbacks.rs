//! `[[callback]]`: commands Tencent POSTs to the app's callback URL.

use std::collections::{BTreeMap, HashMap};

use toml::Spanned;

use super::{doc_of, Kind, Lowering};
use crate::diag::Source;
use crate::model::*;
use crate::names;
use crate::raw::RawCallback;

/// Query parameters a callback may send besides `SdkAppid`,
/// `CallbackCommand` and `contenttype`.
const OPTIONAL_QUERY: &[&str] = &["ClientIP", "OptPlatform", "Sign", "RequestTime"];

impl Lowering<'_> {
    pub(super) fn lower_callback(
        &mut self,
        src: &Source,
        cb: &Spanned<RawCallback>,
        known: &BTreeMap<String, Kind>,
        seen: &mut HashMap<String, ()>,
    ) {
        let c = cb.get_ref();
        let command = c.command.get_ref();
        let scope = self.cx.scope(src, format!("callback `{command}`"));
        let before = self.cx.count();
        let Some((family, event)) = command.split_once('.') else {
            scope.error(
                &c.command,
                "a command is `Family.Event`, e.g. `C2C.CallbackBeforeSendMsg`",
            );
            return;
        };
        if seen.insert(command.clone(), ()).is_some() {
            scope.error(&c.command, "duplicate callback command");
        }
        let rust = match &c.name {
            Some(n) => n.get_ref().clone(),
            None => names::snake_case(&format!(
                "{family}_{}",
                event.trim_start_matches("Callback")
            )),
        };
        if !names::is_snake(&rust) || names::is_keyword(&rust) {
            let at = c
                .name
                .as_ref()
                .map_or(c.command.span().start, |n| n.span().start);
            scope.error_at(
                at,
                format!(
                    "callback name `{rust}` is not a usable snake_case identifier (set `name`)"
                ),
            );
        }
        let kind = match c.kind.get_ref().as_str() {
            "before" => CallbackKind::Before,
            "after" => CallbackKind::After,
            other => {
                scope.error(
                    &c.kind,
                    format!("unknown kind `{other}`: expected before or after"),
                );
                CallbackKind::After
            }
        };
        if c.summary.get_ref().trim().is_empty() {
            scope.error(&c.summary, "`summary` must not be empty");
        }
        for q in c.query.iter().flatten() {
            if !OPTIONAL_QUERY.contains(&q.get_ref().as_str()) {
                scope.error(
                    q,
                    format!(
                        "unknown query parameter `{}`: expected one of {}",
                        q.get_ref(),
                        OPTIONAL_QUERY.join(", ")
                    ),
                );
            }
        }
        let request = self.lower_fields(&scope, &c.request, known, false, false);
        let answer = self.lower_fields(&scope, &c.answer, known, false, false);
        let before_only = [
            ("answer", !c.answer.is_empty(), c.command.span().start),
            (
                "reject",
                c.reject.is_some(),
                c.reject.as_ref().map_or(0, |r| r.span().start),
            ),
            (
                "drop",
                c.drop.is_some(),
                c.drop.as_ref().map_or(0, |r| r.span().start),
            ),
            (
                "timeout_default",
                c.timeout_default.is_some(),
                c.timeout_default.as_ref().map_or(0, |r| r.span().start),
            ),
        ];
        if kind == CallbackKind::After {
            for (what, set, at) in before_only {
                if set {
                    scope.error_at(at, format!("`{what}` applies to before-callbacks only"));
                }
            }
        }
        let proceeds_on_timeout =
            c.timeout_default
                .as_ref()
                .and_then(|t| match t.get_ref().as_str() {
                    "proceed" => Some(true),
                    "refuse" => Some(false),
                    other => {
                        scope.error(
                            t,
                            format!(
                                "unknown `timeout_default` `{other}`: expected proceed or refuse"
                            ),
                        );
                        None
                    }
                });
        let custom_codes = c.custom_codes.as_ref().and_then(|r| {
            let (min, max) = (r.get_ref().min, r.get_ref().max);
            if min > max || min <= 0 {
                scope.error(r, "`custom_codes` needs 0 < min <= max");
                return None;
            }
            Some((min, max))
        });
        if self.cx.count() != before {
            return;
        }
        self.spec.callbacks.push(Callback {
            command: command.clone(),
            variant: names::upper_camel(&rust),
            rust,
            kind,
            summary: c.summary.get_ref().trim().to_owned(),
            doc: doc_of(&c.doc),
            sources: c.sources.clone(),
            peer_sourced: c.peer_sourced,
            query: c
                .query
                .as_ref()
                .map(|q| q.iter().map(|q| q.get_ref().clone()).collect()),
            request,
            answer,
            reject: c.reject.as_ref().map(|r| Reject {
                code: r.get_ref().code,
                result: r.get_ref().result,
                doc: doc_of(&r.get_ref().doc),
            }),
            drop: c.drop.as_ref().map(|d| *d.get_ref()),
            custom_codes,
            proceeds_on_timeout,
            file: src.name.clone(),
        });
    }
}
