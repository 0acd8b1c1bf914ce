//! The record layer: headers, deframing, handshake reassembly,
//! fragmentation, and the seam for record protection.
//!
//! - [`RecordReader`] turns the peer's bytes into [`Inbound`] messages:
//!   it checks each header, opens records in place (lazily, so a key change
//!   at ChangeCipherSpec applies to the records after it), reassembles
//!   handshake messages and alerts that span records, and splits records
//!   that hold several messages.
//! - [`RecordWriter`] fragments each outgoing message into its own records
//!   (never coalescing messages) and seals them in place.
//! - [`RecordSealer`] / [`RecordOpener`] are the protection seam;
//!   [`NullProtection`] is the protection before ChangeCipherSpec.
//!
//! TLS 1.3 (RFC 8446 5) runs through the same types: the opener hands back
//! the inner content type, and [`RecordReader::set_tls13`] switches the
//! reader to the 1.3 rules (compatibility ChangeCipherSpec dropped,
//! protected records only once keyed, key changes on record boundaries via
//! [`RecordReader::install_opener`]). See docs/connection.md, "TLS 1.3
//! records".

mod header;
mod joiner;
mod protection;
mod reader;
mod writer;

pub use header::{MAX_CIPHERTEXT_LEN, MAX_PLAINTEXT_LEN, MAX_RECORD_LEN, RecordHeader};
pub use protection::{HEADER_LEN, NullProtection, RecordOpener, RecordSealer};
pub use reader::{
    DEFAULT_MAX_HANDSHAKE_LEN, Inbound, MAX_BUFFERED_LEN, MAX_IDLE_CAPACITY, RecordReader,
    STREAMING_AFTER,
};
pub use writer::RecordWriter;
