//! One imperative line that names a change: a commit subject, a pull request title.
//!
//! Written from the spec's goal when its first sentence starts with a verb ("Adds retry…", "We want to add
//! retry…" → "Add retry…"), else from a task title that does, else from the goal as written, else from the
//! changed files. Always at most the given length, cut at a word boundary.

use super::changed_file::{ChangedFile, FileStatus};
use super::spec_digest::SpecDigest;

/// Git's advice for a subject line, and what we hold both commit subjects and PR titles to.
pub const SUBJECT_MAX: usize = 72;

/// Verbs a change is usually named by, in their base form.
const VERBS: &[&str] = &[
    "accept",
    "add",
    "allow",
    "avoid",
    "build",
    "bump",
    "cache",
    "change",
    "check",
    "clean",
    "convert",
    "correct",
    "count",
    "create",
    "delete",
    "detect",
    "disable",
    "document",
    "draw",
    "drop",
    "enable",
    "ensure",
    "expose",
    "extract",
    "fix",
    "flag",
    "handle",
    "hide",
    "honor",
    "honour",
    "implement",
    "improve",
    "introduce",
    "keep",
    "let",
    "limit",
    "list",
    "load",
    "log",
    "make",
    "mark",
    "measure",
    "merge",
    "migrate",
    "move",
    "parse",
    "persist",
    "port",
    "prevent",
    "print",
    "read",
    "record",
    "reduce",
    "refactor",
    "reject",
    "remove",
    "rename",
    "render",
    "replace",
    "report",
    "restore",
    "retry",
    "return",
    "run",
    "save",
    "send",
    "show",
    "simplify",
    "skip",
    "speed",
    "split",
    "start",
    "stop",
    "store",
    "support",
    "switch",
    "teach",
    "test",
    "tidy",
    "track",
    "update",
    "upgrade",
    "use",
    "validate",
    "warn",
    "wire",
    "write",
];

/// Past forms that do not follow a rule.
const IRREGULAR: &[(&str, &str)] = &[
    ("made", "make"),
    ("wrote", "write"),
    ("written", "write"),
    ("built", "build"),
    ("ran", "run"),
    ("kept", "keep"),
    ("let", "let"),
    ("split", "split"),
];

/// Lead-ins that come before the verb in a goal.
const LEAD_INS: &[&str] = &[
    "goal:",
    "the goal is to ",
    "our goal is to ",
    "we want to ",
    "we need to ",
    "i want to ",
    "i'd like to ",
    "please ",
    "this change ",
    "this pull request ",
    "this pr ",
    "in order to ",
    "to ",
];

/// The subject line for a change: see the module docs for the order of preference.
pub fn subject(digest: &SpecDigest, changes: &[ChangedFile], max: usize) -> String {
    let goal = digest.goal.as_deref();
    let line = goal
        .and_then(imperative)
        .or_else(|| {
            // Done tasks name the change better than open ones.
            digest
                .done_tasks()
                .chain(digest.open_tasks())
                .find_map(|t| imperative(&t.title))
        })
        .or_else(|| goal.and_then(first_sentence))
        .or_else(|| digest.tasks.first().and_then(|t| first_sentence(&t.title)))
        .unwrap_or_else(|| from_changes(changes));
    fit(&line, max)
}

/// The first sentence of `text` in the imperative, when it starts (after a lead-in) with a known verb.
pub fn imperative(text: &str) -> Option<String> {
    let sentence = first_sentence(text)?;
    let mut rest = sentence.as_str();
    loop {
        let lower = rest.to_ascii_lowercase();
        let Some(lead) = LEAD_INS.iter().find(|l| lower.starts_with(**l)) else {
            break;
        };
        rest = rest.get(lead.len()..).unwrap_or("").trim_start();
    }
    let word_end = rest
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(rest.len());
    let word = rest.get(..word_end)?;
    let base = base_form(&word.to_lowercase())?;
    let tail = rest.get(word_end..).unwrap_or("");
    Some(capitalise(&format!("{base}{tail}")))
}

/// The first sentence of the first line of prose in `text`: list markers, checkboxes and bold markers
/// dropped, capitalised, without a closing period.
pub fn first_sentence(text: &str) -> Option<String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("```"))?;
    let line = strip_list_marker(line).replace("**", "").replace("__", "");
    let mut end = line.len();
    for (at, _) in line.match_indices(". ") {
        let before = line.get(..at).unwrap_or("");
        let last_word = before.rsplit(' ').next().unwrap_or("");
        if !matches!(last_word, "e.g" | "i.e" | "etc" | "vs") {
            end = at;
            break;
        }
    }
    let sentence = line
        .get(..end)
        .unwrap_or(&line)
        .trim()
        .trim_end_matches(['.', ':', ';', '!'])
        .trim_end();
    let sentence = drop_line_reference(sentence);
    (!sentence.is_empty()).then(|| capitalise(sentence))
}

/// Where a long sentence can end without losing its head: before a subordinate clause.
const CLAUSE_BREAKS: &[&str] = &[
    ", ",
    "; ",
    " — ",
    " – ",
    " so that ",
    " because ",
    " which ",
];

/// `line` cut to at most `max` characters: at the last clause break past the first third, else at a word
/// boundary in the second half, never leaving an unclosed backtick or a dangling separator.
pub fn fit(line: &str, max: usize) -> String {
    let line = line.trim();
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let hard: String = line.chars().take(max).collect();
    let long_enough =
        |at: usize, min: usize| hard.get(..at).is_some_and(|h| h.chars().count() > min);
    let clause = CLAUSE_BREAKS
        .iter()
        .filter_map(|b| hard.rfind(b))
        .filter(|at| long_enough(*at, max / 3))
        .max();
    let word = hard.rfind(' ').filter(|at| long_enough(*at, max / 2));
    let mut cut = match clause.or(word) {
        Some(at) => hard.get(..at).unwrap_or(&hard).to_owned(),
        None => hard.clone(),
    };
    if cut.matches('`').count() % 2 == 1
        && let Some(tick) = cut.rfind('`')
    {
        cut.truncate(tick);
    }
    cut.trim_end_matches([' ', ',', ';', ':', '-', '–', '—', '(', '.'])
        .to_owned()
}

fn base_form(word: &str) -> Option<&'static str> {
    if word.is_empty() {
        return None;
    }
    if let Some((_, base)) = IRREGULAR.iter().find(|(form, _)| *form == word) {
        return Some(base);
    }
    VERBS.iter().copied().find(|verb| {
        let stem_e = verb.strip_suffix('e');
        let stem_y = verb.strip_suffix('y');
        let last = verb.chars().last().map(String::from).unwrap_or_default();
        let forms = [
            (*verb).to_owned(),
            format!("{verb}s"),
            format!("{verb}es"),
            format!("{verb}d"),
            format!("{verb}ed"),
            format!("{verb}ing"),
            format!("{verb}{last}ed"),
            format!("{verb}{last}ing"),
            stem_e.map(|s| format!("{s}ing")).unwrap_or_default(),
            stem_y.map(|s| format!("{s}ied")).unwrap_or_default(),
            stem_y.map(|s| format!("{s}ies")).unwrap_or_default(),
        ];
        forms.iter().any(|f| f == word)
    })
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn strip_list_marker(line: &str) -> &str {
    let mut rest = line;
    for marker in ["- ", "* ", "+ "] {
        if let Some(r) = rest.strip_prefix(marker) {
            rest = r;
            break;
        }
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && let Some(r) = rest
            .get(digits..)
            .and_then(|r| r.strip_prefix(". ").or_else(|| r.strip_prefix(") ")))
    {
        rest = r;
    }
    for box_ in ["[ ] ", "[x] ", "[X] "] {
        if let Some(r) = rest.strip_prefix(box_) {
            rest = r;
        }
    }
    rest.trim()
}

/// Drops a trailing `(lines 10-42)` / `(line 7)` reference: useful in a task, noise in a subject.
fn drop_line_reference(sentence: &str) -> &str {
    if let Some(open) = sentence.rfind(" (line")
        && sentence.ends_with(')')
    {
        return sentence.get(..open).unwrap_or(sentence).trim_end();
    }
    sentence
}

fn from_changes(changes: &[ChangedFile]) -> String {
    match changes {
        [] => "Update files".to_owned(),
        [one] => {
            let verb = match one.status {
                FileStatus::Added | FileStatus::Untracked | FileStatus::Copied => "Add",
                FileStatus::Deleted => "Delete",
                FileStatus::Renamed => "Rename",
                FileStatus::Modified | FileStatus::TypeChanged => "Update",
            };
            format!("{verb} {}", one.display_path())
        }
        many => {
            let dirs: Vec<&str> = many
                .iter()
                .map(|f| f.path.rsplit_once('/').map_or("", |(dir, _)| dir))
                .collect();
            match dirs.first() {
                Some(first) if !first.is_empty() && dirs.iter().all(|d| d == first) => {
                    format!("Update {} files in {first}", many.len())
                }
                _ => format!("Update {} files", many.len()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::spec_digest::SpecDigest;

    #[test]
    fn goals_become_imperative() {
        for (goal, want) in [
            (
                "Add retry to the HTTP client.",
                "Add retry to the HTTP client",
            ),
            ("Adds retry. Then more.", "Add retry"),
            ("We want to support **GHE** hosts", "Support GHE hosts"),
            (
                "- fixing the flaky decode test",
                "Fix the flaky decode test",
            ),
            (
                "This change makes the index smaller",
                "Make the index smaller",
            ),
            (
                "Dropped the old table, e.g. runs_v0.",
                "Drop the old table, e.g. runs_v0",
            ),
            ("Retried calls (line 3-9)", "Retry calls"),
        ] {
            assert_eq!(imperative(goal).as_deref(), Some(want), "{goal}");
        }
        assert_eq!(imperative("The client retries"), None);
        assert_eq!(imperative(""), None);
    }

    #[test]
    fn fitting_cuts_at_words_and_closes_nothing_half_open() {
        assert_eq!(fit("short", 72), "short");
        let long =
            "Add retry with exponential backoff and jitter to every request the `HttpClient` sends";
        let cut = fit(long, 72);
        assert!(cut.chars().count() <= 72, "{cut}");
        assert_eq!(
            cut,
            "Add retry with exponential backoff and jitter to every request the"
        );
        assert_eq!(
            fit(
                "Add retry to the HTTP client, so that a flaky network does not fail a whole run",
                72
            ),
            "Add retry to the HTTP client"
        );
        assert_eq!(fit("aaaaaaaaaaaaaaaaaaaa", 8), "aaaaaaaa");
        assert_eq!(fit("Use `a_very_long_name_here` now", 14), "Use");
    }

    #[test]
    fn subject_falls_back_from_goal_to_tasks_to_files() {
        let spec = |goal: &str| {
            format!(
                "## Goal\n{goal}\n## Tasks\n- [x] Implement: add retry to `src/http.rs` (lines 3-9)\n"
            )
        };
        let files = [ChangedFile::new("src/http.rs", FileStatus::Modified, 1, 1)];
        let digest = SpecDigest::new(&spec("Adding retries."), &[]);
        assert_eq!(subject(&digest, &files, 72), "Add retries");
        let digest = SpecDigest::new(&spec("The client retries."), &[]);
        assert_eq!(subject(&digest, &files, 72), "Add retry to `src/http.rs`");
        let digest = SpecDigest::new("## Goal\nThe client retries.\n", &[]);
        assert_eq!(subject(&digest, &files, 72), "The client retries");
        let empty = SpecDigest::default();
        assert_eq!(subject(&empty, &files, 72), "Update src/http.rs");
        let two = [
            ChangedFile::new("src/a.rs", FileStatus::Added, 1, 0),
            ChangedFile::new("src/b.rs", FileStatus::Modified, 1, 0),
        ];
        assert_eq!(subject(&empty, &two, 72), "Update 2 files in src");
        assert_eq!(subject(&empty, &[], 72), "Update files");
    }
}
