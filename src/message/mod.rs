//! Typed TLS 1.2 messages, and in [`tls13`] the TLS 1.3 ones: encode and
//! decode, nothing else.
//!
//! One file per message. Every decoder reads through a bounded
//! [`Reader`](crate::codec::Reader), so malformed input is an
//! [`InvalidMessage`](crate::error::InvalidMessage), never a panic. Whether a
//! well-formed message is *acceptable* (an offered suite, an expected type)
//! is the handshake's decision, not this module's.

mod alert;
mod ccs;
mod certificate;
mod certificate_request;
mod certificate_status;
mod client_hello;
mod client_key_exchange;
mod digitally_signed;
mod extensions;
mod finished;
mod handshake;
mod lists;
mod new_session_ticket;
mod random;
mod server_hello;
mod server_key_exchange;
pub mod tls13;

pub use alert::AlertMessage;
pub use ccs::ChangeCipherSpecPayload;
pub use certificate::CertificateChain;
pub use certificate_request::{CertificateRequest, DistinguishedName};
pub use certificate_status::{CertificateStatus, CertificateStatusRequest, OcspStatusRequest};
pub use client_hello::{ClientHello, MAX_CLIENT_HELLO_LEN};
pub use client_key_exchange::ClientKeyExchange;
pub use digitally_signed::DigitallySigned;
pub use extensions::{
    ClientExtension, OfferedPsks, PskIdentity, PskKeyExchangeMode, ServerExtension,
};
pub use finished::Finished;
pub use handshake::{HandshakeMessage, HandshakePayload};
pub use lists::{
    CipherSuites, ClientExtensions, CompressionMethods, EcPointFormats, NamedGroups,
    ProtocolVersions, PskKeyExchangeModes, ServerExtensions, SignatureSchemes,
};
pub use new_session_ticket::NewSessionTicket;
pub use random::{DowngradeSentinel, Random, SessionId};
pub use server_hello::ServerHello;
pub use server_key_exchange::{MAX_PARAMS_LEN, ServerEcdhParams, ServerKeyExchange};

#[cfg(test)]
mod tests;
