//! The server's erased state and its walk: the transitions of
//! `stream::server_handshake` and `stream::server_client_auth_handshake`,
//! one read at a time.

use super::erased::{Advance, any_state, recv};
use crate::connection::Connection;
use crate::handshake::tls13::{AfterClientCert13, AfterSecondClientHello};
use crate::handshake::{
    AfterClientCert, AfterClientHello, ClientAuth, EarlyData, Fatal, Full, Handshake, NoClientCert,
    Resumed, ResumedClientAuth, Server,
};

/// The states the walk waits in, from both tables (`any_state!` names
/// them by `state::`).
mod state {
    pub(crate) use crate::handshake::state::*;
    /// TLS 1.3's ClientFinished, named apart from TLS 1.2's.
    pub(crate) type ClientFinished13 = crate::handshake::tls13::table::state::ClientFinished;
    /// TLS 1.3's second ClientHello, named apart from the first.
    pub(crate) type ClientHello13 = crate::handshake::tls13::table::state::ClientHello;
    /// TLS 1.3's client Certificate and CertificateVerify.
    pub(crate) type ClientCert13 = crate::handshake::tls13::table::state::ClientCert;
    pub(crate) type ClientCertVerify13 = crate::handshake::tls13::table::state::ClientCertVerify;
    /// TLS 1.3's EndOfEarlyData (0-RTT).
    pub(crate) type EndOfEarlyData13 = crate::handshake::tls13::table::state::EndOfEarlyData;
}

any_state! {
    /// Any state of a server handshake, erased: an escape hatch for code
    /// that must hold "the handshake, wherever it is" in one value, such
    /// as [`ServerDriver`](super::ServerDriver).
    ///
    /// Each variant holds the typed `Handshake` at a state where the
    /// server waits for its peer; the driver moves between them only by
    /// the typed transitions, so every check stays in the typed layer. A
    /// variant is named after its state, with the shape appended when it
    /// is not [`Full`].
    pub enum AnyServerState for Server {
        /// The start: waiting for the ClientHello.
        ClientHello(ClientHello, Full),
        /// The start of a server that asks for a client certificate:
        /// waiting for the ClientHello.
        ClientHelloClientAuth(ClientHello, ClientAuth),
        /// Our first flight is sent; waiting for the ClientKeyExchange.
        ClientKey(ClientKey, Full),
        /// Our first flight (with a CertificateRequest) is sent; waiting
        /// for the client's Certificate.
        ClientCert(ClientCert, ClientAuth),
        /// The client sent a certificate; waiting for its key exchange.
        ClientKeyClientAuth(ClientKey, ClientAuth),
        /// The client sent an empty Certificate; waiting for its key
        /// exchange.
        ClientKeyNoClientCert(ClientKey, NoClientCert),
        /// Waiting for the client's CertificateVerify.
        ClientCertVerify(ClientCertVerify, ClientAuth),
        /// Waiting for the client's ChangeCipherSpec.
        ClientChangeCipherSpec(ClientChangeCipherSpec, Full),
        /// As `ClientChangeCipherSpec`, the client having sent a certificate.
        ClientChangeCipherSpecClientAuth(ClientChangeCipherSpec, ClientAuth),
        /// As `ClientChangeCipherSpec`, the client having sent none.
        ClientChangeCipherSpecNoClientCert(ClientChangeCipherSpec, NoClientCert),
        /// Resuming, our Finished is sent: waiting for the client's
        /// ChangeCipherSpec.
        ClientChangeCipherSpecResumed(ClientChangeCipherSpec, Resumed),
        /// Waiting for the client's Finished.
        ClientFinished(ClientFinished, Full),
        /// As `ClientFinished`, the client having sent a certificate.
        ClientFinishedClientAuth(ClientFinished, ClientAuth),
        /// As `ClientFinished`, the client having sent none.
        ClientFinishedNoClientCert(ClientFinished, NoClientCert),
        /// Resuming: waiting for the client's Finished, the last message.
        ClientFinishedResumed(ClientFinished, Resumed),
        /// As `ClientChangeCipherSpecResumed`, the session's client chain
        /// verified again.
        ClientChangeCipherSpecResumedClientAuth(ClientChangeCipherSpec, ResumedClientAuth),
        /// As `ClientFinishedResumed`, the session's client chain verified
        /// again.
        ClientFinishedResumedClientAuth(ClientFinished, ResumedClientAuth),
        /// TLS 1.3: our flight through our Finished is sent; waiting for
        /// the client's Finished.
        ClientFinishedTls13(ClientFinished13, Full),
        /// TLS 1.3: our HelloRetryRequest is sent; waiting for the second
        /// ClientHello.
        ClientHelloTls13(ClientHello13, Full),
        /// TLS 1.3, asking for a client certificate: our HelloRetryRequest
        /// is sent; waiting for the second ClientHello.
        ClientHelloTls13ClientAuth(ClientHello13, ClientAuth),
        /// TLS 1.3: our flight through our Finished (with a
        /// CertificateRequest) is sent; waiting for the client's Certificate.
        ClientCertTls13(ClientCert13, ClientAuth),
        /// TLS 1.3: the client sent a certificate; waiting for its
        /// CertificateVerify.
        ClientCertVerifyTls13(ClientCertVerify13, ClientAuth),
        /// TLS 1.3: waiting for the Finished of a client that sent a
        /// certificate.
        ClientFinishedTls13ClientAuth(ClientFinished13, ClientAuth),
        /// TLS 1.3: waiting for the Finished of a client that sent an
        /// empty Certificate.
        ClientFinishedTls13NoClientCert(ClientFinished13, NoClientCert),
        /// TLS 1.3 resuming the client's ticket: our flight through our
        /// Finished is sent; waiting for the client's Finished.
        ClientFinishedTls13Resumed(ClientFinished13, Resumed),
        /// TLS 1.3 resuming with 0-RTT accepted: our flight through our
        /// Finished is sent; reading the early data up to the client's
        /// EndOfEarlyData.
        EndOfEarlyDataTls13(EndOfEarlyData13, EarlyData),
        /// TLS 1.3 with 0-RTT: waiting for the client's Finished.
        ClientFinishedTls13Early(ClientFinished13, EarlyData),
    }
}

/// A TLS 1.3 resumption with 0-RTT: ServerHello, [ChangeCipherSpec],
/// EncryptedExtensions (accepting early data), Finished.
fn early13(
    hs: Handshake<Server, crate::handshake::tls13::table::state::ServerHello, EarlyData>,
) -> Result<AnyServerState, Fatal> {
    Ok(AnyServerState::EndOfEarlyDataTls13(
        hs.send()?.send()?.send()?.send()?,
    ))
}

/// An abbreviated handshake: ServerHello, \[NewSessionTicket\],
/// ChangeCipherSpec, Finished; then the client's.
fn resumed(hs: Handshake<Server, state::ServerHello, Resumed>) -> Result<AnyServerState, Fatal> {
    Ok(AnyServerState::ClientChangeCipherSpecResumed(
        hs.send()?.send()?.send()?.send()?,
    ))
}

/// A TLS 1.3 resumption: ServerHello, [ChangeCipherSpec],
/// EncryptedExtensions, Finished.
fn resumed13(
    hs: Handshake<Server, crate::handshake::tls13::table::state::ServerHello, Resumed>,
) -> Result<AnyServerState, Fatal> {
    Ok(AnyServerState::ClientFinishedTls13Resumed(
        hs.send()?.send()?.send()?.send()?,
    ))
}

/// [`resumed`], the client authenticated by its session's chain.
fn resumed_client_auth(
    hs: Handshake<Server, state::ServerHello, ResumedClientAuth>,
) -> Result<AnyServerState, Fatal> {
    Ok(AnyServerState::ClientChangeCipherSpecResumedClientAuth(
        hs.send()?.send()?.send()?.send()?,
    ))
}

impl AnyServerState {
    /// One step of the server's blocking walk: a read transition and the
    /// writes that follow it, exactly as `stream.rs` makes them.
    fn step_one(self) -> Result<Advance<Self>, Fatal> {
        use AnyServerState as S;
        match self {
            S::ClientHello(hs) => recv(hs, S::ClientHello, |after| match after {
                // ServerHello, Certificate, [CertificateStatus], ServerKeyExchange,
                // ServerHelloDone
                AfterClientHello::Full(hs) => {
                    Ok(S::ClientKey(hs.send()?.send()?.send()?.send()?.send()?))
                }
                AfterClientHello::Resumed(hs) => resumed(hs),
                // ServerHello, [ChangeCipherSpec], EncryptedExtensions,
                // Certificate, CertificateVerify, Finished
                AfterClientHello::Tls13(hs) => Ok(S::ClientFinishedTls13(
                    hs.send()?.send()?.send()?.send()?.send()?.send()?,
                )),
                // HelloRetryRequest, [ChangeCipherSpec]
                AfterClientHello::Tls13Retry(hs) => Ok(S::ClientHelloTls13(hs.send()?)),
                AfterClientHello::Tls13Resumed(hs) => resumed13(hs),
                AfterClientHello::Tls13Early(hs) => early13(hs),
            }),
            S::ClientHelloClientAuth(hs) => {
                recv(hs, S::ClientHelloClientAuth, |after| match after {
                    // ServerHello, Certificate, [CertificateStatus], ServerKeyExchange,
                    // CertificateRequest, ServerHelloDone
                    AfterClientHello::Full(hs) => Ok(S::ClientCert(
                        hs.send()?.send()?.send()?.send()?.send()?.send()?,
                    )),
                    AfterClientHello::Resumed(hs) => resumed(hs),
                    AfterClientHello::ResumedWithClientCert(hs) => resumed_client_auth(hs),
                    // ServerHello, [ChangeCipherSpec], EncryptedExtensions,
                    // CertificateRequest, Certificate, CertificateVerify, Finished
                    AfterClientHello::Tls13(hs) => Ok(S::ClientCertTls13(
                        hs.send()?.send()?.send()?.send()?.send()?.send()?.send()?,
                    )),
                    // HelloRetryRequest, [ChangeCipherSpec]
                    AfterClientHello::Tls13Retry(hs) => {
                        Ok(S::ClientHelloTls13ClientAuth(hs.send()?))
                    }
                    AfterClientHello::Tls13Resumed(hs) => resumed13(hs),
                    AfterClientHello::Tls13Early(hs) => early13(hs),
                })
            }
            S::ClientKey(hs) => recv(hs, S::ClientKey, |hs| Ok(S::ClientChangeCipherSpec(hs))),
            S::ClientCert(hs) => recv(hs, S::ClientCert, |after| {
                Ok(match after {
                    AfterClientCert::Certificate(hs) => S::ClientKeyClientAuth(hs),
                    AfterClientCert::NoCertificate(hs) => S::ClientKeyNoClientCert(hs),
                })
            }),
            S::ClientKeyClientAuth(hs) => {
                recv(hs, S::ClientKeyClientAuth, |hs| Ok(S::ClientCertVerify(hs)))
            }
            S::ClientKeyNoClientCert(hs) => recv(hs, S::ClientKeyNoClientCert, |hs| {
                Ok(S::ClientChangeCipherSpecNoClientCert(hs))
            }),
            S::ClientCertVerify(hs) => recv(hs, S::ClientCertVerify, |hs| {
                Ok(S::ClientChangeCipherSpecClientAuth(hs))
            }),
            S::ClientChangeCipherSpec(hs) => recv(hs, S::ClientChangeCipherSpec, |hs| {
                Ok(S::ClientFinished(hs))
            }),
            S::ClientChangeCipherSpecClientAuth(hs) => {
                recv(hs, S::ClientChangeCipherSpecClientAuth, |hs| {
                    Ok(S::ClientFinishedClientAuth(hs))
                })
            }
            S::ClientChangeCipherSpecNoClientCert(hs) => {
                recv(hs, S::ClientChangeCipherSpecNoClientCert, |hs| {
                    Ok(S::ClientFinishedNoClientCert(hs))
                })
            }
            S::ClientChangeCipherSpecResumed(hs) => {
                recv(hs, S::ClientChangeCipherSpecResumed, |hs| {
                    Ok(S::ClientFinishedResumed(hs))
                })
            }
            // [NewSessionTicket], ChangeCipherSpec, Finished
            S::ClientFinished(hs) => recv(hs, S::ClientFinished, |hs| {
                Ok(S::Established(Box::new(
                    hs.send()?.send()?.send()?.into_connection(),
                )))
            }),
            S::ClientFinishedClientAuth(hs) => recv(hs, S::ClientFinishedClientAuth, |hs| {
                Ok(S::Established(Box::new(
                    hs.send()?.send()?.send()?.into_connection(),
                )))
            }),
            S::ClientFinishedNoClientCert(hs) => recv(hs, S::ClientFinishedNoClientCert, |hs| {
                Ok(S::Established(Box::new(
                    hs.send()?.send()?.send()?.into_connection(),
                )))
            }),
            S::ClientFinishedResumed(hs) => recv(hs, S::ClientFinishedResumed, |hs| {
                Ok(S::Established(Box::new(hs.into_connection())))
            }),
            S::ClientChangeCipherSpecResumedClientAuth(hs) => {
                recv(hs, S::ClientChangeCipherSpecResumedClientAuth, |hs| {
                    Ok(S::ClientFinishedResumedClientAuth(hs))
                })
            }
            S::ClientFinishedResumedClientAuth(hs) => {
                recv(hs, S::ClientFinishedResumedClientAuth, |hs| {
                    Ok(S::Established(Box::new(hs.into_connection())))
                })
            }
            // ServerHello, EncryptedExtensions, Certificate, CertificateVerify,
            // Finished (the compatibility ChangeCipherSpec went with the
            // HelloRetryRequest)
            S::ClientHelloTls13(hs) => recv(hs, S::ClientHelloTls13, |after| match after {
                AfterSecondClientHello::Full(hs) => Ok(S::ClientFinishedTls13(
                    hs.send()?.send()?.send()?.send()?.send()?.send()?,
                )),
                AfterSecondClientHello::Resumed(hs) => resumed13(hs),
            }),
            S::EndOfEarlyDataTls13(hs) => recv(hs, S::EndOfEarlyDataTls13, |hs| {
                Ok(S::ClientFinishedTls13Early(hs))
            }),
            S::ClientFinishedTls13Early(hs) => recv(hs, S::ClientFinishedTls13Early, |hs| {
                Ok(S::Established(Box::new(hs.into_connection())))
            }),
            S::ClientFinishedTls13Resumed(hs) => recv(hs, S::ClientFinishedTls13Resumed, |hs| {
                Ok(S::Established(Box::new(hs.into_connection())))
            }),
            S::ClientFinishedTls13(hs) => recv(hs, S::ClientFinishedTls13, |hs| {
                Ok(S::Established(Box::new(hs.into_connection())))
            }),
            S::ClientHelloTls13ClientAuth(hs) => {
                recv(hs, S::ClientHelloTls13ClientAuth, |after| match after {
                    AfterSecondClientHello::Full(hs) => Ok(S::ClientCertTls13(
                        hs.send()?.send()?.send()?.send()?.send()?.send()?.send()?,
                    )),
                    AfterSecondClientHello::Resumed(hs) => resumed13(hs),
                })
            }
            S::ClientCertTls13(hs) => recv(hs, S::ClientCertTls13, |after| {
                Ok(match after {
                    AfterClientCert13::Certificate(hs) => S::ClientCertVerifyTls13(hs),
                    AfterClientCert13::NoCertificate(hs) => S::ClientFinishedTls13NoClientCert(hs),
                })
            }),
            S::ClientCertVerifyTls13(hs) => recv(hs, S::ClientCertVerifyTls13, |hs| {
                Ok(S::ClientFinishedTls13ClientAuth(hs))
            }),
            S::ClientFinishedTls13ClientAuth(hs) => {
                recv(hs, S::ClientFinishedTls13ClientAuth, |hs| {
                    Ok(S::Established(Box::new(hs.into_connection())))
                })
            }
            S::ClientFinishedTls13NoClientCert(hs) => {
                recv(hs, S::ClientFinishedTls13NoClientCert, |hs| {
                    Ok(S::Established(Box::new(hs.into_connection())))
                })
            }
            state @ (S::Established(_) | S::Failed) => Ok(Advance::Waiting(state)),
        }
    }
}
