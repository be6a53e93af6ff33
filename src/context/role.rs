//! What a file is for: code, a test, or documentation. Tests and docs are supporting items: they quote the
//! request's words (changelogs, plans, assertions) without being what a change needs first, so ranking
//! places them after the code (`docs/RETRIEVAL.md`).

/// The part a file plays in a repository, from its path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Code,
    /// Manifests, CI workflows, data: sometimes what a change needs, often only quoting its words.
    Config,
    Test,
    Doc,
}

const DOC_EXTENSIONS: &[&str] = &[
    "adoc", "htm", "html", "markdown", "md", "mdx", "org", "rst", "snap", "svg", "tex", "txt",
];
const DOC_DIRS: &[&str] = &[
    ".changeset",
    "changelog",
    "changes",
    "doc",
    "docs",
    "documentation",
    "notes",
    "rfcs",
];
const DOC_STEMS: &[&str] = &[
    "authors",
    "changelog",
    "changes",
    "code_of_conduct",
    "codeowners",
    "contributing",
    "copying",
    "history",
    "license",
    "notice",
    "readme",
    "security",
];
const CONFIG_EXTENSIONS: &[&str] = &[
    "cfg", "conf", "csv", "ini", "json", "json5", "jsonc", "plist", "toml", "tsv", "xml", "yaml",
    "yml",
];
/// Package manifests: a change to dependencies, features or versions needs them like code.
const MANIFESTS: &[&str] = &[
    "build.gradle",
    "cargo.toml",
    "composer.json",
    "deno.json",
    "go.mod",
    "package.json",
    "pom.xml",
    "pyproject.toml",
];
const LOCK_FILES: &[&str] = &[
    "cargo.lock",
    "package-lock.json",
    "pnpm-lock.yaml",
    "poetry.lock",
    "yarn.lock",
    "go.sum",
];
const TEST_DIRS: &[&str] = &[
    "__tests__",
    "e2e",
    "fixtures",
    "spec",
    "specs",
    "test",
    "testdata",
    "testing",
    "tests",
];

/// The role of the file at `path` (relative, `/`-separated).
pub fn role(path: &str) -> Role {
    let lower = path.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').collect();
    let name = parts.pop().unwrap_or("");
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, e),
        _ => (name, ""),
    };
    if DOC_EXTENSIONS.contains(&ext)
        || LOCK_FILES.contains(&name)
        || ext == "lock"
        || DOC_STEMS.contains(&stem)
        || parts.iter().any(|p| DOC_DIRS.contains(p))
    {
        return Role::Doc;
    }
    if tested_stem(path).is_some() || parts.iter().any(|p| TEST_DIRS.contains(p)) {
        return Role::Test;
    }
    if CONFIG_EXTENSIONS.contains(&ext) && !MANIFESTS.contains(&name) {
        return Role::Config;
    }
    // Tool settings written as code: `eslint.config.mjs`, `vite.config.ts`, `jest.config.js`.
    if stem.ends_with(".config") || (stem.ends_with("rc") && name.starts_with('.')) {
        return Role::Config;
    }
    Role::Code
}

/// Whether `path` is a package manifest (`Cargo.toml`, `package.json`, `pyproject.toml`, ...): what a
/// change to dependencies or versions edits.
pub fn is_manifest(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    MANIFESTS.contains(&name.as_str())
}

/// For a test file named after what it tests (`foo_test.go`, `test_foo.py`, `foo.test.ts`,
/// `foo.spec.js`, `foo_tests.rs`), that name (`foo`).
pub fn tested_stem(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?.to_ascii_lowercase();
    let stem = name.split('.').next()?;
    let dotted = name
        .strip_suffix(name.rsplit('.').next().unwrap_or(""))
        .unwrap_or(&name);
    for marker in [".test.", ".spec."] {
        if dotted.ends_with(marker) {
            return Some(stem.to_owned());
        }
    }
    for suffix in ["_test", "_tests", "_spec"] {
        if let Some(s) = stem.strip_suffix(suffix)
            && !s.is_empty()
        {
            return Some(s.to_owned());
        }
    }
    stem.strip_prefix("test_")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The name a code file is known by for [`tested_stem`]: its stem, or its folder's name for `mod.rs`,
/// `index.ts`, `__init__.py` and the like.
pub fn code_stem(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    let mut parts = lower.rsplit('/');
    let name = parts.next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or(name);
    match stem {
        "mod" | "index" | "__init__" | "lib" | "main" => parts.next().unwrap_or(stem).to_owned(),
        _ => stem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_paths() {
        assert_eq!(role("src/router/node.ts"), Role::Code);
        assert_eq!(role("Cargo.toml"), Role::Code);
        assert_eq!(role("rustfmt.toml"), Role::Config);
        assert_eq!(role(".github/workflows/ci.yml"), Role::Config);
        assert_eq!(role("scripts/lint"), Role::Code);
        assert_eq!(role("eslint.config.mjs"), Role::Config);
        assert_eq!(role("src/config.ts"), Role::Code);
        assert_eq!(role("bun.lock"), Role::Doc);
        assert_eq!(role("CHANGELOG.md"), Role::Doc);
        assert_eq!(role("docs/guide/intro.rs"), Role::Doc);
        assert_eq!(role("LICENSE"), Role::Doc);
        assert_eq!(role("Cargo.lock"), Role::Doc);
        assert_eq!(role("tests/regression.rs"), Role::Test);
        assert_eq!(role("src/helper/accepts/accepts.test.ts"), Role::Test);
        assert_eq!(role("httpx/test_client.py"), Role::Test);
        assert_eq!(role("pkg/server_test.go"), Role::Test);
        assert_eq!(role("src/contest.rs"), Role::Code);
    }

    #[test]
    fn test_files_name_what_they_test() {
        assert_eq!(tested_stem("a/accepts.test.ts").as_deref(), Some("accepts"));
        assert_eq!(
            tested_stem("tests/test_client.py").as_deref(),
            Some("client")
        );
        assert_eq!(tested_stem("server_test.go").as_deref(), Some("server"));
        assert_eq!(tested_stem("src/client.rs"), None);
        assert_eq!(code_stem("src/router/mod.rs"), "router");
        assert_eq!(code_stem("src/accepts/accepts.ts"), "accepts");
    }
}
