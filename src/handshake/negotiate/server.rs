//! The server's side of version negotiation (see the module docs).
