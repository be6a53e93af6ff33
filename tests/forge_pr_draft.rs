//! The pull request draft as a whole: a session with a spec, recorded tasks, a verification, changed files,
//! provenance and a diff holding an `sk-ant-` key, a `ghp_` token and `.env` values. The body holds the goal,
//! the tasks and the provenance, none of the secrets, and ends with a note naming each kind and file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use kata_cloud::forge::pr_draft::{
    ContextRef, PrDraftInput, Provenance, VerificationResult, draft_pull_request,
};
use kata_cloud::forge::redact::SecretKind;
use kata_cloud::forge::{ChangedFile, FileStatus, RecordedTask};
use kata_cloud::model::{RunId, TaskId, TaskKind, TaskStatus};

const ANT: &str = "sk-ant-api03-Xy7Zq9Wv2Ut4Sr6Qp8On0Ml1Kj3Ih5GfXy7Zq9Wv2Ut4Sr6Qp8On0Ml1Kj3-AA";
const GHP: &str = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5";
const DB_PASSWORD: &str = "correct-horse-battery-staple";
const OLD_DB_PASSWORD: &str = "Tr0ub4dor&3";

const SPEC: &str = "# Spec: retry\n\n## Goal\nAdd retry to the HTTP client so that a flaky network does not fail a run.\n\n\
## Tasks\n- [ ] Implement: add retry to `src/http.rs` (lines 10-42)\n- [ ] Implement: read the key from the environment\n\
- [ ] Verify: run the tests of the http client (depends on t1, t2)\n\n\
## Acceptance Criteria\n- a failed GET is retried 3 times with backoff\n- no key is committed\n\n\
## Non-goals\n- retrying POST\n\n## Assumptions\n- tokio is available\n\n## Verification Plan\n- cargo test http\n";

fn diff() -> String {
    format!(
        "diff --git a/src/config.rs b/src/config.rs\n\
         index 1111111..2222222 100644\n\
         --- a/src/config.rs\n\
         +++ b/src/config.rs\n\
         @@ -1,3 +1,3 @@\n\
         \x20pub struct Config;\n\
         -const KEY: &str = \"{ANT}\";\n\
         +const KEY_VAR: &str = \"ANTHROPIC_API_KEY\";\n\
         \x20// end\n\
         diff --git a/scripts/deploy.sh b/scripts/deploy.sh\n\
         new file mode 100755\n\
         --- /dev/null\n\
         +++ b/scripts/deploy.sh\n\
         @@ -0,0 +1,2 @@\n\
         +#!/bin/sh\n\
         +curl -H \"Authorization: Bearer {GHP}\" https://api.github.com/user\n\
         diff --git a/.env b/.env\n\
         --- a/.env\n\
         +++ b/.env\n\
         @@ -1,2 +1,2 @@\n\
         \x20# local only\n\
         -DB_PASSWORD={OLD_DB_PASSWORD}\n\
         +DB_PASSWORD=\"{DB_PASSWORD}\"\n"
    )
}

fn task(
    id: &str,
    kind: TaskKind,
    title: &str,
    status: TaskStatus,
    summary: Option<&str>,
) -> RecordedTask {
    RecordedTask {
        id: TaskId::new(id),
        kind,
        title: title.into(),
        status,
        summary: summary.map(str::to_owned),
    }
}

fn input() -> PrDraftInput {
    let tasks = vec![
        task(
            "t1",
            TaskKind::Implement,
            "add retry to `src/http.rs` (lines 10-42)",
            TaskStatus::Completed,
            None,
        ),
        task(
            "t2",
            TaskKind::Implement,
            "read the key from the environment",
            TaskStatus::Completed,
            None,
        ),
        task(
            "t3",
            TaskKind::Verify,
            "run the tests of the http client",
            TaskStatus::Completed,
            Some("cargo test http: 12 passed, 0 failed"),
        ),
    ];
    PrDraftInput {
        spec: SPEC.to_owned(),
        verification: VerificationResult::from_tasks(&tasks),
        tasks,
        changes: vec![
            ChangedFile::new("src/config.rs", FileStatus::Modified, 1, 1),
            ChangedFile::new("scripts/deploy.sh", FileStatus::Added, 2, 0),
            ChangedFile::new(".env", FileStatus::Modified, 1, 1),
        ],
        provenance: Provenance {
            runs: vec![
                RunId::new("r01kmz3v0c4x7q2ab"),
                RunId::new("r01kmz3v9d8e7f6gh"),
            ],
            context: vec![
                ContextRef {
                    path: "src/http.rs".into(),
                    start_line: 10,
                    end_line: 42,
                    content_hash: "1a2b3c4d5e6f7a8b9c0d".into(),
                },
                ContextRef {
                    path: "src/config.rs".into(),
                    start_line: 1,
                    end_line: 1,
                    content_hash: "ffeeddccbbaa99887766".into(),
                },
            ],
        },
        diff: Some(diff()),
    }
}

#[test]
fn the_body_has_goal_tasks_and_provenance_and_no_secret() {
    let draft = draft_pull_request(&input());
    assert_eq!(
        draft.title,
        "Add retry to the HTTP client so that a flaky network does not fail a run"
    );
    for secret in [ANT, GHP, DB_PASSWORD, OLD_DB_PASSWORD] {
        assert!(
            !draft.body.contains(secret),
            "{secret} leaked:\n{}",
            draft.body
        );
        assert!(!serde_json::to_string(&draft).unwrap().contains(secret));
    }
    for wanted in [
        "## Goal\n\nAdd retry to the HTTP client so that a flaky network does not fail a run.\n",
        "- [x] **t1** add retry to `src/http.rs` (lines 10-42) — completed\n",
        "- **passed** run the tests of the http client: cargo test http: 12 passed, 0 failed\n",
        "- Runs: `r01kmz3v0c4x7q2ab`, `r01kmz3v9d8e7f6gh`\n",
        "  - `src/http.rs:10-42` (`1a2b3c4d`)\n",
        "  - `src/config.rs:1` (`ffeeddcc`)\n",
    ] {
        assert!(
            draft.body.contains(wanted),
            "missing {wanted:?} in:\n{}",
            draft.body
        );
    }
    // The note closes the body and names each kind and file.
    let note = draft.body.rsplit("---\n\n").next().unwrap();
    assert_eq!(
        note,
        "**Redacted:** 4 secrets were replaced with `[REDACTED:…]` before publishing (values not shown):\n\n\
         - Anthropic API key in `src/config.rs`\n\
         - GitHub token in `scripts/deploy.sh`\n\
         - .env value in `.env` (×2)\n"
    );
    let kinds: Vec<(SecretKind, Option<&str>, Option<u32>)> = draft
        .redactions
        .iter()
        .map(|r| (r.kind, r.file.as_deref(), r.file_line))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (SecretKind::AnthropicKey, Some("src/config.rs"), Some(2)),
            (SecretKind::GithubToken, Some("scripts/deploy.sh"), Some(2)),
            (SecretKind::EnvValue, Some(".env"), Some(2)),
            (SecretKind::EnvValue, Some(".env"), Some(2)),
        ]
    );
    insta::assert_snapshot!(
        "pr_draft_body",
        format!("# {}\n\n{}", draft.title, draft.body)
    );
}

#[test]
fn a_secret_in_the_spec_is_redacted_from_title_and_description() {
    let mut input = input();
    input.spec =
        format!("## Goal\nRotate the leaked key {GHP} everywhere.\n## Tasks\n- [x] rotate it\n");
    input.diff = None;
    let draft = draft_pull_request(&input);
    assert!(!draft.title.contains(GHP) && !draft.body.contains(GHP));
    assert_eq!(
        draft.title,
        "Rotate the leaked key [REDACTED:github_token] everywhere"
    );
    assert!(
        draft.body.ends_with("- GitHub token in the description\n"),
        "{}",
        draft.body
    );
}

#[test]
fn nothing_to_redact_means_no_note_and_no_plan_results_show_the_plan() {
    let mut input = input();
    input.diff = None;
    input.verification.clear();
    let draft = draft_pull_request(&input);
    assert!(draft.redactions.is_empty());
    assert!(!draft.body.contains("Redacted"));
    assert!(
        draft
            .body
            .contains("## Verification\n\nNot run yet. The plan:\n\n- cargo test http\n"),
        "{}",
        draft.body
    );
}
