//! From a session's change to a pull request, through the real binary: a scripted offline run edits files in
//! the session worktree, `changes commit` commits them with the drafted message, `changes pr create` pushes
//! the branch to a local bare repository (the `git` program, as for a user) and opens the pull request on
//! the GitHub mock, whose every request is checked; secrets in the change never reach the body; merging
//! back refuses conflicts and dirty checkouts without changing anything; GitHub's 401, 404 and 422 are
//! typed errors with remediation, and a push whose pull request failed is reported and retried.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;
#[path = "common/mock_github.rs"]
mod mock_github;

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::Method;
use common::{Ran, assert_one_line, kata, ran, sample_repo};
use mock_github::{Failure, MockGithub};
use serde_json::{Value, json};

const TOKEN: &str = "gho_MockTokenForTheTests0123456789abcdef";
const OWNER: &str = "octo";
const REPO: &str = "widgets";

// Secrets the scripted agent writes; none may reach the pull request.
const ANTHROPIC_KEY: &str = "sk-ant-api03-Zq8RkT2vLmN4pXw7Yb1Hc5Jd9Fg3Ks6Qe0Ua";
const GITHUB_TOKEN_VALUE: &str = "ghp_R7tY2uI9oP4aS1dF6gH3jK8lZ5xC0vB2nM7q";
const ENV_VALUE: &str = "correct-horse-battery-staple-42";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// A user's repository whose `origin` names `octo/widgets` on GitHub and pushes to a local bare repository,
/// a data directory, and the mock serving that bare repository's branches.
struct World {
    _tmp: tempfile::TempDir,
    tmp: PathBuf,
    repo: PathBuf,
    remote: PathBuf,
    data: PathBuf,
    github: MockGithub,
}

impl World {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let repo = root.join("repo");
        sample_repo(&repo);
        git(&repo, &["config", "user.name", "User"]);
        git(&repo, &["config", "user.email", "user@example.com"]);
        git(&repo, &["branch", "-M", "main"]);
        let remote = root.join("remote.git");
        git(&root, &["init", "-q", "--bare", remote.to_str().unwrap()]);
        git(
            &repo,
            &[
                "remote",
                "add",
                "origin",
                &format!("https://github.com/{OWNER}/{REPO}.git"),
            ],
        );
        // The push goes to the bare repository; the URL names the GitHub repository.
        git(
            &repo,
            &["config", "remote.origin.pushurl", remote.to_str().unwrap()],
        );
        git(&repo, &["push", "-q", "origin", "main"]);
        let github = MockGithub::start(TOKEN, OWNER, REPO);
        github.use_git_remote(&remote);
        Self {
            tmp: root.clone(),
            _tmp: tmp,
            repo,
            remote,
            data: root.join("data"),
            github,
        }
    }

    /// `kata-cloud ARGS` with the GitHub environment pointing at the mock.
    fn kata(&self, args: &[&str]) -> Ran {
        self.kata_with(args, &[])
    }

    fn kata_with(&self, args: &[&str], env: &[(&str, &str)]) -> Ran {
        let mut cmd = kata(&self.data);
        cmd.env_remove("GH_TOKEN")
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", self.github.base())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        ran(cmd.args(args).output().unwrap())
    }

    fn ok(&self, args: &[&str]) -> Ran {
        let r = self.kata(args);
        assert_eq!(
            r.code, 0,
            "{args:?}\nstdout: {}\nstderr: {}",
            r.stdout, r.stderr
        );
        r
    }

    /// A scripted offline run that writes `files` in the session worktree; the session id and run id.
    fn scripted_run(&self, files: &[(&str, &str)]) -> (String, String) {
        let calls: Vec<Value> = files
            .iter()
            .map(|(path, content)| json!({"tool": "write_file", "input": {"path": path, "content": content}}))
            .collect();
        let script = self.tmp.join("script.json");
        std::fs::write(
            &script,
            json!({"kinds": {
                "implement": [{"calls": calls}, {"say": "added retry to the http client"}],
                "verify": [{"say": "the check decides"}],
                "debug": [{"say": "nothing to debug"}]
            }})
            .to_string(),
        )
        .unwrap();
        let space = self.repo.to_str().unwrap();
        self.ok(&["space", "add", space, "--check-command", "true"]);
        let r = self.ok(&[
            "--json",
            "run",
            "--space",
            space,
            "--prompt",
            "add retry to the http client",
            "--script",
            script.to_str().unwrap(),
        ]);
        let last: Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
        assert_eq!(last["run"]["status"], "completed", "{last}");
        let run_id = last["run"]["id"].as_str().unwrap().to_owned();
        let session = last["run"]["session_id"].as_str().unwrap().to_owned();
        // The run edited the files its draft was based on: applying it is a deliberate choice.
        self.ok(&["spec", "apply", &run_id, "--force"]);
        (session, run_id)
    }

    /// Stages every changed file of the session and commits with the drafted message; the commit.
    fn commit_all(&self, session: &str) -> Value {
        let status = self
            .ok(&["--json", "changes", "status", "--session", session])
            .json();
        for file in status["files"].as_array().unwrap() {
            self.ok(&[
                "changes",
                "stage",
                "--session",
                session,
                file["path"].as_str().unwrap(),
            ]);
        }
        self.ok(&["--json", "changes", "commit", "--session", session])
            .json()
    }

    fn session(&self, session: &str) -> Value {
        let all = self
            .ok(&[
                "--json",
                "session",
                "list",
                "--space",
                self.repo.to_str().unwrap(),
            ])
            .json();
        all.as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == session)
            .cloned()
            .unwrap()
    }

    fn remote_branch(&self, branch: &str) -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.remote)
            .args([
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

const RETRY_CLIENT: &str = "use std::time::Duration;\n\n/// A small HTTP client that retries.\npub struct HttpClient {\n    timeout: Duration,\n    retries: u32,\n}\n";

/// The session's change: a retrying client, and three files with secrets in them.
fn agent_files() -> Vec<(&'static str, String)> {
    vec![
        ("src/http_client.rs", RETRY_CLIENT.to_owned()),
        (
            "src/config.rs",
            format!("pub const ANTHROPIC_KEY: &str = \"{ANTHROPIC_KEY}\";\n"),
        ),
        (
            "deploy.sh",
            format!(
                "#!/bin/sh\ncurl -H 'Authorization: token {GITHUB_TOKEN_VALUE}' https://example.com\n"
            ),
        ),
        (".env", format!("DATABASE_PASSWORD={ENV_VALUE}\n")),
    ]
}

/// A world with one session whose scripted run's edits are committed: (world, session, run, commit).
fn committed_session() -> (World, String, String, Value) {
    let world = World::new();
    let files = agent_files();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    let (session, run_id) = world.scripted_run(&borrowed);
    let commit = world.commit_all(&session);
    (world, session, run_id, commit)
}

#[test]
fn a_scripted_change_is_committed_pushed_and_opened_as_a_pull_request_then_updated() {
    let (world, session, run_id, committed) = committed_session();
    let binding = world.session(&session)["worktree"].clone();
    let branch = binding["branch"].as_str().unwrap().to_owned();

    // The commit carries the drafted message: the spec's goal as subject, the files in the body.
    let message = committed["message"].as_str().unwrap();
    let head = committed["commit"].as_str().unwrap().to_owned();
    let logged = git(&world.repo, &["log", "-1", "--format=%B", &head]);
    assert_eq!(logged.trim_end(), message.trim_end());
    assert!(message.contains("src/http_client.rs"), "{message}");
    assert!(!message.contains(ANTHROPIC_KEY), "{message}");

    let r = world.ok(&["--json", "changes", "pr", "create", "--session", &session]);
    let created = r.json();
    assert_eq!(created["action"], "created", "{created}");
    assert_eq!(created["pull_request"]["number"], 1);
    assert_eq!(created["pull_request"]["state"], "open");
    assert_eq!(created["push"]["commit"], head.as_str());
    assert_eq!(created["token_source"], "GITHUB_TOKEN");
    // The branch really is on the remote, at the committed head.
    assert_eq!(world.remote_branch(&branch).as_deref(), Some(head.as_str()));

    // The requests: look for an open pull request of the branch, then create it.
    assert_eq!(
        world.github.request_lines(),
        vec![
            format!(
                "GET /repos/{OWNER}/{REPO}/pulls?head={OWNER}%3A{}&state=open",
                branch.replace('/', "%2F")
            ),
            format!("POST /repos/{OWNER}/{REPO}/pulls"),
        ]
    );
    let post = world.github.requests()[1].clone();
    assert_eq!(post.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(post.headers["accept"], "application/vnd.github+json");
    assert_eq!(post.headers["x-github-api-version"], "2022-11-28");
    assert!(post.headers["user-agent"].starts_with("kata-cloud/"));
    let sent = post.body.unwrap();
    assert_eq!(sent["head"], branch.as_str());
    assert_eq!(sent["base"], "main");
    assert_eq!(sent["draft"], false);
    assert_eq!(
        sent["title"].as_str().unwrap(),
        message.lines().next().unwrap()
    );
    let body = sent["body"].as_str().unwrap();

    // The body holds the spec's goal, its tasks with status, and the provenance.
    let spec = world
        .ok(&["--json", "spec", "show", "--session", &session])
        .json();
    let spec = spec["content"].as_str().unwrap();
    let goal = spec
        .split("## Goal")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap()
        .trim();
    assert!(!goal.is_empty());
    assert!(body.contains(&format!("## Goal\n\n{goal}")), "{body}");
    assert!(body.contains("## Tasks\n\n- [x] **t1** "), "{body}");
    assert!(body.contains("— completed"), "{body}");
    assert!(body.contains("## Verification"), "{body}");
    assert!(
        body.contains("| `src/http_client.rs` | modified |"),
        "{body}"
    );
    assert!(body.contains(&format!("- Runs: `{run_id}`")), "{body}");
    let shown = world.ok(&["--json", "runs", "show", &run_id]).json();
    let item = &shown["context"]["items"][0];
    let location = format!(
        "`{}:{}-{}` (`{}`)",
        item["path"].as_str().unwrap(),
        item["start_line"],
        item["end_line"],
        &item["content_hash"].as_str().unwrap()[..8]
    );
    assert!(body.contains(&location), "{location} not in {body}");
    assert_eq!(world.github.pulls()[0].body, body);

    // The session remembers its pull request.
    let stored = world.session(&session)["pull_request"].clone();
    assert_eq!(stored["state"], "published", "{stored}");
    assert_eq!(stored["number"], 1);

    // A new commit, then create again: pushed, and the same pull request is updated.
    let worktree = PathBuf::from(binding["path"].as_str().unwrap());
    std::fs::write(worktree.join("notes.md"), "retry notes\n").unwrap();
    world.ok(&["changes", "stage", "--session", &session, "notes.md"]);
    let second = world
        .ok(&[
            "--json",
            "changes",
            "commit",
            "--session",
            &session,
            "-m",
            "Add retry notes",
        ])
        .json();
    let again = world
        .ok(&["--json", "changes", "pr", "create", "--session", &session])
        .json();
    assert_eq!(again["action"], "updated", "{again}");
    assert_eq!(again["pull_request"]["number"], 1);
    assert_eq!(
        world.remote_branch(&branch).as_deref(),
        second["commit"].as_str()
    );
    let lines = world.github.request_lines();
    assert_eq!(
        &lines[2..],
        &[
            format!("GET /repos/{OWNER}/{REPO}/pulls/1"),
            format!("PATCH /repos/{OWNER}/{REPO}/pulls/1"),
        ]
    );
    assert_eq!(world.github.pulls().len(), 1);
    assert!(world.github.pulls()[0].body.contains("notes.md"));

    // The draft as the user edited it (with a token pasted in by mistake), and their own title.
    let edited = world.tmp.join("body.md");
    std::fs::write(
        &edited,
        format!("Retries GETs three times.\n\nDeployed with {GITHUB_TOKEN_VALUE}\n"),
    )
    .unwrap();
    let third = world
        .ok(&[
            "--json",
            "changes",
            "pr",
            "create",
            "--session",
            &session,
            "--title",
            "Retry GET requests",
            "--body-file",
            edited.to_str().unwrap(),
        ])
        .json();
    assert_eq!(third["action"], "updated", "{third}");
    assert_eq!(third["redactions"][0]["kind"], "github_token", "{third}");
    let patch = world.github.requests().last().cloned().unwrap();
    assert_eq!(patch.method, "PATCH");
    let patched = patch.body.unwrap();
    assert_eq!(patched["title"], "Retry GET requests");
    assert_eq!(
        patched["body"],
        "Retries GETs three times.\n\nDeployed with [REDACTED:github_token]\n"
    );
    assert_eq!(world.github.pulls()[0].title, "Retry GET requests");

    // Show: number, URL, state and the head commit's checks.
    let head_now = second["commit"].as_str().unwrap();
    world.github.set_checks(
        head_now,
        json!([{"name": "build", "status": "completed", "conclusion": "success", "html_url": "https://ci/1"}]),
        json!([{"context": "lint", "state": "pending", "target_url": null}]),
    );
    let shown = world
        .ok(&["--json", "changes", "pr", "show", "--session", &session])
        .json();
    assert_eq!(shown["state"], "published", "{shown}");
    let pr = &shown["pull_request"];
    assert_eq!(pr["number"], 1);
    assert_eq!(
        pr["url"],
        format!("https://github.example/{OWNER}/{REPO}/pull/1")
    );
    assert_eq!(pr["state"], "open");
    assert_eq!(pr["head_sha"], head_now);
    assert_eq!(pr["checks"]["state"], "pending", "{pr}");
    assert_eq!(pr["checks"]["passed"], 1);
    assert_eq!(pr["checks"]["pending"], 1);
    let human = world.ok(&["changes", "pr", "show", "--session", &session]);
    assert!(
        human.stdout.contains("pull request #1 (open)"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("checks: pending (1 passed"),
        "{}",
        human.stdout
    );
    world.github.assert_clean();
}

#[test]
fn secrets_in_the_change_are_redacted_from_the_body_and_named_in_the_note() {
    let (world, session, _, _) = committed_session();
    world.ok(&["changes", "pr", "create", "--session", &session, "--draft"]);
    let pulls = world.github.pulls();
    assert!(pulls[0].draft);
    let body = &pulls[0].body;
    // The diff is quoted, with each secret replaced by a marker.
    assert!(body.contains("<summary>Diff</summary>"), "{body}");
    assert!(body.contains("[REDACTED:anthropic_key]"), "{body}");
    for secret in [ANTHROPIC_KEY, GITHUB_TOKEN_VALUE, ENV_VALUE] {
        assert!(!body.contains(secret), "{secret} leaked into {body}");
    }
    // Not even a prefix of a value survives.
    assert!(!body.contains("R7tY2uI9"), "{body}");
    let note = body
        .split("**Redacted:**")
        .nth(1)
        .expect("a redaction note");
    assert!(
        note.contains("Anthropic API key in `src/config.rs`"),
        "{note}"
    );
    assert!(note.contains("GitHub token in `deploy.sh`"), "{note}");
    assert!(note.contains(".env value in `.env`"), "{note}");
    // The draft command shows the same body and lists the redactions without values.
    let draft = world
        .ok(&["--json", "changes", "pr", "draft", "--session", &session])
        .json();
    let kinds: Vec<&str> = draft["redactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    for kind in ["anthropic_key", "github_token", "env_value"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    assert!(!draft.to_string().contains(ENV_VALUE));
    world.github.assert_clean();
}

/// Every file of the checkout with its bytes, and git's view of it.
fn checkout_state(repo: &Path) -> (Vec<(String, Vec<u8>)>, String) {
    let mut files = Vec::new();
    let mut stack = vec![repo.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(repo).unwrap().display().to_string();
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    (files, git(repo, &["status", "--porcelain=v2", "--branch"]))
}

#[test]
fn a_squash_merge_into_a_base_with_a_conflicting_user_commit_is_refused_and_changes_nothing() {
    let (world, session, _, _) = committed_session();
    let branch = world.session(&session)["worktree"]["branch"]
        .as_str()
        .unwrap()
        .to_owned();
    // The user changes the same lines on main, and leaves some uncommitted work in another file.
    std::fs::write(
        world.repo.join("src/http_client.rs"),
        "use std::time::Duration;\n\n/// The user's own client.\npub struct HttpClient {\n    deadline: Duration,\n}\n",
    )
    .unwrap();
    git(&world.repo, &["commit", "-qam", "the user's client"]);
    std::fs::write(world.repo.join("README.md"), "# demo, edited\n").unwrap();
    let main_before = git(&world.repo, &["rev-parse", "main"]);
    let session_before = git(&world.repo, &["rev-parse", &branch]);
    let checkout_before = checkout_state(&world.repo);

    let r = world.kata(&["changes", "merge", "--session", &session, "--squash"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("(merge_conflict)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("conflicts in: src/http_client.rs"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("src/config.rs"), "{}", r.stderr);

    assert_eq!(git(&world.repo, &["rev-parse", "main"]), main_before);
    assert_eq!(git(&world.repo, &["rev-parse", &branch]), session_before);
    assert_eq!(checkout_state(&world.repo), checkout_before);
    assert!(!world.repo.join(".git/MERGE_HEAD").exists());

    // Bringing the base into the session conflicts the same way, and changes nothing either.
    let worktree = PathBuf::from(
        world.session(&session)["worktree"]["path"]
            .as_str()
            .unwrap(),
    );
    let worktree_before = checkout_state(&worktree);
    let r = world.kata(&["changes", "update", "--session", &session]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("merging main into"), "{}", r.stderr);
    assert!(
        r.stderr.contains("conflicts in: src/http_client.rs"),
        "{}",
        r.stderr
    );
    assert_eq!(git(&world.repo, &["rev-parse", &branch]), session_before);
    assert_eq!(checkout_state(&worktree), worktree_before);
}

#[test]
fn a_merge_refuses_uncommitted_user_changes_it_would_touch_and_then_squashes_cleanly() {
    let (world, session, _, committed) = committed_session();
    // Uncommitted work in a file the merge changes: refused, nothing moves.
    std::fs::write(
        world.repo.join("src/http_client.rs"),
        "// the user's edit\n",
    )
    .unwrap();
    let main_before = git(&world.repo, &["rev-parse", "main"]);
    let r = world.kata(&["changes", "merge", "--session", &session, "--squash"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("(dirty_checkout)"), "{}", r.stderr);
    assert!(r.stderr.contains("src/http_client.rs"), "{}", r.stderr);
    assert_eq!(git(&world.repo, &["rev-parse", "main"]), main_before);
    assert_eq!(
        std::fs::read_to_string(world.repo.join("src/http_client.rs")).unwrap(),
        "// the user's edit\n"
    );

    // Uncommitted work elsewhere stays; the squash lands as one commit with the drafted subject.
    git(&world.repo, &["checkout", "--", "src/http_client.rs"]);
    std::fs::write(world.repo.join("README.md"), "# demo, edited\n").unwrap();
    let merged = world
        .ok(&[
            "--json",
            "changes",
            "merge",
            "--session",
            &session,
            "--squash",
        ])
        .json();
    assert_eq!(merged["method"], "squash", "{merged}");
    assert_eq!(merged["previous_base"], main_before.as_str());
    let main_after = git(&world.repo, &["rev-parse", "main"]);
    assert_eq!(merged["new_base"], main_after.as_str());
    assert_eq!(git(&world.repo, &["rev-parse", "main^"]), main_before);
    let subject = committed["message"]
        .as_str()
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert_eq!(
        git(&world.repo, &["log", "-1", "--format=%s", "main"]),
        subject
    );
    assert_eq!(
        std::fs::read_to_string(world.repo.join("src/http_client.rs")).unwrap(),
        RETRY_CLIENT
    );
    assert_eq!(
        std::fs::read_to_string(world.repo.join("README.md")).unwrap(),
        "# demo, edited\n"
    );
    // The session's base moved with the merge: nothing is left to merge.
    let r = world.kata(&["changes", "merge", "--session", &session, "--squash"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("(nothing_to_merge)"), "{}", r.stderr);
}

#[test]
fn github_401_404_and_422_are_typed_errors_with_remediation_and_the_push_is_kept() {
    let (world, session, _, committed) = committed_session();
    let head = committed["commit"].as_str().unwrap();
    let branch = world.session(&session)["worktree"]["branch"]
        .as_str()
        .unwrap()
        .to_owned();

    // 401: a token GitHub rejects. The branch was pushed; the error says so, and what to do.
    let r = world.kata_with(
        &["changes", "pr", "create", "--session", &session],
        &[("GITHUB_TOKEN", "gho_RevokedToken0123456789abcdefABCDEF")],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("HTTP 401"), "{}", r.stderr);
    assert!(r.stderr.contains("(auth)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("GitHub rejected the token"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("pushed {branch} to origin")),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("RevokedToken"),
        "the token leaked: {}",
        r.stderr
    );
    assert_eq!(world.remote_branch(&branch).as_deref(), Some(head));

    // The state is "pushed" with the error, not a pull request.
    let shown = world
        .ok(&["--json", "changes", "pr", "show", "--session", &session])
        .json();
    assert_eq!(shown["state"], "pushed", "{shown}");
    assert_eq!(shown["last_error"]["code"], "auth");
    assert!(shown.get("pull_request").is_none());
    let human = world.ok(&["changes", "pr", "show", "--session", &session]);
    assert!(
        human.stdout.contains("without a pull request"),
        "{}",
        human.stdout
    );

    // 404: GitHub does not know the repository.
    world.github.fail_next_on(Method::GET, Failure::NotFound);
    let r = world.kata(&["changes", "pr", "create", "--session", &session]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("(not_found)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("Check that octo/widgets exists"),
        "{}",
        r.stderr
    );

    // 422: GitHub refuses the pull request.
    world.github.fail_next_on(Method::POST, Failure::Validation);
    let r = world.kata(&["changes", "pr", "create", "--session", &session]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("HTTP 422"), "{}", r.stderr);
    assert!(r.stderr.contains("(validation)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("base branch exists on the remote"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("again to retry"), "{}", r.stderr);
    let shown = world
        .ok(&["--json", "changes", "pr", "show", "--session", &session])
        .json();
    assert_eq!(shown["last_error"]["code"], "validation", "{shown}");
    assert!(world.github.pulls().is_empty());

    // Retried: the same branch, now with its pull request.
    let created = world
        .ok(&["--json", "changes", "pr", "create", "--session", &session])
        .json();
    assert_eq!(created["action"], "created", "{created}");
    assert_eq!(created["push"]["up_to_date"], true);
    let shown = world
        .ok(&["--json", "changes", "pr", "show", "--session", &session])
        .json();
    assert_eq!(shown["state"], "published", "{shown}");
    assert!(shown.get("last_error").is_none(), "{shown}");
    assert_eq!(world.github.pulls().len(), 1);
    world.github.assert_clean();
}

#[test]
fn publishing_refuses_what_it_cannot_publish_before_pushing() {
    let world = World::new();
    let (session, _) = world.scripted_run(&[("notes.txt", "uncommitted\n")]);
    // Uncommitted work in the session's worktree: refused, nothing pushed.
    let r = world.kata(&["changes", "pr", "create", "--session", &session]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("(dirty_worktree)"), "{}", r.stderr);
    assert!(r.stderr.contains("notes.txt"), "{}", r.stderr);
    // Not pushed yet: show says so.
    let r = world.kata(&["changes", "pr", "show", "--session", &session]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no pushed branch"), "{}", r.stderr);
    // A remote that is not on GitHub.
    world.commit_all(&session);
    git(
        &world.repo,
        &["remote", "add", "local", world.remote.to_str().unwrap()],
    );
    let r = world.kata(&[
        "changes",
        "pr",
        "create",
        "--session",
        &session,
        "--remote",
        "local",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("is a local path, not a GitHub URL"),
        "{}",
        r.stderr
    );
    // No token anywhere (and no GitHub CLI on PATH).
    let r = world.kata_with(
        &["changes", "pr", "create", "--session", &session],
        &[("GITHUB_TOKEN", ""), ("PATH", "/nonexistent")],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no GitHub token"), "{}", r.stderr);
    assert!(r.stderr.contains("(auth)"), "{}", r.stderr);
    let branch = world.session(&session)["worktree"]["branch"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(world.remote_branch(&branch), None);
    assert!(world.github.requests().is_empty());
    // The drafted commit message and the drafted pull request need no network.
    let message = world.ok(&["changes", "message", "--session", &session]);
    assert!(!message.stdout.trim().is_empty());
}
