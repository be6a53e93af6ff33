//! Keeps secrets out of text that came from a provider (error bodies, stream events, streamed answers,
//! tool calls) or from tools, before it reaches an error, an event, a log or the store.
//!
//! A provider may echo the key it was sent, whole or in part ("invalid key sk-ant-api03-AbCd…"), so besides
//! the whole secret any run of at least [`FRAGMENT_LEN`] consecutive characters of it is replaced by
//! [`REDACTED`]. Secrets shorter than that are only matched whole. Streamed text is scrubbed by
//! [`StreamScrubber`], which holds back the few characters at the end of what arrived that could be the
//! start of a secret split across events, so what it lets through is exactly the scrubbed whole.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::error::ProviderError;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The shortest run of a secret's characters that is recognised as a fragment of it.
pub const FRAGMENT_LEN: usize = 8;

/// Secrets shorter than this are not secrets worth matching (they would mangle ordinary text).
const MIN_SECRET_LEN: usize = 4;

#[derive(Default)]
struct Secrets {
    /// Each secret's bytes.
    secrets: Vec<Vec<u8>>,
    /// For secrets of at least `FRAGMENT_LEN` bytes: each `FRAGMENT_LEN`-byte window → (secret, offset).
    windows: HashMap<[u8; FRAGMENT_LEN], Vec<(usize, usize)>>,
    longest: usize,
}

/// Replaces configured secrets and recognisable fragments of them. Cheap to clone.
#[derive(Clone, Default)]
pub struct SecretScrubber {
    inner: Arc<Secrets>,
}

impl fmt::Debug for SecretScrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretScrubber({} secrets)", self.inner.secrets.len())
    }
}

impl SecretScrubber {
    /// A scrubber for `secrets` (blank and very short ones are ignored).
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let mut inner = Secrets::default();
        for secret in secrets {
            let bytes = secret.as_ref().trim().as_bytes().to_vec();
            if bytes.len() < MIN_SECRET_LEN || inner.secrets.contains(&bytes) {
                continue;
            }
            let index = inner.secrets.len();
            for (offset, window) in bytes.windows(FRAGMENT_LEN).enumerate() {
                if let Ok(key) = <[u8; FRAGMENT_LEN]>::try_from(window) {
                    inner.windows.entry(key).or_default().push((index, offset));
                }
            }
            inner.longest = inner.longest.max(bytes.len());
            inner.secrets.push(bytes);
        }
        Self {
            inner: Arc::new(inner),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.inner.secrets.is_empty()
    }

    /// `text` with every secret and fragment replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_owned();
        }
        render(text, &self.matches(text), text.len())
    }

    /// The same error with its message scrubbed, whatever its kind.
    pub fn scrub_error(&self, error: ProviderError) -> ProviderError {
        if self.is_empty() {
            return error;
        }
        error.map_message(|m| self.scrub(&m))
    }

    /// Scrubs every string in a JSON value (object keys included), in place.
    pub fn scrub_json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(s) => {
                let clean = self.scrub(s);
                if clean != *s {
                    *s = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut v) in entries {
                    self.scrub_json(&mut v);
                    map.insert(self.scrub(&key), v);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// A scrubber for text that arrives in pieces.
    pub fn stream(&self) -> StreamScrubber {
        StreamScrubber {
            scrubber: self.clone(),
            pending: String::new(),
        }
    }

    /// The byte ranges to redact in `text`, left to right, each as long as it can be; on char boundaries.
    fn matches(&self, text: &str) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let found = self.longest_match_at(bytes, at);
            if found > 0 {
                let mut end = at + found;
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                out.push((at, end));
                at = end;
            } else {
                at += text
                    .get(at..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
            }
        }
        out
    }

    /// The length of the longest secret or fragment starting at `at` (0 for none).
    fn longest_match_at(&self, bytes: &[u8], at: usize) -> usize {
        let rest = bytes.get(at..).unwrap_or_default();
        let mut best = 0;
        for secret in &self.inner.secrets {
            if secret.len() < FRAGMENT_LEN && rest.starts_with(secret) {
                best = best.max(secret.len());
            }
        }
        let window = rest
            .get(..FRAGMENT_LEN)
            .and_then(|w| <[u8; FRAGMENT_LEN]>::try_from(w).ok());
        let Some(hits) = window.and_then(|w| self.inner.windows.get(&w)) else {
            return best;
        };
        for &(index, offset) in hits {
            let Some(tail) = self.inner.secrets.get(index).and_then(|s| s.get(offset..)) else {
                continue;
            };
            let same = tail.iter().zip(rest).take_while(|(a, b)| a == b).count();
            best = best.max(same);
        }
        best
    }

    /// How many bytes at the end of `text` could be the start of a secret continued by later text.
    fn open_tail(&self, text: &str) -> usize {
        let longest = self.inner.longest.min(text.len());
        for len in (1..=longest).rev() {
            let start = text.len() - len;
            let Some(tail) = text.get(start..) else {
                continue;
            };
            let tail = tail.as_bytes();
            if self
                .inner
                .secrets
                .iter()
                .any(|s| s.windows(tail.len()).any(|w| w == tail))
            {
                return len;
            }
        }
        0
    }
}

/// `text[..end]` with `matches` (those ending by `end`) replaced.
fn render(text: &str, matches: &[(usize, usize)], end: usize) -> String {
    let mut out = String::with_capacity(end);
    let mut at = 0;
    for &(start, stop) in matches.iter().take_while(|(_, stop)| *stop <= end) {
        out.push_str(text.get(at..start).unwrap_or_default());
        out.push_str(REDACTED);
        at = stop;
    }
    out.push_str(text.get(at..end).unwrap_or_default());
    out
}

/// Scrubs text that arrives in pieces: [`push`](Self::push) returns what is safe to pass on now,
/// [`finish`](Self::finish) the rest. Together they give exactly `scrub` of the whole text.
#[derive(Debug)]
pub struct StreamScrubber {
    scrubber: SecretScrubber,
    pending: String,
}

impl StreamScrubber {
    pub fn push(&mut self, piece: &str) -> String {
        if self.scrubber.is_empty() {
            return piece.to_owned();
        }
        self.pending.push_str(piece);
        let matches = self.scrubber.matches(&self.pending);
        let mut cut = self.pending.len() - self.scrubber.open_tail(&self.pending);
        if let Some(&(start, _)) = matches
            .iter()
            .find(|(start, stop)| *start < cut && cut < *stop || *stop == self.pending.len())
        {
            cut = cut.min(start);
        }
        let out = render(&self.pending, &matches, cut);
        self.pending.drain(..cut);
        out
    }

    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.scrubber.scrub(&rest)
    }
}

/// `url` with any user name and password replaced, so a base URL can be shown: `https://u:p@host/v1` →
/// `https://[redacted]@host/v1`. Works on text that is not a valid URL too (it may be shown in an error).
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = url.get(scheme_end..).unwrap_or_default();
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_len).unwrap_or_default();
    match authority.rfind('@') {
        Some(at) => format!(
            "{}{REDACTED}{}",
            url.get(..scheme_end).unwrap_or_default(),
            rest.get(at..).unwrap_or_default()
        ),
        None => url.to_owned(),
    }
}

/// The secrets in a URL's user info, as written and decoded: the password, and the user name when it is
/// long enough to be a token (`https://TOKEN@host`) rather than a name that would mangle ordinary text.
pub fn url_credentials(url: &str) -> Vec<String> {
    let Ok(parsed) = reqwest::Url::parse(url.trim()) else {
        return Vec::new();
    };
    let user = Some(parsed.username()).filter(|u| u.len() >= FRAGMENT_LEN);
    let mut out = Vec::new();
    for raw in [user, parsed.password()].into_iter().flatten() {
        out.push(raw.to_owned());
        if let Ok(decoded) = percent_decode(raw)
            && decoded != raw
        {
            out.push(decoded);
        }
    }
    out
}

/// `%XX` escapes decoded (URL user info is kept escaped by the parser).
fn percent_decode(text: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes.get(i), hex) {
            (Some(b'%'), Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (Some(&b), _) => {
                out.push(b);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Built from pieces so this file holds no key-shaped text (the repository is checked for secrets).
    const KEY: &str = concat!("sk-", "ant-api03-AbCdEfGhIjKlMnOp-qrstuv");

    #[test]
    fn whole_secrets_and_fragments_are_replaced() {
        let s = SecretScrubber::new([KEY]);
        assert_eq!(
            s.scrub(&format!("bad key {KEY}, starts {}…", &KEY[..20])),
            "bad key [redacted], starts [redacted]…"
        );
        // Any 8-character run, also in the middle, and joined to other text.
        assert_eq!(s.scrub("x=EfGhIjKl."), "x=[redacted].");
        assert_eq!(s.scrub("short EfGhIjK stays"), "short EfGhIjK stays");
        assert_eq!(s.scrub("héllo wörld"), "héllo wörld");
        let short = SecretScrubber::new(["abcd", " ", "ab"]);
        assert_eq!(short.scrub("abcdabc ab"), "[redacted]abc ab");
        assert!(SecretScrubber::new([""]).is_empty());
    }

    #[test]
    fn streamed_pieces_give_exactly_the_scrubbed_whole() {
        let s = SecretScrubber::new([KEY, "other-secret-value"]);
        let text = format!(
            "a {KEY} b sk-ant-api03-AbC c other-secret-value… d sk-ant-api0 ü {} end sk-",
            &KEY[5..30]
        );
        let whole = s.scrub(&text);
        assert!(!whole.contains("AbCdEfGh"), "{whole}");
        let chars: Vec<char> = text.chars().collect();
        for size in 1..=13 {
            let mut stream = s.stream();
            let mut out = String::new();
            for piece in chars.chunks(size) {
                out.push_str(&stream.push(&piece.iter().collect::<String>()));
            }
            out.push_str(&stream.finish());
            assert_eq!(out, whole, "pieces of {size}");
        }
        // Ordinary text is held back only as far as it could start a secret.
        let mut stream = SecretScrubber::new([KEY]).stream();
        assert_eq!(stream.push("good day "), "good day ");
        assert_eq!(stream.push("ok sk-an"), "ok ");
        assert_eq!(stream.finish(), "sk-an");
    }

    #[test]
    fn json_strings_and_errors_are_scrubbed() {
        let s = SecretScrubber::new([KEY]);
        let mut v = serde_json::json!({"path": "a", "content": [format!("k={KEY}")], KEY: 1});
        s.scrub_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"path": "a", "content": ["k=[redacted]"], "[redacted]": 1})
        );
        let e = s.scrub_error(ProviderError::Auth {
            message: format!("no: {KEY}"),
        });
        assert_eq!(e.to_string(), "no: [redacted]");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("https://user:pa%40ss@host:8080/v1?x=1"),
            "https://[redacted]@host:8080/v1?x=1"
        );
        assert_eq!(
            redact_url("http://token@127.0.0.1/v1"),
            "http://[redacted]@127.0.0.1/v1"
        );
        assert_eq!(redact_url("http://host/a@b"), "http://host/a@b");
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(
            url_credentials("https://user:pa%40ss@host/v1"),
            ["pa%40ss", "pa@ss"]
        );
        assert_eq!(
            url_credentials("https://long-token-value@host/v1"),
            ["long-token-value"]
        );
        assert!(url_credentials("https://host/v1").is_empty());
    }
}
