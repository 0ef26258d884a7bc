//! The lab service in process and virtual boards on PTYs: the service answers REST with the
//! run's owner key and presents a certificate of its lab PKI; a virtual board's console is a
//! PTY that exists while it runs and is gone once its plug is pulled.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use provlab_hil::lab::{LabServer, LabServiceConfig};
use provlab_hil::virtual_board::{VirtualBoard, VirtualBoardSpec};
use provlab_server::api_client::ApiClient;
use provlab_sim::board::{Era, TransportKind};

fn any() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[test]
fn the_lab_service_starts_with_its_own_owner_key_and_lab_root() {
    let dir = tempfile::tempdir().unwrap();
    let lab = LabServer::start(&LabServiceConfig {
        rest: any(),
        https: any(),
        coap: any(),
        hostnames: vec!["provlab-lab.local".to_owned(), "127.0.0.1".to_owned()],
        pki: dir.path().join("pki"),
    })
    .unwrap();
    assert!(lab.root_ca().starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(lab.bound().https.is_some() && lab.bound().coap.is_some());
    let api = ApiClient::new(&lab.rest_url()).unwrap();
    assert_eq!(api.health().unwrap().status, "ok");
    let me = api.with_key(lab.owner_key()).me().unwrap();
    assert_eq!(me.name, "owner");
    // The same PKI directory gives the same root on the next run (boards keep trusting it).
    let root = lab.root_ca().to_owned();
    drop(lab);
    let again = LabServer::start(&LabServiceConfig {
        rest: any(),
        https: any(),
        coap: any(),
        hostnames: vec!["provlab-lab.local".to_owned()],
        pki: dir.path().join("pki"),
    })
    .unwrap();
    assert_eq!(again.root_ca(), root);
}

#[test]
fn a_virtual_board_console_is_a_pty_until_its_plug_is_pulled() {
    let mut board = VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: 9,
        seed: 7,
        root_ca: None,
    })
    .unwrap();
    let path = board.console().to_path_buf();
    assert!(path.exists(), "{}", path.display());
    assert_eq!(board.device_uuid().len(), 36);
    board.pull_plug();
    assert!(!path.exists(), "{} still exists", path.display());
}
