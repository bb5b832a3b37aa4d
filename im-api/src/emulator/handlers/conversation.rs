//! Conversations (`recentcontact`): lists, deletion, contact groups and marks,
//! and the group member unread count (`set_unread_msg_num`).
//! Sends and imports keep the lists current through [`ConversationState::touch_c2c`]
//! and [`ConversationState::touch_group`]. Marks and conversation groups are
//! kept per owner apart from the list: deleting a conversation keeps them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Ctx, Table};
use crate::EndpointError as _;
use crate::api::{
    create_contact_group, del_contact_group, delete, get_contact_group, get_list, mark_contact,
    search_contact_group, set_unread_msg_num, update_contact_group,
};
use crate::emulator::reply::{Reply, fail_with, ok, ok_empty};
use crate::emulator::state::Group;
use crate::types::{
    ContactGroup, ContactGroupCreateResult, ContactGroupUpdate, ContactGroupUpdateResult,
    ContactGroupUpdateType, ContactItem, ContactMarkInfo, ContactMarkItem, ContactMarkResult,
    ContactOptType, ContactResult, ContactUpdateResult, ContactUpdateType, ConversationType,
    GroupType, MarkOptType, SessionItem,
};

/// Conversations per get_list page (the pages give no size; chosen).
const LIST_PAGE: usize = 100;
/// Marked or grouped conversations per get_contact_group page (chosen).
const CONTACT_PAGE: usize = 100;
/// Conversation groups per user (51010 beyond).
const MAX_CONTACT_GROUPS: usize = 20;
/// Grouped or marked conversations per user (51008 beyond).
const MAX_MARKED: usize = 1000;

/// One conversation of one account.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    /// Unix seconds of the last message.
    pub msg_time: i64,
    /// Pinned.
    pub top: bool,
}

/// Conversation peers: an account (one-to-one) or a group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Peer {
    C2c(String),
    Group(String),
}

/// The marks and conversation groups of one conversation.
#[derive(Debug, Clone, Default)]
struct Marks {
    /// Standard mark bits (`SetMark` n sets bit n, counted from 1).
    standard: u64,
    custom: Option<String>,
    /// IDs of the conversation groups it is in.
    groups: BTreeSet<u32>,
    /// Unix seconds of the last change.
    time: i64,
}

impl Marks {
    fn is_empty(&self) -> bool {
        self.standard == 0
            && self.custom.as_deref().is_none_or(str::is_empty)
            && self.groups.is_empty()
    }
}

/// One owner's conversation groups and marked or grouped conversations.
#[derive(Debug, Default)]
struct Contacts {
    /// Conversation groups: ID -> name.
    groups: BTreeMap<u32, String>,
    marks: BTreeMap<Peer, Marks>,
}

/// Why one conversation of a group or mark operation failed. The
/// recentcontact endpoints share these catalogue codes.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Invalid,
    GroupGone,
    TooMany,
}

impl Refusal {
    fn code(self) -> i64 {
        use mark_contact::Error as E;
        match self {
            Refusal::Invalid => E::ConversationInvalidParameter.code(),
            Refusal::GroupGone => E::ContactGroupIdResolveFailed.code(),
            Refusal::TooMany => E::ContactGroupConversationLimit.code(),
        }
    }
}

fn code_of(r: Result<(), Refusal>) -> i64 {
    r.err().map_or(0, Refusal::code)
}

impl Contacts {
    fn id_of(&self, name: &str) -> Option<u32> {
        self.groups
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| *id)
    }

    fn group_list(&self) -> Vec<ContactGroup> {
        self.groups
            .iter()
            .map(|(id, name)| ContactGroup {
                group_name: name.clone(),
                group_id: *id,
            })
            .collect()
    }

    /// The marks of `peer`, made if new and the limit allows.
    fn marks_mut(&mut self, peer: &Peer) -> Result<&mut Marks, Refusal> {
        if !self.marks.contains_key(peer) && self.marks.len() >= MAX_MARKED {
            return Err(Refusal::TooMany);
        }
        Ok(self.marks.entry(peer.clone()).or_default())
    }

    /// Forget `peer`'s marks when nothing is left of them.
    fn tidy(&mut self, peer: &Peer) {
        if self.marks.get(peer).is_some_and(Marks::is_empty) {
            self.marks.remove(peer);
        }
    }

    fn join(&mut self, peer: Result<Peer, Refusal>, id: u32, now: i64) -> Result<(), Refusal> {
        let m = self.marks_mut(&peer?)?;
        m.groups.insert(id);
        m.time = now;
        Ok(())
    }

    fn leave(&mut self, peer: Option<Peer>, id: u32, now: i64) -> Result<(), Refusal> {
        let peer = peer.ok_or(Refusal::Invalid)?;
        if let Some(m) = self.marks.get_mut(&peer)
            && m.groups.remove(&id)
        {
            m.time = now;
        }
        self.tidy(&peer);
        Ok(())
    }

    /// Apply one mark_contact item.
    fn mark(&mut self, item: &ContactMarkItem, now: i64) -> Result<(), Refusal> {
        let c = &item.contact_item;
        let peer = peer_of(&c.r#type, c.to_account.as_ref(), c.to_group_id.as_ref())
            .ok_or(Refusal::Invalid)?;
        let (standard, custom) = match item.opt_type {
            MarkOptType::Standard => (true, false),
            MarkOptType::Custom => (false, true),
            MarkOptType::Both => (true, true),
            _ => return Err(Refusal::Invalid),
        };
        let bits = |ns: &[u32]| ns.iter().try_fold(0u64, |acc, n| bit(*n).map(|b| acc | b));
        let (set, clear) = (
            bits(item.set_mark.as_slice())?,
            bits(item.clear_mark.as_slice())?,
        );
        let m = self.marks_mut(&peer)?;
        if standard {
            m.standard = (m.standard & !clear) | set;
        }
        if custom {
            m.custom = item.custom_mark.clone();
        }
        m.time = now;
        self.tidy(&peer);
        Ok(())
    }
}

/// The mask of standard mark bit `n` (1 to 64).
fn bit(n: u32) -> Result<u64, Refusal> {
    if (1..=64).contains(&n) {
        Ok(1u64 << (n - 1))
    } else {
        Err(Refusal::Invalid)
    }
}

#[derive(Debug, Default)]
pub(crate) struct ConversationState {
    /// owner -> peer -> session.
    pub sessions: HashMap<String, BTreeMap<Peer, Session>>,
    /// owner -> conversation groups and marks.
    contacts: HashMap<String, Contacts>,
}

impl ConversationState {
    /// `account`'s conversation groups and marks (empty at first).
    fn contacts_of(&mut self, account: &str) -> &mut Contacts {
        self.contacts.entry(account.to_owned()).or_default()
    }

    pub(crate) fn forget(&mut self, account: &str) {
        self.sessions.remove(account);
        self.contacts.remove(account);
        let peer = Peer::C2c(account.to_owned());
        for s in self.sessions.values_mut() {
            s.remove(&peer);
        }
        for c in self.contacts.values_mut() {
            c.marks.remove(&peer);
        }
    }

    /// A one-to-one message between `owner` and `peer` at `time`.
    pub(crate) fn touch_c2c(&mut self, owner: &str, peer: &str, time: i64) {
        let s = self
            .sessions
            .entry(owner.to_owned())
            .or_default()
            .entry(Peer::C2c(peer.to_owned()))
            .or_default();
        s.msg_time = s.msg_time.max(time);
    }

    /// A group message in `group` seen by `member` at `time`.
    pub(crate) fn touch_group(&mut self, member: &str, group: &str, time: i64) {
        let s = self
            .sessions
            .entry(member.to_owned())
            .or_default()
            .entry(Peer::Group(group.to_owned()))
            .or_default();
        s.msg_time = s.msg_time.max(time);
    }
}

pub(super) fn register(t: &mut Table) {
    t.add(list);
    t.add(remove);
    t.add(create_group);
    t.add(delete_group);
    t.add(update_group);
    t.add(search);
    t.add(mark);
    t.add(contact_groups);
    t.add(set_unread);
}

/// The conversation a type and a peer or group name.
fn peer_of(
    ty: &ConversationType,
    account: Option<&String>,
    group: Option<&String>,
) -> Option<Peer> {
    let given = |s: Option<&String>| s.filter(|s| !s.is_empty()).cloned();
    match ty {
        ConversationType::C2c => given(account).map(Peer::C2c),
        ConversationType::Group => given(group).map(Peer::Group),
        _ => None,
    }
}

/// `(Type, To_Account, group)` of a conversation.
fn parts(peer: &Peer) -> (ConversationType, Option<String>, Option<String>) {
    match peer {
        Peer::C2c(a) => (ConversationType::C2c, Some(a.clone()), None),
        Peer::Group(g) => (ConversationType::Group, None, Some(g.clone())),
    }
}

/// A conversation to add to a group: a group conversation's group must exist.
fn resolve(item: &ContactItem, groups: &BTreeMap<String, Group>) -> Result<Peer, Refusal> {
    let peer = peer_of(
        &item.r#type,
        item.to_account.as_ref(),
        item.to_group_id.as_ref(),
    )
    .ok_or(Refusal::Invalid)?;
    match &peer {
        Peer::Group(g) if !groups.contains_key(g) => Err(Refusal::GroupGone),
        _ => Ok(peer),
    }
}

/// Standard marks as a binary number (bit 1 rightmost); none when no bit is set.
fn mark_text(bits: u64) -> Option<String> {
    (bits != 0).then(|| format!("{bits:b}"))
}

fn mark_info(peer: &Peer, m: &Marks) -> ContactMarkInfo {
    let (r#type, to_account, to_group_id) = parts(peer);
    ContactMarkInfo {
        r#type,
        to_account,
        to_group_id,
        standard_mark: mark_text(m.standard),
        custom_mark: m.custom.clone().filter(|c| !c.is_empty()),
        contact_group_id: m.groups.iter().copied().collect(),
        timestamp: Some(m.time),
    }
}

fn session_item(peer: &Peer, s: &Session, marks: Option<&Marks>) -> SessionItem {
    let (r#type, to_account, group_id) = parts(peer);
    SessionItem {
        r#type,
        to_account,
        group_id,
        msg_time: Some(s.msg_time),
        top_flag: Some(s.top),
        standard_mark: marks.and_then(|m| mark_text(m.standard)),
        custom_mark: marks
            .and_then(|m| m.custom.clone())
            .filter(|c| !c.is_empty()),
        contact_group_id: marks
            .map(|m| m.groups.iter().copied().collect())
            .unwrap_or_default(),
    }
}

fn cursor_time(s: &Session) -> u64 {
    u64::try_from(s.msg_time).unwrap_or(0)
}

type Run<'a> = Vec<(&'a Peer, &'a Session)>;

/// The next conversations of one run (newest first) after a cursor, at most
/// `room` of them. A cursor is the time of the last conversation returned and
/// how many conversations with exactly that time have been returned; (0, 0)
/// starts. Returns the page, the next cursor, and whether the run is done.
fn take_page<'a>(
    run: &[(&'a Peer, &'a Session)],
    time: u64,
    index: u32,
    room: &mut usize,
) -> (Run<'a>, (u64, u32), bool) {
    let start = if time == 0 && index == 0 {
        0
    } else {
        let newer = run
            .iter()
            .take_while(|(_, s)| cursor_time(s) > time)
            .count();
        let same = run[newer..]
            .iter()
            .take_while(|(_, s)| cursor_time(s) == time)
            .count();
        newer + (index as usize).min(same)
    };
    let end = (start + *room).min(run.len());
    *room -= end - start;
    let page: Run<'a> = run[start..end].to_vec();
    let cursor = match page.last() {
        Some((_, last)) => {
            let t = cursor_time(last);
            let seen = run[..end]
                .iter()
                .filter(|(_, s)| cursor_time(s) == t)
                .count();
            (t, seen as u32)
        }
        None => (time, index),
    };
    (page, cursor, end == run.len())
}

/// Pinned conversations first (their own cursor pair), then the others,
/// each newest first; at most 100 per page; `CompleteFlag` 1 on the last.
fn list(cx: &mut Ctx<'_>, r: get_list::Request) -> Reply {
    let conv = &cx.st.families.conversation;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            get_list::Error::ConversationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let marks = conv.contacts.get(&r.from_account).map(|c| &c.marks);
    let (mut top, mut plain): (Run<'_>, Run<'_>) = conv
        .sessions
        .get(&r.from_account)
        .into_iter()
        .flatten()
        .partition(|(_, s)| s.top);
    for run in [&mut top, &mut plain] {
        run.sort_by(|a, b| (b.1.msg_time, a.0).cmp(&(a.1.msg_time, b.0)));
    }
    let mut room = LIST_PAGE;
    let (top_page, top_cursor, top_done) =
        take_page(&top, r.top_time_stamp, r.top_start_index, &mut room);
    let (page, cursor, done) = take_page(&plain, r.time_stamp, r.start_index, &mut room);
    let session_item = top_page
        .iter()
        .chain(&page)
        .map(|(p, s)| session_item(p, s, marks.and_then(|m| m.get(*p))))
        .collect();
    ok(&get_list::Response {
        session_item,
        complete_flag: top_done && done,
        time_stamp: cursor.0,
        start_index: cursor.1,
        top_time_stamp: top_cursor.0,
        top_start_index: top_cursor.1,
    })
}

/// Removes the conversation from the owner's list (an unknown one is no
/// error). `ClearRamble` 1 also hides the one-to-one history for the owner.
fn remove(cx: &mut Ctx<'_>, r: delete::Request) -> Reply {
    use delete::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::ConversationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let Some(peer) = peer_of(&r.r#type, r.to_account.as_ref(), r.to_groupid.as_ref()) else {
        return fail_with(
            E::ConversationInvalidParameter,
            "Type 1 needs To_Account, Type 2 needs ToGroupid",
        );
    };
    if let Some(s) = cx
        .st
        .families
        .conversation
        .sessions
        .get_mut(&r.from_account)
    {
        s.remove(&peer);
    }
    if let (Some(true), Peer::C2c(other)) = (r.clear_ramble, &peer) {
        let me = &r.from_account;
        for m in &mut cx.st.families.c2c.msgs {
            if (&m.from == me && &m.to == other) || (&m.from == other && &m.to == me) {
                m.deleted_for.insert(me.clone());
            }
        }
    }
    ok_empty()
}

fn create_group(cx: &mut Ctx<'_>, r: create_contact_group::Request) -> Reply {
    use create_contact_group::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::ConversationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let Some(new) = r.group_contact_item.first() else {
        return fail_with(E::ConversationInvalidParameter, "GroupContactItem is empty");
    };
    if new.group_name.is_empty() {
        return fail_with(E::ConversationInvalidParameter, "GroupName is empty");
    }
    let st = &mut *cx.st;
    let contacts = st.families.conversation.contacts_of(&r.from_account);
    if contacts.id_of(&new.group_name).is_some() {
        return fail_with(
            E::ConversationInvalidParameter,
            "a conversation group has this name",
        );
    }
    if contacts.groups.len() >= MAX_CONTACT_GROUPS {
        return fail_with(
            E::ContactGroupLimit,
            "a user has at most 20 conversation groups",
        );
    }
    let id = (1u32..)
        .find(|i| !contacts.groups.contains_key(i))
        .expect("fewer than 20 groups");
    contacts.groups.insert(id, new.group_name.clone());
    let result_item = new
        .contact_item
        .iter()
        .map(|c| ContactResult {
            contact_item: c.clone(),
            result_code: code_of(contacts.join(resolve(c, &st.groups), id, cx.unix)),
            result_info: Some(String::new()),
        })
        .collect();
    ok(&create_contact_group::Response {
        group_result_item: vec![ContactGroupCreateResult {
            group_item: ContactGroup {
                group_name: new.group_name.clone(),
                group_id: id,
            },
            result_item,
        }],
    })
}

/// Deletes the group; its conversations stay (and keep their marks).
fn delete_group(cx: &mut Ctx<'_>, r: del_contact_group::Request) -> Reply {
    use del_contact_group::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::ConversationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let contacts = cx.st.families.conversation.contacts_of(&r.from_account);
    let mut group_item = Vec::new();
    for name in &r.group_name {
        let Some(id) = contacts.id_of(name) else {
            return fail_with(
                E::ContactGroupNotFound,
                format!("no conversation group {name}"),
            );
        };
        contacts.groups.remove(&id);
        for m in contacts.marks.values_mut() {
            m.groups.remove(&id);
        }
        contacts.marks.retain(|_, m| !m.is_empty());
        group_item.push(ContactGroup {
            group_name: name.clone(),
            group_id: id,
        });
    }
    ok(&del_contact_group::Response { group_item })
}

fn rename(
    contacts: &mut Contacts,
    u: &ContactGroupUpdate,
    old: &str,
    id: u32,
) -> Result<ContactGroupUpdateResult, Reply> {
    use update_contact_group::Error as E;
    let Some(new) = u.new_group_name.as_ref().filter(|n| !n.is_empty()) else {
        return Err(fail_with(
            E::ConversationInvalidParameter,
            "renaming needs NewGroupName",
        ));
    };
    if contacts.id_of(new).is_some_and(|other| other != id) {
        return Err(fail_with(
            E::ConversationInvalidParameter,
            "another conversation group has this name",
        ));
    }
    contacts.groups.insert(id, new.clone());
    Ok(ContactGroupUpdateResult {
        update_group_type: Some(ContactGroupUpdateType::Rename),
        group_name: Some(new.clone()),
        old_group_name: Some(old.to_owned()),
        group_id: Some(id),
        contact_result_item: Vec::new(),
    })
}

fn regroup(
    contacts: &mut Contacts,
    u: &ContactGroupUpdate,
    name: &str,
    id: u32,
    groups: &BTreeMap<String, Group>,
    now: i64,
) -> ContactGroupUpdateResult {
    let contact_result_item = u
        .contact_update_item
        .iter()
        .map(|c| {
            let item = &c.contact_item;
            let outcome = match c.contact_opt_type {
                ContactOptType::Add => contacts.join(resolve(item, groups), id, now),
                ContactOptType::Remove => {
                    let peer = peer_of(
                        &item.r#type,
                        item.to_account.as_ref(),
                        item.to_group_id.as_ref(),
                    );
                    contacts.leave(peer, id, now)
                }
                _ => Err(Refusal::Invalid),
            };
            ContactUpdateResult {
                contact_opt_type: Some(c.contact_opt_type.clone()),
                contact_item: item.clone(),
                result_code: code_of(outcome),
                result_info: Some(String::new()),
            }
        })
        .collect();
    ContactGroupUpdateResult {
        update_group_type: Some(ContactGroupUpdateType::Conversations),
        group_name: Some(name.to_owned()),
        old_group_name: None,
        group_id: Some(id),
        contact_result_item,
    }
}

/// Renames the group `OldGroupName`, or adds/removes its conversations.
fn update_group(cx: &mut Ctx<'_>, r: update_contact_group::Request) -> Reply {
    use update_contact_group::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::ConversationAccountNotImported,
            "From_Account is not imported",
        );
    }
    if r.update_type != ContactUpdateType::Group {
        return fail_with(E::ConversationInvalidParameter, "unknown UpdateType");
    }
    let u = &r.update_group;
    let Some(old) = u.old_group_name.as_deref().filter(|n| !n.is_empty()) else {
        return fail_with(
            E::ConversationInvalidParameter,
            "OldGroupName names the group to update",
        );
    };
    let st = &mut *cx.st;
    let contacts = st.families.conversation.contacts_of(&r.from_account);
    let Some(id) = contacts.id_of(old) else {
        return fail_with(
            E::ContactGroupNotFound,
            format!("no conversation group {old}"),
        );
    };
    let result = match u.update_group_type {
        ContactGroupUpdateType::Rename => match rename(contacts, u, old, id) {
            Ok(res) => res,
            Err(reply) => return reply,
        },
        ContactGroupUpdateType::Conversations => regroup(contacts, u, old, id, &st.groups, cx.unix),
        _ => return fail_with(E::ConversationInvalidParameter, "unknown UpdateGroupType"),
    };
    ok(&update_contact_group::Response {
        update_type: Some(r.update_type.clone()),
        update_group_result: Some(result),
    })
}

/// The listed conversations that have marks or groups, and every group.
fn search(cx: &mut Ctx<'_>, r: search_contact_group::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            search_contact_group::Error::ConversationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let contacts = cx.st.families.conversation.contacts_of(&r.from_account);
    let contact_result_item = r
        .contact_item
        .iter()
        .filter_map(|c| peer_of(&c.r#type, c.to_account.as_ref(), c.to_group_id.as_ref()))
        .filter_map(|p| contacts.marks.get(&p).map(|m| mark_info(&p, m)))
        .collect();
    ok(&search_contact_group::Response {
        contact_result_item,
        group_item: contacts.group_list(),
    })
}

/// Each item sets or clears standard bits and/or sets the custom mark; the
/// conversation need not be in the list.
fn mark(cx: &mut Ctx<'_>, r: mark_contact::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            mark_contact::Error::ConversationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let now = cx.unix;
    let contacts = cx.st.families.conversation.contacts_of(&r.from_account);
    let result_item = r
        .mark_item
        .iter()
        .map(|m| ContactMarkResult {
            opt_type: Some(m.opt_type.clone()),
            contact_item: m.contact_item.clone(),
            result_code: code_of(contacts.mark(m, now)),
            result_info: Some(String::new()),
        })
        .collect();
    ok(&mark_contact::Response { result_item })
}

/// Pages of 100 marked or grouped conversations (in conversation order),
/// with every group on each page.
fn contact_groups(cx: &mut Ctx<'_>, r: get_contact_group::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            get_contact_group::Error::ConversationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let contacts = cx.st.families.conversation.contacts_of(&r.from_account);
    let start = r.start_index as usize;
    let contact_item: Vec<ContactMarkInfo> = contacts
        .marks
        .iter()
        .skip(start)
        .take(CONTACT_PAGE)
        .map(|(p, m)| mark_info(p, m))
        .collect();
    let next = start + contact_item.len();
    let complete = next >= contacts.marks.len();
    ok(&get_contact_group::Response {
        contact_item,
        group_item: contacts.group_list(),
        complete_flag: complete,
        next_start_index: if complete { 0 } else { next as u32 },
    })
}

/// Sets how many of the group's latest messages the member has not read
/// (at most the group's message count). Meeting/ChatRoom and AVChatRoom
/// groups keep no unread counts: accepted without effect.
fn set_unread(cx: &mut Ctx<'_>, r: set_unread_msg_num::Request) -> Reply {
    use set_unread_msg_num::Error as E;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    if matches!(
        g.ty,
        GroupType::ChatRoom | GroupType::Meeting | GroupType::AvChatRoom
    ) {
        return ok_empty();
    }
    let last = g.next_seq.saturating_sub(1);
    let unread = u64::from(r.unread_msg_num).min(g.history.len() as u64);
    let Some(m) = g.members.get_mut(&r.member_account) else {
        return fail_with(
            E::InvalidParameter,
            format!("{} is not a member of the group", r.member_account),
        );
    };
    m.last_read_seq = last.saturating_sub(unread);
    ok_empty()
}
