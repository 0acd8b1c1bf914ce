//! The TLS 1.2 PRF (RFC 5246 5) and the master secrets made with it
//! (RFC 5246 8.1, RFC 7627 4).

use ring::hmac;

use super::suites::HashAlgorithm;

/// Length of a master secret.
pub const MASTER_SECRET_LEN: usize = 48;

/// Fills `out` with `PRF(secret, label, seed)` over `hash`:
/// `P_hash(secret, label + seed)`.
pub fn prf(hash: HashAlgorithm, secret: &[u8], label: &str, seed: &[u8], out: &mut [u8]) {
    let key = hmac::Key::new(hash.hmac(), secret);
    let label = label.as_bytes();

    // A(1) = HMAC(secret, label + seed)
    let mut a = {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(label);
        ctx.update(seed);
        ctx.sign()
    };

    let mut chunks = out.chunks_mut(hash.output_len()).peekable();
    while let Some(chunk) = chunks.next() {
        // HMAC(secret, A(i) + label + seed)
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(label);
        ctx.update(seed);
        let block = ctx.sign();
        chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
        // A(i+1) = HMAC(secret, A(i)), only if another block follows.
        if chunks.peek().is_some() {
            a = hmac::sign(&key, a.as_ref());
        }
    }
}

/// The master secret of RFC 5246 8.1:
/// `PRF(premaster, "master secret", client_random + server_random)`.
pub fn master_secret(
    hash: HashAlgorithm,
    premaster: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; MASTER_SECRET_LEN] {
    let mut out = [0u8; MASTER_SECRET_LEN];
    master_secret_into(hash, premaster, client_random, server_random, &mut out);
    out
}

/// [`master_secret`], written into `out`: the handshake derives it straight
/// into its (wiped) home, leaving no copy on the stack.
pub(crate) fn master_secret_into(
    hash: HashAlgorithm,
    premaster: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    out: &mut [u8; MASTER_SECRET_LEN],
) {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(client_random);
    seed[32..].copy_from_slice(server_random);
    prf(hash, premaster, "master secret", &seed, out);
}

/// The extended master secret of RFC 7627 4:
/// `PRF(premaster, "extended master secret", session_hash)`, where the
/// session hash covers the handshake up to and including ClientKeyExchange.
pub fn extended_master_secret(
    hash: HashAlgorithm,
    premaster: &[u8],
    session_hash: &[u8],
) -> [u8; MASTER_SECRET_LEN] {
    let mut out = [0u8; MASTER_SECRET_LEN];
    extended_master_secret_into(hash, premaster, session_hash, &mut out);
    out
}

/// [`extended_master_secret`], written into `out` (see
/// [`master_secret_into`]).
pub(crate) fn extended_master_secret_into(
    hash: HashAlgorithm,
    premaster: &[u8],
    session_hash: &[u8],
    out: &mut [u8; MASTER_SECRET_LEN],
) {
    prf(hash, premaster, "extended master secret", session_hash, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_a_prefix_of_longer_output() {
        let mut short = [0u8; 33];
        let mut long = [0u8; 100];
        prf(HashAlgorithm::Sha256, b"key", "label", b"seed", &mut short);
        prf(HashAlgorithm::Sha256, b"key", "label", b"seed", &mut long);
        assert_eq!(short[..], long[..33]);
    }

    #[test]
    fn master_secret_depends_on_random_order() {
        let c = [1u8; 32];
        let s = [2u8; 32];
        let a = master_secret(HashAlgorithm::Sha256, b"pms", &c, &s);
        let b = master_secret(HashAlgorithm::Sha256, b"pms", &s, &c);
        assert_ne!(a, b);
    }
}
