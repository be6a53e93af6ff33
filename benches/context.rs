//! Context retrieval benchmark: the persisted index against a plain full scan, on a generated corpus.
//!
//! `cargo bench --bench context` (release). Generates `KATA_BENCH_FILES` (default 20,000) Rust-like source
//! files in a temp dir (plus docs, an ignored `target/` and binaries), then reports:
//! - index build time (cold: walk, read and index every file; then the save and a load from disk);
//! - warm query latency, median and p99 over 100 queries, through `ContextEngine::filesystem_items` exactly
//!   as runs and `context query` use it (the tree is watched, so a refresh walks only after a change; rank;
//!   re-read and hash the hits), and the same with a walk and stat of every file on every query;
//! - the same queries answered by a full scan (`filesystem::retrieve`: read every file, tokenize, score),
//!   on the first `KATA_BENCH_SCAN_QUERIES` (default 10) of them, checking both give the same items;
//! - the ratio of the medians.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark: failing loudly is the point

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use std::sync::Arc;

use kata_cloud::app::App;
use kata_cloud::app::runs::ListRuns;
use kata_cloud::app::spaces::AddSpace;
use kata_cloud::context::index::{Index, index_dir};
use kata_cloud::context::{ContextEngine, filesystem};
use kata_cloud::model::{
    ContextProviderKind, ContextSnapshot, IdGenerator, NewRun, OwnerId, RunId, RunOptions,
    RunRecord, SharedClock, SnapshotId, SystemClock,
};
use kata_cloud::orchestrator::EngineConfig;
use kata_cloud::provider::ProviderRegistry;
use kata_cloud::provider::registry::ProviderSettings;

const VERBS: &[&str] = &[
    "parse",
    "load",
    "save",
    "fetch",
    "build",
    "render",
    "resolve",
    "apply",
    "merge",
    "split",
    "encode",
    "decode",
    "validate",
    "compute",
    "refresh",
    "spawn",
    "schedule",
    "retry",
    "flush",
    "open",
    "close",
    "register",
    "dispatch",
    "collect",
    "normalize",
    "serialize",
    "compact",
    "migrate",
    "reconcile",
    "quarantine",
    "index",
    "rank",
    "stream",
    "emit",
    "track",
];
const NOUNS: &[&str] = &[
    "config", "header", "request", "response", "session", "token", "buffer", "cache", "index",
    "record", "table", "schema", "event", "message", "channel", "worker", "task", "queue", "plan",
    "wave", "spec", "draft", "snapshot", "chunk", "path", "file", "tree", "node", "edge", "graph",
    "client", "server", "socket", "frame", "layout", "widget", "theme", "font", "color", "owner",
    "lease", "lock", "store", "cursor", "range", "span", "score", "query", "term", "provider",
    "model", "agent", "branch", "commit", "diff", "hunk", "patch", "manifest", "registry",
    "package", "version", "metric", "report", "budget",
];
const WORDS: &[&str] = &[
    "the",
    "value",
    "when",
    "returns",
    "otherwise",
    "because",
    "keeps",
    "every",
    "first",
    "last",
    "only",
    "before",
    "after",
    "until",
    "retries",
    "fails",
    "succeeds",
    "empty",
    "full",
    "stale",
    "fresh",
    "small",
    "large",
    "cheap",
    "slow",
    "fast",
    "order",
    "stable",
    "unique",
    "shared",
    "local",
    "remote",
];

/// A small deterministic generator (xorshift), so every run benchmarks the same corpus.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

fn camel(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// One Rust-like module: a struct, an impl with methods, free functions, comments and tests. Returns the
/// text and the snake_case functions it defines.
fn module(g: &mut Gen, serial: usize) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut defined = Vec::new();
    let (n1, n2) = (g.pick(NOUNS), g.pick(NOUNS));
    let ty = camel(&[n1, n2]);
    let _ = writeln!(
        out,
        "//! The {n1} {n2} module ({serial}): {} {} {}.",
        g.pick(WORDS),
        g.pick(WORDS),
        g.pick(WORDS)
    );
    let _ = writeln!(
        out,
        "\nuse std::collections::HashMap;\nuse crate::{}::{};\n",
        g.pick(NOUNS),
        camel(&[g.pick(NOUNS)])
    );
    let _ = writeln!(
        out,
        "/// A {n1} {n2} that {} the {}.",
        g.pick(VERBS),
        g.pick(NOUNS)
    );
    let _ = writeln!(out, "pub struct {ty} {{");
    for _ in 0..2 + g.below(5) {
        let _ = writeln!(
            out,
            "    {}_{}: Option<{}>,",
            g.pick(NOUNS),
            g.pick(NOUNS),
            camel(&[g.pick(NOUNS)])
        );
    }
    out.push_str("}\n\n");
    let _ = writeln!(out, "impl {ty} {{");
    for _ in 0..2 + g.below(6) {
        let name = format!("{}_{}_{}", g.pick(VERBS), g.pick(NOUNS), g.pick(NOUNS));
        let _ = writeln!(
            out,
            "    /// {} the {} {} {}.",
            g.pick(VERBS),
            g.pick(NOUNS),
            g.pick(WORDS),
            g.pick(WORDS)
        );
        let _ = writeln!(
            out,
            "    pub fn {name}(&mut self, {}: &{}) -> Result<usize, Error> {{",
            g.pick(NOUNS),
            camel(&[g.pick(NOUNS), g.pick(NOUNS)])
        );
        for _ in 0..3 + g.below(8) {
            let _ = writeln!(
                out,
                "        let {}_{} = self.{}_{}({}.{}())?;",
                g.pick(NOUNS),
                g.pick(NOUNS),
                g.pick(VERBS),
                g.pick(NOUNS),
                g.pick(NOUNS),
                g.pick(VERBS)
            );
        }
        let _ = writeln!(out, "        Ok({})\n    }}\n", g.below(100));
        defined.push(name);
    }
    out.push_str("}\n\n");
    for _ in 0..g.below(4) {
        let name = format!("{}_{}", g.pick(VERBS), g.pick(NOUNS));
        let _ = writeln!(
            out,
            "// {} {} {} {}",
            g.pick(WORDS),
            g.pick(WORDS),
            g.pick(NOUNS),
            g.pick(WORDS)
        );
        let _ = writeln!(
            out,
            "pub fn {name}(input: &str) -> {} {{\n    {}::{}(input)\n}}\n",
            camel(&[g.pick(NOUNS)]),
            camel(&[g.pick(NOUNS)]),
            g.pick(VERBS)
        );
        defined.push(name);
    }
    let _ = writeln!(
        out,
        "#[cfg(test)]\nmod tests {{\n    #[test]\n    fn {}_{}() {{\n        assert!(true);\n    }}\n}}",
        g.pick(VERBS),
        g.pick(NOUNS)
    );
    (out, defined)
}

/// Writes the corpus; returns the functions defined, for queries.
fn generate(root: &Path, files: usize) -> Vec<String> {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut defined = Vec::new();
    std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
    for i in 0..files {
        let dir = root.join(format!("crates/c{:03}/src/{}", i / 400, g.pick(NOUNS)));
        std::fs::create_dir_all(&dir).unwrap();
        if i % 50 == 49 {
            let doc = format!(
                "# {}\n\n{} {} {} {}.\n",
                camel(&[g.pick(NOUNS)]),
                g.pick(VERBS),
                g.pick(WORDS),
                g.pick(NOUNS),
                g.pick(WORDS)
            );
            std::fs::write(dir.join(format!("README{i}.md")), doc).unwrap();
            continue;
        }
        let (text, names) = module(&mut g, i);
        std::fs::write(dir.join(format!("m{i}.rs")), text).unwrap();
        defined.extend(names);
    }
    std::fs::create_dir_all(root.join("target/debug")).unwrap();
    for i in 0..200 {
        std::fs::write(
            root.join(format!("target/debug/gen{i}.rs")),
            "fn ignored() {}\n",
        )
        .unwrap();
    }
    for i in 0..20 {
        std::fs::write(
            root.join(format!("crates/blob{i}.bin")),
            [0u8, 159, 146, 150, 0, 1],
        )
        .unwrap();
    }
    defined
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `runs list` over a long history: every run has a snapshot of 8 items (real files, real hashes, excerpts
/// of a few KB). Staleness is derived for each listing; compared with decoding every full snapshot.
fn history(root: &Path, answers: &[Vec<kata_cloud::model::ContextItem>], runs: usize) {
    let data = tempfile::tempdir().unwrap();
    let clock: SharedClock = Arc::new(SystemClock);
    let app = App::open(EngineConfig {
        data_dir: data.path().to_path_buf(),
        clock: clock.clone(),
        providers: ProviderRegistry::new(ProviderSettings::default()),
    })
    .unwrap();
    let store = app.store().clone();
    let ids = IdGenerator::new();
    let space = app
        .add_space(AddSpace {
            path: root.to_path_buf(),
            ..AddSpace::default()
        })
        .unwrap()
        .space;
    let sessions: Vec<_> = (0..20)
        .map(|_| app.new_session(&space, None).unwrap())
        .collect();
    for chunk in (0..runs).collect::<Vec<_>>().chunks(200) {
        store
            .write(|tx| {
                for &i in chunk {
                    let now = clock.now();
                    let mut run = RunRecord::queued(
                        NewRun {
                            id: RunId::generate(&ids, now),
                            space_id: space.id.clone(),
                            session_id: sessions[i % sessions.len()].id.clone(),
                            prompt: format!("history run {i}"),
                            requested_context: ContextProviderKind::Filesystem,
                            options: RunOptions::default(),
                            owner: OwnerId::new("bench"),
                        },
                        now,
                    );
                    let mut items = answers[i % answers.len()].clone();
                    for item in &mut items {
                        item.excerpt = item.excerpt.repeat(4);
                    }
                    let snapshot = ContextSnapshot {
                        id: SnapshotId::generate(&ids, now),
                        run_id: run.id.clone(),
                        query: run.prompt.clone(),
                        requested_provider: ContextProviderKind::Filesystem,
                        provider: ContextProviderKind::Filesystem,
                        fallback_from: None,
                        error: None,
                        items,
                        created_at: now,
                        root: None,
                    };
                    run.context.snapshot_id = Some(snapshot.id.clone());
                    tx.put_snapshot(&snapshot)?;
                    tx.put_run(&run)?;
                }
                Ok(())
            })
            .unwrap();
    }
    let t = Instant::now();
    let listed = app.list_runs(&ListRuns::default()).unwrap();
    let cold = t.elapsed();
    assert_eq!(listed.len(), runs);
    assert!(listed.iter().all(|r| !r.stale.is_stale));
    let mut warm = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        app.list_runs(&ListRuns::default()).unwrap();
        warm.push(t.elapsed());
    }
    warm.sort();
    let t = Instant::now();
    let decoded = store
        .read(|rx| {
            let mut n = 0;
            for run in rx.runs()? {
                if let Some(id) = &run.context.snapshot_id {
                    n += rx.snapshot(id)?.map_or(0, |s| s.items.len());
                }
            }
            Ok(n)
        })
        .unwrap();
    let full = t.elapsed();
    let t = Instant::now();
    store.read(|rx| rx.runs()).unwrap();
    let runs_only = t.elapsed();
    println!(
        "  (reading the {runs} run records alone takes {:.0} ms)",
        ms(runs_only)
    );
    println!(
        "runs list with derived staleness ({runs} runs, {decoded} items): first listing {:.0} ms, then median {:.0} ms; decoding the full snapshots alone takes {:.0} ms",
        ms(cold),
        ms(percentile(&warm, 0.5)),
        ms(full)
    );
}

fn main() {
    // `cargo bench` passes `--bench`. Without it (`cargo test --all-targets` runs this in a debug build)
    // a small corpus only checks that the benchmark works and that index and full scan agree.
    let bench = std::env::args().any(|a| a == "--bench");
    let files = env_usize("KATA_BENCH_FILES", if bench { 20_000 } else { 300 });
    let scan_queries = env_usize("KATA_BENCH_SCAN_QUERIES", if bench { 10 } else { 3 });
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = corpus.path().canonicalize().unwrap();
    let started = Instant::now();
    let defined = generate(&root, files);
    println!(
        "corpus: {files} files generated in {:.1} s under {}",
        started.elapsed().as_secs_f64(),
        root.display()
    );

    // 100 queries: function names split into words, some with an extra word.
    let mut g = Gen(42);
    let queries: Vec<String> = (0..100)
        .map(|i| {
            let name = &defined[g.below(defined.len())];
            let words = name.replace('_', " ");
            if i % 3 == 0 {
                format!("{words} {}", g.pick(WORDS))
            } else {
                words
            }
        })
        .collect();

    let store = index_dir(&data.path().join("index"), &root);
    let t = Instant::now();
    let mut index = Index::new(&root);
    let stats = index.refresh().unwrap();
    let build = t.elapsed();
    let t = Instant::now();
    index.save(&store).unwrap();
    let save = t.elapsed();
    let size = std::fs::metadata(store.join("index.bin")).unwrap().len();
    drop(index);
    let t = Instant::now();
    let mut loaded = Index::load(&store, &root);
    let load = t.elapsed();
    assert_eq!(loaded.file_count(), stats.files, "the saved index loads");
    let t = Instant::now();
    let again = loaded.refresh().unwrap();
    let first_refresh = t.elapsed();
    assert_eq!(again.read, 0, "a loaded index re-reads nothing");
    drop(loaded);
    println!(
        "index build: {:.0} ms for {} files ({} read), save {:.0} ms ({:.1} MB), load {:.0} ms, first refresh after load {:.1} ms",
        ms(build),
        stats.files,
        stats.read,
        ms(save),
        size as f64 / 1e6,
        ms(load),
        ms(first_refresh)
    );

    // Warm queries through the engine, as runs and `context query` use it.
    let engine = ContextEngine::with_index_dir(data.path().join("index"));
    engine.filesystem_items(&root, &queries[0], 8).unwrap();
    let mut warm = Vec::with_capacity(queries.len());
    let mut answers = Vec::with_capacity(queries.len());
    for q in &queries {
        let t = Instant::now();
        let items = engine.filesystem_items(&root, q, 8).unwrap();
        warm.push(t.elapsed());
        answers.push(items);
    }
    if std::env::var_os("KATA_BENCH_DEBUG").is_some() {
        let mut again = Vec::new();
        for q in &queries {
            let t = Instant::now();
            engine.filesystem_items(&root, q, 8).unwrap();
            again.push(t.elapsed());
        }
        again.sort();
        println!("  second pass median {:.2} ms", ms(percentile(&again, 0.5)));
    }
    let hits = answers.iter().filter(|a| !a.is_empty()).count();
    let mut sorted = warm.clone();
    sorted.sort();
    let warm_median = percentile(&sorted, 0.5);
    println!(
        "warm query ({} queries, engine as used by runs: refresh of the watched tree + rank + re-read and hash the hits): median {:.2} ms, p99 {:.2} ms ({hits} with results)",
        queries.len(),
        ms(warm_median),
        ms(percentile(&sorted, 0.99))
    );

    // Where the time of a watched query goes: the refresh (a no-op while nothing changed) and the ranking.
    let mut watched = Index::load(&store, &root);
    watched.set_watch(true);
    watched.refresh().unwrap();
    let (mut refresh_t, mut search_t) = (Vec::new(), Vec::new());
    for q in &queries {
        let t = Instant::now();
        let stats = watched.refresh().unwrap();
        refresh_t.push(t.elapsed());
        let t = Instant::now();
        watched.search(q, 8);
        search_t.push(t.elapsed());
        if stats.read > 0 {
            println!("  (a refresh re-read {} files)", stats.read);
        }
    }
    refresh_t.sort();
    search_t.sort();
    println!(
        "  of which: refresh median {:.2} ms, rank + read hits median {:.2} ms",
        ms(percentile(&refresh_t, 0.5)),
        ms(percentile(&search_t, 0.5))
    );
    let mem = watched.memory();
    println!(
        "  in memory (estimate, heap): {:.1} MB = vocabulary {:.1} + files {:.1} + unsaved postings {:.1} + watches {:.1}",
        mem.total() as f64 / 1e6,
        mem.vocab as f64 / 1e6,
        mem.files as f64 / 1e6,
        mem.overlay as f64 / 1e6,
        mem.watch as f64 / 1e6
    );
    drop(watched);

    // The same queries when every query walks and stats the whole tree (no file watching, as in a
    // one-shot `context query` process after loading the index).
    let mut walking = Index::load(&store, &root);
    walking.refresh().unwrap();
    let mut walked = Vec::with_capacity(queries.len());
    for (q, expected) in queries.iter().zip(&answers) {
        let t = Instant::now();
        walking.refresh().unwrap();
        let items = walking.search(q, 8);
        walked.push(t.elapsed());
        assert_eq!(&items, expected, "walking index disagrees on {q:?}");
    }
    walked.sort();
    let walked_median = percentile(&walked, 0.5);
    println!(
        "warm query without file watching (walk + stat every file each query): median {:.2} ms, p99 {:.2} ms",
        ms(walked_median),
        ms(percentile(&walked, 0.99))
    );

    history(&root, &answers, if bench { 5_000 } else { 200 });

    let mut scan = Vec::with_capacity(scan_queries);
    for (q, expected) in queries.iter().zip(&answers).take(scan_queries) {
        let t = Instant::now();
        let items = filesystem::retrieve(&root, q, 8).unwrap();
        scan.push(t.elapsed());
        assert_eq!(&items, expected, "index and full scan disagree on {q:?}");
    }
    scan.sort();
    let scan_median = percentile(&scan, 0.5);
    println!(
        "full scan ({} of the same queries, read + tokenize + score every file): median {:.0} ms, p99 {:.0} ms; same items as the index",
        scan.len(),
        ms(scan_median),
        ms(percentile(&scan, 0.99))
    );
    println!(
        "ratio: the index is {:.0}x faster than a full scan (median vs median); {:.0}x when walking every query",
        scan_median.as_secs_f64() / warm_median.as_secs_f64(),
        scan_median.as_secs_f64() / walked_median.as_secs_f64()
    );

    seeding(&root, data.path(), build);
    one_shot(&root, &queries);
}

/// Resident memory of this process (`VmRSS`), in bytes; 0 where /proc is not there.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// A new worktree of the same tree: its index seeded from the first root's, against a cold build.
fn seeding(root: &Path, data: &Path, cold: Duration) {
    let copy = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", root.display()))
        .arg(copy.path())
        .status()
        .unwrap();
    assert!(status.success());
    let new_root = copy.path().canonicalize().unwrap();
    let engine = ContextEngine::with_index_dir(data.join("index"));
    let t = Instant::now();
    let stats = engine.seed_index(&new_root, root).unwrap();
    let seeded = t.elapsed();
    assert_eq!(
        stats.indexed, 0,
        "an identical copy reuses every file: {stats:?}"
    );
    let t = Instant::now();
    engine
        .filesystem_items(&new_root, "retry client", 8)
        .unwrap();
    let first_query = t.elapsed();
    println!(
        "seeded index of a copy ({} files, {} reused): {:.0} ms against a cold build of {:.0} ms ({:.1}x faster); first query after it {:.1} ms",
        stats.files,
        stats.reused,
        ms(seeded),
        ms(cold),
        cold.as_secs_f64() / seeded.as_secs_f64(),
        ms(first_query)
    );
}

/// One-shot processes: a fresh `kata-cloud context query` per query (the index saved already) against
/// `rg --count` of the query's terms over the same tree; and the resident memory of a loaded index.
fn one_shot(root: &Path, queries: &[String]) {
    let before = rss();
    let data = tempfile::tempdir().unwrap();
    {
        let engine = ContextEngine::with_index_dir(data.path().join("index")).without_watches();
        engine.filesystem_items(root, &queries[0], 8).unwrap();
        engine.flush();
    }
    let index = Index::load(&index_dir(&data.path().join("index"), root), root);
    let mut loaded = index;
    let base = rss();
    for q in queries {
        loaded.refresh().unwrap();
        loaded.search(q, 8);
    }
    let after = rss();
    println!(
        "loaded index, 100 queries: resident memory +{:.1} MB over the process before loading ({:.1} MB at load; heap estimate {:.1} MB)",
        after.saturating_sub(before) as f64 / 1e6,
        base.saturating_sub(before) as f64 / 1e6,
        loaded.memory().total() as f64 / 1e6
    );
    drop(loaded);

    if std::process::Command::new("rg")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("rg is not installed (apt-get install ripgrep): one-shot comparison skipped");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_kata-cloud");
    let store = tempfile::tempdir().unwrap();
    let run = |prompt: &str| {
        let t = Instant::now();
        let out = std::process::Command::new(bin)
            .arg("--data-dir")
            .arg(store.path())
            .args(["--json", "context", "query", "--space"])
            .arg(root)
            .args(["--prompt", prompt, "--limit", "8"])
            .env("KATA_KEYRING", "off")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.elapsed()
    };
    run("build the index first");
    let (mut ours, mut rg) = (Vec::new(), Vec::new());
    for q in queries.iter().take(20) {
        ours.push(run(q));
        let mut cmd = std::process::Command::new("rg");
        cmd.args(["--count", "--ignore-case", "--no-messages"]);
        for t in kata_cloud::context::tokenize::query_terms(q) {
            cmd.arg("-e").arg(t);
        }
        cmd.arg(root);
        let t = Instant::now();
        let _ = cmd.output().unwrap();
        rg.push(t.elapsed());
    }
    ours.sort();
    rg.sort();
    let (o, r) = (percentile(&ours, 0.5), percentile(&rg, 0.5));
    println!(
        "one-shot `context query` process, median of 20: {:.1} ms; `rg --count` of the query terms over the same tree: {:.1} ms; rg / ours = {:.2}x (target at least 3x)",
        ms(o),
        ms(r),
        r.as_secs_f64() / o.as_secs_f64()
    );
}
