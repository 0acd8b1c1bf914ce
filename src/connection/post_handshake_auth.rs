//! TLS 1.3 post-handshake client authentication (RFC 8446 4.6.2).
//!
//! The server sends a CertificateRequest with a fresh context; the client
//! answers with Certificate, CertificateVerify (absent when the
//! Certificate is empty) and Finished. Each exchange is hashed on its own
//! after the whole handshake (RFC 8446 4.4: the Handshake Context is the
//! handshake through the client's Finished, then the CertificateRequest),
//! so both sides keep a copy of the handshake's running hash.
//!
//! Each side's exchange is a chain of types whose transitions consume
//! them, as in the handshake: the server's [`Requested`] becomes
//! [`CertificateReceived`] or [`EmptyCertificateReceived`], then
//! [`CertificateVerified`], and its Finished ends it in a
//! [`PostHandshakeAuth`] outcome; the client's [`CertificateRequested`] is
//! consumed by its one [`answer`](CertificateRequested::answer). Which
//! message may come next is thus the state's variant ([`ServerExchange`]),
//! and every other message is unexpected_message.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use super::key_update::TrafficSecret;
use crate::crypto::Transcript;
use crate::crypto::tls13::{
    CLIENT_CERTIFICATE_VERIFY, finished_verify_data, sign_certificate_verify,
    verify_certificate_verify, verify_finished,
};
use crate::enums::{HandshakeType, SignatureScheme};
use crate::error::{CertificateError, Error, PeerMisbehaved, Received};
use crate::handshake::tls13::server::{certificate_request13, client_schemes13};
use crate::handshake::{CertifiedKey, ClientCertPolicy};
use crate::message::DigitallySigned;
use crate::message::tls13::{
    CertificateRequestTls13, CertificateTls13, FinishedTls13, PayloadTls13,
};

/// The length of the contexts our server sends: 32 random bytes, so that
/// no two requests of a connection share one (RFC 8446 4.3.2).
pub(crate) const CONTEXT_LEN: usize = 32;

/// How many CertificateRequests a client holds unanswered (its writer
/// answers them on its next write). A server sending more before reading
/// our answers is refused with unexpected_message, so that it cannot make
/// us hold or write more than it does.
pub(crate) const MAX_UNANSWERED_REQUESTS: usize = 4;

/// The outcome of a post-handshake client authentication, as the server
/// sees it once the client's Finished has verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostHandshakeAuth {
    /// The client sent this chain (end-entity first), the policy's
    /// verifier accepted it, and its CertificateVerify and Finished
    /// verified.
    Certified(Arc<[CertificateDer<'static>]>),
    /// The client sent an empty Certificate, which the (optional) policy
    /// allows, and its Finished verified.
    NoCertificate,
}

/// What each half of a TLS 1.3 connection keeps for post-handshake
/// authentication.
#[derive(Clone)]
pub(crate) struct Pha13 {
    /// Whether this is the client's side.
    pub(crate) client: bool,
    /// Whether the client offered post_handshake_auth: only then does a
    /// server send a CertificateRequest or a client accept one.
    pub(crate) allowed: bool,
    /// The handshake's running hash through the client's Finished.
    pub(crate) transcript: Transcript,
    /// The client's certificate to answer with (`None`: an empty one).
    pub(crate) certificate: Option<CertifiedKey>,
}

impl core::fmt::Debug for Pha13 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pha13")
            .field("client", &self.client)
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

/// The server's request, sent: the client's Certificate is next.
pub(crate) struct Requested {
    context: Vec<u8>,
    /// The handshake's hash, then our CertificateRequest.
    transcript: Transcript,
    policy: ClientCertPolicy,
}

/// A verified chain: its CertificateVerify is next.
pub(crate) struct CertificateReceived {
    transcript: Transcript,
    chain: Arc<[CertificateDer<'static>]>,
}

/// An empty Certificate the policy allows: the Finished is next.
pub(crate) struct EmptyCertificateReceived {
    transcript: Transcript,
}

/// A verified CertificateVerify: the Finished is next.
pub(crate) struct CertificateVerified {
    transcript: Transcript,
    chain: Arc<[CertificateDer<'static>]>,
}

/// Where the server's exchange stands.
pub(crate) enum ServerExchange {
    Requested(Requested),
    CertificateReceived(CertificateReceived),
    EmptyCertificateReceived(EmptyCertificateReceived),
    CertificateVerified(CertificateVerified),
}

impl core::fmt::Debug for ServerExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Requested(_) => "Requested",
            Self::CertificateReceived(_) => "CertificateReceived",
            Self::EmptyCertificateReceived(_) => "EmptyCertificateReceived",
            Self::CertificateVerified(_) => "CertificateVerified",
        })
    }
}

/// What the server's exchange became after one message.
#[allow(clippy::large_enum_variant)] // moved once per message of a rare exchange
pub(crate) enum Step {
    Next(ServerExchange),
    Done(PostHandshakeAuth),
}

impl Requested {
    /// A fresh request under `policy`, after the handshake hashed in
    /// `handshake`: the state, and the whole CertificateRequest to send.
    pub(crate) fn new(
        handshake: &Transcript,
        policy: ClientCertPolicy,
    ) -> Result<(Self, Vec<u8>), Error> {
        let mut context = vec![0u8; CONTEXT_LEN];
        crate::crypto::fill_random(&mut context)?;
        let request = certificate_request13(context.clone(), &policy)?;
        let mut message = Vec::new();
        PayloadTls13::CertificateRequest(request).encode(&mut message);
        let mut transcript = handshake.clone();
        transcript.add(&message);
        Ok((
            Self {
                context,
                transcript,
                policy,
            },
            message,
        ))
    }

    /// The client's Certificate (whole message `encoded`): our context
    /// echoed (else illegal_parameter), no entry extensions (we asked for
    /// none), and a chain the policy accepts; an empty one under a
    /// required policy is certificate_required.
    fn certificate(
        mut self,
        certificate: CertificateTls13,
        encoded: &[u8],
    ) -> Result<ServerExchange, Error> {
        let chain = self
            .policy
            .check_tls13_certificate(certificate, &self.context)?;
        self.transcript.add(encoded);
        Ok(if chain.is_empty() {
            ServerExchange::EmptyCertificateReceived(EmptyCertificateReceived {
                transcript: self.transcript,
            })
        } else {
            ServerExchange::CertificateReceived(CertificateReceived {
                transcript: self.transcript,
                chain,
            })
        })
    }
}

impl CertificateReceived {
    /// The client's signature over the exchange through its Certificate,
    /// in a scheme we offered (never PKCS#1); a bad one is decrypt_error.
    fn certificate_verify(
        mut self,
        signed: DigitallySigned,
        encoded: &[u8],
    ) -> Result<CertificateVerified, Error> {
        if !client_schemes13().any(|scheme| scheme == signed.scheme) {
            return Err(
                PeerMisbehaved::IllegalParameter("a signature scheme we did not offer").into(),
            );
        }
        let end_entity = self.chain.first().ok_or(CertificateError::Empty)?;
        let hash = self.transcript.current_hash()?;
        verify_certificate_verify(
            end_entity,
            signed.scheme,
            CLIENT_CERTIFICATE_VERIFY,
            hash.as_bytes(),
            &signed.signature,
        )?;
        self.transcript.add(encoded);
        Ok(CertificateVerified {
            transcript: self.transcript,
            chain: self.chain,
        })
    }
}

impl CertificateVerified {
    /// The client's Finished, keyed by its current application traffic
    /// secret (RFC 8446 4.4.4); a wrong one is decrypt_error.
    fn finished(
        self,
        finished: &FinishedTls13,
        client_secret: &TrafficSecret,
    ) -> Result<PostHandshakeAuth, Error> {
        check_finished(&self.transcript, finished, client_secret)?;
        Ok(PostHandshakeAuth::Certified(self.chain))
    }
}

impl EmptyCertificateReceived {
    /// As [`CertificateVerified::finished`], without a certificate.
    fn finished(
        self,
        finished: &FinishedTls13,
        client_secret: &TrafficSecret,
    ) -> Result<PostHandshakeAuth, Error> {
        check_finished(&self.transcript, finished, client_secret)?;
        Ok(PostHandshakeAuth::NoCertificate)
    }
}

fn check_finished(
    transcript: &Transcript,
    finished: &FinishedTls13,
    client_secret: &TrafficSecret,
) -> Result<(), Error> {
    let hash = transcript.current_hash()?;
    // The proof is not carried on: the outcome stands for it.
    let _verified = verify_finished(
        client_secret.secret(),
        hash.as_bytes(),
        finished.verify_data(),
    )?;
    Ok(())
}

impl ServerExchange {
    /// The client's next message of the exchange (`typ`, its whole
    /// encoding `encoded`): the one the state expects, else
    /// unexpected_message.
    pub(crate) fn step(
        self,
        typ: HandshakeType,
        encoded: &[u8],
        client_secret: Option<&TrafficSecret>,
    ) -> Result<Step, Error> {
        let body = encoded
            .get(crate::message::tls13::HEADER_LEN..)
            .unwrap_or(&[]);
        let unexpected = |expected| Error::UnexpectedMessage {
            expected,
            got: Received::Handshake(typ),
        };
        let secret = || client_secret.ok_or(Error::Internal("no client traffic secret"));
        match (self, typ) {
            (Self::Requested(state), HandshakeType::Certificate) => {
                match PayloadTls13::read_body(typ, body)? {
                    PayloadTls13::Certificate(certificate) => {
                        Ok(Step::Next(state.certificate(certificate, encoded)?))
                    }
                    _ => Err(Error::Internal("Certificate decoded as another message")),
                }
            }
            (Self::CertificateReceived(state), HandshakeType::CertificateVerify) => {
                match PayloadTls13::read_body(typ, body)? {
                    PayloadTls13::CertificateVerify(signed) => Ok(Step::Next(
                        Self::CertificateVerified(state.certificate_verify(signed, encoded)?),
                    )),
                    _ => Err(Error::Internal(
                        "CertificateVerify decoded as another message",
                    )),
                }
            }
            (Self::CertificateVerified(state), HandshakeType::Finished) => {
                match PayloadTls13::read_body(typ, body)? {
                    PayloadTls13::Finished(finished) => {
                        Ok(Step::Done(state.finished(&finished, secret()?)?))
                    }
                    _ => Err(Error::Internal("Finished decoded as another message")),
                }
            }
            (Self::EmptyCertificateReceived(state), HandshakeType::Finished) => {
                match PayloadTls13::read_body(typ, body)? {
                    PayloadTls13::Finished(finished) => {
                        Ok(Step::Done(state.finished(&finished, secret()?)?))
                    }
                    _ => Err(Error::Internal("Finished decoded as another message")),
                }
            }
            (Self::Requested(_), _) => Err(unexpected("the client's Certificate")),
            (Self::CertificateReceived(_), _) => Err(unexpected("the client's CertificateVerify")),
            (Self::EmptyCertificateReceived(_) | Self::CertificateVerified(_), _) => {
                Err(unexpected("the client's Finished"))
            }
        }
    }
}

/// A CertificateRequest the client read (whole message kept for the
/// transcript), waiting for its writer's answer.
pub(crate) struct CertificateRequested {
    request: CertificateRequestTls13,
    schemes: Vec<SignatureScheme>,
    encoded: Vec<u8>,
}

impl core::fmt::Debug for CertificateRequested {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CertificateRequested")
            .field("context_len", &self.request.context.len())
            .finish_non_exhaustive()
    }
}

impl CertificateRequested {
    /// Checks a CertificateRequest (whole message `encoded`) the client
    /// read: signature_algorithms is required (missing_extension).
    pub(crate) fn read(encoded: &[u8]) -> Result<Self, Error> {
        let body = encoded
            .get(crate::message::tls13::HEADER_LEN..)
            .unwrap_or(&[]);
        let request = match PayloadTls13::read_body(HandshakeType::CertificateRequest, body)? {
            PayloadTls13::CertificateRequest(request) => request,
            _ => {
                return Err(Error::Internal(
                    "CertificateRequest decoded as another message",
                ));
            }
        };
        let schemes = request
            .signature_algorithms()?
            .ok_or(PeerMisbehaved::MissingExtension("signature_algorithms"))?
            .to_vec();
        Ok(Self {
            request,
            schemes,
            encoded: encoded.to_vec(),
        })
    }

    /// The client's whole answer (RFC 8446 4.4): Certificate with the
    /// request's context and `certificate`'s chain (empty when there is
    /// none, or its key cannot sign in a scheme the server offered),
    /// CertificateVerify when the chain is not empty, and Finished keyed
    /// by our current application traffic secret. Consumes the request:
    /// each is answered once.
    pub(crate) fn answer(
        self,
        handshake: &Transcript,
        certificate: Option<&CertifiedKey>,
        client_secret: &TrafficSecret,
    ) -> Result<Vec<u8>, Error> {
        let mut transcript = handshake.clone();
        transcript.add(&self.encoded);
        let usable = certificate.and_then(|certified| {
            certified
                .key
                .choose_scheme_tls13(&self.schemes)
                .map(|scheme| (certified, scheme))
        });
        let mut out = Vec::new();
        let chain: &[CertificateDer<'static>] = match &usable {
            Some((certified, _)) => &certified.chain,
            None => &[],
        };
        let start = out.len();
        PayloadTls13::Certificate(CertificateTls13::from_chain(
            self.request.context.clone(),
            chain,
        ))
        .encode(&mut out);
        transcript.add(out.get(start..).unwrap_or(&[]));
        if let Some((certified, scheme)) = usable {
            let hash = transcript.current_hash()?;
            let signature = sign_certificate_verify(
                &certified.key,
                scheme,
                CLIENT_CERTIFICATE_VERIFY,
                hash.as_bytes(),
            )?;
            let start = out.len();
            PayloadTls13::CertificateVerify(DigitallySigned { scheme, signature }).encode(&mut out);
            transcript.add(out.get(start..).unwrap_or(&[]));
        }
        let hash = transcript.current_hash()?;
        let tag = finished_verify_data(client_secret.secret(), hash.as_bytes())?;
        let finished =
            FinishedTls13::new(tag.as_ref()).ok_or(Error::Internal("Finished length"))?;
        PayloadTls13::Finished(finished).encode(&mut out);
        Ok(out)
    }
}
