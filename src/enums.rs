//! Wire enums shared by every layer, all from [`wire_enum!`](crate::codec).
//!
//! Values are from the IANA TLS registries; only what TLS 1.2 with the
//! features of this crate needs is named, everything else decodes as
//! `Unknown`.

use crate::codec::wire_enum;

wire_enum! {
    /// The record layer's content type (RFC 5246 6.2.1).
    pub enum ContentType: u8 {
        /// change_cipher_spec(20)
        ChangeCipherSpec = 20 => "change_cipher_spec",
        /// alert(21)
        Alert = 21 => "alert",
        /// handshake(22)
        Handshake = 22 => "handshake",
        /// application_data(23)
        ApplicationData = 23 => "application_data",
        /// heartbeat(24), RFC 6520; never accepted
        Heartbeat = 24 => "heartbeat",
    }
}

wire_enum! {
    /// The handshake message type (RFC 5246 7.4).
    pub enum HandshakeType: u8 {
        /// hello_request(0)
        HelloRequest = 0 => "hello_request",
        /// client_hello(1)
        ClientHello = 1 => "client_hello",
        /// server_hello(2)
        ServerHello = 2 => "server_hello",
        /// new_session_ticket(4), RFC 5077 (and RFC 8446 4.6.1)
        NewSessionTicket = 4 => "new_session_ticket",
        /// end_of_early_data(5), RFC 8446
        EndOfEarlyData = 5 => "end_of_early_data",
        /// encrypted_extensions(8), RFC 8446
        EncryptedExtensions = 8 => "encrypted_extensions",
        /// certificate(11)
        Certificate = 11 => "certificate",
        /// server_key_exchange(12)
        ServerKeyExchange = 12 => "server_key_exchange",
        /// certificate_request(13)
        CertificateRequest = 13 => "certificate_request",
        /// server_hello_done(14)
        ServerHelloDone = 14 => "server_hello_done",
        /// certificate_verify(15)
        CertificateVerify = 15 => "certificate_verify",
        /// client_key_exchange(16)
        ClientKeyExchange = 16 => "client_key_exchange",
        /// finished(20)
        Finished = 20 => "finished",
        /// certificate_status(22), RFC 6066 8
        CertificateStatus = 22 => "certificate_status",
        /// key_update(24), RFC 8446
        KeyUpdate = 24 => "key_update",
        /// message_hash(254), RFC 8446 4.4.1: stands for the first
        /// ClientHello in the transcript after a HelloRetryRequest; never
        /// sent.
        MessageHash = 254 => "message_hash",
    }
}

wire_enum! {
    /// An alert's level (RFC 5246 7.2).
    pub enum AlertLevel: u8 {
        /// warning(1)
        Warning = 1 => "warning",
        /// fatal(2)
        Fatal = 2 => "fatal",
    }
}

wire_enum! {
    /// An alert's description (RFC 5246 7.2, RFC 7301, RFC 5746).
    pub enum AlertDescription: u8 {
        /// close_notify(0)
        CloseNotify = 0 => "close_notify",
        /// unexpected_message(10)
        UnexpectedMessage = 10 => "unexpected_message",
        /// bad_record_mac(20)
        BadRecordMac = 20 => "bad_record_mac",
        /// record_overflow(22)
        RecordOverflow = 22 => "record_overflow",
        /// handshake_failure(40)
        HandshakeFailure = 40 => "handshake_failure",
        /// bad_certificate(42)
        BadCertificate = 42 => "bad_certificate",
        /// unsupported_certificate(43)
        UnsupportedCertificate = 43 => "unsupported_certificate",
        /// certificate_revoked(44)
        CertificateRevoked = 44 => "certificate_revoked",
        /// certificate_expired(45)
        CertificateExpired = 45 => "certificate_expired",
        /// certificate_unknown(46)
        CertificateUnknown = 46 => "certificate_unknown",
        /// illegal_parameter(47)
        IllegalParameter = 47 => "illegal_parameter",
        /// unknown_ca(48)
        UnknownCa = 48 => "unknown_ca",
        /// access_denied(49)
        AccessDenied = 49 => "access_denied",
        /// decode_error(50)
        DecodeError = 50 => "decode_error",
        /// decrypt_error(51)
        DecryptError = 51 => "decrypt_error",
        /// protocol_version(70)
        ProtocolVersion = 70 => "protocol_version",
        /// insufficient_security(71)
        InsufficientSecurity = 71 => "insufficient_security",
        /// internal_error(80)
        InternalError = 80 => "internal_error",
        /// user_canceled(90)
        UserCanceled = 90 => "user_canceled",
        /// no_renegotiation(100)
        NoRenegotiation = 100 => "no_renegotiation",
        /// missing_extension(109), RFC 8446
        MissingExtension = 109 => "missing_extension",
        /// unsupported_extension(110)
        UnsupportedExtension = 110 => "unsupported_extension",
        /// unrecognized_name(112)
        UnrecognizedName = 112 => "unrecognized_name",
        /// unknown_psk_identity(115), RFC 8446
        UnknownPskIdentity = 115 => "unknown_psk_identity",
        /// certificate_required(116), RFC 8446
        CertificateRequired = 116 => "certificate_required",
        /// no_application_protocol(120), RFC 7301
        NoApplicationProtocol = 120 => "no_application_protocol",
    }
}

wire_enum! {
    /// A protocol version on the wire.
    pub enum ProtocolVersion: u16 {
        /// SSL 3.0, seen only in the record version of some first ClientHellos
        Ssl3 = 0x0300 => "SSLv3",
        /// TLS 1.0, common in the record version of a first ClientHello
        Tls10 = 0x0301 => "TLSv1",
        /// TLS 1.1
        Tls11 = 0x0302 => "TLSv1.1",
        /// TLS 1.2, the only version this crate negotiates
        Tls12 = 0x0303 => "TLSv1.2",
        /// TLS 1.3, recognised so a 1.3 ClientHello can be answered with 1.2
        Tls13 = 0x0304 => "TLSv1.3",
    }
}

wire_enum! {
    /// A cipher suite (IANA names).
    pub enum CipherSuite: u16 {
        /// ECDHE-ECDSA with AES-128-GCM, SHA-256 PRF (RFC 5289)
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        /// ECDHE-ECDSA with AES-256-GCM, SHA-384 PRF (RFC 5289)
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        /// ECDHE-RSA with AES-128-GCM, SHA-256 PRF (RFC 5289)
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        /// ECDHE-RSA with AES-256-GCM, SHA-384 PRF (RFC 5289)
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        /// ECDHE-RSA with ChaCha20-Poly1305 (RFC 7905)
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        /// ECDHE-ECDSA with ChaCha20-Poly1305 (RFC 7905)
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        /// The signalling suite of RFC 5746 3.3
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        /// TLS 1.3: AES-128-GCM with SHA-256 (RFC 8446 B.4)
        TLS13_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        /// TLS 1.3: AES-256-GCM with SHA-384 (RFC 8446 B.4)
        TLS13_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        /// TLS 1.3: ChaCha20-Poly1305 with SHA-256 (RFC 8446 B.4)
        TLS13_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
    }
}

wire_enum! {
    /// A named group for ECDHE (RFC 8422 5.1.1, RFC 7748).
    pub enum NamedGroup: u16 {
        /// secp256r1 (P-256)
        secp256r1 = 0x0017 => "secp256r1",
        /// secp384r1 (P-384)
        secp384r1 = 0x0018 => "secp384r1",
        /// x25519
        X25519 = 0x001d => "x25519",
    }
}

wire_enum! {
    /// A signature scheme (RFC 8446 4.2.3 code points, which TLS 1.2 uses
    /// as hash/signature pairs, RFC 5246 7.4.1.4.1).
    pub enum SignatureScheme: u16 {
        /// rsa_pkcs1_sha256
        RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
        /// rsa_pkcs1_sha384
        RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
        /// rsa_pkcs1_sha512
        RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
        /// ecdsa_secp256r1_sha256
        ECDSA_NISTP256_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        /// ecdsa_secp384r1_sha384
        ECDSA_NISTP384_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        /// rsa_pss_rsae_sha256
        RSA_PSS_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
        /// rsa_pss_rsae_sha384
        RSA_PSS_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
        /// rsa_pss_rsae_sha512
        RSA_PSS_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
        /// ed25519 (RFC 8446 4.2.3, RFC 8422 5.1.3)
        ED25519 = 0x0807 => "ed25519",
    }
}

wire_enum! {
    /// A hello extension's type.
    pub enum ExtensionType: u16 {
        /// server_name(0), RFC 6066
        ServerName = 0 => "server_name",
        /// status_request(5), RFC 6066 8
        StatusRequest = 5 => "status_request",
        /// supported_groups(10), RFC 8422
        SupportedGroups = 10 => "supported_groups",
        /// ec_point_formats(11), RFC 8422
        EcPointFormats = 11 => "ec_point_formats",
        /// signature_algorithms(13), RFC 5246
        SignatureAlgorithms = 13 => "signature_algorithms",
        /// application_layer_protocol_negotiation(16), RFC 7301
        ApplicationLayerProtocolNegotiation = 16 => "application_layer_protocol_negotiation",
        /// extended_master_secret(23), RFC 7627
        ExtendedMasterSecret = 23 => "extended_master_secret",
        /// session_ticket(35), RFC 5077
        SessionTicket = 35 => "session_ticket",
        /// pre_shared_key(41), RFC 8446
        PreSharedKey = 41 => "pre_shared_key",
        /// early_data(42), RFC 8446
        EarlyData = 42 => "early_data",
        /// supported_versions(43), RFC 8446
        SupportedVersions = 43 => "supported_versions",
        /// cookie(44), RFC 8446
        Cookie = 44 => "cookie",
        /// psk_key_exchange_modes(45), RFC 8446
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        /// certificate_authorities(47), RFC 8446
        CertificateAuthorities = 47 => "certificate_authorities",
        /// post_handshake_auth(49), RFC 8446
        PostHandshakeAuth = 49 => "post_handshake_auth",
        /// signature_algorithms_cert(50), RFC 8446
        SignatureAlgorithmsCert = 50 => "signature_algorithms_cert",
        /// key_share(51), RFC 8446
        KeyShare = 51 => "key_share",
        /// renegotiation_info(0xff01), RFC 5746
        RenegotiationInfo = 0xff01 => "renegotiation_info",
    }
}

wire_enum! {
    /// An EC point format (RFC 8422 5.1.2); only uncompressed is supported.
    pub enum EcPointFormat: u8 {
        /// uncompressed(0)
        Uncompressed = 0 => "uncompressed",
    }
}

wire_enum! {
    /// A compression method (RFC 5246 7.4.1.2); only null exists in practice.
    pub enum Compression: u8 {
        /// null(0)
        Null = 0 => "null",
    }
}

wire_enum! {
    /// The ECCurveType of ServerKeyExchange params (RFC 8422 5.4).
    pub enum EcCurveType: u8 {
        /// named_curve(3), the only one allowed
        NamedCurve = 3 => "named_curve",
    }
}

wire_enum! {
    /// A client certificate type in CertificateRequest (RFC 5246 7.4.4).
    pub enum ClientCertificateType: u8 {
        /// rsa_sign(1)
        RsaSign = 1 => "rsa_sign",
        /// ecdsa_sign(64), RFC 8422
        EcdsaSign = 64 => "ecdsa_sign",
    }
}

wire_enum! {
    /// The CertificateStatusType of status_request and CertificateStatus
    /// (RFC 6066 8); only OCSP is defined for them.
    pub enum CertificateStatusType: u8 {
        /// ocsp(1)
        Ocsp = 1 => "ocsp",
    }
}
