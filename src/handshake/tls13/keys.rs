//! TLS 1.3 key schedule steps the handshake takes (RFC 8446 7.1), on top
//! of `crypto::tls13`: what both roles do alike at each key change.

use crate::crypto::tls13::{
    EarlySecret, HandshakeSecret, MasterSecret, Secret, Tls13CipherSuite, TrafficSecrets,
};
use crate::error::Error;
use crate::handshake::core::Core;
use crate::handshake::role::Role;

/// The NSS key log labels of the four secrets (as OpenSSL and rustls
/// write them).
pub(crate) const CLIENT_HANDSHAKE_TRAFFIC_SECRET: &str = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
pub(crate) const SERVER_HANDSHAKE_TRAFFIC_SECRET: &str = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
pub(crate) const CLIENT_TRAFFIC_SECRET_0: &str = "CLIENT_TRAFFIC_SECRET_0";
pub(crate) const SERVER_TRAFFIC_SECRET_0: &str = "SERVER_TRAFFIC_SECRET_0";
pub(crate) const CLIENT_EARLY_TRAFFIC_SECRET: &str = "CLIENT_EARLY_TRAFFIC_SECRET";

/// The 0-RTT key's secret (RFC 8446 7.1): `client_early_traffic_secret`
/// from the PSK's early secret, over the ClientHello (the last message in
/// the transcript, hashed with the PSK's hash), logged.
pub(crate) fn client_early_secret<R: Role>(
    core: &Core<R>,
    suite: &Tls13CipherSuite,
    psk: &[u8],
) -> Result<Secret, Error>
where
    R::Config: KeyLogged,
{
    let mut transcript = core.transcript.clone();
    transcript.start_hash(suite.hash);
    let hello_hash = transcript.current_hash()?;
    let secret = EarlySecret::new(suite.hash, Some(psk))?
        .client_early_traffic_secret(hello_hash.as_bytes())?;
    log_secret(core, CLIENT_EARLY_TRAFFIC_SECRET, &secret);
    Ok(secret)
}

/// Logs `secret` under `label` and this handshake's client random, if
/// the configuration asks for a key log.
pub(crate) fn log_secret<R: Role>(core: &Core<R>, label: &str, secret: &Secret)
where
    R::Config: KeyLogged,
{
    if let Some(key_log) = core.config.key_log() {
        key_log.log(label, &core.client_random, secret.as_bytes());
    }
}

/// Configurations that may carry a key log.
pub(crate) trait KeyLogged {
    fn key_log(&self) -> Option<&dyn crate::keylog::KeyLog>;
}

impl KeyLogged for crate::handshake::config::ClientConfig {
    fn key_log(&self) -> Option<&dyn crate::keylog::KeyLog> {
        self.key_log.as_deref()
    }
}

impl KeyLogged for crate::handshake::config::ServerConfig {
    fn key_log(&self) -> Option<&dyn crate::keylog::KeyLog> {
        self.key_log.as_deref()
    }
}

/// After the hellos, with the PSK if one is resumed: the handshake secret
/// from the (EC)DHE shared secret, and the handshake traffic secrets over
/// the transcript so far (ClientHello..ServerHello), both logged.
pub(crate) fn handshake_secrets<R: Role>(
    core: &Core<R>,
    suite: &Tls13CipherSuite,
    psk: Option<&[u8]>,
    shared_secret: &[u8],
) -> Result<(HandshakeSecret, TrafficSecrets), Error>
where
    R::Config: KeyLogged,
{
    let handshake = EarlySecret::new(suite.hash, psk)?.into_handshake(shared_secret)?;
    let hello_hash = core.transcript.current_hash()?;
    let secrets = handshake.traffic_secrets(hello_hash.as_bytes())?;
    log_secret(core, CLIENT_HANDSHAKE_TRAFFIC_SECRET, &secrets.client);
    log_secret(core, SERVER_HANDSHAKE_TRAFFIC_SECRET, &secrets.server);
    Ok((handshake, secrets))
}

/// After the server's Finished: the application traffic secrets over the
/// transcript so far (ClientHello..server Finished), both logged, and the
/// master secret, kept for the resumption master secret.
pub(crate) fn application_secrets<R: Role>(
    core: &Core<R>,
    handshake: HandshakeSecret,
) -> Result<(TrafficSecrets, MasterSecret), Error>
where
    R::Config: KeyLogged,
{
    let master = handshake.into_master()?;
    let hash = core.transcript.current_hash()?;
    let secrets = master.traffic_secrets(hash.as_bytes())?;
    log_secret(core, CLIENT_TRAFFIC_SECRET_0, &secrets.client);
    log_secret(core, SERVER_TRAFFIC_SECRET_0, &secrets.server);
    Ok((secrets, master))
}
