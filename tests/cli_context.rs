//! Context retrieval through the real binary: provenance and derived staleness, `context query`
//! consistency across processes and a damaged index, MCP against a real server process and its fallback,
//! and relevance on this repository.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::{Path, PathBuf};

use common::{HTTP_CLIENT_RS, ok, sample_repo};
use serde_json::Value;

/// The MCP server built from `tests/support/mcp_fixture_server.rs`.
fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kata-mcp-fixture"))
}

fn run_json(data: &Path, space: &str, prompt: &str) -> Value {
    let (_, run) = common::run_json(data, space, prompt);
    assert_eq!(run["status"], "completed", "{run}");
    run
}

fn show(data: &Path, run_id: &str) -> Value {
    ok(data, &["--json", "runs", "show", run_id]).json()
}

fn listed_stale(data: &Path, run_id: &str) -> Value {
    let list = ok(data, &["--json", "runs", "list"]).json();
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == run_id)
        .expect("the run is listed")["stale"]
        .clone()
}

fn query(data: &Path, space: &str, prompt: &str, extra: &[&str]) -> (String, Value) {
    let mut args = vec![
        "--json", "context", "query", "--space", space, "--prompt", prompt,
    ];
    args.extend_from_slice(extra);
    let r = ok(data, &args);
    let v = r.json();
    (r.stdout, v)
}

/// Every item names a real file under `root`, real lines of it, its excerpt, and its current hash.
fn assert_items_point_at_real_lines(root: &Path, items: &[Value]) {
    assert!(!items.is_empty());
    for (n, item) in items.iter().enumerate() {
        assert_eq!(item["rank"].as_u64().unwrap(), n as u64 + 1, "{item}");
        let bytes = std::fs::read(root.join(item["path"].as_str().unwrap())).unwrap();
        assert_eq!(
            item["content_hash"].as_str().unwrap(),
            blake3::hash(&bytes).to_hex().as_str()
        );
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let start = item["start_line"].as_u64().unwrap() as usize;
        let end = item["end_line"].as_u64().unwrap() as usize;
        assert!(start >= 1 && start <= end && end <= lines.len(), "{item}");
        assert_eq!(
            item["excerpt"].as_str().unwrap(),
            lines[start - 1..end].join("\n"),
            "{item}"
        );
    }
}

#[test]
fn staleness_follows_the_files_a_run_drew_from() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let run = run_json(
        &data,
        repo.to_str().unwrap(),
        "add retry to the http client",
    );
    let id = run["id"].as_str().unwrap();
    let items = run["context"]["items"].as_array().unwrap();
    assert_items_point_at_real_lines(&repo, items);
    assert_eq!(items[0]["path"], "src/http_client.rs");
    assert_eq!(show(&data, id)["stale"]["is_stale"], false);
    assert_eq!(listed_stale(&data, id)["is_stale"], false);

    // Edit: stale, naming the file, in `runs show` and `runs list`.
    let file = repo.join("src/http_client.rs");
    std::fs::write(&file, format!("{HTTP_CLIENT_RS}// retry later\n")).unwrap();
    let stale = show(&data, id)["stale"].clone();
    assert_eq!(stale["is_stale"], true, "{stale}");
    assert_eq!(stale["reasons"][0]["kind"], "source_changed");
    assert_eq!(stale["reasons"][0]["detail"], "src/http_client.rs");
    assert_eq!(listed_stale(&data, id), stale);

    // Delete: source_missing.
    std::fs::remove_file(&file).unwrap();
    let stale = show(&data, id)["stale"].clone();
    assert_eq!(stale["reasons"][0]["kind"], "source_missing", "{stale}");
    assert_eq!(stale["reasons"][0]["detail"], "src/http_client.rs");
    assert_eq!(listed_stale(&data, id), stale);

    // Restore the content: fresh again.
    std::fs::write(&file, HTTP_CLIENT_RS).unwrap();
    assert_eq!(
        show(&data, id)["stale"],
        serde_json::json!({"is_stale": false, "reasons": []})
    );
    assert_eq!(listed_stale(&data, id)["is_stale"], false);
}

#[test]
fn context_query_is_identical_across_processes_and_a_damaged_index() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let space = repo.to_str().unwrap();

    let (first, v) = query(&data, space, "http client get url", &["--limit", "5"]);
    assert_eq!(v["provider"], "filesystem");
    assert!(v.get("fallback_from").is_none() && v.get("error").is_none());
    let items = v["items"].as_array().unwrap();
    assert_items_point_at_real_lines(&repo, items);
    assert!(items.len() <= 5);
    assert_eq!(items[0]["path"], "src/http_client.rs");
    assert!(items.iter().all(|i| {
        let p = i["path"].as_str().unwrap();
        !p.starts_with("target/") && !p.ends_with(".bin")
    }));

    // The index was persisted under the data dir.
    let index_files: Vec<PathBuf> = std::fs::read_dir(data.join("index"))
        .unwrap()
        .map(|e| e.unwrap().path().join("index.bin"))
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(index_files.len(), 1, "one index for one root");

    // A new process (a restart) answers byte for byte the same, from the saved index.
    let (second, _) = query(&data, space, "http client get url", &["--limit", "5"]);
    assert_eq!(first, second);

    // A damaged index is rebuilt silently, with the same answer.
    std::fs::write(&index_files[0], b"KATAIDX1 garbage").unwrap();
    let r = ok(
        &data,
        &[
            "--json",
            "context",
            "query",
            "--space",
            space,
            "--prompt",
            "http client get url",
            "--limit",
            "5",
        ],
    );
    assert_eq!(r.stdout, first);
    assert!(
        std::fs::read(&index_files[0]).unwrap().len() > 100,
        "rewritten"
    );

    // An edit shows up at once, with the new hash.
    std::fs::write(
        repo.join("src/db.rs"),
        "pub fn connect(url: &str) -> bool {\n    // the http client get url path\n    !url.is_empty()\n}\n",
    )
    .unwrap();
    let (_, v) = query(&data, space, "http client get url", &["--limit", "5"]);
    assert_items_point_at_real_lines(&repo, v["items"].as_array().unwrap());
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["path"] == "src/db.rs")
    );
}

#[test]
fn an_mcp_server_that_does_not_start_falls_back_to_the_filesystem() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    for (name, command) in [
        ("missing", "/nonexistent/kata-mcp-server --stdio".to_owned()),
        (
            "exits",
            format!("{} --mode exit", fixture().to_str().unwrap()),
        ),
    ] {
        let data = tmp.path().join(format!("data-{name}"));
        ok(
            &data,
            &[
                "space",
                "add",
                repo.to_str().unwrap(),
                "--mcp-command",
                &command,
            ],
        );
        let run = run_json(
            &data,
            repo.to_str().unwrap(),
            "add retry to the http client",
        );
        let context = &run["context"];
        assert_eq!(context["requested_provider"], "mcp", "{name}: {context}");
        assert_eq!(context["resolved_provider"], "filesystem", "{name}");
        assert_eq!(context["fallback_from"], "mcp", "{name}");
        let error = &context["error"];
        assert!(
            ["provider_unavailable", "io_failure"].contains(&error["code"].as_str().unwrap()),
            "{name}: {error}"
        );
        assert_eq!(error["provider"], "mcp");
        assert!(!error["message"].as_str().unwrap().is_empty());
        assert!(
            error["remediation"]
                .as_str()
                .unwrap()
                .contains("--mcp-command")
        );
        assert!(error["retryable"].is_boolean());
        assert_items_point_at_real_lines(&repo, context["items"].as_array().unwrap());
        if name == "exits" {
            // What the server said on stderr is kept for the user.
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains("exiting before the handshake"),
                "{error}"
            );
        }

        // `context query` says the same.
        let (_, v) = query(&data, repo.to_str().unwrap(), "http client", &[]);
        assert_eq!(v["provider"], "filesystem");
        assert_eq!(v["fallback_from"], "mcp");
        assert_eq!(v["error"]["code"], error["code"]);
    }
}

#[test]
fn a_configured_mcp_server_answers_the_run_and_context_query() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let space = repo.to_str().unwrap();
    ok(
        &data,
        &[
            "space",
            "add",
            space,
            "--mcp-command",
            fixture().to_str().unwrap(),
        ],
    );
    let run = run_json(&data, space, "add retry to the http client");
    let context = &run["context"];
    assert_eq!(context["resolved_provider"], "mcp", "{context}");
    assert!(context.get("fallback_from").is_none(), "{context}");
    assert!(context.get("error").is_none(), "{context}");
    let items = context["items"].as_array().unwrap();
    assert_items_point_at_real_lines(&repo, items);
    // The fixture answers with one three-line window per file around its best line, which the
    // filesystem provider never does for this file.
    let first = &items[0];
    assert_eq!(first["path"], "src/http_client.rs");
    assert_eq!(
        first["end_line"].as_u64().unwrap() - first["start_line"].as_u64().unwrap(),
        2
    );
    // MCP items are provenance like any other: editing the file makes the run stale.
    std::fs::write(
        repo.join("src/http_client.rs"),
        format!("{HTTP_CLIENT_RS}\n// edited\n"),
    )
    .unwrap();
    let stale = show(&data, run["id"].as_str().unwrap())["stale"].clone();
    assert_eq!(stale["reasons"][0]["kind"], "source_changed", "{stale}");
    assert_eq!(stale["reasons"][0]["detail"], "src/http_client.rs");

    let (_, v) = query(&data, space, "http client", &["--limit", "2"]);
    assert_eq!(v["provider"], "mcp", "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    // An explicit provider overrides the space's.
    let (_, v) = query(&data, space, "http client", &["--provider", "filesystem"]);
    assert_eq!(v["provider"], "filesystem");

    // A server without a search tool: its resources are read and ranked.
    let data2 = tmp.path().join("data-resources");
    let command = format!("{} --mode resources", fixture().to_str().unwrap());
    ok(&data2, &["space", "add", space, "--mcp-command", &command]);
    let (_, v) = query(&data2, space, "http client", &["--limit", "3"]);
    assert_eq!(v["provider"], "mcp", "{v}");
    assert_items_point_at_real_lines(&repo, v["items"].as_array().unwrap());
    assert_eq!(v["items"][0]["path"], "src/http_client.rs");
}

#[test]
fn identifier_queries_rank_the_defining_file_in_the_top_three() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let root = env!("CARGO_MANIFEST_DIR");
    for (prompt, defining) in [
        ("owner alive", "src/store/ownership.rs"),
        ("planned tasks", "src/model/spec.rs"),
        ("move to quarantine", "src/store/quarantine.rs"),
        ("missing sections", "src/model/spec.rs"),
        ("split identifier", "src/context/tokenize.rs"),
        ("chunk count", "src/context/chunk.rs"),
    ] {
        let (_, v) = query(
            &data,
            root,
            prompt,
            &["--limit", "8", "--provider", "filesystem"],
        );
        let paths: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["path"].as_str().unwrap())
            .collect();
        assert!(
            paths.iter().take(3).any(|p| *p == defining),
            "{prompt:?}: expected {defining} among the top 3 items, got {paths:?}"
        );
    }
}

/// Start and call timeouts, through the library against the real server process.
#[test]
fn mcp_timeouts_become_typed_errors_and_fall_back() {
    use kata_cloud::context::mcp::Timeouts;
    use kata_cloud::context::{ContextEngine, ContextRequest};
    use kata_cloud::model::ContextProviderKind;
    use std::time::{Duration, Instant};

    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let engine = ContextEngine::new();
    let timeouts = Timeouts {
        start: Duration::from_millis(800),
        call: Duration::from_millis(800),
    };
    for (mode, code, what) in [
        ("hang", "provider_unavailable", "initialize"),
        ("slow", "io_failure", "answer the search"),
    ] {
        let request = ContextRequest {
            root: repo.clone(),
            query: "http client".to_owned(),
            limit: 3,
            requested: ContextProviderKind::Mcp,
            mcp_command: Some(format!("{} --mode {mode}", fixture().display())),
        };
        let started = Instant::now();
        let result = runtime.block_on(engine.retrieve_with(request, timeouts));
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{mode}: gave up in time"
        );
        assert_eq!(result.provider, ContextProviderKind::Filesystem, "{mode}");
        assert_eq!(result.fallback_from, Some(ContextProviderKind::Mcp));
        let error = result.error.expect("the MCP error is recorded");
        assert_eq!(error.code.as_str(), code, "{mode}: {error:?}");
        assert!(error.retryable, "{mode}: a timeout is worth retrying");
        assert!(error.message.contains(what), "{mode}: {}", error.message);
        assert!(!error.remediation.is_empty());
        assert_eq!(result.items[0].path, "src/http_client.rs");
    }
}
