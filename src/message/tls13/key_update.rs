//! KeyUpdate (RFC 8446 4.6.3).

use crate::codec::wire_enum;

wire_enum! {
    /// Whether the sender asks its peer to update its sending key too.
    /// Any other value is the handshake's illegal_parameter (RFC 8446
    /// 4.6.3), so it decodes to `Unknown` rather than failing here.
    pub enum KeyUpdateRequest: u8 {
        /// update_not_requested(0)
        UpdateNotRequested = 0 => "update_not_requested",
        /// update_requested(1)
        UpdateRequested = 1 => "update_requested",
    }
}
