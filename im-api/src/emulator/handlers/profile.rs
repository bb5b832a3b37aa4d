//! Profiles: portrait_set and portrait_get. The fields live on the account
//! (`State::accounts[..].profile`): tag -> the value as sent. Standard fields
//! are checked as the profile pages document; custom fields
//! (`Tag_Profile_Custom_*`) are taken as configured, strings only.

use serde_json::Value;

use super::{Ctx, Table, to_json};
use crate::EndpointError as _;
use crate::api::{portrait_get, portrait_set};
use crate::emulator::reply::{Reply, fail_with, ok, ok_empty};
use crate::emulator::state::Account;
use crate::types::{AdminForbidType, AllowType, Gender, ProfileItem, UserProfile};

/// Custom profile fields (configured in the console) start with this.
pub(crate) const CUSTOM_PREFIX: &str = "Tag_Profile_Custom_";
/// Longest string value (Nick, SelfSignature, Image, custom strings).
const MAX_BYTES: usize = 500;
/// Longest Location value.
const MAX_LOCATION_BYTES: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct ProfileState {}

impl ProfileState {
    pub(crate) fn forget(&mut self, _account: &str) {}
}

pub(super) fn register(t: &mut Table) {
    t.add(set);
    t.add(get);
}

/// The tags of the standard fields, one typed value of each variant.
pub(crate) fn standard_tags() -> Vec<String> {
    [
        ProfileItem::Nick(String::new()),
        ProfileItem::Gender(Gender::NotSet),
        ProfileItem::BirthDay(0),
        ProfileItem::Location(String::new()),
        ProfileItem::SelfSignature(String::new()),
        ProfileItem::AllowType(AllowType::NeedConfirm),
        ProfileItem::Language(0),
        ProfileItem::Image(String::new()),
        ProfileItem::MsgSettings(0),
        ProfileItem::AdminForbidType(AdminForbidType::None),
        ProfileItem::Level(0),
        ProfileItem::Role(0),
    ]
    .iter()
    .map(|i| i.tag().to_owned())
    .collect()
}

/// Whether `tag` names a profile field: a standard one or a custom one.
pub(crate) fn is_profile_tag(tag: &str, standard: &[String]) -> bool {
    tag.starts_with(CUSTOM_PREFIX) || standard.iter().any(|s| s == tag)
}

/// The typed item of a stored value: the tag and value go through the
/// union's own encoding, so standard tags come back as their variants.
pub(crate) fn item(tag: &str, value: &Value) -> Option<ProfileItem> {
    let raw = ProfileItem::Unknown {
        tag: tag.to_owned(),
        content: value.clone(),
    };
    serde_json::from_value(to_json(&raw)).ok()
}

/// The stored field of `account` named by `tag`.
pub(crate) fn stored(account: &Account, tag: &str) -> Option<ProfileItem> {
    account.profile.get(tag).and_then(|v| item(tag, v))
}

/// The value an item stores.
fn content(item: &ProfileItem) -> Value {
    match item {
        ProfileItem::Nick(s)
        | ProfileItem::Location(s)
        | ProfileItem::SelfSignature(s)
        | ProfileItem::Image(s) => Value::from(s.as_str()),
        ProfileItem::Gender(g) => to_json(g),
        ProfileItem::AllowType(a) => to_json(a),
        ProfileItem::AdminForbidType(a) => to_json(a),
        ProfileItem::BirthDay(n)
        | ProfileItem::Language(n)
        | ProfileItem::MsgSettings(n)
        | ProfileItem::Level(n)
        | ProfileItem::Role(n) => Value::from(*n),
        ProfileItem::Unknown { content, .. } => content.clone(),
    }
}

fn too_long(s: &str, max: usize, tag: &str) -> Result<(), (portrait_set::Error, String)> {
    if s.len() > max {
        return Err((
            portrait_set::Error::ProfileValueTooLong,
            format!("{tag} is longer than {max} bytes"),
        ));
    }
    Ok(())
}

/// Checks one item as portrait_set documents it.
fn check(item: &ProfileItem) -> Result<(), (portrait_set::Error, String)> {
    use portrait_set::Error as E;
    let tag = item.tag();
    let bad_value = || -> Result<(), (E, String)> {
        Err((
            E::ProfileInvalidStandardValue,
            format!("{tag} has no such value"),
        ))
    };
    match item {
        ProfileItem::Nick(s) | ProfileItem::SelfSignature(s) | ProfileItem::Image(s) => {
            too_long(s, MAX_BYTES, tag)
        }
        ProfileItem::Location(s) => too_long(s, MAX_LOCATION_BYTES, tag),
        ProfileItem::Gender(Gender::Unknown(_)) => bad_value(),
        ProfileItem::AllowType(AllowType::Unknown(_)) => bad_value(),
        ProfileItem::AdminForbidType(AdminForbidType::Unknown(_)) => bad_value(),
        ProfileItem::Unknown { tag, content } => {
            if !tag.starts_with(CUSTOM_PREFIX) {
                return Err((E::ProfileTagNotFound, format!("no profile field {tag}")));
            }
            match content {
                Value::String(s) => too_long(s, MAX_BYTES, tag),
                _ => Err((
                    E::ProfileValueTypeMismatch,
                    format!("custom field {tag} takes a string"),
                )),
            }
        }
        _ => Ok(()),
    }
}

/// Every item is checked first: one bad item fails the call and writes nothing.
fn set(cx: &mut Ctx<'_>, r: portrait_set::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            portrait_set::Error::ProfileAccountNotImported,
            format!("{} is not imported", r.from_account),
        );
    }
    for item in &r.profile_item {
        if let Err((code, info)) = check(item) {
            return fail_with(code, info);
        }
    }
    let profile = &mut cx
        .st
        .accounts
        .get_mut(&r.from_account)
        .expect("checked above")
        .profile;
    for item in &r.profile_item {
        profile.insert(item.tag().to_owned(), content(item));
    }
    ok_empty()
}

/// Each account gets the requested fields it has set, in `TagList` order;
/// unknown accounts carry their own code and are listed in `Fail_Account`.
fn get(cx: &mut Ctx<'_>, r: portrait_get::Request) -> Reply {
    use portrait_get::Error as E;
    if r.to_account.is_empty() {
        return fail_with(E::ProfileTargetMissing, "To_Account is empty");
    }
    let standard = standard_tags();
    if let Some(bad) = r.tag_list.iter().find(|t| !is_profile_tag(t, &standard)) {
        return fail_with(E::ProfileTagNotFound, format!("no profile field {bad}"));
    }
    let mut user_profile_item = Vec::new();
    let mut fail_account = Vec::new();
    for id in &r.to_account {
        let Some(account) = cx.st.accounts.get(id) else {
            fail_account.push(id.clone());
            user_profile_item.push(UserProfile {
                to_account: id.clone(),
                profile_item: Vec::new(),
                result_code: E::ProfileAccountNotImported.code(),
                result_info: Some(format!("{id} is not imported")),
            });
            continue;
        };
        user_profile_item.push(UserProfile {
            to_account: id.clone(),
            profile_item: r
                .tag_list
                .iter()
                .filter_map(|t| stored(account, t))
                .collect(),
            result_code: 0,
            result_info: Some(String::new()),
        });
    }
    ok(&portrait_get::Response {
        user_profile_item,
        fail_account,
    })
}
