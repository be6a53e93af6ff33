//! The CLI's JSON output on a fixed store stays exactly what it was: the store in `tests/fixtures/golden`
//! was made by the build before the application API existed (see the README there), and each `.json` file
//! beside it is what that build printed. A refactor that changes one byte of these outputs fails here.

mod common;

use std::path::Path;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/golden");

/// (expected output file, arguments after `--json`).
const CASES: &[(&str, &[&str])] = &[
    ("space_list", &["space", "list"]),
    ("runs_list", &["runs", "list"]),
    (
        "runs_list_space_demo",
        &["runs", "list", "--space", "sp01m8qr7hyb498rqy"],
    ),
    (
        "runs_list_session_demo",
        &["runs", "list", "--session", "se01m8qr7hyq3007f8"],
    ),
    (
        "runs_show_r01m8qr7vw8amgev9",
        &["runs", "show", "r01m8qr7vw8amgev9"],
    ),
    (
        "runs_show_r01m8qr7vrv5c2mwj",
        &["runs", "show", "r01m8qr7vrv5c2mwj"],
    ),
    (
        "runs_show_r01m8qr7tzvcxnxa0",
        &["runs", "show", "r01m8qr7tzvcxnxa0"],
    ),
    (
        "runs_show_r01m8qr7skv0nebcc",
        &["runs", "show", "r01m8qr7skv0nebcc"],
    ),
    (
        "runs_show_r01m8qr7hys35ecwx",
        &["runs", "show", "r01m8qr7hys35ecwx"],
    ),
    (
        "spec_show_demo",
        &["spec", "show", "--session", "se01m8qr7hyq3007f8"],
    ),
    (
        "spec_show_plain",
        &["spec", "show", "--session", "se01m8qr7vw5a7srs1"],
    ),
];

#[test]
fn json_outputs_on_the_fixed_store_are_unchanged() {
    let data = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(FIXTURE).join("store.redb"),
        data.path().join("kata.redb"),
    )
    .unwrap();
    let mut differing = Vec::new();
    for (name, args) in CASES {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = common::run(data.path(), &full);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        let expected =
            std::fs::read_to_string(Path::new(FIXTURE).join(format!("{name}.json"))).unwrap();
        if out.stdout != expected {
            differing.push(format!(
                "{name} (kata-cloud --json {}):\n--- expected\n{expected}\n--- got\n{}",
                args.join(" "),
                out.stdout
            ));
        }
    }
    assert!(differing.is_empty(), "{}", differing.join("\n"));
}
