//! Git's C-style quoting of path names (`core.quotePath`), byte for byte: diff headers must equal
//! `git diff`, and path names that are not UTF-8 need a lossless text form.

/// Whether git quotes a name containing `byte` (with `core.quotePath` on, bytes >= 0x80 are quoted).
fn must_quote(byte: u8, quote_high: bool) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\' || byte == 0x7f || (byte >= 0x80 && quote_high)
}

/// Whether `name` would be quoted by git.
pub(crate) fn needs_quoting(name: &[u8], quote_high: bool) -> bool {
    name.iter().any(|&b| must_quote(b, quote_high))
}

/// `prefix` + `name`, quoted as a whole when `name` needs it: `"a/caf\303\251"`, like git's `quote_two`.
pub(crate) fn quote_prefixed(prefix: &[u8], name: &[u8], quote_high: bool) -> Vec<u8> {
    if !needs_quoting(name, quote_high) {
        let mut out = prefix.to_vec();
        out.extend_from_slice(name);
        return out;
    }
    let mut out = Vec::with_capacity(prefix.len() + name.len() + 8);
    out.push(b'"');
    for &b in prefix.iter().chain(name) {
        if !must_quote(b, quote_high) {
            out.push(b);
            continue;
        }
        out.push(b'\\');
        match b {
            0x07 => out.push(b'a'),
            0x08 => out.push(b'b'),
            b'\t' => out.push(b't'),
            b'\n' => out.push(b'n'),
            0x0b => out.push(b'v'),
            0x0c => out.push(b'f'),
            b'\r' => out.push(b'r'),
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            other => out.extend_from_slice(format!("{other:03o}").as_bytes()),
        }
    }
    out.push(b'"');
    out
}

/// The bytes a quoted name stands for, or `None` when `text` is not a well-formed quoted name.
pub(crate) fn unquote(text: &str) -> Option<Vec<u8>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b == b'"' {
            return None;
        }
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let escaped = *bytes.get(i)?;
        i += 1;
        let value = match escaped {
            b'a' => 0x07,
            b'b' => 0x08,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 0x0b,
            b'f' => 0x0c,
            b'r' => b'\r',
            b'"' => b'"',
            b'\\' => b'\\',
            b'0'..=b'3' => {
                let digits = bytes.get(i - 1..i + 2)?;
                i += 2;
                let text = std::str::from_utf8(digits).ok()?;
                u8::from_str_radix(text, 8).ok()?
            }
            _ => return None,
        };
        out.push(value);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_git() {
        assert_eq!(
            quote_prefixed(b"a/", b"plain name.txt", true),
            b"a/plain name.txt"
        );
        assert_eq!(
            quote_prefixed(b"a/", "café".as_bytes(), true),
            br#""a/caf\303\251""#.to_vec()
        );
        assert_eq!(
            quote_prefixed(b"", "café".as_bytes(), false),
            "café".as_bytes()
        );
        assert_eq!(
            quote_prefixed(b"b/", b"tab\there", true),
            br#""b/tab\there""#.to_vec()
        );
        assert_eq!(
            quote_prefixed(b"", b"q\"uote\\", true),
            br#""q\"uote\\""#.to_vec()
        );
        assert_eq!(
            quote_prefixed(b"", b"del\x7f", true),
            br#""del\177""#.to_vec()
        );
    }

    #[test]
    fn unquote_reverses_quote() {
        for name in [
            b"caf\xc3\xa9".to_vec(),
            b"latin\xe9".to_vec(),
            b"a\tb\nc\"d\\e\x01".to_vec(),
        ] {
            let quoted = quote_prefixed(b"", &name, true);
            let text = String::from_utf8(quoted).unwrap();
            assert_eq!(unquote(&text), Some(name));
        }
        assert_eq!(unquote("plain"), None);
        assert_eq!(unquote(r#""bad\q""#), None);
        assert_eq!(unquote(r#""cut\3""#), None);
    }
}
