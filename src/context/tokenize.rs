//! Splitting text into search terms: identifiers are split on case changes, digits and underscores, so
//! `retryHttpClient`, `retry_http_client` and "retry the HTTP client" share the terms `retry`, `http`,
//! `client`.

/// Words too common in prompts to say anything about where code lives.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "do", "for", "from", "how", "i", "in", "into",
    "is", "it", "its", "make", "me", "my", "of", "on", "or", "our", "please", "so", "that", "the",
    "then", "this", "to", "we", "with", "you",
];

pub fn is_stopword(term: &str) -> bool {
    STOPWORDS.binary_search(&term).is_ok()
}

/// Calls `emit` with each lowercase term of `text`, in order. A compound identifier yields its parts and,
/// when it has more than one part, the whole (`http_client` → `http`, `client`, `httpclient`).
pub fn for_each_term(text: &str, mut emit: impl FnMut(&str)) {
    let mut word = String::new();
    let flush = |word: &mut String, emit: &mut dyn FnMut(&str)| {
        if !word.is_empty() {
            split_identifier(word, emit);
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut emit);
        }
    }
    flush(&mut word, &mut emit);
}

/// All terms of `text` as owned strings.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.to_owned()));
    out
}

/// Query terms: stopwords dropped unless nothing else is left; duplicates removed; order kept.
pub fn query_terms(text: &str) -> Vec<String> {
    let all = terms(text);
    let mut kept: Vec<String> = all.iter().filter(|t| !is_stopword(t)).cloned().collect();
    if kept.is_empty() {
        kept = all;
    }
    let mut seen = std::collections::HashSet::new();
    kept.retain(|t| seen.insert(t.clone()));
    kept
}

/// `term` and the inflected forms it may take in code or prose: the stem without a plural, `-ing` or `-ed`
/// ending, and that stem with each ending. Only alphabetic terms of five letters or more are inflected.
pub fn inflections(term: &str) -> Vec<String> {
    let mut out = vec![term.to_owned()];
    if term.len() < 5 || !term.chars().all(|c| c.is_ascii_lowercase()) {
        return out;
    }
    let stem = ["ing", "ies", "es", "ed", "s"]
        .iter()
        .find_map(|end| {
            let s = term.strip_suffix(end)?;
            // `class`, `process`: a double s is not a plural.
            (s.len() >= 3 && !(*end == "s" && s.ends_with('s'))).then(|| match *end {
                "ies" => format!("{s}y"),
                _ => s.to_owned(),
            })
        })
        .unwrap_or_else(|| term.to_owned());
    let mut push = |f: String| {
        if !out.contains(&f) {
            out.push(f);
        }
    };
    push(stem.clone());
    push(format!("{stem}s"));
    push(format!("{stem}ed"));
    push(format!("{stem}ing"));
    if let Some(base) = stem.strip_suffix('e') {
        push(format!("{base}ed"));
        push(format!("{base}ing"));
    } else {
        push(format!("{stem}e"));
        push(format!("{stem}es"));
    }
    out
}

fn split_identifier(word: &str, emit: &mut dyn FnMut(&str)) {
    let chars: Vec<char> = word.chars().collect();
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = if i > 0 {
            chars.get(i - 1).copied()
        } else {
            None
        };
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            Some(p) if p != '_' => {
                (p.is_lowercase() && c.is_uppercase())
                    || (p.is_alphabetic() && c.is_ascii_digit())
                    || (p.is_ascii_digit() && c.is_alphabetic())
                    // "HTTPClient": split before the last capital of a run followed by lowercase.
                    || (p.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase))
            }
            _ => false,
        };
        if boundary && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    for part in &parts {
        emit(part);
    }
    if parts.len() > 1 {
        emit(&parts.concat());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        let mut sorted = STOPWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOPWORDS);
    }

    #[test]
    fn splits_identifiers_every_way() {
        assert_eq!(
            terms("retryHttpClient"),
            vec!["retry", "http", "client", "retryhttpclient"]
        );
        assert_eq!(
            terms("retry_http_client"),
            vec!["retry", "http", "client", "retryhttpclient"]
        );
        assert_eq!(
            terms("HTTPClient2"),
            vec!["http", "client", "2", "httpclient2"]
        );
        assert_eq!(terms("fn main() {}"), vec!["fn", "main"]);
        assert_eq!(terms("Größe"), vec!["größe"]);
    }

    #[test]
    fn inflections_cover_plurals_and_verb_forms() {
        let forms = inflections("headers");
        assert!(forms.contains(&"header".to_owned()), "{forms:?}");
        let forms = inflections("handling");
        for f in ["handle", "handled", "handles"] {
            assert!(forms.contains(&f.to_owned()), "{f}: {forms:?}");
        }
        assert!(inflections("class").iter().all(|f| f != "clas"));
        assert_eq!(inflections("ssl"), vec!["ssl"]);
    }

    #[test]
    fn query_terms_drop_stopwords_and_duplicates() {
        assert_eq!(
            query_terms("add retry to the http client, retry!"),
            vec!["add", "retry", "http", "client"]
        );
        assert_eq!(query_terms("do it"), vec!["do", "it"]);
        assert!(query_terms("  ...  ").is_empty());
    }
}
