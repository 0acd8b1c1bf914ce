//! The end of a TLS 1.3 server handshake: its summary and connection.
//!
//! Private to the server side until the client side's generic
//! `Handshake<R, tls13::state::HandshakeOver, P>` impls land (issue #12);
//! then this file goes.

use std::sync::Arc;

use super::{Connection, ReadHalf, SessionSummary, WriteHalf, shared};
use crate::enums::{ProtocolVersion, SignatureScheme};
use crate::handshake::tls13::known::Certified13;
use crate::handshake::tls13::table::state;
use crate::handshake::{Full, Handshake, Server};

fn summary13(known: Certified13, scheme: Option<SignatureScheme>) -> SessionSummary {
    let Certified13 {
        negotiated,
        server_certificates,
        client_certificates,
    } = known;
    SessionSummary {
        protocol_version: ProtocolVersion::Tls13,
        cipher_suite: negotiated.suite.suite,
        group: negotiated.group,
        // The scheme of our CertificateVerify.
        signature_scheme: scheme.unwrap_or(SignatureScheme::Unknown(0)),
        // TLS 1.3 always binds its keys to the whole transcript (RFC 8446
        // D, RFC 7627's purpose); the extension itself does not exist there.
        extended_master_secret: true,
        server_name: negotiated.server_name,
        alpn_protocol: negotiated.alpn_protocol,
        server_certificates,
        ocsp_response: None,
        client_certificates,
        resumed: false,
        session_id: Vec::new(),
    }
}

impl Handshake<Server, state::HandshakeOver, Full> {
    /// What was agreed.
    pub fn summary(&self) -> SessionSummary {
        summary13(self.known.clone(), self.tls13_server_scheme())
    }

    /// The established connection; everything else the handshake held
    /// (its secrets among it) is dropped now.
    pub fn into_connection(self) -> Connection<Server> {
        let scheme = self.tls13_server_scheme();
        let summary = summary13(self.known, scheme);
        let (reader, writer, out) = self.core.into_record_layer();
        let shared = Arc::new(shared::Shared::default());
        Connection {
            read: ReadHalf::new(reader, shared.clone()),
            write: WriteHalf::new(writer, out, shared),
            summary,
        }
    }
}
