//! Cryptography, thin over `ring`: the only module that imports `ring`
//! and `subtle`. Certificates are verified with `rustls-webpki`.
