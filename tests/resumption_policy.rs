//! What a resumed session may carry over and what it must negotiate again,
//! in memory: our `ClientDriver` against the typed server handshake, so
//! each test sees which branch of `AfterClientHello` the server took.
//!
//! - Client authentication (issue #11 item 1): a session remembers the
//!   client's chain (or that there was none); a server asking for client
//!   certificates resumes only a session whose chain passes its current
//!   policy, and otherwise falls back to a full handshake with a
//!   CertificateRequest. Both for tickets and for the session-ID cache.
//! - ALPN (item 2, RFC 7301 3.1): negotiated again on every handshake,
//!   from this ClientHello and the server's configuration, never echoed
//!   from the session.

mod common;

use std::sync::Arc;

use common::memory::{localhost, next};
use common::{ClientAuthPki, KeyKind, LeafFlavor, TestPki};
use tlstate::connection::SessionSummary;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::driver::{ClientDriver, Event};
use tlstate::enums::AlertDescription;
use tlstate::error::{CertificateError, Error, PeerIncompatible};
use tlstate::handshake::{
    AfterClientCert, AfterClientHello, ClientAuth, ClientCertPolicy, ClientConfig, Fatal,
    Handshake, Server, ServerConfig, state,
};
use tlstate::session::{InMemorySessionStore, SessionCache, Ticketer};

/// Which path the server's read of the ClientHello chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Branch {
    Full,
    Resumed,
    ResumedWithClientCert,
}

/// How the server resumes: by ticket, or by session ID from its cache.
#[derive(Clone, Copy, Debug)]
enum Resumption {
    Ticket,
    Cache,
}

const BOTH: [Resumption; 2] = [Resumption::Ticket, Resumption::Cache];

/// Everything the client has queued.
fn output(client: &mut ClientDriver) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = client.poll_output() {
        out.extend_from_slice(&bytes);
    }
    out
}

/// Gives the client the server's flight and returns the client's answer.
fn exchange(client: &mut ClientDriver, flight: &[u8]) -> Vec<u8> {
    let input: &[u8] = flight;
    assert_eq!(
        client.handle_input(input),
        input.len(),
        "the driver takes it all"
    );
    output(client)
}

/// The client's error, if its handshake failed.
fn client_error(client: &mut ClientDriver) -> Option<Error> {
    let mut failed = None;
    while let Some(event) = client.poll_event() {
        if let Event::Failed(error) = event {
            failed = Some(error);
        }
    }
    failed
}

/// What one connection did on the server's side.
#[derive(Debug)]
struct Served {
    branch: Branch,
    /// Whether the server's first flight carried a CertificateRequest.
    certificate_requested: bool,
    result: Result<SessionSummary, Fatal>,
}

/// The server's resumed path from ServerHello to the end: ServerHello,
/// [NewSessionTicket], ChangeCipherSpec, Finished; then the client's
/// ChangeCipherSpec and Finished. A macro: each resumed shape is its own
/// type.
macro_rules! finish_resumed {
    ($s:expr, $client:expr) => {
        (|| -> Result<SessionSummary, Fatal> {
            let mut s = $s.send()?.send()?.send()?.send()?;
            let answer = exchange($client, &s.take_output());
            assert_eq!(s.feed(&answer), answer.len(), "a whole flight is taken");
            let s = next(next(s.recv()?).recv()?);
            Ok(s.summary())
        })()
    };
}

/// The rest of a full handshake from the client's key exchange on (every
/// full shape has the same tail but CertificateVerify); a macro for the
/// same reason.
macro_rules! finish_full {
    ($s:expr, $client:expr, $reads:tt) => {{
        let mut s = finish_full!(@reads $s, $reads).send()?.send()?.send()?;
        let input: &[u8] = &s.take_output();
        assert_eq!($client.handle_input(input), input.len(), "the driver takes it all");
        Ok(s.summary())
    }};
    (@reads $s:expr, 3) => { next(next(next($s.recv()?).recv()?).recv()?) };
    (@reads $s:expr, 4) => { next(next(next(next($s.recv()?).recv()?).recv()?).recv()?) };
}

/// One connection against a server that does not ask for certificates.
fn serve_plain(config: &Arc<ServerConfig>, client: &mut ClientDriver) -> Served {
    let mut s = Handshake::server(config.clone());
    let input: &[u8] = &output(client);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let after = match s.recv() {
        Ok(step) => next(step),
        Err(fatal) => return failed_at_hello(fatal, client),
    };
    match after {
        AfterClientHello::Full(s) => Served {
            branch: Branch::Full,
            certificate_requested: false,
            result: (|| -> Result<SessionSummary, Fatal> {
                // ServerHello, Certificate, (no) CertificateStatus,
                // ServerKeyExchange, ServerHelloDone.
                let mut s = s.send()?.send()?.send()?.send()?.send()?;
                let answer = exchange(client, &s.take_output());
                let input: &[u8] = &answer;
                assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
                finish_full!(s, client, 3)
            })(),
        },
        AfterClientHello::Resumed(s) => Served {
            branch: Branch::Resumed,
            certificate_requested: false,
            result: finish_resumed!(s, client),
        },
        AfterClientHello::Tls13(_)
        | AfterClientHello::Tls13Retry(_)
        | AfterClientHello::Tls13Resumed(_)
        | AfterClientHello::Tls13Early(_) => {
            panic!("these servers negotiate TLS 1.2 only")
        }
    }
}

/// The server's failure at the ClientHello, its alert handed to the client.
fn failed_at_hello(fatal: Fatal, client: &mut ClientDriver) -> Served {
    let input: &[u8] = fatal.output();
    assert_eq!(
        client.handle_input(input),
        input.len(),
        "the driver takes it all"
    );
    Served {
        branch: Branch::Full,
        certificate_requested: false,
        result: Err(fatal),
    }
}

/// One connection against a server asking for client certificates under
/// `policy`.
fn serve_client_auth(
    config: &Arc<ServerConfig>,
    policy: &ClientCertPolicy,
    client: &mut ClientDriver,
) -> Served {
    let mut s = Handshake::server_requesting_client_cert(config.clone(), policy.clone());
    let input: &[u8] = &output(client);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let after = match s.recv() {
        Ok(step) => next(step),
        Err(fatal) => return failed_at_hello(fatal, client),
    };
    match after {
        AfterClientHello::Full(s) => Served {
            branch: Branch::Full,
            certificate_requested: true,
            result: full_client_auth(s, client),
        },
        AfterClientHello::Resumed(s) => Served {
            branch: Branch::Resumed,
            certificate_requested: false,
            result: finish_resumed!(s, client),
        },
        AfterClientHello::ResumedWithClientCert(s) => Served {
            branch: Branch::ResumedWithClientCert,
            certificate_requested: false,
            result: finish_resumed!(s, client),
        },
        AfterClientHello::Tls13(_)
        | AfterClientHello::Tls13Retry(_)
        | AfterClientHello::Tls13Resumed(_)
        | AfterClientHello::Tls13Early(_) => {
            panic!("these servers negotiate TLS 1.2 only")
        }
    }
}

/// The full handshake of a client-auth server from ServerHello on; a
/// fatal error's alert is handed to the client.
fn full_client_auth(
    s: Handshake<Server, state::ServerHello, ClientAuth>,
    client: &mut ClientDriver,
) -> Result<SessionSummary, Fatal> {
    let result = (|| -> Result<SessionSummary, Fatal> {
        // ServerHello, Certificate, (no) CertificateStatus,
        // ServerKeyExchange, CertificateRequest, ServerHelloDone.
        let mut s = s.send()?.send()?.send()?.send()?.send()?.send()?;
        let answer = exchange(client, &s.take_output());
        let input: &[u8] = &answer;
        assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
        match next(s.recv()?) {
            // ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished
            AfterClientCert::Certificate(s) => finish_full!(s, client, 4),
            // ClientKeyExchange, ChangeCipherSpec, Finished
            AfterClientCert::NoCertificate(s) => finish_full!(s, client, 3),
        }
    })();
    if let Err(fatal) = &result {
        let input: &[u8] = fatal.output();
        assert_eq!(
            client.handle_input(input),
            input.len(),
            "the driver takes it all"
        );
    }
    result
}

/// A server configuration resuming by `how`.
fn resuming(server: &Arc<ServerConfig>, how: Resumption) -> Arc<ServerConfig> {
    let mut server = (**server).clone();
    match how {
        Resumption::Ticket => {
            server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
        }
        Resumption::Cache => {
            server.session_cache = Some(Arc::new(SessionCache::new(16, 3600)));
        }
    }
    Arc::new(server)
}

/// A client configuration with a fresh session store of its own, offering
/// tickets only when the server resumes by ticket (so a cache test really
/// resumes by session ID).
fn client_for(base: &Arc<ClientConfig>, how: Resumption) -> ClientConfig {
    let mut client = (**base).clone();
    client.session_store = Some(Arc::new(InMemorySessionStore::new(8)));
    client.enable_tickets = matches!(how, Resumption::Ticket);
    client
}

/// A fresh client driver for `localhost`.
fn connect(client: &Arc<ClientConfig>) -> ClientDriver {
    ClientDriver::new(client.clone(), localhost())
}

fn policy(pki: &TestPki, required: bool) -> ClientCertPolicy {
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&pki.ca)).unwrap();
    ClientCertPolicy {
        verifier: Arc::new(verifier),
        required,
    }
}

fn certified(leaf: &common::Leaf) -> tlstate::handshake::CertifiedKey {
    tlstate::handshake::CertifiedKey::new(leaf.chain.clone(), &leaf.key).unwrap()
}

/// A server accepting h2 and http/1.1 (in that order), resuming by `how`,
/// and a first connection on which the client offered only h2.
fn alpn_session(how: Resumption) -> (Arc<ServerConfig>, ClientConfig) {
    let pki = common::fixture();
    let mut server = (*resuming(&pki.pki.server_config_tls12(&pki.leaf), how)).clone();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let server = Arc::new(server);
    let mut client = client_for(&pki.pki.client_config_tls12(), how);
    client.alpn_protocols = vec![b"h2".to_vec()];
    let mut first = connect(&Arc::new(client.clone()));
    let made = serve_plain(&server, &mut first);
    assert_eq!(
        made.result.unwrap().alpn_protocol.as_deref(),
        Some(&b"h2"[..])
    );
    (server, client)
}

#[test]
fn resumption_negotiates_alpn_from_the_new_offer() {
    for how in BOTH {
        let (server, mut client) = alpn_session(how);
        client.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut second = connect(&Arc::new(client));
        let served = serve_plain(&server, &mut second);
        assert_eq!(served.branch, Branch::Resumed, "{how:?}");
        let summary = served.result.unwrap();
        assert_eq!(summary.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
        assert_eq!(client_error(&mut second), None, "{how:?}");
        let seen = second.summary().expect("the client finished").clone();
        assert!(seen.resumed);
        assert_eq!(seen.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
    }
}

#[test]
fn resumption_without_alpn_offer_selects_none() {
    for how in BOTH {
        let (server, mut client) = alpn_session(how);
        client.alpn_protocols = Vec::new();
        let mut second = connect(&Arc::new(client));
        let served = serve_plain(&server, &mut second);
        assert_eq!(served.branch, Branch::Resumed, "{how:?}");
        assert_eq!(served.result.unwrap().alpn_protocol, None);
        assert_eq!(client_error(&mut second), None, "{how:?}");
        let seen = second.summary().expect("the client finished");
        assert!(seen.resumed);
        assert_eq!(seen.alpn_protocol, None);
    }
}

#[test]
fn resumption_without_alpn_overlap_sends_no_application_protocol() {
    for how in BOTH {
        let (server, mut client) = alpn_session(how);
        client.alpn_protocols = vec![b"spdy/3".to_vec()];
        let mut second = connect(&Arc::new(client));
        let served = serve_plain(&server, &mut second);
        let fatal = served.result.unwrap_err();
        assert_eq!(
            fatal.error(),
            &Error::PeerIncompatible(PeerIncompatible::NoApplicationProtocol)
        );
        assert_eq!(fatal.alert(), Some(AlertDescription::NoApplicationProtocol));
        assert!(
            matches!(
                client_error(&mut second),
                Some(Error::AlertReceived {
                    description: AlertDescription::NoApplicationProtocol,
                    ..
                })
            ),
            "{how:?}"
        );
    }
}
/// The reproduction: a session made by a server that asked for no
/// certificate must not resume into one that requires a certificate.
#[test]
fn session_without_client_auth_does_not_resume_into_required_policy() {
    let pki = ClientAuthPki::new("tlstate resumption CA");
    let base = pki.pki.server_config_tls12(&pki.server);
    for how in BOTH {
        let server = resuming(&base, how);
        let client = Arc::new(client_for(&pki.pki.client_config_tls12(), how));
        let mut first = connect(&client);
        let made = serve_plain(&server, &mut first);
        assert_eq!(made.branch, Branch::Full);
        assert!(made.result.unwrap().client_certificates.is_empty());

        let mut second = connect(&client);
        let served = serve_client_auth(&server, &policy(&pki.pki, true), &mut second);
        assert_eq!(served.branch, Branch::Full, "{how:?}: not resumed");
        assert!(served.certificate_requested, "{how:?}");
        // The client has no certificate: the full handshake refuses it.
        let fatal = served.result.unwrap_err();
        assert_eq!(
            fatal.error(),
            &Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired)
        );
        assert_eq!(fatal.alert(), Some(AlertDescription::HandshakeFailure));
        assert!(matches!(
            client_error(&mut second),
            Some(Error::AlertReceived {
                description: AlertDescription::HandshakeFailure,
                ..
            })
        ));
    }
}

/// The client-auth PKI, a server resuming by `how`, and a client (with a
/// fresh session store) holding the PKI's client certificate, whose first
/// connection, to a server requiring a certificate, made a session with
/// the client's chain in it.
struct Authenticated {
    pki: ClientAuthPki,
    server: Arc<ServerConfig>,
    client: ClientConfig,
}

fn authenticated_session(how: Resumption) -> Authenticated {
    let pki = ClientAuthPki::new("tlstate resumption CA");
    let server = resuming(&pki.pki.server_config_tls12(&pki.server), how);
    let mut client = client_for(&pki.pki.client_config_tls12(), how);
    client.client_certificate = Some(certified(&pki.client));
    let mut first = connect(&Arc::new(client.clone()));
    let made = serve_client_auth(&server, &policy(&pki.pki, true), &mut first);
    assert_eq!(made.branch, Branch::Full);
    assert_eq!(
        made.result.unwrap().client_certificates[..],
        pki.client.chain[..]
    );
    Authenticated {
        pki,
        server,
        client,
    }
}

#[test]
fn required_policy_resumes_a_session_whose_chain_verifies_with_its_identity() {
    for how in BOTH {
        let Authenticated {
            pki,
            server,
            client,
        } = authenticated_session(how);
        let mut second = connect(&Arc::new(client));
        let served = serve_client_auth(&server, &policy(&pki.pki, true), &mut second);
        assert_eq!(served.branch, Branch::ResumedWithClientCert, "{how:?}");
        let summary = served.result.unwrap();
        assert!(summary.resumed);
        assert_eq!(summary.client_certificates[..], pki.client.chain[..]);
        assert_eq!(client_error(&mut second), None);
        assert!(second.summary().expect("the client finished").resumed);
    }
}

#[test]
fn optional_policy_resumes_a_session_whose_chain_verifies_with_its_identity() {
    for how in BOTH {
        let Authenticated {
            pki,
            server,
            client,
        } = authenticated_session(how);
        let mut second = connect(&Arc::new(client));
        let served = serve_client_auth(&server, &policy(&pki.pki, false), &mut second);
        assert_eq!(served.branch, Branch::ResumedWithClientCert, "{how:?}");
        assert_eq!(
            served.result.unwrap().client_certificates[..],
            pki.client.chain[..]
        );
    }
}

/// A session whose stored chain the server's current verifier rejects
/// (here: the server now trusts another CA) falls back to a full
/// handshake with a CertificateRequest; the client, now holding a
/// certificate of that CA, authenticates afresh.
#[test]
fn required_policy_falls_back_to_full_handshake_when_the_stored_chain_fails() {
    for how in BOTH {
        let Authenticated {
            server, mut client, ..
        } = authenticated_session(how);
        let other = TestPki::new("tlstate other client CA");
        let new_leaf = other.leaf_with(
            KeyKind::EcdsaP256,
            &["client.example"],
            LeafFlavor::ClientAuth,
        );
        client.client_certificate = Some(certified(&new_leaf));
        let mut second = connect(&Arc::new(client));
        let served = serve_client_auth(&server, &policy(&other, true), &mut second);
        assert_eq!(served.branch, Branch::Full, "{how:?}");
        assert!(served.certificate_requested);
        let summary = served.result.unwrap();
        assert!(!summary.resumed);
        assert_eq!(summary.client_certificates[..], new_leaf.chain[..]);
        assert_eq!(client_error(&mut second), None);
    }
}

/// The same, the client still presenting the rejected certificate: the
/// full handshake refuses it.
#[test]
fn required_policy_refuses_the_stored_chain_again_in_the_full_handshake() {
    for how in BOTH {
        let Authenticated { server, client, .. } = authenticated_session(how);
        let other = TestPki::new("tlstate other client CA");
        let mut second = connect(&Arc::new(client));
        let served = serve_client_auth(&server, &policy(&other, true), &mut second);
        assert_eq!(served.branch, Branch::Full, "{how:?}");
        assert!(served.certificate_requested);
        let fatal = served.result.unwrap_err();
        assert_eq!(
            fatal.error(),
            &Error::Certificate(CertificateError::UnknownIssuer)
        );
        assert_eq!(fatal.alert(), Some(AlertDescription::UnknownCa));
        assert!(matches!(
            client_error(&mut second),
            Some(Error::AlertReceived {
                description: AlertDescription::UnknownCa,
                ..
            })
        ));
    }
}

/// A session in which the client sent an empty Certificate to an
/// optional policy: it resumes under that policy without a client
/// identity, and not under a required one.
#[test]
fn session_without_client_chain_resumes_only_where_none_is_required() {
    let pki = ClientAuthPki::new("tlstate resumption CA");
    for how in BOTH {
        let server = resuming(&pki.pki.server_config_tls12(&pki.server), how);
        let client = Arc::new(client_for(&pki.pki.client_config_tls12(), how));
        let mut first = connect(&client);
        let made = serve_client_auth(&server, &policy(&pki.pki, false), &mut first);
        assert_eq!(made.branch, Branch::Full);
        assert!(made.result.unwrap().client_certificates.is_empty());

        let mut again = connect(&client);
        let served = serve_client_auth(&server, &policy(&pki.pki, false), &mut again);
        assert_eq!(served.branch, Branch::Resumed, "{how:?}");
        let summary = served.result.unwrap();
        assert!(summary.resumed);
        assert!(summary.client_certificates.is_empty());

        let mut required = connect(&client);
        let served = serve_client_auth(&server, &policy(&pki.pki, true), &mut required);
        assert_eq!(served.branch, Branch::Full, "{how:?}");
        assert!(served.certificate_requested);
        assert_eq!(
            served.result.unwrap_err().error(),
            &Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired)
        );
    }
}

/// A server that asks for no certificate resumes a session in which the
/// client authenticated elsewhere (a ticket key shared with a client-auth
/// server), and reports no client identity: it verified none.
#[test]
fn server_without_client_auth_resumes_without_reporting_a_client_chain() {
    for how in BOTH {
        let Authenticated { server, client, .. } = authenticated_session(how);
        let mut second = connect(&Arc::new(client));
        let served = serve_plain(&server, &mut second);
        assert_eq!(served.branch, Branch::Resumed, "{how:?}");
        let summary = served.result.unwrap();
        assert!(summary.resumed);
        assert!(summary.client_certificates.is_empty());
    }
}

/// The sans-IO driver takes the same branch and reports the identity.
#[test]
fn server_driver_resumes_with_the_verified_client_chain() {
    use tlstate::driver::ServerDriver;
    for how in BOTH {
        let Authenticated {
            pki,
            server,
            client,
        } = authenticated_session(how);
        let mut client = connect(&Arc::new(client));
        let mut server = ServerDriver::requesting_client_cert(server, policy(&pki.pki, true));
        for _ in 0..4 {
            let input: &[u8] = &output(&mut client);
            assert_eq!(
                server.handle_input(input),
                input.len(),
                "the driver takes it all"
            );
            while let Some(bytes) = server.poll_output() {
                let input: &[u8] = &bytes;
                assert_eq!(
                    client.handle_input(input),
                    input.len(),
                    "the driver takes it all"
                );
            }
        }
        let summary = server.summary().expect("the server finished");
        assert!(summary.resumed, "{how:?}");
        assert_eq!(summary.client_certificates[..], pki.client.chain[..]);
        assert!(client.summary().expect("the client finished").resumed);
    }
}
