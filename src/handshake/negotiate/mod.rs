//! Version negotiation: the one place the two tables meet. The hello states
//! are TLS 1.2's (`tls12::table`'s ClientHello and ServerHello); the read
//! that learns the version (the client's of the ServerHello, the server's of
//! the ClientHello) returns an enum whose variants are TLS 1.2 and TLS 1.3
//! paths, and the cross-table `Follows` edges from the hello states into
//! the TLS 1.3 table are declared here. This layer sits above both
//! versions and is the only one that imports them both.

mod client;
pub(crate) mod server;

pub use client::{AfterEarlyServerHello, AfterServerHello};
pub use server::AfterClientHello;
