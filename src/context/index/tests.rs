use std::path::Path;

use super::*;
use crate::context::filesystem;
use crate::model::ContextItem;

fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

fn full_scan(root: &Path, query: &str, limit: usize) -> Vec<ContextItem> {
    filesystem::rank_files(&filesystem::read_tree(root).unwrap(), query, limit)
}

fn corpus(dir: &Path) {
    write(
        dir,
        "src/http_client.rs",
        &format!(
            "{}pub fn send_request(client: &HttpClient) {{\n    client.retry_policy();\n}}\n",
            "// filler\n".repeat(55)
        ),
    );
    write(dir, "src/db.rs", "fn connect() {}\n// retry later\n");
    write(dir, "README.md", "A client for http.\n");
    let mut long = String::new();
    for i in 0..130 {
        long.push_str(&format!("let retry_{i} = client.send({i});\n"));
    }
    write(dir, "src/long.rs", &long);
    write(dir, "empty.txt", "");
    std::fs::write(dir.join("logo.bin"), [0u8, 1, 2, 0, 5]).unwrap();
}

#[test]
fn index_results_equal_a_full_scan() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let mut index = Index::new(dir.path());
    index.refresh().unwrap();
    for query in [
        "retry http client",
        "send request",
        "connect",
        "filler",
        "nothing matches this",
        "empty",
    ] {
        for limit in [1, 3, 8] {
            assert_eq!(
                index.search(query, limit),
                full_scan(dir.path(), query, limit),
                "{query} / {limit}"
            );
        }
    }
}

#[test]
fn incremental_update_reads_only_changed_files_and_drops_deleted_ones() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let mut index = Index::new(dir.path());
    let first = index.refresh().unwrap();
    assert_eq!(first.files, 6);
    assert_eq!(first.read, 6);
    let again = index.refresh().unwrap();
    assert_eq!((again.read, again.reindexed, again.removed), (0, 0, 0));

    write(
        dir.path(),
        "src/db.rs",
        "fn connect() {}\n// quarantine the row\n",
    );
    std::fs::remove_file(dir.path().join("README.md")).unwrap();
    let changed = index.refresh().unwrap();
    assert_eq!(
        (
            changed.files,
            changed.read,
            changed.reindexed,
            changed.removed
        ),
        (5, 1, 1, 1)
    );
    let items = index.search("quarantine", 5);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].path, "src/db.rs");
    assert_eq!(
        items[0].content_hash,
        blake3::hash(b"fn connect() {}\n// quarantine the row\n")
            .to_hex()
            .to_string()
    );
    assert!(
        index
            .search("client http", 8)
            .iter()
            .all(|i| i.path != "README.md")
    );
    assert_eq!(
        index.search("retry client", 8),
        full_scan(dir.path(), "retry client", 8)
    );
}

#[test]
fn processes_sharing_an_index_never_see_a_torn_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let store = index_dir(data.path(), dir.path());
    let expected = full_scan(dir.path(), "retry client", 5);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..15 {
                    let mut index = Index::load(&store, dir.path());
                    index.refresh().unwrap();
                    assert_eq!(index.search("retry client", 5), expected);
                    index.dirty = true;
                    index.save(&store).unwrap();
                }
            });
        }
    });
    let loaded = Index::load(&store, dir.path());
    assert_eq!(loaded.file_count(), 6, "the last complete write");
    let leftovers = std::fs::read_dir(&store).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary files left behind");
}

#[test]
fn a_file_changed_behind_the_stamp_is_reread_at_retrieval() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.rs", "fn alpha() {}\n");
    let mut index = Index::new(dir.path());
    index.refresh().unwrap();
    // Same size, and the stamp is forced back: only the hash check at retrieval can notice.
    let stamp = index.files[0].stamp;
    write(dir.path(), "a.rs", "fn gamma() {}\n");
    index.files[0].stamp = stamp;
    index.dirs.clear(); // no stamp check either: only the hash check at retrieval can notice
    let items = index.search("alpha gamma", 5);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].excerpt, "fn gamma() {}");
    assert_eq!(
        items[0].content_hash,
        blake3::hash(b"fn gamma() {}\n").to_hex().to_string()
    );
}

#[test]
fn a_watched_index_skips_the_walk_until_something_changes() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let mut index = Index::new(dir.path());
    index.set_watch(true);
    assert_eq!(index.refresh().unwrap().read, 6);
    // Searching reads files (open events): that is not a change.
    index.search("retry http client", 8);
    let quiet = index.refresh().unwrap();
    assert_eq!((quiet.files, quiet.read), (6, 0));
    write(dir.path(), "src/new/deep.rs", "fn quarantine_row() {}\n");
    // Events arrive on the watcher's thread: poll for a bounded time.
    let mut seen = false;
    for _ in 0..100 {
        if index.refresh().unwrap().read > 0 {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(seen, "the new file was noticed");
    assert_eq!(index.search("quarantine row", 3)[0].path, "src/new/deep.rs");
    // The new directory is watched too.
    index.refresh().unwrap();
    write(dir.path(), "src/new/deep.rs", "fn quarantine_rows() {}\n");
    let mut seen = false;
    for _ in 0..100 {
        if index.refresh().unwrap().reindexed > 0 {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(seen, "the edit in the new directory was noticed");
}

#[test]
fn a_save_removes_temporaries_abandoned_by_stopped_processes_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let store = index_dir(data.path(), dir.path());
    std::fs::create_dir_all(&store).unwrap();
    let abandoned = store.join(format!("{INDEX_FILE}.1.2.tmp"));
    let in_progress = store.join(format!("{INDEX_FILE}.3.4.tmp"));
    std::fs::write(&abandoned, b"half").unwrap();
    std::fs::write(&in_progress, b"half").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&abandoned)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let mut index = Index::new(dir.path());
    index.refresh().unwrap();
    index.save(&store).unwrap();
    assert!(!abandoned.exists());
    assert!(
        in_progress.exists(),
        "another process may still be writing it"
    );
    assert_eq!(Index::load(&store, dir.path()).file_count(), 6);
}

#[test]
fn saves_loads_and_rebuilds_a_corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let store = index_dir(data.path(), dir.path());
    let mut index = Index::new(dir.path());
    index.refresh().unwrap();
    index.save(&store).unwrap();
    assert!(!index.is_dirty());
    let expected = index.search("retry http client", 8);

    let mut loaded = Index::load(&store, dir.path());
    assert!(!loaded.is_dirty());
    assert_eq!(loaded.files, index.files);
    assert!(loaded.overlay.is_empty(), "postings are read from the file");
    let stats = loaded.refresh().unwrap();
    assert_eq!(stats.read, 0, "a loaded index re-reads nothing unchanged");
    assert_eq!(loaded.search("retry http client", 8), expected);

    // Flip a byte of the file table: the checksum fails and the index starts over.
    let file = store.join(INDEX_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = 40;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let mut rebuilt = Index::load(&store, dir.path());
    assert_eq!(rebuilt.file_count(), 0);
    assert_eq!(rebuilt.refresh().unwrap().read, 6);
    assert_eq!(rebuilt.search("retry http client", 8), expected);

    // Garbage and truncation are rebuilt too, never an error or a panic.
    for garbage in [
        &b""[..],
        b"KATAIDX1",
        b"not an index at all",
        &bytes[..bytes.len() / 3],
    ] {
        std::fs::write(&file, garbage).unwrap();
        assert_eq!(Index::load(&store, dir.path()).file_count(), 0);
    }
    // An index of another root is not used.
    let mut other = Index::new(dir.path());
    other.refresh().unwrap();
    other.save(&store).unwrap();
    assert_eq!(Index::load(&store, data.path()).file_count(), 0);
}

#[test]
fn damaged_postings_never_give_a_wrong_item_or_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let store = index_dir(data.path(), dir.path());
    let mut index = Index::new(dir.path());
    index.refresh().unwrap();
    index.save(&store).unwrap();
    let file = store.join(INDEX_FILE);
    let clean = std::fs::read(&file).unwrap();
    // Every byte of the postings (after the checked meta) flipped in turn.
    let postings_at = clean.len() - (clean.len() - 16) % 8;
    for at in (postings_at.saturating_sub(64)..clean.len()).step_by(3) {
        let mut bytes = clean.clone();
        bytes[at] ^= 0x5a;
        std::fs::write(&file, &bytes).unwrap();
        let mut loaded = Index::load(&store, dir.path());
        loaded.refresh().unwrap();
        for item in loaded.search("retry http client", 8) {
            let text = std::fs::read_to_string(dir.path().join(&item.path)).unwrap();
            assert_eq!(
                item.content_hash,
                blake3::hash(text.as_bytes()).to_hex().to_string()
            );
        }
    }
}

#[test]
fn a_one_shot_refresh_checks_stamps_and_walks_only_when_a_directory_changed() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let store = index_dir(data.path(), dir.path());
    let mut index = Index::new(dir.path());
    assert!(index.refresh().unwrap().walked);
    index.save(&store).unwrap();

    let mut loaded = Index::load(&store, dir.path());
    let quiet = loaded.refresh().unwrap();
    assert!(!quiet.walked && quiet.read == 0, "{quiet:?}");
    assert!(!loaded.is_dirty(), "nothing to write for a read-only query");

    // An edit in place: found by its stamp, no walk.
    write(
        dir.path(),
        "src/db.rs",
        "fn connect() {}\n// quarantine the row\n",
    );
    let edited = loaded.refresh().unwrap();
    assert!(!edited.walked && edited.reindexed == 1, "{edited:?}");
    assert_eq!(loaded.search("quarantine", 3)[0].path, "src/db.rs");

    // A new file changes its directory: a walk finds it.
    write(dir.path(), "src/fresh.rs", "fn tombstone_sweep() {}\n");
    let added = loaded.refresh().unwrap();
    assert!(added.walked, "{added:?}");
    assert_eq!(loaded.search("tombstone sweep", 3)[0].path, "src/fresh.rs");
}

#[test]
fn code_ranks_before_docs_and_tests_and_path_only_matches_are_returned() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CHANGELOG.md",
        "- retry the upload with backoff\n- retry upload backoff again\n- upload retry\n",
    );
    write(
        dir.path(),
        "tests/upload.rs",
        "#[test]\nfn retry_upload_with_backoff() { retry_upload(); upload(); backoff(); }\n",
    );
    write(
        dir.path(),
        "src/upload.rs",
        "pub fn retry_upload() {\n    let backoff = 2;\n}\n",
    );
    write(dir.path(), "src/backoff_policy.rs", "pub struct Policy;\n");
    let mut index = Index::new(dir.path());
    index.refresh().unwrap();
    let items = index.search("retry the upload with backoff", 8);
    let paths: Vec<&str> = items.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths.first(), Some(&"src/upload.rs"), "{paths:?}");
    let pos = |p: &str| paths.iter().position(|x| *x == p).unwrap();
    assert!(pos("tests/upload.rs") > pos("src/upload.rs"), "{paths:?}");
    assert!(pos("CHANGELOG.md") > pos("src/upload.rs"), "{paths:?}");
    // Matches only by its path ("backoff"), and still cited.
    assert!(paths.contains(&"src/backoff_policy.rs"), "{paths:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn special_files_are_never_read_whole() {
    // A character device reports size 0 and streams without end: not a regular file, never read.
    assert!(read_file(Path::new("/dev/zero")).unwrap().is_none());
    // A procfs file reports size 0 too; a read is bounded by the bytes read, not the reported size.
    let maps = read_file(Path::new("/proc/self/maps")).unwrap();
    assert!(maps.is_some_and(|(_, text)| !text.is_empty()));
}

#[test]
fn code_is_moved_just_before_a_test_that_outranks_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/accepts.test.ts",
        "test('wildcard media types', () => {\n  expect(wildcard(media)).toBe(types)\n  wildcard media types specificity\n})\n",
    );
    write(
        dir.path(),
        "src/accepts.ts",
        "export const parse = (header: string) => {\n  return header.split(',')\n}\n// wildcard\n",
    );
    write(
        dir.path(),
        "src/other.ts",
        "export const media = 'wildcard media types'\n",
    );
    let mut index = Index::new(dir.path());
    index.refresh().unwrap();
    let items = index.search("wildcard media types specificity", 8);
    let paths: Vec<&str> = items.iter().map(|i| i.path.as_str()).collect();
    let pos = |p: &str| paths.iter().position(|x| *x == p).unwrap();
    assert_eq!(
        pos("src/accepts.ts") + 1,
        pos("src/accepts.test.ts"),
        "{paths:?}"
    );
    // The test keeps its place above the files it outranked; only its code moved up.
    assert!(
        pos("src/accepts.test.ts") < pos("src/other.ts"),
        "{paths:?}"
    );
}

#[test]
fn a_dependency_query_raises_the_package_manifest() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"demo\"\n\n[dependencies]\nbytecount = \"0.3\"\n",
    );
    for i in 0..3 {
        write(
            dir.path(),
            &format!("src/count{i}.rs"),
            "use bytecount;\npub fn lines(b: &[u8]) -> usize { bytecount::count(b, b'\\n') }\n// bytecount bytecount\n",
        );
    }
    let mut index = Index::new(dir.path());
    index.refresh().unwrap();
    let mut first = |q: &str| index.search(q, 5).first().map(|i| i.path.clone());
    assert_eq!(first("bump bytecount").as_deref(), Some("Cargo.toml"));
    assert_ne!(
        first("count lines with bytecount").as_deref(),
        Some("Cargo.toml")
    );
}
