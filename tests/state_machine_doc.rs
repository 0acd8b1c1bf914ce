//! `docs/state-machine.md` is generated from the state table; this test
//! fails when the committed file differs from what the table generates.
//!
//! Regenerate with `TLSTATE_BLESS=1 cargo test --test state_machine_doc`.

use tlstate::handshake::tls12::table::{self, TABLE};

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/state-machine.md");

#[test]
fn committed_diagram_matches_the_table() {
    let generated = tlstate::handshake::state_machine_markdown();
    if std::env::var_os("TLSTATE_BLESS").is_some() {
        std::fs::write(DOC, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(DOC).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/state-machine.md is stale: run `TLSTATE_BLESS=1 cargo test --test state_machine_doc`"
    );
}

#[test]
fn every_edge_names_a_row() {
    for row in TABLE {
        for next in row.next {
            assert!(
                table::row(next).is_some(),
                "{} lists unknown next state {next}",
                row.name
            );
        }
        if let Some(skip) = row.skip_to {
            assert!(
                row.next.contains(&skip),
                "{}: its skip target {skip} must also be an edge",
                row.name
            );
        }
    }
}

#[test]
fn table_matches_the_s2n_rows() {
    // The writer column of s2n-tls's state_machine[] (seed document), row by
    // row, with its SERVER_CERT_STATUS (OCSP stapling, RFC 6066 8) between
    // ServerCert and ServerKey, plus ServerNewSessionTicket between
    // ClientFinished and ServerChangeCipherSpec.
    let expected = [
        ("ClientHello", "C"),
        ("ServerHello", "S"),
        ("ServerCert", "S"),
        ("ServerCertStatus", "S"),
        ("ServerKey", "S"),
        ("ServerCertReq", "S"),
        ("ServerHelloDone", "S"),
        ("ClientCert", "C"),
        ("ClientKey", "C"),
        ("ClientCertVerify", "C"),
        ("ClientChangeCipherSpec", "C"),
        ("ClientFinished", "C"),
        ("ServerNewSessionTicket", "S"),
        ("ServerChangeCipherSpec", "S"),
        ("ServerFinished", "S"),
        ("HandshakeOver", "B"),
    ];
    let rows: Vec<_> = TABLE.iter().map(|r| (r.name, r.writer.letter())).collect();
    assert_eq!(rows, expected);
}

#[test]
fn optional_rows_accept_their_skip_target() {
    use tlstate::enums::{ContentType, HandshakeType};
    let cert_req = table::row("ServerCertReq").unwrap();
    assert!(cert_req.accepts(
        ContentType::Handshake,
        Some(HandshakeType::CertificateRequest)
    ));
    assert!(cert_req.accepts(ContentType::Handshake, Some(HandshakeType::ServerHelloDone)));
    assert!(!cert_req.accepts(ContentType::Handshake, Some(HandshakeType::Finished)));
    assert!(!cert_req.accepts(ContentType::ChangeCipherSpec, None));
    let key = table::row("ClientKey").unwrap();
    // CCS injection (CVE-2014-0224): a CCS where the key exchange is due.
    assert!(!key.accepts(ContentType::ChangeCipherSpec, None));
    assert!(key.accepts(
        ContentType::Handshake,
        Some(HandshakeType::ClientKeyExchange)
    ));
}

#[test]
fn every_shape_walks_table_edges() {
    for (_, name, path) in table::SHAPES {
        assert_eq!(path.first(), Some(&"ClientHello"), "{name}");
        assert_eq!(path.last(), Some(&"HandshakeOver"), "{name}");
        for pair in path.windows(2) {
            let row = table::row(pair[0]).unwrap();
            assert!(
                row.next.contains(&pair[1]),
                "{name}: {} -> {} is not an edge",
                pair[0],
                pair[1]
            );
        }
    }
}

#[test]
fn every_edge_is_taken_by_some_shape() {
    for row in TABLE {
        for next in row.next {
            let taken = table::SHAPES.iter().any(|(_, _, path)| {
                path.windows(2)
                    .any(|pair| pair[0] == row.name && pair[1] == *next)
            });
            assert!(taken, "no shape takes {} -> {next}", row.name);
        }
    }
}

mod tls13 {
    //! The second table: the same checks, and its rows against s2n-tls's
    //! `tls13_state_machine[]`.

    use tlstate::enums::{ContentType, HandshakeType};
    use tlstate::handshake::tls13::table::{self, SHAPES, TABLE};

    #[test]
    fn every_edge_names_a_row_and_every_shape_walks_edges() {
        for row in TABLE {
            for next in row.next {
                assert!(table::row(next).is_some(), "{} -> {next}", row.name);
            }
        }
        for (_, name, path) in SHAPES {
            assert_eq!(path.first(), Some(&"ClientHello"), "{name}");
            assert_eq!(path.last(), Some(&"HandshakeOver"), "{name}");
            for pair in path.windows(2) {
                let row = table::row(pair[0]).unwrap();
                assert!(
                    row.next.contains(&pair[1]),
                    "{name}: {} -> {} is not an edge",
                    pair[0],
                    pair[1]
                );
            }
        }
    }

    #[test]
    fn every_edge_is_taken_by_some_shape() {
        for row in TABLE {
            for next in row.next {
                let taken = SHAPES.iter().any(|(_, _, path)| {
                    path.windows(2)
                        .any(|pair| pair[0] == row.name && pair[1] == *next)
                });
                assert!(taken, "no shape takes {} -> {next}", row.name);
            }
        }
    }

    #[test]
    fn table_matches_the_s2n_tls13_rows() {
        // s2n-tls's tls13_state_machine[] (tls/s2n_handshake_io.c): the
        // rows TLS 1.3 has, with their writers (s2n-tls's END_OF_EARLY_DATA
        // is written by the client, as here); its PSK shapes take the same
        // rows.
        let expected = [
            ("ClientHello", "C", Some(HandshakeType::ClientHello)),
            ("HelloRetryRequest", "S", Some(HandshakeType::ServerHello)),
            ("ServerHello", "S", Some(HandshakeType::ServerHello)),
            ("ServerChangeCipherSpec", "S", None),
            ("ClientChangeCipherSpec", "C", None),
            (
                "EncryptedExtensions",
                "S",
                Some(HandshakeType::EncryptedExtensions),
            ),
            (
                "ServerCertReq",
                "S",
                Some(HandshakeType::CertificateRequest),
            ),
            ("ServerCert", "S", Some(HandshakeType::Certificate)),
            (
                "ServerCertVerify",
                "S",
                Some(HandshakeType::CertificateVerify),
            ),
            ("ServerFinished", "S", Some(HandshakeType::Finished)),
            ("EndOfEarlyData", "C", Some(HandshakeType::EndOfEarlyData)),
            ("ClientCert", "C", Some(HandshakeType::Certificate)),
            (
                "ClientCertVerify",
                "C",
                Some(HandshakeType::CertificateVerify),
            ),
            ("ClientFinished", "C", Some(HandshakeType::Finished)),
            ("HandshakeOver", "B", None),
        ];
        let rows: Vec<_> = TABLE
            .iter()
            .map(|r| (r.name, r.writer.letter(), r.message))
            .collect();
        assert_eq!(rows, expected);
        for row in TABLE {
            let is_ccs = row.name.ends_with("ChangeCipherSpec");
            assert_eq!(row.record == ContentType::ChangeCipherSpec, is_ccs);
        }
    }

    #[test]
    fn the_certificate_request_is_optional_and_nothing_skips_the_certificate_verify() {
        let req = table::row("ServerCertReq").unwrap();
        assert!(req.accepts(ContentType::Handshake, Some(HandshakeType::Certificate)));
        let cert = table::row("ServerCert").unwrap();
        assert_eq!(cert.next, ["ServerCertVerify"]);
        assert!(!cert.accepts(ContentType::Handshake, Some(HandshakeType::Finished)));
        let cv = table::row("ServerCertVerify").unwrap();
        assert_eq!(cv.next, ["ServerFinished"]);
    }
}
