#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! Bad input found by a QA pass over the headless CLI: damaged stores that make redb panic, a damaged spec,
//! a data dir that is a file, non-UTF-8 paths, negative limits, applying a draft twice.

mod common;

use std::path::Path;

use common::{ok, run, sample_repo};
use kata_cloud::store::tables;

fn assert_one_line(r: &common::Ran) {
    assert!(r.stdout.is_empty(), "stdout must be empty: {}", r.stdout);
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "one line on stderr:\n{}",
        r.stderr
    );
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
}

/// A data dir with one completed run in `repo`.
fn one_run(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf, serde_json::Value) {
    let repo = tmp.join("repo");
    sample_repo(&repo);
    let data = tmp.join("data");
    let (_, finished) = common::run_json(
        &data,
        repo.to_str().unwrap(),
        "add retry to the http client",
    );
    assert!(!finished["context"]["items"].as_array().unwrap().is_empty());
    (repo, data, finished)
}

#[test]
fn a_store_whose_keys_redb_cannot_decode_exits_3_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, data, finished) = one_run(tmp.path());
    // Make every copy of the space id (keys included) invalid UTF-8: redb unwraps the key decode and panics.
    let space_id = finished["space_id"].as_str().unwrap().as_bytes().to_vec();
    let store = data.join("kata.redb");
    let mut bytes = std::fs::read(&store).unwrap();
    let mut hits = 0;
    let mut i = 0;
    while i + space_id.len() <= bytes.len() {
        if bytes[i..i + space_id.len()] == space_id[..] {
            bytes[i + space_id.len() - 1] = 0xff;
            hits += 1;
        }
        i += 1;
    }
    assert!(hits > 0, "the space id is in the file");
    std::fs::write(&store, &bytes).unwrap();

    for args in [
        vec!["space", "list"],
        vec!["--json", "runs", "list"],
        vec!["doctor"],
        vec!["run", "--space", repo.to_str().unwrap(), "--prompt", "x"],
    ] {
        let r = run(&data, &args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        // Values met before the panic may be quarantined first (a logged warning); one error line.
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        assert_eq!(
            r.stderr
                .lines()
                .filter(|l| l.starts_with("error: "))
                .count(),
            1,
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("internal error"), "{}", r.stderr);
        assert!(r.stderr.contains("damaged"), "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("mv {}", store.display())),
            "says what to do: {}",
            r.stderr
        );
    }
}

#[test]
fn a_damaged_spec_is_quarantined_and_the_history_still_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let run_id = finished["id"].as_str().unwrap();
    let session = finished["session_id"].as_str().unwrap();
    ok(&data, &["spec", "apply", run_id]);
    common::write_raw(&data, |txn| {
        txn.open_table(tables::SPECS)
            .unwrap()
            .insert(session, b"{\"content\": \"\x01".as_slice())
            .unwrap();
    });

    let listed = ok(&data, &["--json", "runs", "list"]).json();
    assert_eq!(listed[0]["id"], run_id);
    let shown = ok(&data, &["--json", "runs", "show", run_id]).json();
    assert_eq!(shown["status"], "completed");
    let doctor = ok(&data, &["--json", "doctor"]).json();
    assert!(
        doctor
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "quarantine"
                && c["status"] == "warn"
                && c["detail"].as_str().unwrap().contains("specs_v1")),
        "{doctor}"
    );
}

#[test]
fn a_data_dir_that_is_a_file_or_a_store_that_is_a_directory_exits_3_saying_so() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("data-file");
    std::fs::write(&file, "x").unwrap();
    let r = run(&file, &["space", "list"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("is a file"), "{}", r.stderr);
    assert!(r.stderr.contains("--data-dir"), "{}", r.stderr);

    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("kata.redb")).unwrap();
    let r = run(&data, &["runs", "list"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn a_directory_whose_name_is_not_utf8_is_refused_as_input() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(std::ffi::OsStr::from_bytes(b"repo-\xff"));
    std::fs::create_dir_all(&dir).unwrap();
    let data = tmp.path().join("data");
    let r = common::ran(
        common::kata(&data)
            .arg("space")
            .arg("add")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("not valid UTF-8"), "{}", r.stderr);
    let spaces = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(spaces.as_array().unwrap().len(), 0);
}

#[test]
fn a_negative_limit_gets_the_range_message() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    for limit in ["-1", "0", "101"] {
        let r = run(
            &data,
            &[
                "context",
                "query",
                "--space",
                repo.to_str().unwrap(),
                "--prompt",
                "retry",
                "--limit",
                limit,
            ],
        );
        assert_eq!(r.code, 2, "{limit}: {}", r.stderr);
        assert_one_line(&r);
        assert!(
            r.stderr.contains(&format!(
                "--limit {limit} is out of range: pass a number from 1 to 100"
            )),
            "{}",
            r.stderr
        );
    }
}

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

#[test]
fn an_unknown_model_provider_is_named_once_with_a_next_step() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let r = run(
        &data,
        &[
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "x",
            "--provider",
            "bogus",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("\"bogus\""), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("openai-compatible").count(),
        1,
        "the provider list once: {}",
        r.stderr
    );
}

#[test]
fn an_mcp_command_that_cannot_be_split_is_refused_at_space_add() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let r = run(
        &data,
        &[
            "space",
            "add",
            repo.to_str().unwrap(),
            "--mcp-command",
            "\"unterminated",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("unterminated quote"), "{}", r.stderr);
    assert!(r.stderr.contains("--mcp-command"), "{}", r.stderr);
    let spaces = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(spaces.as_array().unwrap().len(), 0, "nothing was linked");
}

#[test]
fn a_space_whose_directory_is_gone_is_still_found_by_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, data, finished) = one_run(tmp.path());
    std::fs::remove_dir_all(&repo).unwrap();
    let path = repo.to_str().unwrap();

    let listed = ok(&data, &["--json", "runs", "list", "--space", path]).json();
    assert_eq!(listed[0]["id"], finished["id"]);
    assert_eq!(
        listed[0]["stale"]["reasons"][0]["kind"], "source_missing",
        "{listed}"
    );

    // A run there fails with the context error that says what is wrong, instead of "no space".
    let r = run(&data, &["--json", "run", "--space", path, "--prompt", "x"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let last = r.json_lines().pop().unwrap();
    assert_eq!(last["run"]["status"], "failed");
    assert_eq!(last["run"]["space_id"], finished["space_id"]);
    assert_eq!(last["run"]["error"]["code"], "invalid_root_path");
}

#[test]
fn runs_show_aligns_the_task_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let text = ok(&data, &["runs", "show", finished["id"].as_str().unwrap()]).stdout;
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Tasks:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  t"))
        .collect();
    assert!(rows.len() >= 2, "{text}");
    // Every row has its status (and so its title) in the same column, whatever the specialist's name.
    let status_columns: Vec<usize> = rows.iter().map(|r| r.find("completed").unwrap()).collect();
    assert!(
        status_columns.iter().all(|c| *c == status_columns[0]),
        "{rows:#?}"
    );
}

#[cfg(unix)]
#[test]
fn a_non_utf8_argument_is_named_with_its_flag() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let r = common::ran(
        common::kata(&tmp.path().join("data"))
            .args(["run", "--space", "/tmp", "--prompt"])
            .arg(std::ffi::OsStr::from_bytes(b"\xff\xfe retry"))
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(
        r.stderr.contains("the value of --prompt") && r.stderr.contains("not valid UTF-8"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_empty_kata_data_dir_is_named() {
    let r = common::ran(
        std::process::Command::new(common::bin())
            .args(["space", "list"])
            .env("KATA_DATA_DIR", "")
            .env("KATA_KEYRING", "off")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(
        r.stderr.contains("KATA_DATA_DIR is set but empty"),
        "{}",
        r.stderr
    );
}

#[test]
fn detach_without_a_writable_log_directory_names_it_and_leaves_no_run() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    ok(&data, &["space", "list"]);
    // `logs` is a file, so the background run's log cannot be created.
    std::fs::write(data.join("logs"), "not a directory").unwrap();
    let r = run(
        &data,
        &[
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry",
            "--detach",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_one_line(&r);
    assert!(
        r.stderr.contains(data.join("logs").to_str().unwrap()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--data-dir"), "{}", r.stderr);
    let runs = ok(&data, &["--json", "runs", "list"]).json();
    assert_eq!(runs.as_array().unwrap().len(), 0, "no run left queued");
}

#[test]
fn an_id_of_the_wrong_kind_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let run_id = finished["id"].as_str().unwrap();
    let space = finished["space_id"].as_str().unwrap();
    let session = finished["session_id"].as_str().unwrap();
    for (args, hint) in [
        (vec!["runs", "show", space], "(that is a space id)"),
        (vec!["runs", "cancel", session], "(that is a session id)"),
        (vec!["spec", "apply", space], "(that is a space id)"),
        (
            vec!["run", "--space", run_id, "--prompt", "x"],
            "(that is a run id)",
        ),
        (
            vec![
                "run",
                "--space",
                space,
                "--session",
                run_id,
                "--prompt",
                "x",
            ],
            "(that is a run id)",
        ),
        (
            vec!["runs", "list", "--session", space],
            "(that is a space id)",
        ),
        (
            vec!["spec", "show", "--session", run_id],
            "(that is a run id)",
        ),
    ] {
        let r = run(&data, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_one_line(&r);
        assert!(r.stderr.contains(hint), "{args:?}: {}", r.stderr);
    }
    let r = run(&data, &["runs", "show", "nope"]);
    assert!(!r.stderr.contains("(that is"), "{}", r.stderr);
}

#[test]
fn a_session_of_another_space_is_named_with_its_space() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let session = finished["session_id"].as_str().unwrap();
    let space = finished["space_id"].as_str().unwrap();
    let other = tmp.path().join("other");
    sample_repo(&other);
    let r = run(
        &data,
        &[
            "run",
            "--space",
            other.to_str().unwrap(),
            "--session",
            session,
            "--prompt",
            "x",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(
        r.stderr.contains("belongs to space \"repo\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("--space {space}")),
        "{}",
        r.stderr
    );
}

#[test]
fn the_internal_run_id_flag_never_touches_an_existing_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, data, finished) = one_run(tmp.path());
    let run_id = finished["id"].as_str().unwrap();
    let r = run(
        &data,
        &[
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "other",
            "--run-id",
            run_id,
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("is an existing run"), "{}", r.stderr);
    let shown = ok(&data, &["--json", "runs", "show", run_id]).json();
    assert_eq!(shown["prompt"], finished["prompt"]);
}

#[test]
fn models_and_key_open_the_store_like_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("kata.redb"),
        b"definitely not a redb file, just text",
    )
    .unwrap();
    for args in [
        vec!["models"],
        vec!["--json", "models", "--provider", "offline"],
        vec!["key", "delete", "--provider", "openai"],
    ] {
        let r = run(&data, &args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert_one_line(&r);
        assert!(r.stderr.contains("Move it aside"), "{}", r.stderr);
    }
}

#[test]
fn space_list_lines_up_the_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let short = tmp.path().join("a");
    let long = tmp.path().join("a-much-longer-name");
    for dir in [&short, &long] {
        std::fs::create_dir_all(dir).unwrap();
        ok(&data, &["space", "add", dir.to_str().unwrap()]);
    }
    let text = ok(&data, &["space", "list"]).stdout;
    let columns: Vec<usize> = text
        .lines()
        .map(|l| l.find(tmp.path().to_str().unwrap()).unwrap())
        .collect();
    assert_eq!(columns.len(), 2, "{text}");
    assert_eq!(columns[0], columns[1], "{text}");
}

#[test]
fn relinking_with_other_options_updates_the_space() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let path = repo.to_str().unwrap();
    let first = ok(&data, &["--json", "space", "add", path]).json();
    assert_eq!(first["context_provider"], "filesystem");

    // The MCP command the context errors tell the user to set, on a space that exists.
    let fixture = env!("CARGO_BIN_EXE_kata-mcp-fixture");
    let command = format!("{fixture} --mode search");
    let updated = ok(
        &data,
        &["--json", "space", "add", path, "--mcp-command", &command],
    )
    .json();
    assert_eq!(updated["id"], first["id"]);
    assert_eq!(updated["context_provider"], "mcp");
    assert_eq!(updated["mcp_command"], command.as_str());
    assert_eq!(updated["created_at"], first["created_at"]);
    let listed = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0], updated);
    let answer = ok(
        &data,
        &[
            "--json",
            "context",
            "query",
            "--space",
            path,
            "--prompt",
            "http client",
        ],
    )
    .json();
    assert_eq!(answer["provider"], "mcp", "{answer}");

    // Back to filesystem, and a new name; the same options again change nothing.
    let back = ok(
        &data,
        &[
            "space",
            "add",
            path,
            "--context-provider",
            "filesystem",
            "--name",
            "demo",
        ],
    );
    assert!(back.stdout.starts_with("updated "), "{}", back.stdout);
    let same = ok(&data, &["space", "add", path, "--name", "demo"]);
    assert!(
        same.stdout.starts_with("already linked: "),
        "{}",
        same.stdout
    );
    let listed = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(listed[0]["name"], "demo");
    assert_eq!(listed[0]["context_provider"], "filesystem");
}

#[test]
fn a_failed_run_also_says_so_in_one_line_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    // Connection refused: a port with nothing listening.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    for json in [false, true] {
        let mut cmd = common::kata(&data);
        if json {
            cmd.arg("--json");
        }
        let r = common::ran(
            cmd.args([
                "run",
                "--space",
                repo.to_str().unwrap(),
                "--prompt",
                "add retry",
            ])
            .env("ANTHROPIC_API_KEY", "sk-qa-test")
            .env("ANTHROPIC_BASE_URL", &base)
            .env("KATA_PROVIDER_BACKOFF_MS", "1")
            .output()
            .unwrap(),
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(!r.stdout.is_empty(), "the run is still shown on stdout");
        let errors: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{}", r.stderr);
        assert!(
            errors[0].contains("ended failed: unavailable"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("sk-qa-test"));
    }
}

/// The pid of the background `kata-cloud` whose command line names `needle`.
#[cfg(target_os = "linux")]
fn worker_pid(needle: &str) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (cmdline.contains("kata-cloud") && cmdline.contains(needle)).then_some(pid)
        })
}

#[cfg(target_os = "linux")]
#[test]
fn resuming_in_the_background_keeps_the_first_attempts_log() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let started = common::ran(
        common::kata(&data)
            .args(["--json", "run", "--space", repo.to_str().unwrap()])
            .args(["--prompt", "add retry to the http client", "--detach"])
            .env("KATA_OFFLINE_STEP_MS", "400")
            .output()
            .unwrap(),
    );
    assert_eq!(started.code, 0, "{}", started.stderr);
    let run_id = started.json()["id"].as_str().unwrap().to_owned();
    let pid = worker_pid(&run_id).expect("the background process is running");
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    // The lock on its lease goes when the kernel closes its files, a moment after the signal.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let shown = ok(&data, &["--json", "runs", "show", &run_id]).json();
        if shown["status"] == "interrupted" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    ok(&data, &["runs", "resume", &run_id, "--detach"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let shown = ok(&data, &["--json", "runs", "show", &run_id]).json();
        if shown["status"] == "completed" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(data.join("logs").join(format!("run-{run_id}.log"))).unwrap();
    assert!(
        log.contains("\"run_created\""),
        "the first attempt's events stay: {log}"
    );
    assert!(log.contains("\"run_finished\""), "{log}");
}

/// `fields` must exist in `value` (a trailing `?` marks an optional one); every `*_at`/`at` is RFC 3339 UTC.
fn check_shape(value: &serde_json::Value, fields: &[&str], what: &str) {
    for field in fields {
        let (name, optional) = match field.strip_suffix('?') {
            Some(name) => (name, true),
            None => (*field, false),
        };
        match value.get(name) {
            None if optional => {}
            None => panic!("{what} lacks {name}: {value}"),
            Some(v) if (name == "at" || name.ends_with("_at")) && !v.is_null() => {
                let text = v.as_str().unwrap_or_else(|| panic!("{what}.{name}: {v}"));
                let parsed = chrono::DateTime::parse_from_rfc3339(text)
                    .unwrap_or_else(|e| panic!("{what}.{name} = {text}: {e}"));
                assert!(
                    parsed.offset().local_minus_utc() == 0 && text.ends_with('Z'),
                    "{what}.{name} = {text}"
                );
            }
            Some(_) => {}
        }
    }
}

fn check_run(run: &serde_json::Value) {
    check_shape(
        run,
        &[
            "id",
            "space_id",
            "session_id",
            "prompt",
            "status",
            "attempt",
            "timeline",
            "created_at",
            "updated_at",
            "completed_at?",
            "interrupted_at?",
            "error?",
            "provider_execution?",
            "context",
            "draft?",
            "tasks",
            "stale",
        ],
        "Run",
    );
    for entry in run["timeline"].as_array().unwrap() {
        check_shape(entry, &["status", "at"], "Run.timeline");
    }
    check_shape(
        &run["context"],
        &[
            "requested_provider",
            "resolved_provider",
            "fallback_from?",
            "snapshot_id?",
            "error?",
            "items",
        ],
        "Run.context",
    );
    for item in run["context"]["items"].as_array().unwrap() {
        check_shape(
            item,
            &[
                "path",
                "start_line",
                "end_line",
                "content_hash",
                "score",
                "rank",
                "excerpt",
            ],
            "ContextItem",
        );
    }
    if let Some(exec) = run.get("provider_execution") {
        check_shape(exec, &["provider", "model", "status"], "provider_execution");
    }
    if let Some(draft) = run.get("draft") {
        check_shape(draft, &["content", "generated_at", "applied_at?"], "draft");
    }
    for task in run["tasks"].as_array().unwrap() {
        check_shape(
            task,
            &[
                "id",
                "kind",
                "specialist",
                "wave",
                "status",
                "timeline",
                "summary?",
                "error?",
            ],
            "task",
        );
        for entry in task["timeline"].as_array().unwrap() {
            check_shape(entry, &["status", "at"], "task.timeline");
        }
    }
    check_shape(&run["stale"], &["is_stale", "reasons"], "stale");
    for reason in run["stale"]["reasons"].as_array().unwrap() {
        check_shape(reason, &["kind", "detail"], "stale.reasons");
        let kind = reason["kind"].as_str().unwrap();
        assert!(
            [
                "source_changed",
                "source_missing",
                "spec_edited",
                "superseded"
            ]
            .contains(&kind),
            "{kind}"
        );
    }
}

#[test]
fn every_json_output_has_the_contract_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, data, finished) = one_run(tmp.path());
    let path = repo.to_str().unwrap();
    let run_id = finished["id"].as_str().unwrap();
    let session = finished["session_id"].as_str().unwrap();
    check_run(&finished);
    let space_fields = [
        "id",
        "name",
        "root_path",
        "context_provider",
        "created_at",
        "updated_at",
    ];
    check_shape(
        &ok(&data, &["--json", "space", "add", path]).json(),
        &space_fields,
        "Space",
    );
    for space in ok(&data, &["--json", "space", "list"])
        .json()
        .as_array()
        .unwrap()
    {
        check_shape(space, &space_fields, "Space");
    }
    // A second run supersedes the first; an edit makes both stale.
    ok(
        &data,
        &[
            "run",
            "--space",
            path,
            "--prompt",
            "add retry to the http client",
        ],
    );
    std::fs::write(repo.join("src/http_client.rs"), "// rewritten\n").unwrap();
    for summary in ok(&data, &["--json", "runs", "list"])
        .json()
        .as_array()
        .unwrap()
    {
        check_shape(
            summary,
            &[
                "id",
                "space_id",
                "session_id",
                "prompt",
                "status",
                "created_at",
                "updated_at",
                "stale",
            ],
            "RunSummary",
        );
        assert_eq!(summary["stale"]["is_stale"], true, "{summary}");
    }
    let shown = ok(&data, &["--json", "runs", "show", run_id]).json();
    check_run(&shown);
    let kinds: Vec<&str> = shown["stale"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"source_changed") && kinds.contains(&"superseded"),
        "{kinds:?}"
    );

    let answer = ok(
        &data,
        &[
            "--json",
            "context",
            "query",
            "--space",
            path,
            "--prompt",
            "http client",
        ],
    )
    .json();
    check_shape(
        &answer,
        &["provider", "fallback_from?", "items", "error?"],
        "ContextResult",
    );
    let spec_fields = [
        "session_id",
        "content",
        "revision",
        "applied_from_run?",
        "updated_at",
    ];
    check_shape(
        &ok(&data, &["--json", "spec", "apply", run_id, "--force"]).json(),
        &spec_fields,
        "Spec",
    );
    check_shape(
        &ok(&data, &["--json", "spec", "show", "--session", session]).json(),
        &spec_fields,
        "Spec",
    );
    for check in ok(&data, &["--json", "doctor"]).json().as_array().unwrap() {
        check_shape(check, &["name", "status", "detail"], "doctor check");
        assert!(["ok", "warn", "fail"].contains(&check["status"].as_str().unwrap()));
    }

    // resume and cancel: a run interrupted by kill -9, then resumed; a detached one cancelled.
    let mut child = common::kata(&data)
        .args([
            "--json",
            "run",
            "--space",
            path,
            "--prompt",
            "log every request",
        ])
        .env("KATA_OFFLINE_STEP_MS", "300")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut first,
    )
    .unwrap();
    let interrupted: serde_json::Value = serde_json::from_str(&first).unwrap();
    let interrupted = interrupted["run"]["id"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let shown = ok(&data, &["--json", "runs", "show", &interrupted]).json();
        if shown["status"] == "interrupted" {
            check_run(&shown);
            check_shape(&shown, &["interrupted_at"], "interrupted Run");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let lines = ok(&data, &["--json", "runs", "resume", &interrupted]).json_lines();
    for line in &lines {
        assert!(line["type"].is_string(), "{line}");
    }
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "run_finished");
    check_run(&last["run"]);

    let detached = common::ran(
        common::kata(&data)
            .args([
                "--json", "run", "--space", path, "--prompt", "slow", "--detach",
            ])
            .env("KATA_OFFLINE_STEP_MS", "2000")
            .output()
            .unwrap(),
    );
    assert_eq!(detached.code, 0, "{}", detached.stderr);
    check_run(&detached.json());
    let id = detached.json()["id"].as_str().unwrap().to_owned();
    let cancelled = ok(&data, &["--json", "runs", "cancel", &id]).json();
    check_run(&cancelled);
    assert_eq!(cancelled["status"], "cancelled");
}
