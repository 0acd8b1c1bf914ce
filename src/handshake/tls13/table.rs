//! The state table of the TLS 1.3 handshake (RFC 8446 2, 4): the second
//! table, written like the first in the shared `handshake_table!` macro, as
//! s2n-tls keeps `tls13_state_machine[]` beside `state_machine[]`.
//!
//! Every handshake starts in the hello states shared with TLS 1.2
//! (`tls12::table`'s ClientHello and ServerHello); the client's read of the
//! ServerHello and the server's of the ClientHello branch into this table
//! when TLS 1.3 is negotiated. Its own ClientHello and ServerHello rows are
//! the second hello after a HelloRetryRequest.
//!
//! The compatibility ChangeCipherSpec rows (RFC 8446 D.4) are written by
//! their sender when middlebox compatibility is on and are otherwise
//! passed with nothing written; a reader never waits for one, since the
//! record layer drops an unprotected `0x01` ChangeCipherSpec anywhere
//! between the first ClientHello and the peer's Finished (RFC 8446 5).
//! A resumed handshake (a PSK from a ticket, RFC 8446 2.2) skips the
//! certificate rows: EncryptedExtensions is followed by ServerFinished.
//! A resumption with 0-RTT (RFC 8446 2.3) adds the EndOfEarlyData row
//! after the server's Finished: the client's early application data goes
//! between its ClientHello and that message, under the early traffic key;
//! its compatibility ChangeCipherSpec, if any, right after the ClientHello
//! (RFC 8446 D.4), so the `1.3-early` shape has no ClientChangeCipherSpec.

use super::known::{Certified13, Hello13, Negotiated13};
use crate::handshake::role::{B, C, S};
use crate::handshake::table::{Final, ShapePath, handshake_table, render_markdown};

handshake_table! {
    //  state                  record            message              writer known         next                                                  optional
    /// The client's hello. A handshake's first one is typed as the hello
    /// state shared with TLS 1.2; this row's own state is the second one,
    /// after a HelloRetryRequest (RFC 8446 4.1.2), whose answer must be a
    /// ServerHello: a second HelloRetryRequest is refused at run time
    /// (RFC 8446 4.1.4).
    ClientHello:            Handshake,        ClientHello,         C, Hello13,      [HelloRetryRequest, ServerHello];
    /// The server asks for another ClientHello with a key share for the
    /// group it names (a ServerHello with the special random, RFC 8446 4.1.4).
    HelloRetryRequest:      Handshake,        ServerHello,         S, Hello13,      [ServerChangeCipherSpec, ClientHello];
    /// The server's hello: the suite and its key share.
    ServerHello:            Handshake,        ServerHello,         S, Hello13,      [ServerChangeCipherSpec, EncryptedExtensions];
    /// The server's compatibility ChangeCipherSpec, right after its first
    /// hello (RFC 8446 D.4; optional).
    ServerChangeCipherSpec: ChangeCipherSpec, -,                   S, Negotiated13, [ClientHello, EncryptedExtensions];
    /// The client's compatibility ChangeCipherSpec, before its encrypted
    /// flight (RFC 8446 D.4 also allows it before a second ClientHello; we
    /// always send it here, and read either; optional).
    ClientChangeCipherSpec: ChangeCipherSpec, -,                   C, Certified13,  [ClientCert, ClientFinished];
    /// The first message under the handshake keys: the server's answers to
    /// the extensions that do not shape the keys. A resumed handshake (a
    /// PSK) goes straight on to the server's Finished.
    EncryptedExtensions:    Handshake,        EncryptedExtensions, S, Negotiated13, [ServerCertReq, ServerCert, ServerFinished];
    /// The server asks for a client certificate (optional).
    ServerCertReq:          Handshake,        CertificateRequest,  S, Negotiated13, [ServerCert], skip ServerCert;
    /// The server's certificate chain.
    ServerCert:             Handshake,        Certificate,         S, Negotiated13, [ServerCertVerify];
    /// The server's signature over the transcript, with its certificate's key.
    ServerCertVerify:       Handshake,        CertificateVerify,   S, Certified13,  [ServerFinished];
    /// The server's Finished; the server may send application data after it.
    ServerFinished:         Handshake,        Finished,            S, Certified13,  [ClientChangeCipherSpec, ClientCert, ClientFinished, EndOfEarlyData];
    /// The client's end of its 0-RTT data (only when EncryptedExtensions
    /// accepted it, RFC 8446 4.5): the last message under the early traffic
    /// key; the server reads the early data before it.
    EndOfEarlyData:         Handshake,        EndOfEarlyData,      C, Certified13,  [ClientFinished];
    /// The client's certificate chain (only after a CertificateRequest; may be empty).
    ClientCert:             Handshake,        Certificate,         C, Certified13,  [ClientCertVerify, ClientFinished];
    /// The client's signature over the transcript (only with a certificate).
    ClientCertVerify:       Handshake,        CertificateVerify,   C, Certified13,  [ClientFinished];
    /// The client's Finished, the last message of the handshake.
    ClientFinished:         Handshake,        Finished,            C, Certified13,  [HandshakeOver];
    /// The handshake is over: application data flows both ways.
    HandshakeOver:          ApplicationData,  -,                   B, Certified13,  [];
}

impl Final for state::HandshakeOver {}

/// The TLS 1.3 handshake shapes, each a path through the table, as the
/// states whose messages go on the wire, in order. The first two states of
/// every path are the hello states this table shares with TLS 1.2; the
/// compatibility ChangeCipherSpec rows appear in the `+ccs` shapes.
pub static SHAPES: &[ShapePath] = &[
    (
        "1.3-full",
        "Full (1-RTT)",
        &[
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-full+ccs",
        "Full, with the compatibility ChangeCipherSpecs",
        &[
            "ClientHello",
            "ServerHello",
            "ServerChangeCipherSpec",
            "EncryptedExtensions",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-hrr",
        "Full after a HelloRetryRequest",
        &[
            "ClientHello",
            "HelloRetryRequest",
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-hrr+ccs",
        "Full after a HelloRetryRequest, with the compatibility ChangeCipherSpecs",
        &[
            "ClientHello",
            "HelloRetryRequest",
            "ServerChangeCipherSpec",
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-client-auth",
        "Client authentication (certificate and CertificateVerify)",
        &[
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerCertReq",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientCert",
            "ClientCertVerify",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-client-auth+ccs",
        "Client authentication, with the compatibility ChangeCipherSpecs",
        &[
            "ClientHello",
            "ServerHello",
            "ServerChangeCipherSpec",
            "EncryptedExtensions",
            "ServerCertReq",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientChangeCipherSpec",
            "ClientCert",
            "ClientCertVerify",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-no-cert",
        "CertificateRequest answered with an empty Certificate",
        &[
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerCertReq",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientCert",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-no-cert+ccs",
        "Empty client Certificate, with the compatibility ChangeCipherSpecs",
        &[
            "ClientHello",
            "ServerHello",
            "ServerChangeCipherSpec",
            "EncryptedExtensions",
            "ServerCertReq",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientChangeCipherSpec",
            "ClientCert",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-hrr+client-auth",
        "Client authentication after a HelloRetryRequest",
        &[
            "ClientHello",
            "HelloRetryRequest",
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerCertReq",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientCert",
            "ClientCertVerify",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-hrr+no-cert",
        "Empty client Certificate after a HelloRetryRequest",
        &[
            "ClientHello",
            "HelloRetryRequest",
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerCertReq",
            "ServerCert",
            "ServerCertVerify",
            "ServerFinished",
            "ClientCert",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-resumed",
        "Resumed with a ticket's PSK (psk_dhe_ke): no Certificate, no CertificateVerify",
        &[
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerFinished",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-resumed+ccs",
        "Resumed, with the compatibility ChangeCipherSpecs",
        &[
            "ClientHello",
            "ServerHello",
            "ServerChangeCipherSpec",
            "EncryptedExtensions",
            "ServerFinished",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-hrr+resumed",
        "Resumed after a HelloRetryRequest (the second ClientHello's binder counts)",
        &[
            "ClientHello",
            "HelloRetryRequest",
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerFinished",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-hrr+resumed+ccs",
        "Resumed after a HelloRetryRequest, with the compatibility ChangeCipherSpecs",
        &[
            "ClientHello",
            "HelloRetryRequest",
            "ServerChangeCipherSpec",
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerFinished",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-early",
        "Resumed with 0-RTT early data accepted (the early data and the client's compatibility ChangeCipherSpec, if any, go right after its ClientHello)",
        &[
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "ServerFinished",
            "EndOfEarlyData",
            "ClientFinished",
            "HandshakeOver",
        ],
    ),
    (
        "1.3-early+ccs",
        "Resumed with 0-RTT accepted, with the server's compatibility ChangeCipherSpec",
        &[
            "ClientHello",
            "ServerHello",
            "ServerChangeCipherSpec",
            "EncryptedExtensions",
            "ServerFinished",
            "EndOfEarlyData",
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
        "TLS 1.3",
        TABLE,
        SHAPES,
        "Each shape is a path through the table. Its first two states are the hello \
         states shared with TLS 1.2: the client's read of the ServerHello and the \
         server's of the ClientHello branch into this table when TLS 1.3 is \
         negotiated. The compatibility ChangeCipherSpec rows (`+ccs`) are written by \
         their sender when middlebox compatibility is on (RFC 8446 D.4); a reader \
         never waits for one, the record layer drops an unprotected `0x01` \
         ChangeCipherSpec between the first ClientHello and the peer's Finished \
         (RFC 8446 5). Client authentication (the ServerCertReq and Client* rows): the client's \
         read after EncryptedExtensions branches as `AfterEncryptedExtensions`, the \
         server's read of the client's Certificate as `AfterClientCert13`.",
    );
}
