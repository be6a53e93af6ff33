//! `spec apply`: applying the draft that already is the session's spec makes no new revision.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{ok, one_run};

#[test]
fn applying_the_same_draft_twice_makes_no_new_revision() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let run_id = finished["id"].as_str().unwrap();
    let first = ok(&data, &["--json", "spec", "apply", run_id]).json();
    let second = ok(&data, &["--json", "spec", "apply", run_id]).json();
    assert_eq!(first["revision"], 1);
    assert_eq!(second, first);
    let shown = ok(&data, &["--json", "runs", "show", run_id]).json();
    assert_eq!(shown["draft"]["applied_at"], first["updated_at"]);
    assert_eq!(shown["stale"]["is_stale"], false);
}
