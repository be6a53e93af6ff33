//! The Changes answers equal git's own on the same worktree: for each generated scenario, status equals
//! `git status --porcelain=v2` (parsed), line counts equal `git diff --numstat`, and the diff text equals
//! `git diff`, `git diff --cached` and `git diff BASE` byte for byte, whole and per file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod git_fixture;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use git_fixture::{Fixture, git, git_cmd, git_raw, write};
use kata_cloud::git::{
    DiffScope, FileChange, UntrackedFiles, WorktreeBinding, diff_text, display_path, file_diff,
    worktree_changes,
};

/// The files every scenario starts from (committed on `main` before the session is created).
fn seed(repo: &Path) {
    let mut lib = String::new();
    for f in 0..6 {
        lib.push_str(&format!("pub fn function_{f}(x: i32) -> i32 {{\n"));
        for l in 0..8 {
            lib.push_str(&format!(
                "    let v{l} = x + {l}; // step {l} of function {f}\n"
            ));
        }
        lib.push_str("    x\n}\n\n");
    }
    write(&repo.join("src/lib.rs"), lib);
    let big = (0..40)
        .map(|i| format!("line number {i} with some text\n"))
        .collect::<String>();
    write(&repo.join("big.txt"), big);
    write(
        &repo.join("other.txt"),
        (0..12).map(|i| format!("other {i}\n")).collect::<String>(),
    );
    write(
        &repo.join("data.bin"),
        [0u8, 1, 2, 3, 255, 0, 7, 8, b'\n', 9].repeat(40),
    );
    write(&repo.join("script.sh"), "#!/bin/sh\necho hello\n");
    set_mode(&repo.join("script.sh"), 0o755);
    write(&repo.join("crlf.txt"), "first\r\nsecond\r\nthird\r\n");
    write(&repo.join("latin1.txt"), b"caf\xe9 cr\xe8me\nna\xefve\n");
    write(&repo.join("empty.txt"), "");
    write(&repo.join("no_newline.txt"), "alpha\nbeta");
    write(
        &repo.join("tail.txt"),
        (0..10)
            .map(|i| format!("tail line {i}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    write(&repo.join("dir with space/file name.txt"), "spaced\nout\n");
    write(&repo.join("ünïcödé/naïve.txt"), "unicode\nname\n");
    write(&repo.join("nested/deep/a.txt"), "deep\nfile\n");
    write(&repo.join(".gitignore"), "*.log\nbuild/\n");
    std::os::unix::fs::symlink("big.txt", repo.join("link")).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "seed"]);
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn raw_name(name: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(name))
}

type Setup = fn(&Path);

/// Each scenario changes a fresh session worktree; `config` is set first (in the shared repository config).
struct Scenario {
    name: &'static str,
    config: &'static [(&'static str, &'static str)],
    setup: Setup,
}

fn scenario(name: &'static str, setup: Setup) -> Scenario {
    Scenario {
        name,
        config: &[],
        setup,
    }
}

fn scenarios() -> Vec<Scenario> {
    let mut all = edit_scenarios();
    all.extend(file_kind_scenarios());
    all.extend(combined_scenarios());
    all
}

/// Edits, additions, deletions and renames of ordinary text files.
fn edit_scenarios() -> Vec<Scenario> {
    let s = scenario;
    vec![
        s("modify text with function context", |w| {
            edit(
                &w.join("src/lib.rs"),
                "let v4 = x + 4; // step 4 of function 2",
                "let v4 = x * 4;",
            );
        }),
        s("two hunks far apart", |w| {
            edit(&w.join("src/lib.rs"), "step 1 of function 0", "first edit");
            edit(&w.join("src/lib.rs"), "step 6 of function 5", "second edit");
        }),
        s("add staged file", |w| {
            write(&w.join("added.txt"), "brand new\n");
            git(w, &["add", "added.txt"]);
        }),
        s("add untracked file", |w| {
            write(&w.join("fresh.txt"), "not yet added\n")
        }),
        s("delete unstaged", |w| {
            std::fs::remove_file(w.join("other.txt")).unwrap()
        }),
        s("delete staged", |w| {
            git(w, &["rm", "-q", "other.txt"]);
        }),
        s("exact rename staged", |w| {
            std::fs::create_dir_all(w.join("moved")).unwrap();
            git(w, &["mv", "big.txt", "moved/big2.txt"]);
        }),
        s("rename with edits staged", |w| {
            git(w, &["mv", "big.txt", "bigger.txt"]);
            edit(&w.join("bigger.txt"), "line number 3 ", "LINE 3 ");
            edit(&w.join("bigger.txt"), "line number 20 with some text\n", "");
            std::fs::OpenOptions::new()
                .append(true)
                .open(w.join("bigger.txt"))
                .map(|mut f| std::io::Write::write_all(&mut f, b"extra\n"))
                .unwrap()
                .unwrap();
            git(w, &["add", "bigger.txt"]);
            git(w, &["mv", "other.txt", "other2.txt"]);
            edit(&w.join("other2.txt"), "other 1\n", "changed\n");
            edit(&w.join("other2.txt"), "other 5\n", "five\n");
            git(w, &["add", "other2.txt"]);
        }),
        s("rename competition and a deleted lookalike", |w| {
            let body = std::fs::read_to_string(w.join("big.txt")).unwrap();
            git(w, &["rm", "-q", "big.txt"]);
            write(&w.join("a/copy1.txt"), body.replace("line number 1 ", "x "));
            write(
                &w.join("b/copy2.txt"),
                body.replace("line number 1 ", "x ")
                    .replace("line number 2 ", "y "),
            );
            git(w, &["add", "-A"]);
        }),
    ]
}

/// Binary files, modes, line endings, encodings, empty files, symlinks, type changes, odd names.
fn file_kind_scenarios() -> Vec<Scenario> {
    let s = scenario;
    vec![
        s("binary modified staged and unstaged", |w| {
            let mut data = std::fs::read(w.join("data.bin")).unwrap();
            data[3] = 42;
            std::fs::write(w.join("data.bin"), &data).unwrap();
            git(w, &["add", "data.bin"]);
            data[7] = 43;
            std::fs::write(w.join("data.bin"), &data).unwrap();
        }),
        s("binary added", |w| {
            write(&w.join("image.png"), [137u8, 80, 78, 71, 0, 0, 13, 10, 26]);
            git(w, &["add", "image.png"]);
            write(&w.join("untracked.bin"), [0u8, 0, 1]);
        }),
        s("mode change only", |w| {
            set_mode(&w.join("other.txt"), 0o755);
            set_mode(&w.join("script.sh"), 0o644);
            git(w, &["add", "script.sh"]);
        }),
        s("mode and content change", |w| {
            set_mode(&w.join("other.txt"), 0o755);
            edit(&w.join("other.txt"), "other 4\n", "four\n");
        }),
        s("staged and unstaged in one file", |w| {
            edit(
                &w.join("src/lib.rs"),
                "step 2 of function 1",
                "staged change",
            );
            git(w, &["add", "src/lib.rs"]);
            edit(
                &w.join("src/lib.rs"),
                "step 3 of function 4",
                "unstaged change",
            );
        }),
        s("untracked directories nested", |w| {
            write(&w.join("newdir/one.txt"), "1\n");
            write(&w.join("newdir/sub/two.txt"), "2\n");
            write(&w.join("newdir/sub/deeper/three.txt"), "3\n");
            write(&w.join("nested/deep/b.txt"), "sibling of a tracked file\n");
        }),
        s("crlf content", |w| {
            edit(&w.join("crlf.txt"), "second\r\n", "SECOND\r\n");
            write(&w.join("new-crlf.txt"), "a\r\nb\r\n");
            git(w, &["add", "new-crlf.txt"]);
        }),
        s("non-utf8 content", |w| {
            std::fs::write(
                w.join("latin1.txt"),
                b"caf\xe9 cr\xe8me br\xfbl\xe9e\nna\xefve\n",
            )
            .unwrap();
        }),
        s("empty files", |w| {
            write(&w.join("new-empty.txt"), "");
            git(w, &["add", "new-empty.txt"]);
            write(&w.join("other.txt"), "");
            write(&w.join("empty.txt"), "no longer empty\n");
        }),
        s("symlinks", |w| {
            std::os::unix::fs::symlink("src/lib.rs", w.join("new-link")).unwrap();
            git(w, &["add", "new-link"]);
            std::fs::remove_file(w.join("link")).unwrap();
            std::os::unix::fs::symlink("other.txt", w.join("link")).unwrap();
        }),
        s("type changes", |w| {
            std::fs::remove_file(w.join("other.txt")).unwrap();
            std::os::unix::fs::symlink("big.txt", w.join("other.txt")).unwrap();
            std::fs::remove_file(w.join("link")).unwrap();
            write(&w.join("link"), "now a regular file\n");
            git(w, &["add", "link"]);
        }),
        s("deleted then untracked", |w| {
            git(w, &["rm", "-q", "--cached", "other.txt"]);
        }),
        s("names with spaces and unicode", |w| {
            edit(
                &w.join("dir with space/file name.txt"),
                "spaced\n",
                "spaced out\n",
            );
            edit(&w.join("ünïcödé/naïve.txt"), "name\n", "names\n");
            write(&w.join("new file ü.txt"), "hello\n");
            git(w, &["add", "new file ü.txt"]);
            write(&w.join("tab\tand \"quote\".txt"), "odd name\n");
        }),
        s("non-utf8 file name", |w| {
            std::fs::write(w.join(raw_name(b"caf\xe9.txt")), "latin-1 name\n").unwrap();
            git(w, &["add", "-A"]);
            std::fs::write(w.join(raw_name(b"na\xefve-untracked.txt")), "x\n").unwrap();
        }),
        s("ignored files stay hidden", |w| {
            write(&w.join("debug.log"), "ignored\n");
            write(&w.join("build/out.o"), "ignored too\n");
            write(&w.join("visible.txt"), "shown\n");
        }),
        s("no newline at end of file", |w| {
            std::fs::write(w.join("no_newline.txt"), "alpha\nBETA").unwrap();
            git(w, &["add", "no_newline.txt"]);
            std::fs::write(w.join("no_newline.txt"), "alpha\nBETA\n").unwrap();
            std::fs::write(w.join("other.txt"), "other 0\nother 1").unwrap();
        }),
    ]
}

/// Renames near the edges, committed work, configuration, and everything at once.
fn combined_scenarios() -> Vec<Scenario> {
    let s = scenario;
    vec![
        s("renamed file without final newline", |w| {
            git(w, &["mv", "tail.txt", "tail-moved.txt"]);
            edit(&w.join("tail-moved.txt"), "tail line 2", "changed line 2");
            git(w, &["add", "tail-moved.txt"]);
        }),
        s("whole file rewritten", |w| {
            write(&w.join("big.txt"), "completely\ndifferent\n");
            git(w, &["add", "big.txt"]);
        }),
        s("committed session work plus more", |w| {
            edit(&w.join("other.txt"), "other 2\n", "two\n");
            git(w, &["mv", "big.txt", "renamed-in-commit.txt"]);
            git(w, &["commit", "-q", "-am", "session work"]);
            edit(&w.join("other.txt"), "other 9\n", "nine\n");
            write(&w.join("later.txt"), "staged later\n");
            git(w, &["add", "later.txt"]);
            std::fs::remove_file(w.join("script.sh")).unwrap();
        }),
        Scenario {
            name: "copies when configured",
            config: &[("diff.renames", "copies")],
            setup: |w| {
                let body = std::fs::read_to_string(w.join("big.txt")).unwrap();
                edit(&w.join("big.txt"), "line number 0 ", "first ");
                write(&w.join("copy-of-big.txt"), body);
                git(w, &["add", "-A"]);
            },
        },
        Scenario {
            name: "renames turned off",
            config: &[("diff.renames", "false")],
            setup: |w| {
                git(w, &["mv", "big.txt", "moved.txt"]);
            },
        },
        Scenario {
            name: "more context lines",
            config: &[("diff.context", "5")],
            setup: |w| edit(&w.join("src/lib.rs"), "step 5 of function 3", "edited"),
        },
        s("kitchen sink", |w| {
            edit(&w.join("src/lib.rs"), "step 0 of function 0", "sink 0");
            git(w, &["add", "src/lib.rs"]);
            edit(&w.join("src/lib.rs"), "step 7 of function 5", "sink 1");
            git(w, &["mv", "nested/deep/a.txt", "nested/a-moved.txt"]);
            std::fs::remove_file(w.join("crlf.txt")).unwrap();
            set_mode(&w.join("big.txt"), 0o755);
            write(&w.join("newdir/x.txt"), "x\n");
            write(&w.join("staged-then-deleted.txt"), "gone soon\n");
            git(w, &["add", "staged-then-deleted.txt"]);
            std::fs::remove_file(w.join("staged-then-deleted.txt")).unwrap();
        }),
    ]
}

/// One entry of `git status --porcelain=v2`, in a form both sides can produce.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct StatusLine {
    path: Vec<u8>,
    xy: String,
    modes: [String; 3],
    hashes: [String; 2],
    rename: Option<(String, Vec<u8>)>,
}

fn parse_porcelain_v2(out: &[u8]) -> Vec<StatusLine> {
    let mut records = out.split(|&b| b == 0).filter(|r| !r.is_empty());
    let mut lines = Vec::new();
    while let Some(record) = records.next() {
        let text = String::from_utf8_lossy(record);
        let kind = record[0];
        match kind {
            b'?' => lines.push(StatusLine {
                path: record[2..].to_vec(),
                xy: "??".into(),
                modes: Default::default(),
                hashes: Default::default(),
                rename: None,
            }),
            b'1' | b'2' => {
                let fields = if kind == b'1' { 9 } else { 10 };
                let parts = record.splitn(fields, |&b| b == b' ').collect::<Vec<_>>();
                let f = |i: usize| String::from_utf8_lossy(parts[i]).into_owned();
                let rename = (kind == b'2').then(|| (f(8), records.next().unwrap().to_vec()));
                lines.push(StatusLine {
                    path: parts[fields - 1].to_vec(),
                    xy: f(1),
                    modes: [f(3), f(4), f(5)],
                    hashes: [f(6), f(7)],
                    rename,
                });
            }
            _ => panic!("unexpected porcelain record {text}"),
        }
    }
    lines.sort();
    lines
}

const ZERO_MODE: &str = "000000";
const ZERO_OID: &str = "0000000000000000000000000000000000000000";

/// Our two lists as porcelain v2 entries: a path's staged entry gives X, the HEAD and index sides; its
/// unstaged entry gives Y and the worktree side.
fn our_porcelain(staged: &[FileChange], unstaged: &[FileChange]) -> Vec<StatusLine> {
    let bytes = |p: &str| kata_cloud::git::path_bytes(p).unwrap();
    let mut by_path: BTreeMap<Vec<u8>, (Option<&FileChange>, Option<&FileChange>)> =
        BTreeMap::new();
    let mut out = Vec::new();
    for change in staged {
        by_path.entry(bytes(&change.path)).or_default().0 = Some(change);
    }
    for change in unstaged {
        if change.status == kata_cloud::git::ChangeStatus::Untracked {
            out.push(StatusLine {
                path: bytes(&change.path),
                xy: "??".into(),
                modes: Default::default(),
                hashes: Default::default(),
                rename: None,
            });
            continue;
        }
        by_path.entry(bytes(&change.path)).or_default().1 = Some(change);
    }
    let mode = |m: &Option<String>| m.clone().unwrap_or_else(|| ZERO_MODE.into());
    let oid = |o: &Option<String>| o.clone().unwrap_or_else(|| ZERO_OID.into());
    for (path, (s, u)) in by_path {
        let x = s.map_or('.', |c| c.status.letter());
        let y = u.map_or('.', |c| c.status.letter());
        let (m_head, m_index, h_head, h_index) = match (s, u) {
            (Some(s), _) => (
                mode(&s.old_mode),
                mode(&s.new_mode),
                oid(&s.old_oid),
                oid(&s.new_oid),
            ),
            (None, Some(u)) => (
                mode(&u.old_mode),
                mode(&u.old_mode),
                oid(&u.old_oid),
                oid(&u.old_oid),
            ),
            (None, None) => unreachable!(),
        };
        let m_work = u.map_or_else(|| m_index.clone(), |u| mode(&u.new_mode));
        let rename = s.and_then(|s| {
            s.old_path.as_ref().map(|old| {
                (
                    format!("{}{}", s.status.letter(), s.similarity.unwrap()),
                    bytes(old),
                )
            })
        });
        out.push(StatusLine {
            path,
            xy: format!("{x}{y}"),
            modes: [m_head, m_index, m_work],
            hashes: [h_head, h_index],
            rename,
        });
    }
    out.sort();
    out
}

/// `git diff --numstat -z` as path → (added, deleted), `None` counts for binary files.
fn numstat(dir: &Path, args: &[&str]) -> BTreeMap<Vec<u8>, Option<(u32, u32)>> {
    let mut full = vec!["diff", "--numstat", "-z"];
    full.extend_from_slice(args);
    let out = git_raw(dir, &full);
    let mut records = out.split(|&b| b == 0);
    let mut map = BTreeMap::new();
    while let Some(record) = records.next() {
        if record.is_empty() {
            continue;
        }
        let parts = record.splitn(3, |&b| b == b'\t').collect::<Vec<_>>();
        let path = if parts[2].is_empty() {
            records.next();
            records.next().unwrap().to_vec()
        } else {
            parts[2].to_vec()
        };
        let count = |p: &[u8]| std::str::from_utf8(p).unwrap().parse::<u32>().ok();
        let counts = count(parts[0]).zip(count(parts[1]));
        // A type change is two records for one path; sum them.
        let entry = map.entry(path).or_insert(Some((0, 0)));
        *entry = match (*entry, counts) {
            (Some((a, d)), Some((ca, cd))) => Some((a + ca, d + cd)),
            _ => None,
        };
    }
    map
}

fn our_numstat(changes: &[FileChange]) -> BTreeMap<Vec<u8>, Option<(u32, u32)>> {
    changes
        .iter()
        .filter(|c| c.status != kata_cloud::git::ChangeStatus::Untracked)
        .map(|c| {
            let counts = (!c.binary).then_some((c.additions, c.deletions));
            (kata_cloud::git::path_bytes(&c.path).unwrap(), counts)
        })
        .collect()
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_same_text(name: &str, what: &str, ours: &[u8], theirs: &[u8]) {
    if ours != theirs {
        panic!(
            "scenario {name:?}: {what} differs\n--- ours ---\n{}\n--- git ---\n{}",
            show(ours),
            show(theirs)
        );
    }
}

fn check(scenario: &Scenario, fx: &Fixture, binding: &WorktreeBinding) {
    let w = &binding.path;
    let name = scenario.name;

    // Status, untracked files listed one by one.
    let changes = worktree_changes(binding, UntrackedFiles::All).unwrap();
    let theirs = parse_porcelain_v2(&git_raw(
        w,
        &["status", "--porcelain=v2", "-z", "--untracked-files=all"],
    ));
    let ours = our_porcelain(&changes.staged, &changes.unstaged);
    assert_eq!(
        ours, theirs,
        "scenario {name:?}: status (untracked=all)\n{changes:#?}"
    );
    // Status with untracked directories collapsed, git's default.
    let normal = worktree_changes(binding, UntrackedFiles::Normal).unwrap();
    let theirs = parse_porcelain_v2(&git_raw(w, &["status", "--porcelain=v2", "-z"]));
    assert_eq!(
        our_porcelain(&normal.staged, &normal.unstaged),
        theirs,
        "scenario {name:?}: status (untracked=normal)"
    );

    // Line counts.
    assert_eq!(
        our_numstat(&changes.staged),
        numstat(w, &["--cached"]),
        "scenario {name:?}: staged numstat"
    );
    assert_eq!(
        our_numstat(&changes.unstaged),
        numstat(w, &[]),
        "scenario {name:?}: unstaged numstat"
    );

    // Whole diffs.
    let base = binding.base_commit.as_str();
    for (scope, args) in [
        (DiffScope::Unstaged, vec!["diff"]),
        (DiffScope::Staged, vec!["diff", "--cached"]),
        (DiffScope::AgainstBase, vec!["diff", base]),
    ] {
        let ours = diff_text(binding, scope, None).unwrap();
        let theirs = git_raw(w, &args);
        assert_same_text(name, &format!("{args:?}"), &ours, &theirs);
    }

    // Per-file diffs of files that are not renames (git would show a rename's new path alone as added).
    for (scope, list, flag) in [
        (DiffScope::Unstaged, &changes.unstaged, None),
        (DiffScope::Staged, &changes.staged, Some("--cached")),
    ] {
        for change in list.iter().filter(|c| {
            c.old_path.is_none() && c.status != kata_cloud::git::ChangeStatus::Untracked
        }) {
            let bytes = kata_cloud::git::path_bytes(&change.path).unwrap();
            let mut cmd = git_cmd(w);
            cmd.env("GIT_LITERAL_PATHSPECS", "1").arg("diff");
            cmd.args(flag);
            cmd.arg("--").arg(OsStr::from_bytes(&bytes));
            let theirs = cmd.output().unwrap().stdout;
            let ours = diff_text(binding, scope, Some(&change.path)).unwrap();
            assert_same_text(
                name,
                &format!("{scope:?} diff of {}", change.path),
                &ours,
                &theirs,
            );
            let structured = file_diff(binding, scope, &change.path).unwrap();
            assert_eq!(
                (structured.additions, structured.deletions),
                (change.additions, change.deletions),
                "scenario {name:?}: {}",
                change.path
            );
        }
    }
    let _ = fx;
}

#[test]
fn status_and_diffs_equal_git_on_generated_scenarios() {
    let all = scenarios();
    assert!(all.len() >= 20, "at least 20 scenarios");
    for scenario in &all {
        let fx = Fixture::new();
        seed(&fx.repo);
        let binding = fx.session("s");
        for (key, value) in scenario.config {
            git(&binding.path, &["config", key, value]);
        }
        (scenario.setup)(&binding.path);
        check(scenario, &fx, &binding);
    }
}

#[test]
fn untracked_and_renamed_files_have_per_file_diffs() {
    let fx = Fixture::new();
    seed(&fx.repo);
    let binding = fx.session("s");
    let w = &binding.path;
    write(&w.join("fresh.txt"), "one\ntwo\n");
    git(w, &["mv", "big.txt", "big-renamed.txt"]);

    // An untracked file's diff is the whole file as added, as `git diff --no-index /dev/null` shows it.
    let ours = diff_text(&binding, DiffScope::Unstaged, Some("fresh.txt")).unwrap();
    let out = git_cmd(w)
        .args(["diff", "--no-index", "/dev/null", "fresh.txt"])
        .output()
        .unwrap();
    assert_eq!(show(&ours), show(&out.stdout));
    let structured = file_diff(&binding, DiffScope::Unstaged, "fresh.txt").unwrap();
    assert_eq!(structured.additions, 2);
    assert_eq!(structured.hunks.len(), 1);
    assert_eq!(structured.hunks[0].lines[1].text, "two");
    assert_eq!(structured.hunks[0].lines[1].new_line, Some(2));

    // A rename is found by either of its paths, and shown as git shows it within the whole diff.
    let whole = show(&git_raw(w, &["diff", "--cached"]));
    for path in ["big-renamed.txt", "big.txt"] {
        let ours = diff_text(&binding, DiffScope::Staged, Some(path)).unwrap();
        assert_eq!(show(&ours), whole);
    }
    let renamed = file_diff(&binding, DiffScope::Staged, "big-renamed.txt").unwrap();
    assert_eq!(renamed.old_path.as_deref(), Some("big.txt"));
    assert_eq!(renamed.similarity, Some(100));

    let err = file_diff(&binding, DiffScope::Staged, "src/lib.rs").unwrap_err();
    assert_eq!(err.code(), "no_change");
    let err = diff_text(&binding, DiffScope::Staged, Some("../outside")).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(display_path(b"caf\xe9.txt"), "\"caf\\351.txt\"");
}

#[test]
fn a_kept_open_reader_sees_every_later_change() {
    let fx = Fixture::new();
    seed(&fx.repo);
    let binding = fx.session("s");
    let w = &binding.path;
    let reader = kata_cloud::git::ChangesReader::open(&binding).unwrap();
    assert!(
        reader
            .changes(&binding, UntrackedFiles::All)
            .unwrap()
            .is_clean()
    );

    // Changes made behind the reader's back: files, the index (by git itself), and a commit.
    edit(&w.join("other.txt"), "other 1\n", "one\n");
    git(w, &["add", "other.txt"]);
    git(w, &["commit", "-q", "-m", "agent commit"]);
    edit(&w.join("big.txt"), "line number 7 ", "seven ");
    git(w, &["add", "big.txt"]);
    write(&w.join("new.txt"), "new\n");
    edit(&w.join("src/lib.rs"), "step 1 of function 1", "changed");

    let kept = reader.changes(&binding, UntrackedFiles::All).unwrap();
    let fresh = worktree_changes(&binding, UntrackedFiles::All).unwrap();
    assert_eq!(kept, fresh);
    let theirs = parse_porcelain_v2(&git_raw(
        w,
        &["status", "--porcelain=v2", "-z", "--untracked-files=all"],
    ));
    assert_eq!(our_porcelain(&kept.staged, &kept.unstaged), theirs);
    assert_eq!(
        kept.head.as_deref(),
        Some(git(w, &["rev-parse", "HEAD"]).as_str())
    );
    assert_eq!(
        reader.diff_text(&binding, DiffScope::Staged, None).unwrap(),
        git_raw(w, &["diff", "--cached"])
    );
    assert_eq!(
        reader
            .file_diff(&binding, DiffScope::Unstaged, "src/lib.rs")
            .unwrap(),
        file_diff(&binding, DiffScope::Unstaged, "src/lib.rs").unwrap()
    );
}
