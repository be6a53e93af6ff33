//! The verifier's check command: the one command whose exit status decides whether the work passes. It
//! comes from the space's setting, else the spec's Verification Plan (a line `Check command: `CMD``), else
//! the project's files (`Cargo.toml` → `cargo test`, `package.json` with a test script → `npm test`,
//! Python test configuration → `pytest`, `go.mod` → `go test ./...`).

use std::path::Path;

use crate::model::spec::section_body;

/// Where the check command came from (recorded with the check, shown to the user).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckCommand {
    pub command: String,
    pub source: &'static str,
}

/// The check command for a workspace, by the precedence above; `None` when nothing names or suggests one.
pub fn check_command(space_setting: Option<&str>, spec: &str, root: &Path) -> Option<CheckCommand> {
    if let Some(command) = space_setting.map(str::trim).filter(|c| !c.is_empty()) {
        return Some(CheckCommand {
            command: command.to_owned(),
            source: "the space's check command",
        });
    }
    if let Some(command) = from_spec(spec) {
        return Some(CheckCommand {
            command,
            source: "the spec's Verification Plan",
        });
    }
    detected(root).map(|command| CheckCommand {
        command: command.to_owned(),
        source: "the project's files",
    })
}

/// `Check command: `CMD`` in the Verification Plan (any case, any list marker).
fn from_spec(spec: &str) -> Option<String> {
    let body = section_body(spec, "Verification Plan")?;
    for line in body.lines() {
        let lower = line.to_ascii_lowercase();
        let Some(at) = lower.find("check command") else {
            continue;
        };
        let rest = line.get(at..)?;
        let open = rest.find('`')?;
        let after = rest.get(open + 1..)?;
        let close = after.find('`')?;
        let command = after.get(..close)?.trim();
        if !command.is_empty() {
            return Some(command.to_owned());
        }
    }
    None
}

fn detected(root: &Path) -> Option<&'static str> {
    if root.join("Cargo.toml").is_file() {
        return Some("cargo test");
    }
    if let Ok(text) = std::fs::read_to_string(root.join("package.json"))
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
        && json["scripts"]["test"].is_string()
    {
        return Some("npm test");
    }
    if ["pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"]
        .iter()
        .any(|f| root.join(f).is_file())
    {
        return Some("pytest");
    }
    if root.join("go.mod").is_file() {
        return Some("go test ./...");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_space_setting_wins_then_the_spec_then_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let spec = "## Goal\nx\n## Verification Plan\n1. Re-read `src/a.rs:1-9`.\n2. Check command: `sh check.sh --all`\n";
        assert_eq!(
            check_command(Some(" make test "), spec, dir.path())
                .unwrap()
                .command,
            "make test"
        );
        assert_eq!(
            check_command(None, spec, dir.path()).unwrap().command,
            "sh check.sh --all"
        );
        assert_eq!(check_command(None, "## Goal\nx\n", dir.path()), None);
        std::fs::write(dir.path().join("go.mod"), "module x\n").unwrap();
        assert_eq!(
            check_command(None, "## Goal\n", dir.path())
                .unwrap()
                .command,
            "go test ./..."
        );
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"scripts": {"test": "jest"}}"#,
        )
        .unwrap();
        assert_eq!(
            check_command(None, "", dir.path()).unwrap().command,
            "npm test"
        );
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\n").unwrap();
        assert_eq!(
            check_command(None, "", dir.path()).unwrap().command,
            "cargo test"
        );
    }
}
