//! The handshake as types.
//!
//! Shared machinery at the bottom: [`role`] (the roles and the writer
//! column as traits), [`table`] (rows, the [`State`] and `Follows` traits,
//! the table macro), [`Handshake`] (the handshake at one state, whose
//! transitions consume it), the core every state carries, the shapes and
//! the configuration. Above it, each protocol version owns its table and
//! transitions: [`tls12`], [`tls13`]. Nothing imports from a layer above its
//! own.

mod config;
mod core;
pub mod facts;
mod machine;
mod negotiate;
pub mod role;
mod shape;
mod side;
pub mod table;
pub mod tls12;
pub mod tls13;

pub use config::{
    CertifiedKey, ClientCertPolicy, ClientConfig, DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS,
    DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN, DEFAULT_SIGNATURE_SCHEMES, DEFAULT_TLS13_TICKETS,
    DEFAULT_VERSIONS, MIN_EARLY_DATA_SKIP, ServerConfig,
};
pub use machine::{Fatal, Handshake, RecvMessage, SendMessage, Step};
pub use negotiate::{AfterClientHello, AfterEarlyServerHello, AfterServerHello};
pub use role::{B, C, Client, Role, S, Server, Writer, Writes};
pub use shape::{ClientAuth, EarlyData, Full, NoClientCert, Resumed, ResumedClientAuth, Shape};
pub use table::State;
pub use tls12::known;
pub use tls12::shape::{FullShape, WithoutCertificateVerify};
pub use tls12::table::state;
pub use tls12::{AfterClientCert, AfterServerCert, AfterServerKey, AfterTicket};
pub use tls13::{
    AfterClientCert13, AfterEarlyEncryptedExtensions, AfterEncryptedExtensions, EarlyDataOffer,
    EarlyDataOutcome, RejectedEarlyData,
};

/// `docs/state-machine.md`, generated from both tables and their shapes.
///
/// The committed file is compared with this output by the test
/// `tests/state_machine_doc.rs`; regenerate it with
/// `TLSTATE_BLESS=1 cargo test --test state_machine_doc`.
pub fn state_machine_markdown() -> String {
    let mut out = String::new();
    out.push_str("# The state machines\n\n");
    out.push_str(
        "<!-- Generated from src/handshake/tls12/table.rs and src/handshake/tls13/table.rs \
         by `TLSTATE_BLESS=1 cargo test --test state_machine_doc`. Do not edit by hand. -->\n\n",
    );
    out.push_str(
        "One table per protocol version, as in s2n-tls. Each state is named after the \
         message that comes next; the writer column says who writes it (`C` client, `S` \
         server, `B` both). A method that writes a state's message exists only for its \
         writer, a method that reads it only for the other role. Optional rows may be \
         left out by the peer; the message of the row they skip to is then accepted \
         instead. Every other record is a fatal `unexpected_message`.\n\n",
    );
    tls12::table::markdown(&mut out);
    tls13::table::markdown(&mut out);
    out
}
