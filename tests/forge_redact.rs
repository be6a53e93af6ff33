//! Secret redaction, property style: thousands of generated inputs (seeded, so a failure reproduces) checking
//! that redaction never panics, keeps the line structure, is idempotent, and that a planted secret never
//! survives; and that ordinary source code (this repository's own) loses nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::path::Path;

use kata_cloud::forge::redact::{SecretKind, redact, redact_diff, redact_file, redact_text};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom as _;
use rand::{Rng as _, SeedableRng as _};

const ROUNDS: usize = 2_000;

/// Pieces that steer random text into the scanners' corners.
const PIECES: &[&str] = &[
    "sk-",
    "sk-ant-",
    "ghp_",
    "github_pat_",
    "AKIA",
    "xoxb-",
    "aws_secret_access_key=",
    "-----BEGIN ",
    "RSA PRIVATE KEY-----",
    "-----END ",
    "PRIVATE KEY-----",
    "diff --git a/x b/.env\n",
    "--- a/.env\n",
    "+++ b/.env\n",
    "@@ -1,2 +1,3 @@",
    "@@ -0,0 +1 @@\n",
    "\n+",
    "\n-",
    "\n ",
    "\n",
    "\r\n",
    "=",
    "\"",
    "'",
    "\\",
    "export ",
    "KEY",
    " ",
    "é",
    "€",
    "😀",
    "\u{0}",
    "Ab9",
    "zz",
    "0123456789",
    "[REDACTED:",
    "]",
    "/",
    "+",
    "\t",
];

fn random_text(rng: &mut StdRng) -> String {
    let n = rng.random_range(0..40);
    let mut s = String::new();
    for _ in 0..n {
        if rng.random_bool(0.7) {
            s.push_str(PIECES.choose(rng).unwrap());
        } else {
            let len = rng.random_range(1..30);
            s.extend((0..len).map(|_| rng.random_range(' '..='~')));
        }
    }
    s
}

fn random_from(rng: &mut StdRng, charset: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(*charset.choose(rng).unwrap()))
        .collect()
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGIT: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A random alphanumeric string that surely mixes cases and digits.
fn mixed(rng: &mut StdRng, len: usize) -> String {
    format!("aZ9{}", random_from(rng, ALNUM, len.saturating_sub(3)))
}

/// A plausible secret of each token kind.
fn random_secret(rng: &mut StdRng) -> (SecretKind, String) {
    match rng.random_range(0..7) {
        0 => (
            SecretKind::AnthropicKey,
            format!("sk-ant-api03-{}-{}AA", mixed(rng, 60), mixed(rng, 20)),
        ),
        1 => (
            SecretKind::OpenAiKey,
            format!("sk-proj-{}_{}", mixed(rng, 40), mixed(rng, 30)),
        ),
        2 => (SecretKind::OpenAiKey, format!("sk-{}", mixed(rng, 48))),
        3 => {
            let prefix = ["ghp_", "gho_", "ghs_", "ghu_"].choose(rng).unwrap();
            (
                SecretKind::GithubToken,
                format!("{prefix}{}", mixed(rng, 36)),
            )
        }
        4 => (
            SecretKind::GithubPat,
            format!("github_pat_{}_{}", mixed(rng, 22), mixed(rng, 59)),
        ),
        5 => (
            SecretKind::AwsAccessKeyId,
            format!("AKIA{}", random_from(rng, UPPER_DIGIT, 16)),
        ),
        _ => (
            SecretKind::SlackToken,
            format!(
                "xoxb-{}-{}-{}",
                rng.random_range(100_000_000_000u64..999_999_999_999),
                rng.random_range(1_000_000_000_000u64..9_999_999_999_999),
                mixed(rng, 24)
            ),
        ),
    }
}

/// Text that may sit right next to a token without becoming part of it.
fn separator(rng: &mut StdRng) -> &'static str {
    [
        " ", "\"", "'", "=", ": ", "(", ")", ",", "\t", "`", "<", ">", "[", "]", "é", "/",
    ]
    .choose(rng)
    .unwrap()
}

#[test]
fn never_panics_keeps_lines_and_is_idempotent() {
    let mut rng = StdRng::seed_from_u64(0x5eed_0001);
    for round in 0..ROUNDS {
        let input = random_text(&mut rng);
        for (what, out) in [
            ("auto", redact(&input)),
            ("text", redact_text(&input)),
            ("diff", redact_diff(&input)),
            ("env file", redact_file("a/.env", &input)),
        ] {
            assert_eq!(
                out.text.split('\n').count(),
                input.split('\n').count(),
                "round {round} ({what}) changed the line count of {input:?}"
            );
            let again = match what {
                "diff" => redact_diff(&out.text),
                "env file" => redact_file("a/.env", &out.text),
                "text" => redact_text(&out.text),
                _ => redact(&out.text),
            };
            assert_eq!(
                again.text, out.text,
                "round {round} ({what}) is not idempotent for {input:?}"
            );
            assert!(
                again.redactions.is_empty(),
                "round {round} ({what}): {input:?} → {:?} → {:?}",
                out.text,
                again.redactions
            );
        }
    }
}

#[test]
fn a_planted_token_never_survives_in_text_or_diff() {
    let mut rng = StdRng::seed_from_u64(0x5eed_0002);
    for round in 0..ROUNDS {
        let (kind, secret) = random_secret(&mut rng);
        let before = format!("{}{}", random_text(&mut rng), separator(&mut rng));
        let after = format!("{}{}", separator(&mut rng), random_text(&mut rng));
        let text = format!("{before}{secret}{after}");

        let out = redact_text(&text);
        assert!(
            !out.text.contains(&secret),
            "round {round}: {kind} survived in {:?}",
            out.text
        );
        assert!(
            // A random context may open a key block that swallows the token: then it counts as that.
            out.redactions
                .iter()
                .any(|r| r.kind == kind || r.kind == SecretKind::PrivateKey),
            "round {round}: no {kind} redaction for {text:?}: {:?}",
            out.redactions
        );

        // The same secret on an added line of a diff of an ordinary file.
        let line = format!("let k = \"{secret}\";");
        let diff = format!(
            "diff --git a/src/k.rs b/src/k.rs\n--- a/src/k.rs\n+++ b/src/k.rs\n@@ -4,0 +5,2 @@\n+// {}\n+{line}\n",
            random_text(&mut rng).replace(['\n', '\r'], " ")
        );
        let out = redact_diff(&diff);
        assert!(!out.text.contains(&secret), "round {round}: {}", out.text);
        assert!(
            out.redactions.iter().any(|r| {
                (r.kind == kind || r.kind == SecretKind::PrivateKey)
                    && r.file.as_deref() == Some("src/k.rs")
                    && r.file_line == Some(6)
            }),
            "round {round}: {:?}",
            out.redactions
        );
        assert!(!format!("{:?}", out.redactions).contains(&secret));
    }
}

#[test]
fn env_values_and_key_blocks_never_survive() {
    let mut rng = StdRng::seed_from_u64(0x5eed_0003);
    for round in 0..ROUNDS / 4 {
        let value = format!("v{}", random_from(&mut rng, ALNUM, 14));
        let quoted = match rng.random_range(0..3) {
            0 => value.clone(),
            1 => format!("\"{value}\""),
            _ => format!("'{}\n{value}'", random_from(&mut rng, ALNUM, 5)),
        };
        let body: Vec<String> = (0..rng.random_range(1..6))
            .map(|_| random_from(&mut rng, ALNUM, 64))
            .collect();
        let content = format!(
            "# settings\nexport API_TOKEN={quoted}\nKEY=-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
            body.join("\n")
        );
        let mut diff = String::from(
            "diff --git a/.env.production b/.env.production\nnew file mode 100644\n--- /dev/null\n+++ b/.env.production\n",
        );
        diff.push_str(&format!("@@ -0,0 +1,{} @@\n", content.lines().count()));
        for line in content.lines() {
            diff.push_str(&format!("+{line}\n"));
        }
        for out in [redact_file(".env.production", &content), redact_diff(&diff)] {
            assert!(!out.text.contains(&value), "round {round}: {}", out.text);
            for line in &body {
                assert!(
                    !out.text.contains(line.as_str()),
                    "round {round}: {}",
                    out.text
                );
            }
            assert!(
                out.redactions
                    .iter()
                    .all(|r| r.file.as_deref() == Some(".env.production"))
            );
            assert!(
                out.redactions
                    .iter()
                    .any(|r| r.kind == SecretKind::EnvValue)
            );
        }
        // Outside a .env file, a key block is still found.
        let plain = redact_text(&content);
        for line in &body {
            assert!(!plain.text.contains(line.as_str()), "round {round}");
        }
        assert!(
            plain
                .redactions
                .iter()
                .any(|r| r.kind == SecretKind::PrivateKey)
        );
    }
}

#[test]
fn identifiers_that_merely_contain_a_prefix_are_left_alone() {
    let mut rng = StdRng::seed_from_u64(0x5eed_0004);
    let words = [
        "task", "list", "disk", "sk", "risk", "ask", "desk", "ghp", "akia", "xox", "learn",
        "model", "v2", "handler", "github", "pat", "token", "key", "api", "proj", "ant", "x86",
        "64",
    ];
    for _ in 0..ROUNDS {
        let n = rng.random_range(2..9);
        let sep = ["-", "_"].choose(&mut rng).unwrap();
        let ident: Vec<&str> = (0..n).map(|_| *words.choose(&mut rng).unwrap()).collect();
        let text = format!("call {}(x) // see {}", ident.join(sep), ident.join("-"));
        let out = redact_text(&text);
        assert!(out.redactions.is_empty(), "{text:?} → {:?}", out.redactions);
        assert_eq!(out.text, text);
    }
}

/// Every text file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn this_repository_sources_have_nothing_to_redact() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in ["src", "docs", "benches", "scripts"] {
        if root.join(dir).is_dir() {
            files(&root.join(dir), &mut paths);
        }
    }
    paths.push(root.join("README.md"));
    // The redaction module's own tests plant secrets on purpose.
    paths.retain(|p| !p.starts_with(root.join("src/forge")));
    assert!(paths.len() > 50, "found only {} files", paths.len());
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let out = redact_file(&rel, &text);
        assert!(out.redactions.is_empty(), "{rel}: {:?}", out.redactions);
    }
}
