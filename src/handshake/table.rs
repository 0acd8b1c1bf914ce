//! The state table: the single source of truth for the TLS 1.2 handshake.
//!
//! One row per handshake state, named after the message that comes next, as
//! in s2n-tls's `state_machine[]` (see `shared/seed-tls-state-machine.md`):
//! the record type that carries it, the handshake message type, and the
//! writer column — `C` (the client writes), `S` (the server writes), `B`
//! (both: application data). Two columns are ours: `known`, the type of
//! what both sides know once the handshake reaches the state, and `next`,
//! the states that may follow. A row marked `skip X` is optional: the peer
//! may leave its message out, and then the message of state `X` is next.
//!
//! From this one table the macro derives
//! - the zero-sized marker type of each state (`state::ServerHello`, ...),
//! - their [`State`] impls (record type, message type, writer, known),
//! - the [`Follows`] edges, so a transition to a state the table does not
//!   list after the current one does not compile,
//! - [`TABLE`], from which [`State::accepts`] checks every incoming record
//!   at run time and [`markdown`] generates `docs/state-machine.md`.
//!
//! Nothing else in the crate lists the states by hand.

use super::known::{Certified, Hello, Keyed, Negotiated};
use super::role::{B, C, S, Sealed, Writer, WriterColumn};
use crate::enums::{ContentType, HandshakeType};

/// One row of the state table, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// The state's name (also its marker type's name).
    pub name: &'static str,
    /// The record content type that carries the state's message.
    pub record: ContentType,
    /// The handshake message type, for handshake records.
    pub message: Option<HandshakeType>,
    /// Who writes the message.
    pub writer: WriterColumn,
    /// The states that may follow this one.
    pub next: &'static [&'static str],
    /// For an optional row: the state whose message comes instead when the
    /// peer leaves this one out.
    pub skip_to: Option<&'static str>,
}

impl Row {
    fn matches(&self, record: ContentType, message: Option<HandshakeType>) -> bool {
        self.record == record && (self.message.is_none() || self.message == message)
    }

    /// Looks up a row by state name.
    pub fn named(name: &str) -> Option<&'static Row> {
        TABLE.iter().find(|row| row.name == name)
    }

    /// Whether a record (and, for handshake records, its message type) may
    /// arrive at this state: the state's own message, or, if the row is
    /// optional, the message of the state it skips to.
    pub fn accepts(&self, record: ContentType, message: Option<HandshakeType>) -> bool {
        self.matches(record, message)
            || self
                .skip_to
                .and_then(Row::named)
                .is_some_and(|row| row.matches(record, message))
    }

    /// What this state expects, in words, for error messages.
    pub fn expected(&self) -> &'static str {
        self.name
    }
}

/// A handshake state: a zero-sized marker generated from its table row.
pub trait State: Sealed + Sized + 'static {
    /// The writer column: [`C`], [`S`] or [`B`].
    type Writer: Writer;
    /// What both sides know once the handshake is at this state.
    type Known;
    /// The state's row in [`TABLE`].
    const ROW: &'static Row;

    /// Whether a record may arrive at this state (see [`Row::accepts`]).
    fn accepts(record: ContentType, message: Option<HandshakeType>) -> bool {
        Self::ROW.accepts(record, message)
    }
}

/// `Next: Follows<Prev>` holds exactly when the table lists `Next` after
/// `Prev`. Every transition in the crate goes through
/// `Handshake::advance`, which requires it.
#[diagnostic::on_unimplemented(
    message = "the state table does not list `{Self}` after `{Prev}`",
    label = "no such edge in the TLS 1.2 state table"
)]
pub trait Follows<Prev: State>: State {}

macro_rules! message_type {
    (-) => {
        None
    };
    ($m:ident) => {
        Some(HandshakeType::$m)
    };
}

macro_rules! handshake_table {
    ($(
        $(#[$doc:meta])*
        $state:ident: $record:ident, $msg:tt, $writer:ident, $known:ident, [$($next:ident),*] $(, skip $skip:ident)?;
    )*) => {
        /// The state marker types, one per row of the table. They are
        /// uninhabited: they exist only as type parameters.
        pub mod state {
            $(
                $(#[$doc])*
                #[derive(Debug)]
                pub enum $state {}
            )*
        }

        $(
            impl Sealed for state::$state {}

            impl State for state::$state {
                type Writer = $writer;
                type Known = $known;
                const ROW: &'static Row = &Row {
                    name: stringify!($state),
                    record: ContentType::$record,
                    message: message_type!($msg),
                    writer: <$writer as Writer>::COLUMN,
                    next: &[$(stringify!($next)),*],
                    skip_to: handshake_table!(@skip $($skip)?),
                };
            }

            $( impl Follows<state::$state> for state::$next {} )*
        )*

        /// The whole table, in protocol order.
        pub static TABLE: &[Row] = &[$(*<state::$state as State>::ROW),*];
    };
    (@skip) => { None };
    (@skip $skip:ident) => { Some(stringify!($skip)) };
}

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

/// The handshake shapes this crate implements: each a path through the
/// table, as the states whose messages go on the wire, in order. Every
/// consecutive pair is an edge of [`TABLE`] (checked by a test), and each
/// shape is a [`Shape`](super::Shape) type parameter of `Handshake`.
pub static SHAPES: &[(&str, &str, &[&str])] = &[
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

/// `docs/state-machine.md`, generated from [`TABLE`] and [`SHAPES`].
///
/// The committed file is compared with this output by the test
/// `tests/state_machine_doc.rs`; regenerate it with
/// `TLSTATE_BLESS=1 cargo test --test state_machine_doc`.
pub fn markdown() -> String {
    use core::fmt::Write as _;
    let mut out = String::new();
    out.push_str("# The TLS 1.2 state machine\n\n");
    out.push_str(
        "<!-- Generated from src/handshake/table.rs by \
         `TLSTATE_BLESS=1 cargo test --test state_machine_doc`. Do not edit by hand. -->\n\n",
    );
    out.push_str(
        "Each state is named after the message that comes next; the writer column says \
         who writes it (`C` client, `S` server, `B` both). A method that writes a state's \
         message exists only for its writer, a method that reads it only for the other \
         role. Optional rows may be left out by the peer; the message of the row they \
         skip to is then accepted instead. Every other record is a fatal \
         `unexpected_message`.\n\n",
    );
    out.push_str("| state | record | message | writer | optional | may be followed by |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for row in TABLE {
        let message = row.message.map_or("-".to_string(), |m| m.to_string());
        let optional = row
            .skip_to
            .map_or(String::new(), |skip| format!("yes, else {skip}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.name,
            row.record,
            message,
            row.writer.letter(),
            optional,
            row.next.join(", ")
        );
    }
    out.push_str("\n## Handshake shapes\n\n");
    out.push_str(
        "Each shape is a path through the table; in the code it is the third type \
         parameter of `Handshake<R, St, P>` (`Full`, `ClientAuth`, `NoClientCert`, \
         `Resumed`, and `ResumedClientAuth`: the resumed path of a server that asks for \
         client certificates, the session's client chain verified again). Where the peer \
         picks the path, the read that learns it returns an \
         enum: `AfterClientHello` and `AfterServerHello` (full or resumed), \
         `AfterServerCert` (CertificateStatus or not), `AfterServerKey` \
         (CertificateRequest or not), `AfterClientCert` (a certificate \
         or an empty one), `AfterTicket` (NewSessionTicket or not).\n\n",
    );
    for (short, name, path) in SHAPES {
        let _ = writeln!(out, "- **{name}** (`{short}`): {}", path.join(" → "));
    }
    out.push_str("\n## Diagram\n");
    out.push_str("\n```mermaid\nstateDiagram-v2\n");
    let _ = writeln!(out, "    [*] --> {}", TABLE[0].name);
    for row in TABLE {
        let message = row
            .message
            .map_or(row.record.to_string(), |m| m.to_string());
        let _ = writeln!(
            out,
            "    {}: {} ({} writes {})",
            row.name,
            row.name,
            row.writer.letter(),
            message
        );
        for next in row.next {
            // Label each edge with the shapes that take it.
            let shapes: Vec<&str> = SHAPES
                .iter()
                .filter(|(_, _, path)| {
                    path.windows(2)
                        .any(|pair| pair[0] == row.name && pair[1] == *next)
                })
                .map(|(short, _, _)| *short)
                .collect();
            match shapes.is_empty() {
                true => {
                    let _ = writeln!(out, "    {} --> {}", row.name, next);
                }
                false => {
                    let _ = writeln!(out, "    {} --> {}: {}", row.name, next, shapes.join(", "));
                }
            }
        }
        if row.next.is_empty() {
            let _ = writeln!(out, "    {} --> [*]", row.name);
        }
    }
    out.push_str("```\n");
    out
}
