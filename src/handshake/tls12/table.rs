//! The state table: the single source of truth for the TLS 1.2 handshake.
//!
//! Written in the shared `handshake_table!` macro (see
//! [`handshake::table`](crate::handshake::table) for what it derives);
//! [`SHAPES`] lists each handshake shape as a path through it, and
//! [`markdown`] generates `docs/state-machine.md`.

use super::known::{Certified, Hello, Keyed, Negotiated};
use crate::handshake::role::{B, C, S};
use crate::handshake::table::{Final, ShapePath, handshake_table, render_markdown};

handshake_table! {
    //  state                  record            message             writer known       next                                                  optional
    /// The client's hello: offered suites, groups, schemes, extensions.
    ClientHello:            Handshake,        ClientHello,        C, Hello,      [ServerHello];
    /// The server's hello: the chosen suite and session.
    ServerHello:            Handshake,        ServerHello,        S, Hello,      [ServerCert, ServerNewSessionTicket, ServerChangeCipherSpec];
    /// The server's certificate chain.
    ServerCert:             Handshake,        Certificate,        S, Negotiated, [ServerCertStatus, ServerKey];
    /// The server's stapled OCSP response (RFC 6066 8; optional).
    ServerCertStatus:       Handshake,        CertificateStatus,  S, Certified,  [ServerKey], skip ServerKey;
    /// The server's signed ECDHE parameters.
    ServerKey:              Handshake,        ServerKeyExchange,  S, Certified,  [ServerCertReq, ServerHelloDone];
    /// The server asks for a client certificate (optional).
    ServerCertReq:          Handshake,        CertificateRequest, S, Keyed,      [ServerHelloDone], skip ServerHelloDone;
    /// The end of the server's first flight.
    ServerHelloDone:        Handshake,        ServerHelloDone,    S, Keyed,      [ClientCert, ClientKey];
    /// The client's certificate chain (only after a CertificateRequest).
    ClientCert:             Handshake,        Certificate,        C, Keyed,      [ClientKey];
    /// The client's ECDHE public key.
    ClientKey:              Handshake,        ClientKeyExchange,  C, Keyed,      [ClientCertVerify, ClientChangeCipherSpec];
    /// The client's signature over the transcript (only with a client certificate).
    ClientCertVerify:       Handshake,        CertificateVerify,  C, Keyed,      [ClientChangeCipherSpec];
    /// The client switches to the negotiated keys.
    ClientChangeCipherSpec: ChangeCipherSpec, -,                  C, Keyed,      [ClientFinished];
    /// The client's Finished, the first protected message.
    ClientFinished:         Handshake,        Finished,           C, Keyed,      [ServerNewSessionTicket, ServerChangeCipherSpec, HandshakeOver];
    /// A session ticket for later resumption (RFC 5077; optional).
    ServerNewSessionTicket: Handshake,        NewSessionTicket,   S, Keyed,      [ServerChangeCipherSpec], skip ServerChangeCipherSpec;
    /// The server switches to the negotiated keys.
    ServerChangeCipherSpec: ChangeCipherSpec, -,                  S, Keyed,      [ServerFinished];
    /// The server's Finished.
    ServerFinished:         Handshake,        Finished,           S, Keyed,      [HandshakeOver, ClientChangeCipherSpec];
    /// The handshake is over: application data flows both ways.
    HandshakeOver:          ApplicationData,  -,                  B, Keyed,      [];
}

impl Final for state::HandshakeOver {}

/// The handshake shapes this crate implements: each a path through the
/// table, as the states whose messages go on the wire, in order. Every
/// consecutive pair is an edge of [`TABLE`] (checked by a test), and each
/// shape is a [`Shape`](crate::handshake::Shape) type parameter of `Handshake`.
pub static SHAPES: &[ShapePath] = &[
    (
        "full",
        "Full",
        &[
            "ClientHello",
            "ServerHello",
            "ServerCert",
            "ServerKey",
            "ServerHelloDone",
            "ClientKey",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "ServerChangeCipherSpec",
            "ServerFinished",
            "HandshakeOver",
        ],
    ),
    (
        "full+ocsp",
        "Full, with a stapled OCSP response (CertificateStatus)",
        &[
            "ClientHello",
            "ServerHello",
            "ServerCert",
            "ServerCertStatus",
            "ServerKey",
            "ServerHelloDone",
            "ClientKey",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "ServerChangeCipherSpec",
            "ServerFinished",
            "HandshakeOver",
        ],
    ),
    (
        "ticket",
        "Full, with NewSessionTicket",
        &[
            "ClientHello",
            "ServerHello",
            "ServerCert",
            "ServerKey",
            "ServerHelloDone",
            "ClientKey",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "ServerNewSessionTicket",
            "ServerChangeCipherSpec",
            "ServerFinished",
            "HandshakeOver",
        ],
    ),
    (
        "client-auth",
        "ClientAuth (client certificate and CertificateVerify)",
        &[
            "ClientHello",
            "ServerHello",
            "ServerCert",
            "ServerKey",
            "ServerCertReq",
            "ServerHelloDone",
            "ClientCert",
            "ClientKey",
            "ClientCertVerify",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "ServerChangeCipherSpec",
            "ServerFinished",
            "HandshakeOver",
        ],
    ),
    (
        "no-cert",
        "NoClientCert (CertificateRequest answered with an empty Certificate)",
        &[
            "ClientHello",
            "ServerHello",
            "ServerCert",
            "ServerKey",
            "ServerCertReq",
            "ServerHelloDone",
            "ClientCert",
            "ClientKey",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "ServerChangeCipherSpec",
            "ServerFinished",
            "HandshakeOver",
        ],
    ),
    (
        "resumed",
        "Resumed (by session ID or ticket)",
        &[
            "ClientHello",
            "ServerHello",
            "ServerChangeCipherSpec",
            "ServerFinished",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "resumed+ticket",
        "Resumed, with a fresh NewSessionTicket",
        &[
            "ClientHello",
            "ServerHello",
            "ServerNewSessionTicket",
            "ServerChangeCipherSpec",
            "ServerFinished",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
];

/// This table's section of `docs/state-machine.md` (see
/// [`crate::handshake::state_machine_markdown`]).
pub fn markdown(out: &mut String) {
    render_markdown(
        out,
        "TLS 1.2",
        TABLE,
        SHAPES,
        "Each shape is a path through the table; in the code it is the third type \
         parameter of `Handshake<R, St, P>` (`Full`, `ClientAuth`, `NoClientCert`, \
         `Resumed`, and `ResumedClientAuth`: the resumed path of a server that asks for \
         client certificates, the session's client chain verified again). Where the peer \
         picks the path, the read that learns it returns an \
         enum: `AfterClientHello` and `AfterServerHello` (full or resumed), \
         `AfterServerCert` (CertificateStatus or not), `AfterServerKey` \
         (CertificateRequest or not), `AfterClientCert` (a certificate \
         or an empty one), `AfterTicket` (NewSessionTicket or not).",
    );
}
