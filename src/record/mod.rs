//! The record layer: headers, deframing, handshake reassembly,
//! fragmentation, and the seam for record protection.

mod protection;

pub use protection::{HEADER_LEN, NullProtection, RecordOpener, RecordSealer};
