//! The whole seed example set, sent with the generated client into the
//! emulator: every sample is accepted by the emulator's validation, delivered
//! to the right recipients, and decoded by the client.

use im_api::emulator::Emulator;
use im_api::types::GroupType;
use im_tests::seed_requests;

#[tokio::test]
async fn every_seed_sample_is_accepted_and_delivered() {
    let emu = Emulator::builder()
        .accounts([
            "leckie",
            "tommy",
            "brennanli",
            "test",
            "bonnie",
            "rong",
            "dave",
            "member",
        ])
        .group(
            "@TGS#2C5SZEAEF",
            GroupType::Public,
            ["leckie", "tommy", "brennanli", "member"],
        )
        .group("@TGS#LIVE", GroupType::AvChatRoom, ["member"])
        .broadcast_enabled(true)
        .start()
        .await
        .unwrap();
    let client = emu.client();

    let mut seqs = Vec::new();
    for (name, req) in seed_requests::send_group_msg() {
        let resp = client
            .send_group_msg(req)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        seqs.push(resp.msg_seq);
    }
    // All samples use Random 8912345. Four of them ("send_msg_control",
    // "msg_priority", "forbid_callback", "online_only") repeat the basic
    // sample's sender, group and MsgBody with only control fields changed, so
    // they are duplicates by Tencent's rule (same Random and content within
    // 5 minutes): answered with the original MsgSeq and not delivered again.
    let distinct: std::collections::BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "{seqs:?}");
    assert_eq!(emu.stats().duplicates, 4);
    assert_eq!(emu.group_messages("@TGS#2C5SZEAEF").len(), 3);
    assert_eq!(emu.inbox("member").len(), 3);

    for (name, req) in seed_requests::send_broadcast_msg() {
        let resp = client
            .send_broadcast_msg(req)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(resp.msg_seq, 1);
    }
    assert_eq!(emu.group_messages("@TGS#LIVE").len(), 1);

    for (name, req) in seed_requests::batchsendmsg() {
        let resp = client
            .batchsendmsg(req)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(resp.error_list.is_empty(), "{name}");
    }
    // Same MsgRandom and body, different sender: two messages each.
    assert_eq!(emu.inbox("bonnie").len(), 2);
    assert_eq!(emu.inbox("rong").len(), 2);
    assert_eq!(emu.inbox("rong")[1].from, "dave");
    let stats = emu.stats();
    assert_eq!(
        stats.by_code.keys().copied().collect::<Vec<_>>(),
        [0],
        "every call succeeded: {stats:?}"
    );
}
