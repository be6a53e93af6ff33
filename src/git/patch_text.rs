//! Unified diff text byte for byte as `git diff` prints it (no colour, default prefixes): the headers are
//! written here following git's rules (mode lines, similarity, abbreviated `index` line, quoted names, the tab
//! after names with spaces), the hunks come from libgit2.

use super::abbrev::Abbreviator;
use super::file_pair::{ChangeStatus, FilePair, PatchBody, Side};
use super::quote::quote_prefixed;

/// Writes the diff of every pair.
pub(crate) fn render_all(
    pairs: &[FilePair],
    abbrev: &Abbreviator<'_>,
    quote_path: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    for pair in pairs {
        render(&mut out, pair, abbrev, quote_path);
    }
    out
}

/// Writes one pair's diff (a type change as a deletion and an addition, as git does).
pub(crate) fn render(
    out: &mut Vec<u8>,
    pair: &FilePair,
    abbrev: &Abbreviator<'_>,
    quote_path: bool,
) {
    match pair.status {
        ChangeStatus::Conflicted => {
            out.extend_from_slice(b"* Unmerged path ");
            out.extend_from_slice(pair.path());
            out.push(b'\n');
        }
        ChangeStatus::TypeChange => {
            let empty = PatchBody::default();
            let first = pair.bodies.first().unwrap_or(&empty);
            let second = pair.bodies.get(1).unwrap_or(&empty);
            let part = |old, new| Part {
                old,
                new,
                status: ChangeStatus::TypeChange,
                similarity: None,
            };
            write_part(
                out,
                &part(pair.old.as_ref(), None),
                first,
                abbrev,
                quote_path,
            );
            write_part(
                out,
                &part(None, pair.new.as_ref()),
                second,
                abbrev,
                quote_path,
            );
        }
        _ => {
            let empty = PatchBody::default();
            let part = Part {
                old: pair.old.as_ref(),
                new: pair.new.as_ref(),
                status: pair.status,
                similarity: pair.similarity,
            };
            write_part(
                out,
                &part,
                pair.bodies.first().unwrap_or(&empty),
                abbrev,
                quote_path,
            );
        }
    }
}

struct Part<'a> {
    old: Option<&'a Side>,
    new: Option<&'a Side>,
    status: ChangeStatus,
    similarity: Option<u32>,
}

fn write_part(
    out: &mut Vec<u8>,
    part: &Part<'_>,
    body: &PatchBody,
    abbrev: &Abbreviator<'_>,
    quote_path: bool,
) {
    let (Some(name_a), Some(name_b)) = (
        part.old.or(part.new).map(|s| s.path.as_slice()),
        part.new.or(part.old).map(|s| s.path.as_slice()),
    ) else {
        return;
    };
    let a = quote_prefixed(b"a/", name_a, quote_path);
    let b = quote_prefixed(b"b/", name_b, quote_path);
    let label_a = if part.old.is_some() {
        a.clone()
    } else {
        b"/dev/null".to_vec()
    };
    let label_b = if part.new.is_some() {
        b.clone()
    } else {
        b"/dev/null".to_vec()
    };

    let mut header = Vec::new();
    header.extend_from_slice(b"diff --git ");
    header.extend_from_slice(&a);
    header.push(b' ');
    header.extend_from_slice(&b);
    header.push(b'\n');
    let (old_mode, new_mode) = (
        part.old.map_or(0, |s| s.mode),
        part.new.map_or(0, |s| s.mode),
    );
    let meta = metainfo(part, name_a, name_b, abbrev, quote_path);
    let mut must_show_header = meta.similarity;
    if part.old.is_none() {
        header.extend_from_slice(format!("new file mode {new_mode:06o}\n").as_bytes());
        must_show_header = true;
    } else if part.new.is_none() {
        header.extend_from_slice(format!("deleted file mode {old_mode:06o}\n").as_bytes());
        must_show_header = true;
    } else if old_mode != new_mode {
        header.extend_from_slice(
            format!("old mode {old_mode:06o}\nnew mode {new_mode:06o}\n").as_bytes(),
        );
        must_show_header = true;
    }
    header.extend_from_slice(&meta.text);

    if body.binary {
        let same = part.old.map(|s| s.oid) == part.new.map(|s| s.oid);
        if same {
            if must_show_header {
                out.extend_from_slice(&header);
            }
            return;
        }
        out.extend_from_slice(&header);
        out.extend_from_slice(b"Binary files ");
        out.extend_from_slice(&label_a);
        out.extend_from_slice(b" and ");
        out.extend_from_slice(&label_b);
        out.extend_from_slice(b" differ\n");
        return;
    }
    if body.hunks.is_empty() {
        if must_show_header {
            out.extend_from_slice(&header);
        }
        return;
    }
    out.extend_from_slice(&header);
    for (marker, label) in [(&b"--- "[..], &label_a), (&b"+++ "[..], &label_b)] {
        out.extend_from_slice(marker);
        out.extend_from_slice(label);
        // git ends a name containing a space with a tab, so patch(1) can tell where it stops.
        if label.contains(&b' ') {
            out.push(b'\t');
        }
        out.push(b'\n');
    }
    write_hunks(out, body);
}

/// Writes hunks: header lines, then each line with its `+`/`-`/space prefix; the "no newline at end of file"
/// markers carry their own text.
pub(crate) fn write_hunks(out: &mut Vec<u8>, body: &PatchBody) {
    for hunk in &body.hunks {
        out.extend_from_slice(&hunk.header);
        out.push(b'\n');
        for line in &hunk.lines {
            if matches!(line.origin, b'+' | b'-' | b' ') {
                out.push(line.origin);
            }
            out.extend_from_slice(&line.content);
        }
    }
}

struct Meta {
    text: Vec<u8>,
    similarity: bool,
}

/// git's `fill_metainfo`: similarity and rename/copy lines, then the `index` line when the blobs differ
/// (with the mode when it did not change).
fn metainfo(
    part: &Part<'_>,
    name_a: &[u8],
    name_b: &[u8],
    abbrev: &Abbreviator<'_>,
    quote_path: bool,
) -> Meta {
    let mut text = Vec::new();
    let mut similarity = false;
    let verb = match part.status {
        ChangeStatus::Renamed => Some("rename"),
        ChangeStatus::Copied => Some("copy"),
        _ => None,
    };
    if let (Some(verb), Some(score)) = (verb, part.similarity) {
        similarity = true;
        text.extend_from_slice(format!("similarity index {score}%\n{verb} from ").as_bytes());
        text.extend_from_slice(&quote_prefixed(b"", name_a, quote_path));
        text.extend_from_slice(format!("\n{verb} to ").as_bytes());
        text.extend_from_slice(&quote_prefixed(b"", name_b, quote_path));
        text.push(b'\n');
    }
    let old_oid = part.old.map_or(git2::Oid::ZERO_SHA1, |s| s.oid);
    let new_oid = part.new.map_or(git2::Oid::ZERO_SHA1, |s| s.oid);
    if old_oid != new_oid {
        text.extend_from_slice(
            format!(
                "index {}..{}",
                abbrev.abbreviate(old_oid),
                abbrev.abbreviate(new_oid)
            )
            .as_bytes(),
        );
        let old_mode = part.old.map_or(0, |s| s.mode);
        if part.old.is_some() && part.new.is_some_and(|n| n.mode == old_mode) {
            text.extend_from_slice(format!(" {old_mode:06o}").as_bytes());
        }
        text.push(b'\n');
    }
    Meta { text, similarity }
}
