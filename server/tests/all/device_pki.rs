//! The lab PKI: created on first start, reloaded after, a new server certificate when the
//! host names change, and typed errors naming the file when something is wrong.

#![allow(clippy::unwrap_used)]

use std::fs;

use provlab_server::device::pki::{
    LabPki, PkiError, ROOT_CA_FILE, ROOT_CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE,
};

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn first_start_creates_the_files_and_a_restart_reloads_them() {
    let dir = tempfile::tempdir().unwrap();
    let pki_dir = dir.path().join("pki");
    let first = LabPki::load_or_create(&pki_dir, &names(&["localhost", "127.0.0.1"])).unwrap();
    for file in [
        ROOT_CA_FILE,
        ROOT_CA_KEY_FILE,
        SERVER_CERT_FILE,
        SERVER_KEY_FILE,
    ] {
        assert!(pki_dir.join(file).is_file(), "{file}");
    }
    assert_eq!(first.root_ca_path(), pki_dir.join("root-ca.pem"));
    let pem = fs::read_to_string(first.root_ca_path()).unwrap();
    assert_eq!(pem, first.root_ca_pem());
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(pki_dir.join(ROOT_CA_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the CA key is private");
    }
    let again = LabPki::load_or_create(&pki_dir, &names(&["localhost"])).unwrap();
    assert_eq!(again.root_ca_pem(), first.root_ca_pem());
    assert_eq!(
        again.server_cert_der(),
        first.server_cert_der(),
        "still valid: kept"
    );
    assert!(first.rustls_server_config().is_ok());
}

#[test]
fn new_host_names_get_a_new_server_certificate_from_the_same_ca() {
    let dir = tempfile::tempdir().unwrap();
    let first = LabPki::load_or_create(dir.path(), &names(&["localhost"])).unwrap();
    let second =
        LabPki::load_or_create(dir.path(), &names(&["localhost", "provisioning.lab"])).unwrap();
    assert_eq!(second.root_ca_pem(), first.root_ca_pem());
    assert_ne!(second.server_cert_der(), first.server_cert_der());
    // And it is the one on disk now.
    let third = LabPki::load_or_create(dir.path(), &names(&["provisioning.lab"])).unwrap();
    assert_eq!(third.server_cert_der(), second.server_cert_der());
}

#[test]
fn problems_are_typed_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        LabPki::load_or_create(dir.path(), &[]),
        Err(PkiError::NoHostnames)
    ));
    assert!(matches!(
        LabPki::load_or_create(dir.path(), &names(&["not a host"])),
        Err(PkiError::BadHostname { .. })
    ));
    LabPki::load_or_create(dir.path(), &names(&["localhost"])).unwrap();
    let ca = dir.path().join(ROOT_CA_FILE);
    let ca_key = dir.path().join(ROOT_CA_KEY_FILE);

    // A CA certificate that is not PEM.
    let saved = fs::read(&ca).unwrap();
    fs::write(&ca, "garbage").unwrap();
    let err = LabPki::load_or_create(dir.path(), &names(&["localhost"])).unwrap_err();
    assert!(
        matches!(&err, PkiError::BadPem { path, .. } if *path == ca),
        "{err}"
    );
    assert!(err.to_string().contains("root-ca.pem"), "{err}");
    fs::write(&ca, &saved).unwrap();

    // The CA key of another CA.
    let other = tempfile::tempdir().unwrap();
    LabPki::load_or_create(other.path(), &names(&["localhost"])).unwrap();
    let saved_key = fs::read(&ca_key).unwrap();
    fs::copy(other.path().join(ROOT_CA_KEY_FILE), &ca_key).unwrap();
    let err = LabPki::load_or_create(dir.path(), &names(&["localhost"])).unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch { .. }), "{err}");
    assert!(err.to_string().contains("root-ca.key.pem"), "{err}");
    fs::write(&ca_key, &saved_key).unwrap();

    // A CA certificate without its key is never replaced.
    fs::remove_file(&ca_key).unwrap();
    let err = LabPki::load_or_create(dir.path(), &names(&["localhost"])).unwrap_err();
    assert!(
        matches!(&err, PkiError::Incomplete { present, missing } if *present == ca && *missing == ca_key),
        "{err}"
    );
    assert_eq!(
        fs::read(&ca).unwrap(),
        saved,
        "the CA certificate is untouched"
    );
}

#[test]
fn a_damaged_server_certificate_is_reissued() {
    let dir = tempfile::tempdir().unwrap();
    let first = LabPki::load_or_create(dir.path(), &names(&["localhost"])).unwrap();
    // A server certificate signed by another CA (copied from another lab): reissued.
    let other = tempfile::tempdir().unwrap();
    LabPki::load_or_create(other.path(), &names(&["localhost"])).unwrap();
    for file in [SERVER_CERT_FILE, SERVER_KEY_FILE] {
        fs::copy(other.path().join(file), dir.path().join(file)).unwrap();
    }
    let again = LabPki::load_or_create(dir.path(), &names(&["localhost"])).unwrap();
    assert_eq!(again.root_ca_pem(), first.root_ca_pem());
    let foreign = fs::read(other.path().join(SERVER_CERT_FILE)).unwrap();
    assert_ne!(
        fs::read(dir.path().join(SERVER_CERT_FILE)).unwrap(),
        foreign
    );
}
