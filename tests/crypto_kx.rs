//! Ephemeral ECDH over the three groups.

use tlstate::crypto::{EphemeralKeyExchange, SUPPORTED_GROUPS};
use tlstate::enums::NamedGroup;
use tlstate::error::{Error, PeerMisbehaved};

const ILLEGAL: Error = Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
    "an invalid ECDHE public key",
));

fn public_len(group: NamedGroup) -> usize {
    match group {
        NamedGroup::X25519 => 32,
        NamedGroup::secp256r1 => 65,
        NamedGroup::secp384r1 => 97,
        other => panic!("unexpected group {other}"),
    }
}

#[test]
fn both_sides_agree_for_every_group() {
    assert_eq!(SUPPORTED_GROUPS.len(), 3);
    for &group in SUPPORTED_GROUPS {
        let client = EphemeralKeyExchange::generate(group).expect("client key");
        let server = EphemeralKeyExchange::generate(group).expect("server key");
        assert_eq!(client.group(), group);
        assert_eq!(client.public_key().len(), public_len(group));
        if group != NamedGroup::X25519 {
            assert_eq!(client.public_key()[0], 0x04, "uncompressed point");
        }
        assert_ne!(client.public_key(), server.public_key());

        let client_pub = client.public_key().to_vec();
        let a = client.complete(server.public_key()).expect("client agrees");
        let b = server.complete(&client_pub).expect("server agrees");
        assert_eq!(a.as_bytes(), b.as_bytes(), "{group}");
        let secret_len = if group == NamedGroup::X25519 {
            32
        } else {
            public_len(group) / 2
        };
        assert_eq!(a.as_bytes().len(), secret_len);
    }
}

#[test]
fn rejects_empty_and_malformed_peer_keys() {
    for &group in SUPPORTED_GROUPS {
        let len = public_len(group);
        let mut bad: Vec<Vec<u8>> =
            vec![vec![], vec![0x04], vec![0u8; len - 1], vec![0u8; len + 1]];
        if group == NamedGroup::X25519 {
            // Low-order points give the all-zero secret (RFC 7748 6.1).
            bad.push(vec![0u8; 32]);
            let mut one = vec![0u8; 32];
            one[0] = 1;
            bad.push(one);
        } else {
            bad.push(vec![0u8; len]);
            // A point not on the curve.
            let mut off = vec![0x04];
            off.extend(std::iter::repeat_n(0x01, len - 1));
            bad.push(off);
            // A compressed point (we only accept uncompressed).
            let other = EphemeralKeyExchange::generate(group).expect("key");
            let mut compressed = vec![0x02 | (other.public_key()[len - 1] & 1)];
            compressed.extend_from_slice(&other.public_key()[1..=len / 2]);
            bad.push(compressed);
        }
        for peer in bad {
            let ours = EphemeralKeyExchange::generate(group).expect("key");
            assert_eq!(
                ours.complete(&peer).map(|_| ()),
                Err(ILLEGAL),
                "{group} {peer:02x?}"
            );
        }
    }
}

#[test]
fn rejects_an_unsupported_group() {
    let got = EphemeralKeyExchange::generate(NamedGroup::Unknown(0x001e)).map(|_| ());
    assert!(matches!(
        got,
        Err(Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(_)))
    ));
}
