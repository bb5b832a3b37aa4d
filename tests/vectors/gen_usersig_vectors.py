"""Produce UserSig test vectors with Tencent's official implementation.

Usage (needs network access to PyPI once):
    pip download --no-deps -d /tmp/tlssig tls-sig-api-v2==1.1
    tar xzf /tmp/tlssig/tls-sig-api-v2-1.1.tar.gz -C /tmp/tlssig
    PYTHONPATH=/tmp/tlssig/tls-sig-api-v2-1.1 python3 tests/vectors/gen_usersig_vectors.py > tests/vectors/usersig.json

The official helper reads the clock with time.time(); it is pinned here so the
vectors are reproducible. The Rust tests verify every vector with im-api's
verifier and check that im-api signs the same claims with the same HMAC.
"""
import json
import time

import TLSSigAPIv2

CASES = [
    # sdkappid, key, identifier, expire, time, userbuf
    (1400000000, "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e", "xiaojun", 15552000, 1700000000, None),
    (1400000000, "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e", "xiaojun", 15552000, 1700000000, b"abc"),
    (1400000000, "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e", "administrator", 86400, 1764000000, None),
    (20000000, "another-secret-key-with-symbols!@#", "admin_01-x", 604800, 1600000000, None),
    (1600012345, "k", "user with space", 60, 1234567890, None),
]

out = []
for sdkappid, key, identifier, expire, t, userbuf in CASES:
    api = TLSSigAPIv2.TLSSigAPIv2(sdkappid, key)
    real_time = time.time
    time.time = lambda: float(t)
    try:
        if userbuf is None:
            sig = api.gen_sig(identifier, expire)
        else:
            sig = api.gen_sig_with_userbuf(identifier, expire, userbuf)
    finally:
        time.time = real_time
    out.append({
        "sdkappid": sdkappid,
        "key": key,
        "identifier": identifier,
        "expire": expire,
        "time": t,
        "userbuf": None if userbuf is None else userbuf.decode(),
        "usersig": sig,
    })
print(json.dumps(out, indent=2))
