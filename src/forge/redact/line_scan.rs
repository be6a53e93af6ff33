//! The secret patterns, applied one line at a time: where on a line a secret is, as byte spans.
//!
//! Three kinds of rule (`docs/PULL_REQUESTS.md`, Redaction):
//! * tokens with a known prefix (`sk-`, `ghp_`, `github_pat_`, `AKIA`, `xoxb-`, ...) whose body must look
//!   random enough to be a real key, so that `task-list` or `sk-learn` are left alone;
//! * private-key blocks, `-----BEGIN … PRIVATE KEY-----` to `-----END … PRIVATE KEY-----`, on one line (an
//!   escaped key in JSON) or across lines;
//! * in `.env` files, the value of every `KEY=VALUE` assignment, quoted values across lines included.
//!
//! A line's spans can overlap (a token inside a `.env` value); the caller merges them. The state carried
//! from line to line is whether a key block or a quoted `.env` value is still open.

use super::SecretKind;

/// A stretch of a line to hide. `counted` spans start a secret (one redaction each); the others continue a
/// secret begun on an earlier line and are blanked without a marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: SecretKind,
    pub counted: bool,
}

/// What is still open at the end of a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct LineState {
    in_key_block: bool,
    /// Whether the open key block has been counted (its first non-blank stretch is).
    key_counted: bool,
    /// The quote of a `.env` value that has not been closed yet.
    env_quote: Option<u8>,
}

/// Finds the secrets on `line`, updating `state`; `env_file` turns on the `.env` value rule.
pub(super) fn scan_line(line: &str, env_file: bool, state: &mut LineState, spans: &mut Vec<Span>) {
    let started_in_block = state.in_key_block;
    key_blocks(line, state, spans);
    if env_file && !started_in_block {
        env_value(line, state, spans);
    }
    tokens(line, spans);
    aws_secret(line, spans);
}

// ---------------------------------------------------------------------------------------------------------
// Tokens with a known prefix.

struct TokenRule {
    prefix: &'static str,
    kind: SecretKind,
    /// Bytes the body may contain; the body is the longest run of them after the prefix.
    body: fn(u8) -> bool,
    /// Whether a body is plausible for a real key.
    plausible: fn(&[u8]) -> bool,
}

/// In order of preference at one position: the longer prefix wins.
const TOKEN_RULES: &[TokenRule] = &[
    TokenRule {
        prefix: "sk-ant-",
        kind: SecretKind::AnthropicKey,
        body: is_key_byte,
        plausible: random_looking::<20>,
    },
    TokenRule {
        prefix: "sk-",
        kind: SecretKind::OpenAiKey,
        body: is_key_byte,
        plausible: random_looking::<20>,
    },
    TokenRule {
        prefix: "github_pat_",
        kind: SecretKind::GithubPat,
        body: is_word_byte,
        plausible: random_looking::<30>,
    },
    TokenRule {
        prefix: "ghp_",
        kind: SecretKind::GithubToken,
        body: is_alnum,
        plausible: random_looking::<30>,
    },
    TokenRule {
        prefix: "gho_",
        kind: SecretKind::GithubToken,
        body: is_alnum,
        plausible: random_looking::<30>,
    },
    TokenRule {
        prefix: "ghs_",
        kind: SecretKind::GithubToken,
        body: is_alnum,
        plausible: random_looking::<30>,
    },
    TokenRule {
        prefix: "ghu_",
        kind: SecretKind::GithubToken,
        body: is_alnum,
        plausible: random_looking::<30>,
    },
    TokenRule {
        prefix: "ghr_",
        kind: SecretKind::GithubToken,
        body: is_alnum,
        plausible: random_looking::<30>,
    },
    TokenRule {
        prefix: "AKIA",
        kind: SecretKind::AwsAccessKeyId,
        body: is_alnum,
        plausible: aws_key_id,
    },
    TokenRule {
        prefix: "ASIA",
        kind: SecretKind::AwsAccessKeyId,
        body: is_alnum,
        plausible: aws_key_id,
    },
    TokenRule {
        prefix: "xoxa-",
        kind: SecretKind::SlackToken,
        body: is_slack_byte,
        plausible: slack_token,
    },
    TokenRule {
        prefix: "xoxb-",
        kind: SecretKind::SlackToken,
        body: is_slack_byte,
        plausible: slack_token,
    },
    TokenRule {
        prefix: "xoxp-",
        kind: SecretKind::SlackToken,
        body: is_slack_byte,
        plausible: slack_token,
    },
    TokenRule {
        prefix: "xoxr-",
        kind: SecretKind::SlackToken,
        body: is_slack_byte,
        plausible: slack_token,
    },
];

/// Which bytes start a prefix of [`TOKEN_RULES`].
const FIRST_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < TOKEN_RULES.len() {
        table[TOKEN_RULES[i].prefix.as_bytes()[0] as usize] = true;
        i += 1;
    }
    table
};

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_slack_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// At least `MIN` bytes, a run of 16 letters or digits without a separator, and at least two of lower
/// case, upper case and digits: random key material, not a kebab-case or snake_case name.
fn random_looking<const MIN: usize>(body: &[u8]) -> bool {
    if body.len() < MIN {
        return false;
    }
    let longest_run = body
        .split(|b| !b.is_ascii_alphanumeric())
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    let classes = [
        body.iter().any(u8::is_ascii_lowercase),
        body.iter().any(u8::is_ascii_uppercase),
        body.iter().any(u8::is_ascii_digit),
    ]
    .iter()
    .filter(|present| **present)
    .count();
    longest_run >= 16 && classes >= 2
}

/// Exactly 16 upper-case letters or digits after the prefix.
fn aws_key_id(body: &[u8]) -> bool {
    body.len() == 16
        && body
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Slack tokens are numeric ids and a random part separated by dashes.
fn slack_token(body: &[u8]) -> bool {
    body.len() >= 10 && body.iter().any(u8::is_ascii_digit)
}

/// A prefix only starts a token where no identifier character comes right before it.
fn starts_token(bytes: &[u8], at: usize) -> bool {
    at == 0 || bytes.get(at - 1).is_none_or(|b| !is_key_byte(*b))
}

fn tokens(line: &str, spans: &mut Vec<Span>) {
    let bytes = line.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // Most bytes start no prefix at all: ruled out by one table lookup.
        let candidate = bytes
            .get(at)
            .is_some_and(|b| FIRST_BYTES.get(usize::from(*b)) == Some(&true));
        let matched = if candidate && starts_token(bytes, at) {
            token_at(bytes, at)
        } else {
            None
        };
        match matched {
            Some((end, kind)) => {
                spans.push(Span {
                    start: at,
                    end,
                    kind,
                    counted: true,
                });
                at = end;
            }
            None => at += 1,
        }
    }
}

/// The end and kind of the token starting at `at`, if one does.
fn token_at(bytes: &[u8], at: usize) -> Option<(usize, SecretKind)> {
    let rest = bytes.get(at..)?;
    TOKEN_RULES.iter().find_map(|rule| {
        let body = rest.strip_prefix(rule.prefix.as_bytes())?;
        let len = body.iter().take_while(|b| (rule.body)(**b)).count();
        let body = body.get(..len)?;
        (rule.plausible)(body).then_some((at + rule.prefix.len() + len, rule.kind))
    })
}

/// `aws_secret_access_key = "…40 characters…"` (any case, `=` or `:`, quoted or not).
fn aws_secret(line: &str, spans: &mut Vec<Span>) {
    const NAME: &str = "aws_secret_access_key";
    let lower = line.to_ascii_lowercase();
    let bytes = line.as_bytes();
    let mut search = 0;
    while let Some(found) = lower.get(search..).and_then(|l| l.find(NAME)) {
        let mut at = search + found + NAME.len();
        search = at;
        let skip = |at: &mut usize, set: &[u8]| {
            while bytes.get(*at).is_some_and(|b| set.contains(b)) {
                *at += 1;
            }
        };
        skip(&mut at, b" \t\"'");
        if !bytes.get(at).is_some_and(|b| matches!(b, b'=' | b':')) {
            continue;
        }
        at += 1;
        skip(&mut at, b" \t\"'");
        let len = bytes
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+'))
            .count();
        if len == 40 {
            spans.push(Span {
                start: at,
                end: at + len,
                kind: SecretKind::AwsSecretKey,
                counted: true,
            });
            search = at + len;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Private-key blocks.

/// Finds `open` (`-----BEGIN ` or `-----END `) followed by a label naming a private key and `-----`, at or
/// after `from`; returns the marker's start and end.
fn key_marker(line: &str, from: usize, open: &str) -> Option<(usize, usize)> {
    let mut search = from;
    while let Some(found) = line.get(search..).and_then(|l| l.find(open)) {
        let start = search + found;
        let label_start = start + open.len();
        let rest = line.get(label_start..)?;
        if let Some(close) = rest.find("-----") {
            let label = rest.get(..close).unwrap_or("");
            if label.contains("PRIVATE KEY")
                && label
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
            {
                return Some((start, label_start + close + "-----".len()));
            }
        }
        search = label_start;
    }
    None
}

fn key_blocks(line: &str, state: &mut LineState, spans: &mut Vec<Span>) {
    let mut at = 0;
    loop {
        if state.in_key_block {
            let (end, next) = match key_marker(line, at, "-----END ") {
                Some((start, end)) => (start, Some(end)),
                None => (line.len(), None),
            };
            let inside = line.get(at..end).unwrap_or("").trim();
            if super::is_marker(inside) {
                // Redacted already: nothing left to hide, and nothing new to count.
                state.key_counted = true;
            } else if !inside.is_empty() {
                spans.push(Span {
                    start: at,
                    end,
                    kind: SecretKind::PrivateKey,
                    counted: !state.key_counted,
                });
                state.key_counted = true;
            }
            match next {
                Some(after_end) => {
                    state.in_key_block = false;
                    at = after_end;
                }
                None => return,
            }
        } else {
            match key_marker(line, at, "-----BEGIN ") {
                Some((_, after_begin)) => {
                    state.in_key_block = true;
                    state.key_counted = false;
                    at = after_begin;
                }
                None => return,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// `.env` values.

fn env_value(line: &str, state: &mut LineState, spans: &mut Vec<Span>) {
    if let Some(quote) = state.env_quote {
        // The continuation of a quoted value begun on an earlier line, up to the end of the line like the
        // value's first line (what follows a closing quote is a comment at best).
        if closing_quote(line.as_bytes(), 0, quote).is_some() {
            state.env_quote = None;
        }
        if !line.is_empty() {
            spans.push(Span {
                start: 0,
                end: line.len(),
                kind: SecretKind::EnvValue,
                counted: false,
            });
        }
        return;
    }
    let Some(start) = assignment_value(line) else {
        return;
    };
    let bytes = line.as_bytes();
    let value = line.get(start..).unwrap_or("").trim_end();
    if value.is_empty() || value.starts_with('#') || super::is_marker(value) {
        return;
    }
    if let Some(&quote) = bytes
        .get(start)
        .filter(|b| matches!(b, b'"' | b'\'' | b'`'))
        && closing_quote(bytes, start + 1, quote).is_none()
    {
        state.env_quote = Some(quote);
    }
    spans.push(Span {
        start,
        end: start + value.len(),
        kind: SecretKind::EnvValue,
        counted: true,
    });
}

/// Where the value of `[export] KEY=VALUE` starts, if the line is an assignment.
fn assignment_value(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut at = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    if line.get(at..).is_some_and(|r| r.starts_with("export ")) {
        at += "export ".len();
        at += bytes
            .get(at..)?
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    }
    let first = *bytes.get(at)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    at += bytes
        .get(at..)?
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    at += bytes
        .get(at..)?
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    if *bytes.get(at)? != b'=' {
        return None;
    }
    at += 1;
    at += bytes
        .get(at..)?
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    Some(at)
}

/// The index of the first unescaped `quote` at or after `from`.
fn closing_quote(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut at = from;
    while let Some(&b) = bytes.get(at) {
        if b == b'\\' && quote == b'"' {
            at += 2;
            continue;
        }
        if b == quote {
            return Some(at);
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(line: &str, env: bool) -> Vec<(String, SecretKind, bool)> {
        let mut state = LineState::default();
        let mut spans = Vec::new();
        scan_line(line, env, &mut state, &mut spans);
        spans
            .iter()
            .map(|s| (line[s.start..s.end].to_owned(), s.kind, s.counted))
            .collect()
    }

    #[test]
    fn tokens_need_a_boundary_and_a_random_body() {
        let key = "sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz12";
        assert_eq!(
            scan(&format!("key = \"{key}\";"), false),
            vec![(key.to_owned(), SecretKind::OpenAiKey, true)]
        );
        for prose in [
            "task-list and disk-usage-monitoring-service-v2",
            "use sk-learn for it",
            "sk-this-is-a-very-long-kebab-name-v2",
            "sk-abcdefghijklmnopqrstuvwxyzabcdef",
            "ghp_short1",
            "AKIAIOSFODNN7EXAMPLEX and AKIAlowercase0000000",
            "xoxb-nodigits-here",
        ] {
            assert_eq!(scan(prose, false), vec![], "{prose}");
        }
    }

    #[test]
    fn each_token_kind_is_found() {
        let cases = [
            (
                "sk-ant-api03-Xy7Zq9Wv2Ut4Sr6Qp8On0Ml1Kj3Ih5Gf-AA",
                SecretKind::AnthropicKey,
            ),
            (
                "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5",
                SecretKind::GithubToken,
            ),
            (
                "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJ0123456789",
                SecretKind::GithubPat,
            ),
            ("AKIAIOSFODNN7EXAMPLE", SecretKind::AwsAccessKeyId),
            (
                "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
                SecretKind::SlackToken,
            ),
        ];
        for (token, kind) in cases {
            assert_eq!(
                scan(&format!("({token})"), false),
                vec![(token.to_owned(), kind, true)]
            );
        }
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            scan(&format!("aws_secret_access_key = {secret}"), false),
            vec![(secret.to_owned(), SecretKind::AwsSecretKey, true)]
        );
    }

    #[test]
    fn key_blocks_on_one_line_and_across_lines() {
        let one =
            r#""private_key": "-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n""#;
        assert_eq!(
            scan(one, false),
            vec![(r"\nMIIEv\n".to_owned(), SecretKind::PrivateKey, true)]
        );

        let mut state = LineState::default();
        let mut spans = Vec::new();
        for line in [
            "-----BEGIN RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEA",
            "-----END RSA PRIVATE KEY----- tail",
        ] {
            scan_line(line, false, &mut state, &mut spans);
        }
        assert_eq!(spans.len(), 1);
        assert!(spans[0].counted, "the first body line is the one counted");
        assert!(!state.in_key_block);
        // A public key or certificate is not a secret.
        assert_eq!(scan("-----BEGIN PUBLIC KEY-----", false), vec![]);
    }

    #[test]
    fn env_values_in_env_files_only() {
        assert_eq!(
            scan("export DB_PASSWORD = hunter2 # prod", true),
            vec![("hunter2 # prod".to_owned(), SecretKind::EnvValue, true)]
        );
        assert_eq!(scan("DB_PASSWORD=hunter2", false), vec![]);
        assert_eq!(scan("# COMMENT=x", true), vec![]);
        assert_eq!(scan("EMPTY=", true), vec![]);
        assert_eq!(scan("not an assignment", true), vec![]);

        let mut state = LineState::default();
        let mut spans = Vec::new();
        for line in ["CERT=\"line one", "line two", "end\" ", "NEXT=1"] {
            scan_line(line, true, &mut state, &mut spans);
        }
        let shape: Vec<(usize, bool)> = spans.iter().map(|s| (s.start, s.counted)).collect();
        assert_eq!(shape, vec![(5, true), (0, false), (0, false), (5, true)]);
    }
}
