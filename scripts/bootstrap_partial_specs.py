"""One-off bootstrap (run once, 2026-11-25): partial spec entries for every
current endpoint in ../shared/reference/endpoints.jsonl that had none.

Each entry records what the reference documents (path, purpose, source page,
documented rate, the service family's common error codes) and is marked
`partial = true`: requests and responses carry an `extra` map for the fields
a later pass will model. From now on the spec files are the source of truth;
this script is kept to show where the partial entries came from.

    python3 scripts/bootstrap_partial_specs.py ../shared/reference/endpoints.jsonl
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SPECS = os.path.join(HERE, "..", "specs")

GROUP = dict(errors=[10002, 10003, 10004, 10007, 10010, 10015], json=10004, invalid=10004)
FAMILY = {
    "group_open_http_svc": GROUP,
    "group_open_avchatroom_http_svc": GROUP,
    "group_open_attr_http_svc": GROUP,
    "million_group_open_http_svc": GROUP,
    "openim": dict(errors=[90001, 91000], json=90001),
    "openim_msg_ext_http_svc": dict(errors=[90001, 91000], json=90001),
    "sns": dict(errors=[30001, 30006, 30007], json=30001, invalid=30001),
    "follow": dict(errors=[30001, 30005, 30006], json=30001, invalid=30001),
    "profile": dict(errors=[40001, 40006], json=40001, invalid=40001),
    "recentcontact": dict(errors=[50001, 50002, 50004, 50005], json=50002, invalid=50002),
    "im_msg_audit": dict(errors=[2001, 2003, 2004], invalid=2003),
    "im_msg_audit_mgr": dict(errors=[2001, 2003, 2004], invalid=2003),
}
# Documented renames: the old command becomes an alias of the current one.
ALIASES = {
    ("openim", "query_online_status"): ["querystate"],
    ("sns", "friend_get"): ["friend_get_all"],
    ("group_open_http_svc", "get_group_muted_account"): ["get_group_shutted_uin"],
}
# Old names that are aliases (above) or superseded services, not entries.
NOT_ENTRIES = {
    ("group_open_http_svc", "get_group_shutted_uin"),
    ("openim", "querystate"),
    ("sns", "friend_get_all"),
    ("openim_dirty_words", "get"),
    ("openim_dirty_words", "add"),
    ("openim_dirty_words", "delete"),
}
FILES = {
    "account": "account.toml", "c2c_message": "c2c_message.toml", "community": "community.toml",
    "conversation": "conversation.toml", "follow": "follow.toml", "global_mute": "global_mute.toml",
    "group": "group.toml", "group_message": "group_message.toml", "moderation": "moderation.toml",
    "official_account": "official_account.toml", "operations": "operations.toml", "profile": "profile.toml",
    "push": "push.toml", "push_timpush": "push_timpush.toml", "relationship": "relationship.toml", "robot": "robot.toml",
}


def existing():
    have = set()
    for f in os.listdir(SPECS):
        if f.endswith(".toml"):
            text = open(os.path.join(SPECS, f)).read()
            for m in re.finditer(r'service = "([^"]+)"\s*\ncommand = "([^"]+)"', text):
                have.add((m.group(1), m.group(2)))
    return have


def entry(row):
    key = (row["service"], row["command"])
    fam = FAMILY.get(row["service"], {})
    lines = ["", "[[endpoint]]", f'service = "{row["service"]}"', f'command = "{row["command"]}"']
    lines.append(f'summary = {json.dumps(row["purpose"].rstrip(".") + ".")}')
    lines.append(f'sources = [{json.dumps(row["source_url"])}, "reference: endpoints.jsonl"]')
    lines.append("partial = true")
    if key in ALIASES:
        lines.append("aliases = [" + ", ".join(json.dumps(a) for a in ALIASES[key]) + "]")
    if row.get("max_qps"):
        lines.append(f'rate = {{ per_second = {row["max_qps"]}, documented = ["{row["max_qps"]}/s (endpoints.jsonl)"] }}')
    lines.append("errors = [" + ", ".join(str(c) for c in fam.get("errors", [])) + "]")
    if "json" in fam:
        lines.append(f'invalid_json_code = {fam["json"]}')
    if "invalid" in fam:
        lines.append(f'invalid_code = {fam["invalid"]}')
    return "\n".join(lines) + "\n"


def main(path):
    rows = [json.loads(l) for l in open(path)]
    have = existing()
    added = 0
    for row in rows:
        key = (row["service"], row["command"])
        if key in have or key in NOT_ENTRIES:
            continue
        f = os.path.join(SPECS, FILES[row["area"]])
        new = not os.path.exists(f)
        with open(f, "a") as out:
            if new:
                out.write(f"# {row['area'].replace('_', ' ').capitalize()} endpoints.\n"
                          "# Partial entries were bootstrapped from the reference's endpoint list\n"
                          "# (scripts/bootstrap_partial_specs.py); complete them from the field tables.\n")
            out.write(entry(row))
        added += 1
    print(f"added {added} partial entries")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "reference", "endpoints.jsonl"))
