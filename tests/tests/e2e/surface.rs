//! The whole REST surface from the spec: the spec and the reference's
//! endpoint list agree, every endpoint works offline against the emulator
//! with a body generated from the spec (success and error decoding), cursor
//! pagers follow the cursor to the end, and specs/README.md's coverage table
//! is current.

use std::collections::BTreeSet;

use im_api::api::get_appid_group_list;
use im_api::emulator::{Emulator, Fault};
use im_api::raw::RawError;
use im_api::types::GroupType;
use im_api::{Error, RetryClass, RetryPolicy, ENDPOINTS, ROUTES};

/// Reference rows that are deliberately not endpoints of the spec: a
/// superseded service (replaced by the moderation APIs).
const EXCLUDED: &[&str] = &[
    "openim_dirty_words/get",
    "openim_dirty_words/add",
    "openim_dirty_words/delete",
];

fn reference() -> Vec<(String, String, String)> {
    let text = include_str!("../../fixtures/endpoints.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("jsonl");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (s("service"), s("command"), s("area"))
        })
        .collect()
}

#[test]
fn the_spec_and_the_reference_list_agree() {
    let rows = reference();
    assert_eq!(
        rows.len(),
        162,
        "the fixture is the reference's endpoints.jsonl"
    );
    let commands: BTreeSet<String> = ENDPOINTS.iter().map(|e| e.service_command()).collect();
    let aliases: BTreeSet<String> = ENDPOINTS
        .iter()
        .flat_map(|e| e.aliases.iter().map(move |a| format!("{}/{a}", e.service)))
        .collect();
    let listed: BTreeSet<String> = rows.iter().map(|(s, c, _)| format!("{s}/{c}")).collect();
    for (s, c, _) in &rows {
        let path = format!("{s}/{c}");
        assert!(
            commands.contains(&path)
                || aliases.contains(&path)
                || EXCLUDED.contains(&path.as_str()),
            "{path} is in endpoints.jsonl but not in the spec (nor an alias, nor excluded)"
        );
    }
    for c in &commands {
        assert!(
            listed.contains(c),
            "{c} is in the spec but not in endpoints.jsonl"
        );
    }
    for a in &aliases {
        assert!(listed.contains(a), "alias {a} is not a documented name");
    }
    let current = rows.iter().filter(|(_, _, area)| area != "legacy").count();
    assert_eq!(
        commands.len() + 1,
        current,
        "157 current endpoints: 156 entries + get_group_shutted_uin as an alias"
    );
    assert_eq!(ROUTES.len(), ENDPOINTS.len());
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .accounts(["example"])
        .group("example", GroupType::Public, ["example", "administrator"])
        .broadcast_enabled(true)
        .rate_limits(false)
        .start()
        .await
        .unwrap()
}

/// The emulator's honesty rule, over every endpoint: a request built from
/// the spec is either emulated (a success whose body decodes into the typed
/// `Response`, or a failure with a code the endpoint documents) or answered
/// "not emulated" (`Error::NotEmulated`), exactly as `emulates` says; never
/// a bare OK.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_is_emulated_or_says_it_is_not() {
    let (mut ok, mut not_emulated, mut failures) = (0, 0, Vec::new());
    for route in ROUTES {
        // A fresh emulator per endpoint: the examples delete accounts and
        // disband groups the next endpoint's example relies on.
        let emu = emulator().await;
        let client = emu
            .client_builder()
            .retry_policy(RetryPolicy::none())
            .no_rate_limit()
            .build()
            .unwrap();
        let path = route.meta.service_command();
        let emulated = im_api::emulator::emulates(&path);
        let body = serde_json::to_vec(&(route.example)()).unwrap();
        match client.call_raw(&path, &body).await {
            Ok(resp) => {
                assert!(
                    emulated,
                    "{path}: answered OK but is listed as not emulated"
                );
                (route.decodes)(&serde_json::to_vec(&resp).unwrap()).unwrap_or_else(|e| {
                    panic!("{path}: success body does not decode: {e}\n{resp}")
                });
                ok += 1;
            }
            Err(RawError::Call(Error::NotEmulated(n))) => {
                assert!(
                    !emulated,
                    "{path}: listed as emulated but answered not emulated"
                );
                assert_eq!(n.endpoint, path);
                not_emulated += 1;
            }
            Err(RawError::Call(Error::Api(a))) => {
                assert!(
                    emulated,
                    "{path}: a failure from an endpoint listed as not emulated"
                );
                let documented =
                    route.meta.error_codes.contains(&a.code) || (60000..=79999).contains(&a.code);
                assert!(
                    documented,
                    "{path}: answered {} ({}), which the endpoint does not document",
                    a.code, a.info
                );
                failures.push(format!("{path}: {} {}", a.code, a.info));
            }
            Err(e) => panic!("{path}: {e}\nbody: {}", String::from_utf8_lossy(&body)),
        }
        let stats = emu.stats();
        assert_eq!(stats.requests, 1, "{path}: one request");
        assert_eq!(
            stats.by_path.get(route.meta.path),
            Some(&1),
            "{path} reached the emulator once, at its path"
        );
    }
    println!(
        "{ok} answered OK, {} documented failures, {not_emulated} not emulated:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        not_emulated,
        ROUTES.len() - im_api::emulator::emulated_endpoints().len()
    );
    assert!(
        ok > 60,
        "most endpoints succeed with the spec's example body: {ok}"
    );

    // Error decoding: each endpoint's first documented code (or a public one).
    let emu = emulator().await;
    let client = emu
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .no_rate_limit()
        .build()
        .unwrap();
    for route in ROUTES {
        let path = route.meta.service_command();
        let code = route.meta.error_codes.first().copied().unwrap_or(70402);
        // A code of the re-sign class is retried once with a fresh UserSig:
        // both attempts must fail for the code to surface.
        let resign = im_api::catalogue_entry(code).is_some_and(|e| e.retry == RetryClass::Resign);
        let attempts = if resign { 2 } else { 1 };
        for _ in 0..attempts {
            emu.inject(Fault::Code(code));
        }
        let faults = emu.stats().faults;
        let body = serde_json::to_vec(&(route.example)()).unwrap();
        let r = client.call_raw(&path, &body).await;
        assert_eq!(emu.stats().faults - faults, attempts, "{path}: attempts");
        match r {
            Err(RawError::Call(Error::Api(a))) => {
                assert_eq!(a.code, code, "{path}");
                let expected = (route.classify)(code);
                assert_eq!(a.kind, expected, "{path}");
                assert_ne!(
                    im_api::EndpointError::description(&a.kind),
                    "an error code the spec does not list",
                    "{path}: {code} is typed"
                );
            }
            other => panic!("{path}: expected the injected {code}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn pagers_follow_the_cursor_to_the_end() {
    let emu = emulator().await;
    for i in 0..24 {
        emu.add_group(
            format!("@TGS#{i:02}"),
            if i % 2 == 0 {
                GroupType::Public
            } else {
                GroupType::Work
            },
            ["example"],
        );
    }
    let client = emu.client();
    let mut pages = client.pages(get_appid_group_list::Request::new().limit(10));
    let mut ids = Vec::new();
    while let Some(page) = pages.next_page().await {
        ids.extend(page.unwrap().group_id_list.into_iter().map(|g| g.group_id));
    }
    assert_eq!(pages.pages_fetched(), 3);
    assert_eq!(ids.len(), 25, "24 groups plus `example`");
    let distinct: BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 25);
    let public = client
        .pages(
            get_appid_group_list::Request::new()
                .limit(5)
                .group_type(GroupType::Public),
        )
        .all_items()
        .await
        .unwrap();
    assert_eq!(public.len(), 13);
}

/// The coverage table in specs/README.md, from the spec itself. Update with
/// `UPDATE_COVERAGE=1 cargo test -p im-tests --test e2e the_coverage_table_is_current`.
#[test]
fn the_coverage_table_is_current() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples");
    let mut table = String::from(
        "| endpoint | typed | rate | quotas | paged | chunked | emulated | samples |\n|---|---|---|---|---|---|---|---|\n",
    );
    let (mut full, mut emulated) = (0, 0);
    for e in ENDPOINTS {
        let yes = |b: bool| if b { "yes" } else { "no" };
        full += usize::from(!e.partial);
        let emu = im_api::emulator::emulates(&e.service_command());
        emulated += usize::from(emu);
        let alias = if e.aliases.is_empty() {
            String::new()
        } else {
            format!(" (also `{}`)", e.aliases.join("`, `"))
        };
        let quotas: Vec<String> = e
            .quotas
            .iter()
            .map(|q| {
                let per = match q.window_secs {
                    1 => "s",
                    60 => "min",
                    3600 => "h",
                    _ => "day",
                };
                let what = q.count.map_or(String::new(), |c| format!(" {c}"));
                format!("{}{what}/{per}", q.limit)
            })
            .collect();
        let fixture = samples.join(e.service).join(format!("{}.json", e.command));
        let n = std::fs::read(&fixture)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .map_or(0, |v| {
                v["requests"].as_array().map_or(0, Vec::len)
                    + v["responses"].as_array().map_or(0, Vec::len)
            });
        table.push_str(&format!(
            "| `{}`{alias} | {} | {} | {} | {} | {} | {} | {n} |\n",
            e.service_command(),
            yes(!e.partial),
            e.per_second.map_or("-".to_owned(), |r| format!("{r}/s")),
            if quotas.is_empty() {
                "-".to_owned()
            } else {
                quotas.join(", ")
            },
            e.paged_items.map_or("-".to_owned(), |i| format!("`{i}`")),
            e.chunk_field.map_or("-".to_owned(), |c| format!("`{c}`")),
            yes(emu),
        ));
    }
    let summary = format!(
        "{} endpoints: {full} typed from complete field tables, {} partial; {emulated} emulated, {} answered \"not emulated\" by the emulator.\n\n",
        ENDPOINTS.len(),
        ENDPOINTS.len() - full,
        ENDPOINTS.len() - emulated,
    );
    let generated = format!("{summary}{table}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- coverage:start -->\n", "<!-- coverage:end -->");
    let a = readme.find(start).expect("coverage start marker") + start.len();
    let b = readme.find(end).expect("coverage end marker");
    if std::env::var_os("UPDATE_COVERAGE").is_some() {
        std::fs::write(
            &path,
            format!("{}{generated}{}", &readme[..a], &readme[b..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(&readme[a..b], generated, "specs/README.md's coverage table is stale: run UPDATE_COVERAGE=1 cargo test -p im-tests --test e2e the_coverage_table_is_current");
}

mod generated_pagers {
    use im_api::api::{admin_getroammsg, friend_get, get_group_member_info, get_list};
    use im_api::Paged;
    use serde_json::json;

    fn resp<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).expect("response decodes")
    }

    #[test]
    fn cursor_pairs_and_done_flags() {
        let first = friend_get::Request::new("alice", 0);
        let next = first
            .next_page(&resp(
                json!({"UserDataItem": [{"To_Account": "bob"}], "FriendNum": 1, "CompleteFlag": 0, "NextStartIndex": 100}),
            ))
            .unwrap();
        assert_eq!(next.start_index, 100);
        assert!(
            next.next_page(&resp(
                json!({"FriendNum": 1, "CompleteFlag": 1, "NextStartIndex": 200})
            ))
            .is_none(),
            "done flag"
        );
        assert!(
            next.next_page(&resp(
                json!({"FriendNum": 1, "CompleteFlag": 0, "NextStartIndex": 100})
            ))
            .is_none(),
            "no progress ends it"
        );

        let roam = admin_getroammsg::Request::new(admin_getroammsg::Required {
            operator_account: "a".into(),
            peer_account: "b".into(),
            max_cnt: 100,
            min_time: 0,
            max_time: 2_000_000_000,
        });
        let next = roam.next_page(&resp(json!({"Complete": 0, "MsgCnt": 0, "LastMsgTime": 1_700_000_000, "LastMsgKey": "k1", "MsgList": []}))).unwrap();
        assert_eq!(
            (next.max_time, next.last_msg_key.as_deref()),
            (1_700_000_000, Some("k1"))
        );
        assert!(roam
            .next_page(&resp(json!({"Complete": 1, "MsgCnt": 0})))
            .is_none());

        let sessions = get_list::Request::new(get_list::Required {
            from_account: "a".into(),
            time_stamp: 0,
            start_index: 0,
            top_time_stamp: 0,
            top_start_index: 0,
            assist_flags: 63,
        });
        let next = sessions
            .next_page(&resp(json!({"SessionItem": [], "CompleteFlag": 0, "TimeStamp": 9, "StartIndex": 1, "TopTimeStamp": 8, "TopStartIndex": 2})))
            .unwrap();
        assert_eq!(
            (
                next.time_stamp,
                next.start_index,
                next.top_time_stamp,
                next.top_start_index
            ),
            (9, 1, 8, 2)
        );
    }

    #[test]
    fn offsets_advance_by_the_items_received() {
        let first = get_group_member_info::Request::new("@TGS#1").limit(2);
        let next = first
            .next_page(&resp(json!({"MemberNum": 5, "MemberList": [{"Member_Account": "a"}, {"Member_Account": "b"}]})))
            .unwrap();
        assert_eq!(next.offset, Some(2));
        let next = next
            .next_page(&resp(json!({"MemberNum": 5, "MemberList": [{"Member_Account": "c"}, {"Member_Account": "d"}]})))
            .unwrap();
        assert_eq!(next.offset, Some(4));
        assert!(next
            .next_page(&resp(json!({"MemberNum": 5, "MemberList": []})))
            .is_none());
        let items = <get_group_member_info::Request as Paged>::into_items(resp(
            json!({"MemberList": [{"Member_Account": "x"}]}),
        ));
        assert_eq!(items.len(), 1);
    }
}

#[tokio::test]
async fn list_capped_endpoints_are_chunked_with_every_failure_reported() {
    use im_api::api::{account_check, multiaccount_import};
    use im_api::types::CheckItem;
    let emu = emulator().await;
    let client = emu.client_builder().no_rate_limit().build().unwrap();
    let items: Vec<CheckItem> = (0..250).map(|i| CheckItem::new(format!("u{i}"))).collect();
    let report = client
        .send_chunked(account_check::Request::new(Vec::<CheckItem>::new()), items)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (report.requests, report.delivered),
        (3, 250),
        "at most 100 per call"
    );
    assert_eq!(
        emu.stats().by_path["/v4/im_open_login_svc/account_check"],
        3
    );

    // A plain failure list (FailAccounts) is reported item by item.
    let server = im_tests::TestServer::start(im_tests::ok(
        serde_json::json!({"FailAccounts": ["u3", "u150"]}),
    ))
    .await;
    let report = server
        .client()
        .send_chunked(
            multiaccount_import::Request::new(),
            (0..200).map(|i| format!("u{i}")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(report.requests, 2);
    let failed: Vec<&str> = report.failed.iter().map(|f| f.item.as_str()).collect();
    assert_eq!(
        failed,
        ["u3", "u150"],
        "each failure once, in the call that carried it"
    );
    assert!(report.failed.iter().all(|f| f.code.is_none()));
    assert_eq!(report.delivered + report.failed.len(), report.items);
}
