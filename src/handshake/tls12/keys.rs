//! Key derivation and Finished, shared by both roles.

use super::known::{Knows, Negotiated};
use crate::crypto::MasterSecret;
use crate::crypto::prf as prf_into;
use crate::crypto::{self, FinishedVerified, KeyBlock, SupportedCipherSuite};
use crate::error::Error;
use crate::handshake::core::{Core, Incoming, expect_payload};
use crate::handshake::machine::Handshake;
use crate::handshake::role::Role;
use crate::handshake::shape::Shape;
use crate::handshake::table::State;
use crate::keylog::KeyLog;
use crate::message::{Finished, HandshakePayload, MAX_PARAMS_LEN, ServerEcdhParams};

/// Derives the master secret after ClientKeyExchange (RFC 5246 8.1; with
/// the extended master secret over the session hash, RFC 7627 4), logs it
/// if asked, and makes the record keys.
pub(crate) fn derive_master<R: Role>(
    core: &mut Core<R>,
    suite: &'static SupportedCipherSuite,
    extended_master_secret: bool,
    premaster: &crypto::PremasterSecret,
    key_log: Option<&dyn KeyLog>,
    we_are_client: bool,
) -> Result<(), Error> {
    let session_hash = match extended_master_secret {
        true => Some(core.transcript.current_hash()?),
        false => None,
    };
    // Derived in place, in the `Core` that wipes it.
    let master = core.master_secret.insert(MasterSecret::zeroed()).as_mut();
    match &session_hash {
        Some(session_hash) => prf_into::extended_master_secret_into(
            suite.hash,
            premaster.as_bytes(),
            session_hash.as_bytes(),
            master,
        ),
        None => prf_into::master_secret_into(
            suite.hash,
            premaster.as_bytes(),
            &core.client_random,
            &core.server_random,
            master,
        ),
    }
    install_keys(core, suite, key_log, we_are_client)
}

/// Makes the record keys from `core.master_secret` and this handshake's
/// randoms (they are installed at each side's ChangeCipherSpec), and logs
/// the secret under this handshake's client random if asked.
pub(crate) fn install_keys<R: Role>(
    core: &mut Core<R>,
    suite: &'static SupportedCipherSuite,
    key_log: Option<&dyn KeyLog>,
    we_are_client: bool,
) -> Result<(), Error> {
    let master = core
        .master_secret
        .as_ref()
        .ok_or(Error::Internal("keys without a master secret"))?;
    if let Some(key_log) = key_log {
        key_log.log("CLIENT_RANDOM", &core.client_random, master.as_bytes());
    }
    let key_block = KeyBlock::derive(
        suite,
        master.as_bytes(),
        &core.client_random,
        &core.server_random,
    );
    let (sealer, opener) = crypto::new_record_protection(suite, &key_block, we_are_client)?;
    core.pending_sealer = Some(sealer);
    core.pending_opener = Some(opener);
    Ok(())
}

/// Sends our Finished: verify_data under our role's label (RFC 5246
/// 7.4.9) over the transcript so far.
pub(crate) fn send_finished<R: Role, St: State, P: Shape>(
    hs: &mut Handshake<R, St, P>,
) -> Result<(), Error>
where
    St::Known: Knows<Negotiated>,
{
    let verify_data = expected_verify_data(hs, R::FINISHED_LABEL)?;
    hs.core
        .send_handshake(HandshakePayload::Finished(Finished { verify_data }))
}

/// Checks the peer's Finished (under the peer's label) in constant time,
/// then hashes it.
pub(crate) fn check_finished<R: Role, St: State, P: Shape>(
    hs: &mut Handshake<R, St, P>,
    message: Incoming,
) -> Result<FinishedVerified, Error>
where
    St::Known: Knows<Negotiated>,
{
    let finished = expect_payload!(message, Finished)?;
    let expected = expected_verify_data(hs, <R::Peer as Role>::FINISHED_LABEL)?;
    let verified = crypto::verify_finished(&expected, &finished.verify_data)?;
    hs.core.hash_received();
    Ok(verified)
}

/// `PRF(master_secret, label, Hash(handshake_messages))[0..12]` for the
/// transcript so far.
fn expected_verify_data<R: Role, St: State, P: Shape>(
    hs: &Handshake<R, St, P>,
    label: &str,
) -> Result<[u8; crypto::VERIFY_DATA_LEN], Error>
where
    St::Known: Knows<Negotiated>,
{
    let suite = Knows::<Negotiated>::knows(&hs.known).suite;
    let master = hs
        .core
        .master_secret
        .as_ref()
        .ok_or(Error::Internal("no master secret at Finished"))?;
    let hash = hs.core.transcript.current_hash()?;
    Ok(crypto::verify_data(
        suite.hash,
        master.as_bytes(),
        label,
        hash.as_bytes(),
    ))
}

/// The content a ServerKeyExchange signature covers (RFC 8422 5.4):
/// client_random + server_random + the encoded ECDHE params, built on the
/// stack (it is signed or verified once, then dropped).
pub(crate) struct SignedParams {
    bytes: [u8; 64 + MAX_PARAMS_LEN],
    len: usize,
}

impl SignedParams {
    pub(crate) fn new<R: Role>(core: &Core<R>, params: &ServerEcdhParams) -> Self {
        let mut bytes = [0u8; 64 + MAX_PARAMS_LEN];
        bytes[..32].copy_from_slice(&core.client_random);
        bytes[32..64].copy_from_slice(&core.server_random);
        let mut encoded = [0u8; MAX_PARAMS_LEN];
        let len = params.encode_into(&mut encoded);
        bytes[64..64 + len].copy_from_slice(&encoded[..len]);
        Self {
            bytes,
            len: 64 + len,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}
