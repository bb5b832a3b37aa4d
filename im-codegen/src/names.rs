//! Wire names to Rust names: one explicit, one-way mapping.

/// Split a wire name into words: at `_`, at lower-to-upper changes, and
/// before the last capital of an acronym followed by lowercase
/// (`OPPOChannelID` -> `OPPO`, `Channel`, `ID`). Digits stay with the word
/// they follow, and an acronym keeps a digit inside it (`C2C`, `P2P`), so
/// `AllC2CUnreadMsgNum` -> `All`, `C2C`, `Unread`, `Msg`, `Num`.
fn words(wire: &str) -> Vec<String> {
    let chars: Vec<char> = wire.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == ' ' || c == '.' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // A digit continues an acronym (`C2C`) but ends a word (`Msg2Group`).
            let split = if prev.is_ascii_digit() {
                cur.trim_end_matches(|c: char| c.is_ascii_digit())
                    .chars()
                    .last()
                    .is_none_or(char::is_lowercase)
            } else {
                // `IDs`, `URLs`: a plural `s` stays with its acronym.
                let plural = next_lower
                    && chars.get(i + 1) == Some(&'s')
                    && chars.get(i + 2).is_none_or(|c| !c.is_lowercase());
                prev.is_lowercase() || (prev.is_uppercase() && next_lower && !plural)
            };
            if split {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `From_Account` -> `from_account`, `MsgRandom` -> `msg_random`,
/// `OPPOChannelID` -> `oppo_channel_id`.
pub fn snake_case(wire: &str) -> String {
    words(wire)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// `AVChatRoom` -> `AvChatRoom`, `send_group_msg` -> `SendGroupMsg`.
pub fn upper_camel(wire: &str) -> String {
    words(wire)
        .iter()
        .map(|w| {
            let lower = w.to_lowercase();
            let mut cs = lower.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs).collect(),
                None => String::new(),
            }
        })
        .collect()
}

pub fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    cs.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

pub fn is_upper_camel(s: &str) -> bool {
    is_ident(s) && s.starts_with(|c: char| c.is_ascii_uppercase()) && !s.contains('_')
}

pub fn is_snake(s: &str) -> bool {
    is_ident(s)
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// Names a field may not take because generated code uses them.
pub const RESERVED_FIELD_NAMES: &[&str] = &["new", "validate", "self_", "crate_", "super_"];

/// Keywords that cannot be raw identifiers.
pub fn is_unrawable_keyword(s: &str) -> bool {
    matches!(s, "self" | "Self" | "super" | "crate" | "_")
}

pub fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "try"
            | "typeof"
            | "unsized"
            | "virtual"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases_tencent_names() {
        for (wire, rust) in [
            ("From_Account", "from_account"),
            ("MsgRandom", "msg_random"),
            ("GroupAt_Account", "group_at_account"),
            ("OPPOChannelID", "oppo_channel_id"),
            ("HuaWeiChannelID", "hua_wei_channel_id"),
            ("UUID", "uuid"),
            ("URL", "url"),
            ("Download_Flag", "download_flag"),
            ("VIVOCategory", "vivo_category"),
            ("GetIPList", "get_ip_list"),
            ("batchsendmsg", "batchsendmsg"),
            (
                "AppDefinedDataFilter_Group",
                "app_defined_data_filter_group",
            ),
            ("Tag_Profile_IM_Nick", "tag_profile_im_nick"),
            ("AllC2CUnreadMsgNum", "all_c2c_unread_msg_num"),
            ("C2CUnreadMsgNumList", "c2c_unread_msg_num_list"),
            ("get_c2c_unread_msg_num", "get_c2c_unread_msg_num"),
            ("P2PFlag", "p2p_flag"),
            ("Msg2Group", "msg2_group"),
            ("TopicIDList", "topic_id_list"),
            ("UserIDs", "user_ids"),
            ("iOSBadge", "i_os_badge"),
            ("C2C", "c2c"),
            ("ImportGroupMsg2", "import_group_msg2"),
        ] {
            assert_eq!(snake_case(wire), rust, "{wire}");
        }
    }

    #[test]
    fn upper_camels() {
        assert_eq!(upper_camel("AVChatRoom"), "AvChatRoom");
        assert_eq!(upper_camel("send_group_msg"), "SendGroupMsg");
        assert_eq!(upper_camel("NoLastMsg"), "NoLastMsg");
    }

    #[test]
    fn identifiers() {
        assert!(is_ident("a_b1"));
        assert!(!is_ident("1a"));
        assert!(!is_ident("a-b"));
        assert!(is_upper_camel("TextElem"));
        assert!(!is_upper_camel("text_elem"));
        assert!(is_snake("send_group_msg"));
        assert!(!is_snake("SendGroupMsg"));
    }
}
