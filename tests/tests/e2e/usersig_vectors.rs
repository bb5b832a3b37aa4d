//! UserSig cross-check against vectors from Tencent's official implementation
//! (PyPI `tls-sig-api-v2` 1.1, fixed time; see tests/vectors/gen_usersig_vectors.py).

use im_api::usersig::{decode, SigError};
use im_api::{SecretKey, Signer};

#[derive(serde::Deserialize)]
struct Vector {
    sdkappid: u64,
    key: String,
    identifier: String,
    expire: u64,
    time: u64,
    userbuf: Option<String>,
    usersig: String,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("../../vectors/usersig.json");
    serde_json::from_str(text).expect("vectors")
}

#[test]
fn official_sigs_verify_and_ours_match_their_claims_and_mac() {
    let vs = vectors();
    assert!(vs.len() >= 5);
    for v in vs {
        let signer = Signer::new(v.sdkappid, SecretKey::new(&v.key));
        let info = signer
            .verify_at(&v.usersig, &v.identifier, v.time + 1)
            .expect("official sig verifies");
        assert_eq!(
            (info.sdkappid, info.time, info.expire),
            (v.sdkappid, v.time, v.expire)
        );
        let ours = match &v.userbuf {
            None => signer.sign_at(&v.identifier, v.expire, v.time),
            Some(b) => signer.sign_with_userbuf_at(&v.identifier, v.expire, v.time, b.as_bytes()),
        };
        let (their_claims, their_mac, their_buf) = decode(&v.usersig).unwrap();
        let (our_claims, our_mac, our_buf) = decode(&ours).unwrap();
        assert_eq!(our_claims, their_claims);
        assert_eq!(our_mac, their_mac, "same HMAC as the official helper");
        assert_eq!(our_buf, their_buf);
        // Expiry and a wrong key are caught.
        assert!(matches!(
            signer.verify_at(&v.usersig, &v.identifier, v.time + v.expire + 1),
            Err(SigError::Expired { .. })
        ));
        let wrong = Signer::new(v.sdkappid, SecretKey::new(format!("{}x", v.key)));
        assert_eq!(wrong.verify_signature(&v.usersig), Err(SigError::Signature));
    }
}
