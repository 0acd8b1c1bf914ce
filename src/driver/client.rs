//! The client's erased state and its walk: the transitions of
//! `stream::client_handshake`, one read at a time.

use super::erased::{Advance, any_state, recv};
use crate::connection::Connection;
use crate::handshake::AfterEncryptedExtensions;
use crate::handshake::tls13::AfterServerHello13;
use crate::handshake::{
    AfterEarlyEncryptedExtensions, AfterEarlyServerHello, AfterServerCert, AfterServerHello,
    AfterServerKey, AfterTicket, Client, ClientAuth, EarlyData, Fatal, Full, Handshake,
    NoClientCert, Resumed,
};

/// The states `any_state!` names: TLS 1.2's, and TLS 1.3's where the
/// client waits, prefixed.
mod state {
    pub(super) use crate::handshake::state::*;
    pub(super) use crate::handshake::tls13::table::state::{
        EncryptedExtensions as Tls13EncryptedExtensions, ServerCert as Tls13ServerCert,
        ServerCertReq as Tls13ServerCertReq, ServerCertVerify as Tls13ServerCertVerify,
        ServerFinished as Tls13ServerFinished, ServerHello as Tls13ServerHello,
    };
}

any_state! {
    /// Any state of a client handshake, erased: an escape hatch for code
    /// that must hold "the handshake, wherever it is" in one value, such
    /// as [`ClientDriver`](super::ClientDriver).
    ///
    /// Each variant holds the typed `Handshake` at a state where the
    /// client waits for its peer (plus the first, `ClientHello`); the
    /// driver moves between them only by the typed transitions, so every
    /// check stays in the typed layer. A variant is named after its state,
    /// with the shape appended when it is not [`Full`].
    pub enum AnyClientState for Client {
        /// The start: our ClientHello is next.
        ClientHello(ClientHello, Full),
        /// Waiting for the ServerHello.
        ServerHello(ServerHello, Full),
        /// Waiting for the server's Certificate.
        ServerCert(ServerCert, Full),
        /// Waiting for a CertificateStatus or the ServerKeyExchange.
        ServerCertStatus(ServerCertStatus, Full),
        /// A CertificateStatus came; waiting for the ServerKeyExchange.
        ServerKey(ServerKey, Full),
        /// Waiting for a CertificateRequest or the ServerHelloDone.
        ServerCertReq(ServerCertReq, Full),
        /// The server asked for a certificate; waiting for its
        /// ServerHelloDone.
        ServerHelloDone(ServerHelloDone, ClientAuth),
        /// Our Finished is sent; waiting for a NewSessionTicket or the
        /// server's ChangeCipherSpec.
        ServerNewSessionTicket(ServerNewSessionTicket, Full),
        /// As `ServerNewSessionTicket`, after we sent a certificate.
        ServerNewSessionTicketClientAuth(ServerNewSessionTicket, ClientAuth),
        /// As `ServerNewSessionTicket`, after we sent an empty Certificate.
        ServerNewSessionTicketNoClientCert(ServerNewSessionTicket, NoClientCert),
        /// Resuming: waiting for a NewSessionTicket or the server's
        /// ChangeCipherSpec.
        ServerNewSessionTicketResumed(ServerNewSessionTicket, Resumed),
        /// A ticket came; waiting for the server's ChangeCipherSpec.
        ServerChangeCipherSpec(ServerChangeCipherSpec, Full),
        /// As `ServerChangeCipherSpec`, after we sent a certificate.
        ServerChangeCipherSpecClientAuth(ServerChangeCipherSpec, ClientAuth),
        /// As `ServerChangeCipherSpec`, after we sent an empty Certificate.
        ServerChangeCipherSpecNoClientCert(ServerChangeCipherSpec, NoClientCert),
        /// Resuming, a ticket came; waiting for the server's
        /// ChangeCipherSpec.
        ServerChangeCipherSpecResumed(ServerChangeCipherSpec, Resumed),
        /// Waiting for the server's Finished.
        ServerFinished(ServerFinished, Full),
        /// As `ServerFinished`, after we sent a certificate.
        ServerFinishedClientAuth(ServerFinished, ClientAuth),
        /// As `ServerFinished`, after we sent an empty Certificate.
        ServerFinishedNoClientCert(ServerFinished, NoClientCert),
        /// Resuming: waiting for the server's Finished; ours follows it.
        ServerFinishedResumed(ServerFinished, Resumed),
        /// TLS 1.3, our second ClientHello sent after a HelloRetryRequest:
        /// waiting for the ServerHello.
        Tls13ServerHello(Tls13ServerHello, Full),
        /// TLS 1.3: waiting for EncryptedExtensions.
        Tls13EncryptedExtensions(Tls13EncryptedExtensions, Full),
        /// TLS 1.3: waiting for a CertificateRequest or the Certificate.
        Tls13ServerCertReq(Tls13ServerCertReq, Full),
        /// TLS 1.3: waiting for the server's CertificateVerify.
        Tls13ServerCertVerify(Tls13ServerCertVerify, Full),
        /// TLS 1.3: waiting for the server's Finished; ours follows it.
        Tls13ServerFinished(Tls13ServerFinished, Full),
        /// TLS 1.3, the server asked for a certificate: waiting for its
        /// Certificate.
        Tls13ServerCertClientAuth(Tls13ServerCert, ClientAuth),
        /// TLS 1.3, the server asked: waiting for its CertificateVerify.
        Tls13ServerCertVerifyClientAuth(Tls13ServerCertVerify, ClientAuth),
        /// TLS 1.3, the server asked: waiting for its Finished; our
        /// Certificate (or an empty one) and Finished follow it.
        Tls13ServerFinishedClientAuth(Tls13ServerFinished, ClientAuth),
        /// TLS 1.3 resuming our ticket: waiting for EncryptedExtensions.
        Tls13EncryptedExtensionsResumed(Tls13EncryptedExtensions, Resumed),
        /// TLS 1.3 resuming: waiting for the server's Finished; ours
        /// follows it.
        Tls13ServerFinishedResumed(Tls13ServerFinished, Resumed),
        /// Our ClientHello and 0-RTT early data are sent: waiting for the
        /// ServerHello.
        ServerHelloEarly(ServerHello, EarlyData),
        /// TLS 1.3 resuming after early data: waiting for
        /// EncryptedExtensions, which says whether it was accepted.
        Tls13EncryptedExtensionsEarly(Tls13EncryptedExtensions, EarlyData),
        /// TLS 1.3, early data accepted: waiting for the server's Finished;
        /// our EndOfEarlyData and Finished follow it.
        Tls13ServerFinishedEarly(Tls13ServerFinished, EarlyData),
    }
}

/// The state after what the ServerHello decided (after an ordinary
/// ClientHello, or after one whose early data it did not take).
fn after_server_hello(after: AfterServerHello) -> Result<AnyClientState, Fatal> {
    use AnyClientState as S;
    Ok(match after {
        AfterServerHello::Full(hs) => S::ServerCert(hs),
        AfterServerHello::Resumed(hs) => S::ServerNewSessionTicketResumed(hs),
        AfterServerHello::Tls13(hs) => S::Tls13EncryptedExtensions(hs),
        AfterServerHello::Tls13Resumed(hs) => S::Tls13EncryptedExtensionsResumed(hs),
        // our second ClientHello
        AfterServerHello::HelloRetryRequest(hs) => S::Tls13ServerHello(hs.send()?),
    })
}

impl AnyClientState {
    /// One step of `stream::client_handshake`: a read transition and the
    /// writes that follow it, exactly as the blocking walk makes them.
    fn step_one(self) -> Result<Advance<Self>, Fatal> {
        use AnyClientState as S;
        match self {
            // ClientHello
            S::ClientHello(hs) => Ok(Advance::Moved(S::ServerHello(hs.send()?))),
            S::ServerHello(hs) => recv(hs, S::ServerHello, after_server_hello),
            // The early data handed back is the driver's to report: it
            // holds what it wrote (see `Driver::with_early_data`).
            S::ServerHelloEarly(hs) => recv(hs, S::ServerHelloEarly, |after| match after {
                AfterEarlyServerHello::Resumed(hs) => Ok(S::Tls13EncryptedExtensionsEarly(hs)),
                AfterEarlyServerHello::Rejected(_, after) => after_server_hello(after),
            }),
            S::Tls13EncryptedExtensionsEarly(hs) => {
                recv(hs, S::Tls13EncryptedExtensionsEarly, |after| {
                    Ok(match after {
                        AfterEarlyEncryptedExtensions::Accepted(hs) => {
                            S::Tls13ServerFinishedEarly(hs)
                        }
                        AfterEarlyEncryptedExtensions::Rejected(_, hs) => {
                            S::Tls13ServerFinishedResumed(hs)
                        }
                    })
                })
            }
            S::Tls13ServerFinishedEarly(hs) => recv(hs, S::Tls13ServerFinishedEarly, |hs| {
                // EndOfEarlyData, Finished
                Ok(S::Established(Box::new(
                    hs.send()?.send()?.into_connection(),
                )))
            }),
            S::Tls13ServerHello(hs) => recv(hs, S::Tls13ServerHello, |after| {
                Ok(match after {
                    AfterServerHello13::Full(hs) => S::Tls13EncryptedExtensions(hs),
                    AfterServerHello13::Resumed(hs) => S::Tls13EncryptedExtensionsResumed(hs),
                })
            }),
            S::Tls13EncryptedExtensionsResumed(hs) => {
                recv(hs, S::Tls13EncryptedExtensionsResumed, |hs| {
                    Ok(S::Tls13ServerFinishedResumed(hs))
                })
            }
            S::Tls13ServerFinishedResumed(hs) => recv(hs, S::Tls13ServerFinishedResumed, |hs| {
                // ChangeCipherSpec (if middlebox compatibility), Finished
                Ok(S::Established(Box::new(
                    hs.send()?.send()?.into_connection(),
                )))
            }),
            S::Tls13EncryptedExtensions(hs) => recv(hs, S::Tls13EncryptedExtensions, |hs| {
                Ok(S::Tls13ServerCertReq(hs))
            }),
            S::Tls13ServerCertReq(hs) => recv(hs, S::Tls13ServerCertReq, |after| {
                Ok(match after {
                    AfterEncryptedExtensions::NoCertificateRequest(hs) => {
                        S::Tls13ServerCertVerify(hs)
                    }
                    AfterEncryptedExtensions::CertificateRequested(hs) => {
                        S::Tls13ServerCertClientAuth(hs)
                    }
                })
            }),
            S::Tls13ServerCertClientAuth(hs) => recv(hs, S::Tls13ServerCertClientAuth, |hs| {
                Ok(S::Tls13ServerCertVerifyClientAuth(hs))
            }),
            S::Tls13ServerCertVerifyClientAuth(hs) => {
                recv(hs, S::Tls13ServerCertVerifyClientAuth, |hs| {
                    Ok(S::Tls13ServerFinishedClientAuth(hs))
                })
            }
            S::Tls13ServerFinishedClientAuth(hs) => {
                recv(hs, S::Tls13ServerFinishedClientAuth, |hs| {
                    // [ChangeCipherSpec], then our Certificate as stream.rs
                    // chooses, and Finished
                    let hs = hs.send()?;
                    let conn = if hs.can_send_certificate() {
                        hs.send_certificate()?.send()?.send()?.into_connection()
                    } else {
                        hs.send_no_certificate()?.send()?.into_connection()
                    };
                    Ok(S::Established(Box::new(conn)))
                })
            }
            S::Tls13ServerCertVerify(hs) => recv(hs, S::Tls13ServerCertVerify, |hs| {
                Ok(S::Tls13ServerFinished(hs))
            }),
            S::Tls13ServerFinished(hs) => recv(hs, S::Tls13ServerFinished, |hs| {
                // ChangeCipherSpec (if middlebox compatibility), Finished
                Ok(S::Established(Box::new(
                    hs.send()?.send()?.into_connection(),
                )))
            }),
            S::ServerCert(hs) => recv(hs, S::ServerCert, |hs| Ok(S::ServerCertStatus(hs))),
            S::ServerCertStatus(hs) => recv(hs, S::ServerCertStatus, |after| {
                Ok(match after {
                    AfterServerCert::CertificateStatus(hs) => S::ServerKey(hs),
                    AfterServerCert::NoCertificateStatus(hs) => S::ServerCertReq(hs),
                })
            }),
            S::ServerKey(hs) => recv(hs, S::ServerKey, |hs| Ok(S::ServerCertReq(hs))),
            S::ServerCertReq(hs) => recv(hs, S::ServerCertReq, |after| match after {
                // ClientKeyExchange, ChangeCipherSpec, Finished
                AfterServerKey::NoCertificateRequest(hs) => {
                    Ok(S::ServerNewSessionTicket(hs.send()?.send()?.send()?))
                }
                AfterServerKey::CertificateRequested(hs) => Ok(S::ServerHelloDone(hs)),
            }),
            S::ServerHelloDone(hs) => recv(hs, S::ServerHelloDone, |hs| {
                if hs.can_send_certificate() {
                    // Certificate, ClientKeyExchange, CertificateVerify,
                    // ChangeCipherSpec, Finished
                    let hs = hs.send_certificate()?.send()?.send()?;
                    Ok(S::ServerNewSessionTicketClientAuth(hs.send()?.send()?))
                } else {
                    // empty Certificate, ClientKeyExchange, ChangeCipherSpec, Finished
                    let hs = hs.send_no_certificate()?.send()?;
                    Ok(S::ServerNewSessionTicketNoClientCert(hs.send()?.send()?))
                }
            }),
            S::ServerNewSessionTicket(hs) => recv(hs, S::ServerNewSessionTicket, |after| {
                Ok(match after {
                    AfterTicket::Ticket(hs) => S::ServerChangeCipherSpec(hs),
                    AfterTicket::NoTicket(hs) => S::ServerFinished(hs),
                })
            }),
            S::ServerNewSessionTicketClientAuth(hs) => {
                recv(hs, S::ServerNewSessionTicketClientAuth, |after| {
                    Ok(match after {
                        AfterTicket::Ticket(hs) => S::ServerChangeCipherSpecClientAuth(hs),
                        AfterTicket::NoTicket(hs) => S::ServerFinishedClientAuth(hs),
                    })
                })
            }
            S::ServerNewSessionTicketNoClientCert(hs) => {
                recv(hs, S::ServerNewSessionTicketNoClientCert, |after| {
                    Ok(match after {
                        AfterTicket::Ticket(hs) => S::ServerChangeCipherSpecNoClientCert(hs),
                        AfterTicket::NoTicket(hs) => S::ServerFinishedNoClientCert(hs),
                    })
                })
            }
            S::ServerNewSessionTicketResumed(hs) => {
                recv(hs, S::ServerNewSessionTicketResumed, |after| {
                    Ok(match after {
                        AfterTicket::Ticket(hs) => S::ServerChangeCipherSpecResumed(hs),
                        AfterTicket::NoTicket(hs) => S::ServerFinishedResumed(hs),
                    })
                })
            }
            S::ServerChangeCipherSpec(hs) => recv(hs, S::ServerChangeCipherSpec, |hs| {
                Ok(S::ServerFinished(hs))
            }),
            S::ServerChangeCipherSpecClientAuth(hs) => {
                recv(hs, S::ServerChangeCipherSpecClientAuth, |hs| {
                    Ok(S::ServerFinishedClientAuth(hs))
                })
            }
            S::ServerChangeCipherSpecNoClientCert(hs) => {
                recv(hs, S::ServerChangeCipherSpecNoClientCert, |hs| {
                    Ok(S::ServerFinishedNoClientCert(hs))
                })
            }
            S::ServerChangeCipherSpecResumed(hs) => {
                recv(hs, S::ServerChangeCipherSpecResumed, |hs| {
                    Ok(S::ServerFinishedResumed(hs))
                })
            }
            S::ServerFinished(hs) => recv(hs, S::ServerFinished, |hs| {
                Ok(S::Established(Box::new(hs.into_connection())))
            }),
            S::ServerFinishedClientAuth(hs) => recv(hs, S::ServerFinishedClientAuth, |hs| {
                Ok(S::Established(Box::new(hs.into_connection())))
            }),
            S::ServerFinishedNoClientCert(hs) => recv(hs, S::ServerFinishedNoClientCert, |hs| {
                Ok(S::Established(Box::new(hs.into_connection())))
            }),
            S::ServerFinishedResumed(hs) => recv(hs, S::ServerFinishedResumed, |hs| {
                // ChangeCipherSpec, Finished
                Ok(S::Established(Box::new(
                    hs.send()?.send()?.into_connection(),
                )))
            }),
            state @ (S::Established(_) | S::Failed) => Ok(Advance::Waiting(state)),
        }
    }
}
