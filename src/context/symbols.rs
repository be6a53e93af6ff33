//! Symbol definitions found by their keywords (`fn`, `struct`, `class`, `def`, `function`, `interface`,
//! ...), language-agnostically, line by line. A file that defines a name the query uses is far more likely
//! to be the one a change needs than a file that only mentions it, so definitions are a ranking field of
//! their own (`docs/RETRIEVAL.md`).
//!
//! A keyword scan rather than a parser: it needs no grammar per language, costs a pass over words the
//! tokenizer makes anyway, and misses only what has no keyword (class methods in JavaScript, C functions).

/// Words that may stand before a definition keyword without being the defined name.
const MODIFIERS: &[&str] = &[
    "abstract",
    "async",
    "crate",
    "declare",
    "default",
    "export",
    "extern",
    "final",
    "in",
    "inline",
    "internal",
    "open",
    "override",
    "private",
    "protected",
    "pub",
    "public",
    "readonly",
    "sealed",
    "self",
    "super",
    "unsafe",
    "virtual",
];

/// Keywords whose next word is the defined name.
const DEFINES: &[&str] = &[
    "class",
    "const",
    "def",
    "enum",
    "fn",
    "fun",
    "func",
    "function",
    "impl",
    "interface",
    "macro_rules",
    "mod",
    "module",
    "namespace",
    "object",
    "protocol",
    "record",
    "static",
    "struct",
    "trait",
    "type",
    "typedef",
    "union",
];

/// Keywords that define a name only at the top level (otherwise every local variable would count).
const TOP_LEVEL_DEFINES: &[&str] = &["let", "var"];

/// Calls `emit` with each name `line` defines (at most a couple; most lines define none).
pub fn for_each_definition(line: &str, mut emit: impl FnMut(&str)) {
    let top_level = !line.starts_with([' ', '\t']);
    let mut words = line
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty());
    let mut keyword = None;
    for word in words.by_ref() {
        if MODIFIERS.contains(&word) {
            continue;
        }
        if DEFINES.contains(&word) || (top_level && TOP_LEVEL_DEFINES.contains(&word)) {
            keyword = Some(word);
        }
        break;
    }
    let Some(keyword) = keyword else {
        if let Some(name) = method_name(line) {
            emit(name);
        }
        return;
    };
    // `mod name;` points at another file (which defines the module); it defines nothing here.
    if keyword == "mod" && line.trim_end().ends_with(';') {
        return;
    }
    match keyword {
        // `impl<T> Trait for Type`: both names, not the generics' single letters.
        "impl" => {
            for word in words.take(6) {
                if word.len() > 1 && !matches!(word, "for" | "where" | "dyn" | "mut") {
                    emit(word);
                }
            }
        }
        // `func (r *Recv) Name(`: the name after the receiver.
        "func" => {
            let rest = line
                .split_once("func")
                .map(|(_, r)| r.trim_start())
                .unwrap_or("");
            let rest = match rest.strip_prefix('(') {
                Some(r) => r.split_once(')').map(|(_, r)| r).unwrap_or(""),
                None => rest,
            };
            if let Some(name) = rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .find(|w| !w.is_empty())
            {
                emit(name);
            }
        }
        // `const fn name`, `static mut NAME`, `type class Name`: skip one more modifier-like word.
        _ => {
            for word in words.take(2) {
                if matches!(word, "fn" | "mut" | "class" | "async" | "function") {
                    continue;
                }
                emit(word);
                break;
            }
        }
    }
}

/// Words that open a block like a method does (`if (x) {`) without defining anything.
const BLOCK_KEYWORDS: &[&str] = &[
    "catch",
    "constructor",
    "do",
    "else",
    "for",
    "foreach",
    "if",
    "match",
    "return",
    "switch",
    "try",
    "until",
    "when",
    "while",
    "with",
];
/// Words before a method's name that are not its name.
const METHOD_MODIFIERS: &[&str] = &["get", "set", "static"];

/// The name a method or function-valued field defines on an indented line with no definition keyword:
/// `  async fetch(request: Request): Promise<Response> {`, `  header = (name, value) => {`,
/// `  public Foo(int x) {`. Calls (`foo(bar)`, `describe('x', () => {`) and blocks (`if (x) {`) define
/// nothing.
fn method_name(line: &str) -> Option<&str> {
    if !line.starts_with([' ', '\t']) {
        return None;
    }
    let mut rest = line.trim_start();
    let name = loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        if word.is_empty() {
            return None;
        }
        if (MODIFIERS.contains(&word) || METHOD_MODIFIERS.contains(&word)) && after.starts_with(' ')
        {
            rest = after.trim_start();
            continue;
        }
        rest = after;
        break word;
    };
    if BLOCK_KEYWORDS.contains(&name) || name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let rest = rest.strip_prefix('?').unwrap_or(rest);
    let trimmed = line.trim_end();
    if let Some(args) = rest.strip_prefix('(').or_else(|| generic_args(rest)) {
        // `name(args) [: Type] {` with the parentheses closed on the line and a block opened.
        let close = closing_paren(args)?;
        let after = args.get(close + 1..)?.trim_start();
        let block = trimmed.ends_with('{') && !after.contains("=>") && !after.contains('=');
        let ok =
            block && (after.starts_with('{') || after.starts_with(':') || after.starts_with("->"));
        return ok.then_some(name);
    }
    // `name = (args) => {`, `name: Type = async (x) =>`, `name = function (`.
    let field = rest.trim_start();
    if !(field.starts_with(':') || (field.starts_with('=') && !field.starts_with("=="))) {
        return None;
    }
    let value = field.split_once('=').map(|(_, v)| v.trim_start())?;
    let value = value.strip_prefix("async").map_or(value, str::trim_start);
    let arrow = value.starts_with('(') && trimmed.contains("=>");
    (arrow || value.starts_with("function")).then_some(name)
}

/// `<T>(args` → `args` (a generic method's parameters).
fn generic_args(rest: &str) -> Option<&str> {
    let inner = rest.strip_prefix('<')?;
    let close = inner.find('>')?;
    inner.get(close + 1..)?.strip_prefix('(')
}

/// The byte index of the `)` closing a list whose `(` came just before `s`.
fn closing_paren(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_definition(line, |w| out.push(w.to_owned()));
        out
    }

    #[test]
    fn finds_definitions_across_languages() {
        assert_eq!(
            defs("pub(crate) async fn send_request("),
            vec!["send_request"]
        );
        assert_eq!(defs("pub struct HttpClient {"), vec!["HttpClient"]);
        assert_eq!(
            defs("impl<T> Service for Router<T> {"),
            vec!["Service", "Router"]
        );
        assert_eq!(defs("    def close(self):"), vec!["close"]);
        assert_eq!(defs("class AsyncClient(BaseClient):"), vec!["AsyncClient"]);
        assert_eq!(defs("export default function compose("), vec!["compose"]);
        assert_eq!(defs("export const getCookie = (c) => {"), vec!["getCookie"]);
        assert_eq!(defs("export interface Env {"), vec!["Env"]);
        assert_eq!(
            defs("func (s *Server) ServeHTTP(w, r) {"),
            vec!["ServeHTTP"]
        );
        assert_eq!(
            defs("const fn chunk_count(lines: usize)"),
            vec!["chunk_count"]
        );
        assert_eq!(defs("macro_rules! debug {"), vec!["debug"]);
        assert_eq!(defs("let total = 0;"), vec!["total"]);
        assert!(defs("    let total = 0;").is_empty(), "a local variable");
        assert!(defs("    client.send(request);").is_empty());
        assert!(defs("mod http_client;").is_empty(), "a declaration");
        assert_eq!(defs("mod tests {"), vec!["tests"]);
        assert!(defs("// the fn keyword").is_empty());
        assert_eq!(
            defs("  async fetch(request: Request): Promise<Response> {"),
            vec!["fetch"]
        );
        assert_eq!(defs("  header = (name, value) => {"), vec!["header"]);
        assert_eq!(defs("  static get<T>(key: string) {"), vec!["get"]);
        assert_eq!(defs("    public Foo(int x) {"), vec!["Foo"]);
        assert!(defs("    if (x) {").is_empty());
        assert!(defs("    describe('x', () => {").is_empty());
        assert!(defs("    Some(x) => {").is_empty());
        assert!(defs("    foo(bar);").is_empty());
        assert!(defs("    let x = foo(bar) {").is_empty());
        assert!(defs("    this.x = (a) => {").is_empty());
    }
}
