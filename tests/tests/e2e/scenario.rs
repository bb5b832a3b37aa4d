//! A realistic group flow against the emulator, through the typed client
//! only: create a Public group, add 1,200 members through chunking, mute one,
//! send, read the history page by page, recall, destroy.

use im_api::api::{
    add_group_member, create_group, destroy_group, forbid_send_msg, get_group_info,
    group_msg_get_simple, group_msg_recall, send_group_msg,
};
use im_api::emulator::Emulator;
use im_api::types::{GroupType, MemberAccount, MsgElement, MsgSeqItem};
use im_api::Error;

#[tokio::test]
async fn public_group_lifecycle() {
    let members: Vec<String> = (0..1200).map(|i| format!("user{i:04}")).collect();
    let emu = Emulator::builder()
        .accounts(["owner"])
        .accounts(members.iter().cloned())
        .rate_limits(false)
        .start()
        .await
        .unwrap();
    let client = emu.client_builder().no_rate_limit().build().unwrap();

    // Create.
    let created = client
        .create_group(
            create_group::Request::new(GroupType::Public, "Scenario")
                .owner_account("owner")
                .introduction("a flow test"),
        )
        .await
        .unwrap();
    let gid = created.group_id;

    // 1,200 members in chunks of the spec's cap (300 per call).
    let report = client
        .send_chunked(
            add_group_member::Request::new(gid.clone(), Vec::<MemberAccount>::new()),
            members.iter().map(|m| MemberAccount::new(m.clone())),
        )
        .send()
        .await
        .unwrap();
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(report.delivered, 1200);
    let cap = add_group_member::META
        .field("MemberList")
        .unwrap()
        .max_items
        .unwrap() as usize;
    assert_eq!(report.requests, 1200_usize.div_ceil(cap));
    assert_eq!(emu.group_members(&gid).len(), 1201, "owner + 1,200");
    let info = client
        .get_group_info(get_group_info::Request::new([gid.clone()]))
        .await
        .unwrap();
    assert_eq!(info.group_info[0].member_num, Some(1201));

    // Mute one member: their sends are refused, others' go through.
    client
        .forbid_send_msg(forbid_send_msg::Request::new(
            gid.clone(),
            ["user0007"],
            3600,
        ))
        .await
        .unwrap();
    let err = client
        .send_group_msg(
            send_group_msg::Request::new(gid.clone(), [MsgElement::text("let me speak")])
                .from_account("user0007"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_group_msg::Error::SenderMuted),
        "{err}"
    );

    // 45 messages from members.
    let mut seqs = Vec::new();
    for i in 0..45 {
        let sent = client
            .send_group_msg(
                send_group_msg::Request::new(gid.clone(), [MsgElement::text(format!("m{i}"))])
                    .from_account(members[i % 5].clone()),
            )
            .await
            .unwrap();
        seqs.push(sent.msg_seq);
    }
    assert!(emu.inbox("user1199").len() >= 45);

    // History page by page (at most 20 per call, newest first).
    let mut pages = client.pages(group_msg_get_simple::Request::new(gid.clone(), 20));
    let mut history = Vec::new();
    while let Some(page) = pages.next_page().await {
        history.extend(page.unwrap().rsp_msg_list);
    }
    assert_eq!(pages.pages_fetched(), 4, "20 + 20 + 5, then an empty page");
    let got: Vec<u64> = history.iter().map(|m| m.msg_seq).collect();
    let mut want = seqs.clone();
    want.reverse();
    assert_eq!(got, want, "every message once, newest first");

    // Recall two; they leave the default history.
    let recalled = client
        .group_msg_recall(group_msg_recall::Request::new(
            gid.clone(),
            [MsgSeqItem::new(seqs[0]), MsgSeqItem::new(seqs[1])],
        ))
        .await
        .unwrap();
    assert!(recalled.recall_ret_list.iter().all(|r| r.ret_code == 0));
    let all = client
        .pages(group_msg_get_simple::Request::new(gid.clone(), 20))
        .all_items()
        .await
        .unwrap();
    assert_eq!(all.len(), 43);

    // Destroy: the group is gone for every later call.
    client
        .destroy_group(destroy_group::Request::new(gid.clone()))
        .await
        .unwrap();
    let err = client
        .send_group_msg(send_group_msg::Request::new(
            gid.clone(),
            [MsgElement::text("x")],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&send_group_msg::Error::GroupNotFound));
    let err = client
        .destroy_group(destroy_group::Request::new(gid.clone()))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Api(a) if a.kind == destroy_group::Error::GroupNotFound));
    assert!(!emu.has_group(&gid));
}
