//! Temporary git repositories: real `git init` and a first commit (libgit2), and the small Rust project the
//! runs in these tests work on.

use std::path::Path;

/// Writes `files` into `dir` and commits them to a new git repository there.
pub fn git_repo(dir: &Path, files: &[(&str, &str)]) {
    let repo = git2::Repository::init(dir).expect("git init");
    for (path, content) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "initial", &tree, &[])
        .unwrap();
}

/// `src/http_client.rs` of the sample repository: what "add retry to the http client" finds first.
pub const HTTP_CLIENT_RS: &str = "use std::time::Duration;

/// A small HTTP client.
pub struct HttpClient {
    timeout: Duration,
}

impl HttpClient {
    pub fn new() -> Self {
        Self { timeout: Duration::from_secs(30) }
    }

    /// Sends a GET request once; callers handle failures.
    pub fn get(&self, url: &str) -> Result<String, String> {
        if url.is_empty() {
            return Err(\"empty url\".into());
        }
        Ok(format!(\"GET {url} within {:?}\", self.timeout))
    }
}
";

/// A small Rust project: an http client, a main that uses it, a README and an ignored build dir.
pub fn sample_repo(dir: &Path) {
    git_repo(
        dir,
        &[
            ("src/http_client.rs", HTTP_CLIENT_RS),
            (
                "src/main.rs",
                "mod http_client;\n\nfn main() {\n    let client = http_client::HttpClient::new();\n    println!(\"{:?}\", client.get(\"https://example.com\"));\n}\n",
            ),
            (
                "src/db.rs",
                "pub fn connect(url: &str) -> bool {\n    !url.is_empty()\n}\n",
            ),
            (
                "README.md",
                "# demo\nA client for fetching pages over http.\n",
            ),
            (".gitignore", "target/\n"),
        ],
    );
    std::fs::create_dir_all(dir.join("target")).unwrap();
    std::fs::write(
        dir.join("target/http_client_retry.rs"),
        "retry http client retry http client\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/logo.bin"), [0u8, 1, 2, 3, 0, 159, 146, 150]).unwrap();
}
