//! Secret redaction: what must never leave the machine in a pull request body, a quoted diff or a commit
//! message.
//!
//! The input is plain text, one file's content (then `.env` rules apply when its name says so), or a unified
//! diff (then each secret's file and line in that file are known from the headers). The output is the text
//! with every secret replaced by `[REDACTED:<kind>]` and one [`Redaction`] per secret saying what kind it was
//! and where — never the value. The rules are listed in `docs/PULL_REQUESTS.md`; the patterns themselves
//! live in `redact/line_scan.rs`.
//!
//! Redacting is idempotent (markers match no rule) and total: any input gives an answer, never a panic.

mod line_scan;

use std::fmt;

use serde::{Deserialize, Serialize};

use line_scan::{LineState, Span, scan_line};

/// What a redacted secret was. Serialised as its snake_case code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// `sk-ant-…`
    AnthropicKey,
    /// `sk-…`, `sk-proj-…` and other OpenAI-style keys.
    OpenAiKey,
    /// `ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_` tokens.
    GithubToken,
    /// `github_pat_…` fine-grained tokens.
    GithubPat,
    /// `AKIA…` / `ASIA…`
    AwsAccessKeyId,
    /// The 40-character value assigned to `aws_secret_access_key`.
    AwsSecretKey,
    /// `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-` tokens.
    SlackToken,
    /// The inside of a `-----BEGIN … PRIVATE KEY-----` block.
    PrivateKey,
    /// A value assigned in a `.env` file.
    EnvValue,
}

impl SecretKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            SecretKind::AnthropicKey => "anthropic_key",
            SecretKind::OpenAiKey => "openai_key",
            SecretKind::GithubToken => "github_token",
            SecretKind::GithubPat => "github_pat",
            SecretKind::AwsAccessKeyId => "aws_access_key_id",
            SecretKind::AwsSecretKey => "aws_secret_key",
            SecretKind::SlackToken => "slack_token",
            SecretKind::PrivateKey => "private_key",
            SecretKind::EnvValue => "env_value",
        }
    }

    /// How a person calls it, for the redaction note.
    pub const fn label(self) -> &'static str {
        match self {
            SecretKind::AnthropicKey => "Anthropic API key",
            SecretKind::OpenAiKey => "OpenAI-style API key",
            SecretKind::GithubToken => "GitHub token",
            SecretKind::GithubPat => "GitHub fine-grained token",
            SecretKind::AwsAccessKeyId => "AWS access key id",
            SecretKind::AwsSecretKey => "AWS secret access key",
            SecretKind::SlackToken => "Slack token",
            SecretKind::PrivateKey => "private key",
            SecretKind::EnvValue => ".env value",
        }
    }

    /// Which kind names a stretch covered by several rules: the block or assignment around a token says more
    /// about it than the token.
    const fn precedence(self) -> u8 {
        match self {
            SecretKind::PrivateKey => 2,
            SecretKind::EnvValue => 1,
            _ => 0,
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One secret that was replaced. Says where, never what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    pub kind: SecretKind,
    /// The file the secret is in, when known (from the diff headers, or the path given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line of the input text.
    pub line: u32,
    /// 1-based line in `file` (in a diff: the new side for added and context lines, the old side for removed
    /// ones), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_line: Option<u32>,
}

/// Redacted text and what was taken out of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub redactions: Vec<Redaction>,
}

/// Redactions of one kind in one file, for a short note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionGroup {
    pub kind: SecretKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub count: usize,
}

const MARKER_PREFIX: &str = "[REDACTED:";

/// What a secret is replaced by.
pub fn marker(kind: SecretKind) -> String {
    format!("{MARKER_PREFIX}{kind}]")
}

fn is_marker(text: &str) -> bool {
    text.starts_with(MARKER_PREFIX) && text.ends_with(']')
}

/// Whether `path` names a `.env` file (`.env`, `.env.local`, `config/.env.production`, ...), whose every
/// assigned value is treated as a secret.
pub fn is_env_file(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name == ".env" || name.starts_with(".env.")
}

/// Whether `text` is a unified diff (a `diff --git` header, or `---`/`+++` headers followed by a hunk).
pub fn looks_like_diff(text: &str) -> bool {
    let mut previous = "";
    for line in text.lines() {
        if line.starts_with("diff --git ")
            || (previous.starts_with("+++ ") && line.starts_with("@@ -"))
        {
            return true;
        }
        previous = line;
    }
    false
}

/// Redacts `input`, reading it as a unified diff when it looks like one and as plain text otherwise.
pub fn redact(input: &str) -> Redacted {
    if looks_like_diff(input) {
        redact_diff(input)
    } else {
        redact_text(input)
    }
}

/// Redacts plain text of unknown origin (token and private-key rules; no `.env` rule).
pub fn redact_text(text: &str) -> Redacted {
    redact_lines(text, None)
}

/// Redacts the content of the file at `path` (relative, `/`-separated); `.env` rules apply by its name.
pub fn redact_file(path: &str, content: &str) -> Redacted {
    redact_lines(content, Some(path))
}

fn redact_lines(text: &str, path: Option<&str>) -> Redacted {
    let env = path.is_some_and(is_env_file);
    let mut state = LineState::default();
    let mut out = Redacted::default();
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let (content, ending) = split_ending(raw);
        let mut spans = Vec::new();
        scan_line(content, env, &mut state, &mut spans);
        let line = line_number(index);
        let at = Location {
            file: path,
            line,
            file_line: path.map(|_| line),
        };
        out.text
            .push_str(&render(content, &spans, &at, &mut out.redactions));
        out.text.push_str(ending);
    }
    out
}

/// Redacts a unified diff (as `git diff` prints it, or `diff -u`): removed, added and context lines of each
/// file are scanned with that file's rules; headers get the token rules.
pub fn redact_diff(diff: &str) -> Redacted {
    let mut walker = DiffWalker::default();
    for (index, raw) in diff.split_inclusive('\n').enumerate() {
        walker.line(line_number(index), raw);
    }
    walker.out
}

/// Groups redactions by kind and file (files in order of first appearance, kinds in order within a file).
pub fn group(redactions: &[Redaction]) -> Vec<RedactionGroup> {
    let mut groups: Vec<RedactionGroup> = Vec::new();
    for r in redactions {
        match groups
            .iter_mut()
            .find(|g| g.kind == r.kind && g.file == r.file)
        {
            Some(g) => g.count += 1,
            None => groups.push(RedactionGroup {
                kind: r.kind,
                file: r.file.clone(),
                count: 1,
            }),
        }
    }
    let file_order: Vec<Option<String>> = groups.iter().fold(Vec::new(), |mut acc, g| {
        if !acc.contains(&g.file) {
            acc.push(g.file.clone());
        }
        acc
    });
    groups.sort_by_key(|g| {
        (
            file_order.iter().position(|f| *f == g.file).unwrap_or(0),
            g.kind,
        )
    });
    groups
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn split_ending(raw: &str) -> (&str, &str) {
    let content = raw.trim_end_matches(['\n', '\r']);
    (content, raw.get(content.len()..).unwrap_or(""))
}

struct Location<'a> {
    file: Option<&'a str>,
    line: u32,
    file_line: Option<u32>,
}

/// `content` with the (possibly overlapping) spans replaced: counted stretches by a marker, continuations
/// by nothing. One redaction per counted stretch.
fn render(
    content: &str,
    spans: &[Span],
    at: &Location<'_>,
    redactions: &mut Vec<Redaction>,
) -> String {
    if spans.is_empty() {
        return content.to_owned();
    }
    let merged = merge(spans);
    let mut out = String::with_capacity(content.len());
    let mut pos = 0;
    for span in merged {
        out.push_str(content.get(pos..span.start).unwrap_or(""));
        if span.counted {
            out.push_str(&marker(span.kind));
            redactions.push(Redaction {
                kind: span.kind,
                file: at.file.map(str::to_owned),
                line: at.line,
                file_line: at.file_line,
            });
        }
        pos = span.end;
    }
    out.push_str(content.get(pos..).unwrap_or(""));
    out
}

fn merge(spans: &[Span]) -> Vec<Span> {
    let mut sorted = spans.to_vec();
    sorted.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut merged: Vec<Span> = Vec::with_capacity(sorted.len());
    for span in sorted {
        match merged.last_mut() {
            Some(last) if span.start < last.end => {
                last.end = last.end.max(span.end);
                last.counted |= span.counted;
                if span.kind.precedence() > last.kind.precedence() {
                    last.kind = span.kind;
                }
            }
            _ => merged.push(span),
        }
    }
    merged
}

/// Where a diff walk is: the current file, its rules, and the open hunk.
#[derive(Default)]
struct DiffWalker {
    out: Redacted,
    file: Option<String>,
    old_path: Option<String>,
    env: bool,
    old: LineState,
    new: LineState,
    hunk: Option<Hunk>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hunk {
    old_line: u32,
    new_line: u32,
    old_left: u32,
    new_left: u32,
}

impl Hunk {
    /// Parses `@@ -a[,b] +c[,d] @@ …`.
    fn parse(header: &str) -> Option<Hunk> {
        let rest = header.strip_prefix("@@ -")?;
        let (ranges, _) = rest.split_once(" @@")?;
        let (old, new) = ranges.split_once(" +")?;
        let range = |r: &str| -> Option<(u32, u32)> {
            match r.split_once(',') {
                Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
                None => Some((r.parse().ok()?, 1)),
            }
        };
        let (old_line, old_left) = range(old)?;
        let (new_line, new_left) = range(new)?;
        Some(Hunk {
            old_line,
            new_line,
            old_left,
            new_left,
        })
    }

    fn open(&self) -> bool {
        self.old_left > 0 || self.new_left > 0
    }
}

/// Which side of a diff a hunk line belongs to.
#[derive(Clone, Copy)]
enum Side {
    Old,
    New,
    Both,
}

impl DiffWalker {
    fn line(&mut self, line: u32, raw: &str) {
        let (content, ending) = split_ending(raw);
        let rendered = match self.hunk.filter(Hunk::open) {
            Some(hunk) => match hunk_line(content) {
                Some((side, body)) => {
                    let prefix = content.get(..content.len() - body.len()).unwrap_or("");
                    format!("{prefix}{}", self.hunk_body(line, hunk, side, body))
                }
                None if content.starts_with('\\') => content.to_owned(),
                None => {
                    // A hunk cut short: what follows is a header again.
                    self.hunk = None;
                    self.header(line, content)
                }
            },
            None => self.header(line, content),
        };
        self.out.text.push_str(&rendered);
        self.out.text.push_str(ending);
    }

    fn hunk_body(&mut self, line: u32, mut hunk: Hunk, side: Side, body: &str) -> String {
        let mut spans = Vec::new();
        let file_line = match side {
            Side::Old => {
                scan_line(body, self.env, &mut self.old, &mut spans);
                let at = hunk.old_line;
                hunk.old_line = hunk.old_line.saturating_add(1);
                hunk.old_left = hunk.old_left.saturating_sub(1);
                at
            }
            Side::New => {
                scan_line(body, self.env, &mut self.new, &mut spans);
                let at = hunk.new_line;
                hunk.new_line = hunk.new_line.saturating_add(1);
                hunk.new_left = hunk.new_left.saturating_sub(1);
                at
            }
            Side::Both => {
                scan_line(body, self.env, &mut self.old, &mut spans);
                scan_line(body, self.env, &mut self.new, &mut spans);
                let at = hunk.new_line;
                hunk.old_line = hunk.old_line.saturating_add(1);
                hunk.new_line = hunk.new_line.saturating_add(1);
                hunk.old_left = hunk.old_left.saturating_sub(1);
                hunk.new_left = hunk.new_left.saturating_sub(1);
                at
            }
        };
        self.hunk = Some(hunk);
        let at = Location {
            file: self.file.as_deref(),
            line,
            file_line: Some(file_line),
        };
        render(body, &spans, &at, &mut self.out.redactions)
    }

    /// A line outside any hunk: file headers update the current file; every header gets the token rules.
    fn header(&mut self, line: u32, content: &str) -> String {
        if let Some(rest) = content.strip_prefix("diff --git ") {
            self.start_file(git_header_path(rest));
        } else if let Some(rest) = content.strip_prefix("--- ") {
            self.old_path = diff_path(rest, "a/");
            if self.file.is_none() {
                self.start_file(self.old_path.clone());
            }
        } else if let Some(rest) = content.strip_prefix("+++ ") {
            let path = diff_path(rest, "b/").or_else(|| self.old_path.clone());
            if path != self.file {
                self.start_file(path);
            }
        } else if content.starts_with("@@ -") {
            self.hunk = Hunk::parse(content);
        }
        let mut spans = Vec::new();
        scan_line(content, false, &mut LineState::default(), &mut spans);
        let at = Location {
            file: self.file.as_deref(),
            line,
            file_line: None,
        };
        render(content, &spans, &at, &mut self.out.redactions)
    }

    fn start_file(&mut self, path: Option<String>) {
        self.env = path.as_deref().is_some_and(is_env_file);
        self.file = path;
        self.old = LineState::default();
        self.new = LineState::default();
        self.hunk = None;
    }
}

/// The side and text of a line inside a hunk; `None` when the line cannot be one.
fn hunk_line(content: &str) -> Option<(Side, &str)> {
    match content.as_bytes().first() {
        // Some tools drop the space of an empty context line.
        None => Some((Side::Both, "")),
        Some(b' ') => Some((Side::Both, content.get(1..)?)),
        Some(b'-') => Some((Side::Old, content.get(1..)?)),
        Some(b'+') => Some((Side::New, content.get(1..)?)),
        _ => None,
    }
}

/// The new path in `a/x b/y` (the split where both halves name the same file, else the last ` b/`).
fn git_header_path(rest: &str) -> Option<String> {
    let rest = rest.trim();
    let splits: Vec<usize> = rest.match_indices(" b/").map(|(i, _)| i).collect();
    let chosen = splits
        .iter()
        .find(|&&i| rest.get(..i).and_then(|a| a.strip_prefix("a/")) == rest.get(i + 3..))
        .or(splits.last())?;
    rest.get(chosen + 3..).map(|p| unquote(p).to_owned())
}

/// The path of a `---`/`+++` header without its `a/`/`b/` prefix and timestamp; `None` for `/dev/null`.
fn diff_path(rest: &str, prefix: &str) -> Option<String> {
    let path = unquote(rest.split('\t').next().unwrap_or(rest).trim_end());
    if path == "/dev/null" || path.is_empty() {
        return None;
    }
    Some(path.strip_prefix(prefix).unwrap_or(path).to_owned())
}

fn unquote(path: &str) -> &str {
    path.strip_prefix('"')
        .and_then(|p| p.strip_suffix('"'))
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANT: &str = "sk-ant-api03-Xy7Zq9Wv2Ut4Sr6Qp8On0Ml1Kj3Ih5Gf-AA";
    const GHP: &str = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5";

    fn places(r: &Redacted) -> Vec<(SecretKind, Option<&str>, u32, Option<u32>)> {
        r.redactions
            .iter()
            .map(|x| (x.kind, x.file.as_deref(), x.line, x.file_line))
            .collect()
    }

    #[test]
    fn plain_text_keeps_everything_but_the_secret() {
        let text = format!("line one\r\nexport KEY={ANT}\nno newline {GHP}");
        let r = redact_text(&text);
        assert_eq!(
            r.text,
            "line one\r\nexport KEY=[REDACTED:anthropic_key]\nno newline [REDACTED:github_token]"
        );
        assert_eq!(
            places(&r),
            vec![
                (SecretKind::AnthropicKey, None, 2, None),
                (SecretKind::GithubToken, None, 3, None)
            ]
        );
        assert_eq!(
            redact_text(&r.text),
            Redacted {
                text: r.text.clone(),
                redactions: vec![]
            }
        );
    }

    #[test]
    fn diff_lines_are_placed_in_their_files() {
        let diff = format!(
            "diff --git a/src/config.rs b/src/config.rs\n\
             index 1111111..2222222 100644\n\
             --- a/src/config.rs\n\
             +++ b/src/config.rs\n\
             @@ -10,3 +10,3 @@ fn config() {{\n\
             \x20let a = 1;\n\
             -let key = \"{GHP}\";\n\
             +let key = std::env::var(\"KEY\");\n\
             \x20let b = 2;\n\
             diff --git a/.env.local b/.env.local\n\
             new file mode 100644\n\
             --- /dev/null\n\
             +++ b/.env.local\n\
             @@ -0,0 +1,3 @@\n\
             +# local settings\n\
             +DATABASE_URL=postgres://u:p@localhost/db\n\
             +PORT=\n"
        );
        let r = redact_diff(&diff);
        assert_eq!(
            places(&r),
            vec![
                (SecretKind::GithubToken, Some("src/config.rs"), 7, Some(11)),
                (SecretKind::EnvValue, Some(".env.local"), 16, Some(2)),
            ]
        );
        assert!(r.text.contains("-let key = \"[REDACTED:github_token]\";\n"));
        assert!(r.text.contains("+DATABASE_URL=[REDACTED:env_value]\n"));
        assert!(r.text.contains("+PORT=\n"));
        assert_eq!(r.text.lines().count(), diff.lines().count());
        assert!(looks_like_diff(&diff));
        assert_eq!(redact(&diff), r);
    }

    #[test]
    fn hunk_counts_decide_what_is_a_header() {
        // `--- x` inside the hunk is a removed line `-- x`; after the hunk, it is a header again.
        let diff = "--- a/.env\n+++ b/.env\n@@ -1,2 +1,1 @@\n--- A=1\n-B=2\n+C=3\n--- a/other\n+++ b/other\n@@ -1 +1 @@\n-D=4\n+E=5\n";
        let r = redact_diff(diff);
        let files: Vec<_> = r.redactions.iter().map(|x| x.file.as_deref()).collect();
        assert_eq!(files, vec![Some(".env"), Some(".env")], "{}", r.text);
        assert!(r.text.contains("+E=5"));
    }

    #[test]
    fn a_key_block_is_tracked_per_side() {
        let diff = "diff --git a/k.pem b/k.pem\n--- a/k.pem\n+++ b/k.pem\n@@ -1,3 +1,5 @@\n -----BEGIN PRIVATE KEY-----\n AAAA\n------END PRIVATE KEY-----\n+BBBB\n+CCCC\n+-----END PRIVATE KEY-----\n";
        let r = redact_diff(diff);
        assert!(!r.text.contains("AAAA") && !r.text.contains("BBBB") && !r.text.contains("CCCC"));
        assert_eq!(
            places(&r),
            vec![(SecretKind::PrivateKey, Some("k.pem"), 6, Some(2))]
        );
    }

    #[test]
    fn file_mode_applies_env_rules_by_name() {
        assert!(is_env_file(".env") && is_env_file("app/.env.production"));
        assert!(!is_env_file("env.rs") && !is_env_file(".envrc") && !is_env_file("x.env"));
        let r = redact_file("deploy/.env", "A=1\nB=\"two\nlines\"\n");
        assert_eq!(r.text, "A=[REDACTED:env_value]\nB=[REDACTED:env_value]\n\n");
        assert_eq!(
            places(&r),
            vec![
                (SecretKind::EnvValue, Some("deploy/.env"), 1, Some(1)),
                (SecretKind::EnvValue, Some("deploy/.env"), 2, Some(2)),
            ]
        );
        assert_eq!(redact_file("src/main.rs", "A=1\n").redactions, vec![]);
    }

    #[test]
    fn groups_keep_file_order() {
        let r = |kind, file: &str| Redaction {
            kind,
            file: Some(file.into()),
            line: 1,
            file_line: None,
        };
        let groups = group(&[
            r(SecretKind::EnvValue, "b"),
            r(SecretKind::GithubToken, "a"),
            r(SecretKind::AnthropicKey, "b"),
            r(SecretKind::EnvValue, "b"),
        ]);
        let shape: Vec<_> = groups
            .iter()
            .map(|g| (g.kind, g.file.as_deref(), g.count))
            .collect();
        assert_eq!(
            shape,
            vec![
                (SecretKind::AnthropicKey, Some("b"), 1),
                (SecretKind::EnvValue, Some("b"), 2),
                (SecretKind::GithubToken, Some("a"), 1),
            ]
        );
    }
}
