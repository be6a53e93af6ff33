//! Grounding benchmark: does `context query` rank first the files a change needs, and how fast does a
//! one-shot process answer compared with `rg` reading the same tree?
//!
//! `cargo bench --bench grounding` (release). Reads the data set in `KATA_GROUNDING_DIR` (default
//! `../shared/grounding` beside the repository): `manifest.tsv`, and per corpus `NAME.tar.gz` (the tree) and
//! `NAME.jsonl` (queries: `{"id", "query", "relevant": [paths]}`). For every corpus it runs, in the same
//! process and on the same extracted tree:
//! - `tfidf-src`, the data set's baseline, exactly as its README defines it: whole-file tf-idf over source
//!   files, `Σ ln(1 + count) · ln(N / (1 + df))`, ties by path;
//! - the engine: `ContextEngine::filesystem_items(root, query, 20)`, the ranked distinct files of its items;
//!
//! and prints hit@1, hit@5, hit@10, MRR@10 and the engine's warm in-process latency per corpus, the means
//! and the ratio. Then, on the largest corpus, `KATA_GROUNDING_ONESHOT` (default 20) queries answered by a
//! fresh `kata-cloud context query` process each (index already built) against `rg --count` of the query's
//! terms over the same tree (`rg` must be on the PATH: `apt-get install ripgrep`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark: failing loudly is the point

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kata_cloud::context::ContextEngine;
use kata_cloud::context::tokenize::query_terms;

/// Extensions of the files the baseline indexes (the data set's definition of a source file).
const SOURCE_EXTENSIONS: &[&str] = &[
    "rs", "ts", "tsx", "js", "mjs", "py", "cpp", "hpp", "h", "c", "toml", "wgsl",
];
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "dist", "coverage", "target"];
const RETRIEVED: usize = 20;
/// A quick check (not `cargo bench`): one corpus, a few queries, no one-shot processes.
static QUICK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn quick() -> bool {
    QUICK.load(std::sync::atomic::Ordering::Relaxed)
}

struct Query {
    text: String,
    relevant: HashSet<String>,
}

#[derive(Default, Clone, Copy)]
struct Metrics {
    hit1: f64,
    hit5: f64,
    hit10: f64,
    mrr10: f64,
}

impl Metrics {
    fn add(&mut self, ranked: &[String], relevant: &HashSet<String>) {
        let first = ranked.iter().position(|p| relevant.contains(p));
        if let Some(r) = first {
            self.hit1 += f64::from(u8::from(r < 1));
            self.hit5 += f64::from(u8::from(r < 5));
            self.hit10 += f64::from(u8::from(r < 10));
            if r < 10 {
                self.mrr10 += 1.0 / (r + 1) as f64;
            }
        }
    }

    fn mean(self, n: usize) -> Self {
        let n = n.max(1) as f64;
        Self {
            hit1: self.hit1 / n,
            hit5: self.hit5 / n,
            hit10: self.hit10 / n,
            mrr10: self.mrr10 / n,
        }
    }
}

fn data_dir() -> PathBuf {
    match std::env::var_os("KATA_GROUNDING_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/grounding"),
    }
}

fn tokens(text: &str, mut emit: impl FnMut(&str)) {
    for t in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if t.len() >= 3 {
            emit(t);
        }
    }
}

/// The data set's baseline: whole-file tf-idf over source files.
struct TfIdf {
    /// Per file: path and term counts.
    files: Vec<(String, HashMap<String, u32>)>,
    df: HashMap<String, usize>,
}

impl TfIdf {
    fn build(root: &Path) -> Self {
        let mut files = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                let ty = entry.file_type().unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                if ty.is_symlink() {
                    continue;
                }
                if ty.is_dir() {
                    if !SKIPPED_DIRS.contains(&name.as_str()) {
                        stack.push(path);
                    }
                    continue;
                }
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if !SOURCE_EXTENSIONS.contains(&ext) {
                    continue;
                }
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                if bytes.len() > 1024 * 1024 || bytes.contains(&0) {
                    continue;
                }
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = format!("{rel}\n{}", String::from_utf8_lossy(&bytes)).to_lowercase();
                let mut counts: HashMap<String, u32> = HashMap::new();
                tokens(&text, |t| *counts.entry(t.to_owned()).or_default() += 1);
                files.push((rel, counts));
            }
        }
        let mut df: HashMap<String, usize> = HashMap::new();
        for (_, counts) in &files {
            for t in counts.keys() {
                *df.entry(t.clone()).or_default() += 1;
            }
        }
        Self { files, df }
    }

    fn rank(&self, query: &str) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        tokens(&query.to_lowercase(), |t| {
            if !terms.iter().any(|q| q == t) {
                terms.push(t.to_owned());
            }
        });
        let n = self.files.len() as f64;
        let mut scored: Vec<(f64, &str)> = self
            .files
            .iter()
            .filter_map(|(path, counts)| {
                let score: f64 = terms
                    .iter()
                    .filter_map(|t| {
                        let count = *counts.get(t)?;
                        let df = *self.df.get(t).unwrap_or(&0) as f64;
                        Some((1.0 + f64::from(count)).ln() * (n / (1.0 + df)).ln())
                    })
                    .sum();
                (score > 0.0).then_some((score, path.as_str()))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(RETRIEVED)
            .map(|(_, p)| p.to_owned())
            .collect()
    }
}

fn load_queries(path: &Path) -> Vec<Query> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            Query {
                text: v["query"].as_str().unwrap().to_owned(),
                relevant: v["relevant"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_owned())
                    .collect(),
            }
        })
        .collect()
}

fn extract(archive: &Path, into: &Path) {
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(into)
        .status()
        .expect("tar runs");
    assert!(status.success(), "cannot extract {}", archive.display());
}

fn distinct_paths(items: &[kata_cloud::model::ContextItem]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item.path) {
            out.push(item.path.clone());
        }
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct CorpusResult {
    name: String,
    files: usize,
    baseline: Metrics,
    engine: Metrics,
    latency: Duration,
    root: PathBuf,
    queries: Vec<Query>,
    bytes: u64,
}

fn tree_bytes(root: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let ty = entry.file_type().unwrap();
            if ty.is_dir() {
                stack.push(entry.path());
            } else if ty.is_file() {
                total += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    total
}

fn run_corpus(name: &str, data: &Path, work: &Path) -> CorpusResult {
    extract(&data.join(format!("{name}.tar.gz")), work);
    let root = work.join(name).canonicalize().unwrap();
    let mut queries = load_queries(&data.join(format!("{name}.jsonl")));
    if quick() {
        queries.truncate(10);
    }
    let baseline_index = TfIdf::build(&root);
    let engine = ContextEngine::new();
    // The first query builds the index; the timed ones are warm.
    engine
        .filesystem_items(&root, "index warm up", RETRIEVED)
        .unwrap();
    let (mut baseline, mut ours) = (Metrics::default(), Metrics::default());
    let mut latencies = Vec::new();
    let dump = std::env::var_os("KATA_GROUNDING_DUMP").is_some();
    for q in &queries {
        baseline.add(&baseline_index.rank(&q.text), &q.relevant);
        let start = Instant::now();
        let items = engine
            .filesystem_items(&root, &q.text, RETRIEVED)
            .unwrap_or_default();
        latencies.push(start.elapsed());
        let ranked = distinct_paths(&items);
        if dump {
            let first = ranked.iter().position(|p| q.relevant.contains(p));
            println!(
                "{name}\t{:?}\t{}\t{:?}\t{:?}",
                first,
                q.text,
                ranked.iter().take(5).collect::<Vec<_>>(),
                q.relevant
            );
        }
        ours.add(&ranked, &q.relevant);
    }
    if dump {
        let mut index = kata_cloud::context::index::Index::new(&root);
        index.set_watch(true);
        index.refresh().unwrap();
        for q in queries.iter().take(3) {
            let t = Instant::now();
            let stats = index.refresh().unwrap();
            let refreshed = t.elapsed();
            index.search(&q.text, RETRIEVED);
            println!(
                "refresh {:.2} ms ({stats:?}), search {:.2} ms",
                ms(refreshed),
                ms(t.elapsed() - refreshed)
            );
        }
    }
    let n = queries.len();
    CorpusResult {
        name: name.to_owned(),
        files: baseline_index.files.len(),
        baseline: baseline.mean(n),
        engine: ours.mean(n),
        latency: median(latencies),
        bytes: tree_bytes(&root),
        root,
        queries,
    }
}

/// Median wall time of a fresh `kata-cloud context query` process and of `rg --count` over the query's
/// terms, on the same tree.
fn one_shot(corpus: &CorpusResult, work: &Path, count: usize) -> Option<(Duration, Duration)> {
    let rg_present = Command::new("rg").arg("--version").output().is_ok();
    if !rg_present {
        println!("rg is not installed (apt-get install ripgrep): one-shot comparison skipped");
        return None;
    }
    let bin = env!("CARGO_BIN_EXE_kata-cloud");
    let data = work.join("oneshot-data");
    let query = |prompt: &str| {
        let start = Instant::now();
        let out = Command::new(bin)
            .arg("--data-dir")
            .arg(&data)
            .args(["--json", "context", "query", "--space"])
            .arg(&corpus.root)
            .args(["--prompt", prompt, "--limit", "20"])
            .env("KATA_KEYRING", "off")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        start.elapsed()
    };
    query("build the index first");
    let (mut ours, mut rg) = (Vec::new(), Vec::new());
    for q in corpus.queries.iter().take(count) {
        ours.push(query(&q.text));
        let mut cmd = Command::new("rg");
        cmd.args(["--count", "--ignore-case", "--no-messages"]);
        for t in query_terms(&q.text) {
            cmd.arg("-e").arg(t);
        }
        cmd.arg(&corpus.root);
        let start = Instant::now();
        let _ = cmd.output().unwrap();
        rg.push(start.elapsed());
    }
    Some((median(ours), median(rg)))
}

fn main() {
    // `cargo bench` passes `--bench`. Without it (`cargo test --all-targets` runs this in a debug build)
    // only the smallest corpus's first queries run, to check that the benchmark works.
    let bench = std::env::args().any(|a| a == "--bench");
    let data = data_dir();
    let manifest = data.join("manifest.tsv");
    if !manifest.is_file() {
        eprintln!(
            "grounding data set not found: {} has no manifest.tsv. Set KATA_GROUNDING_DIR to the folder \
             holding manifest.tsv, NAME.tar.gz and NAME.jsonl.",
            data.display()
        );
        std::process::exit(if bench { 2 } else { 0 });
    }
    if !bench {
        QUICK.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let names: Vec<String> = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next().map(str::to_owned))
        .filter(|n| !n.is_empty())
        .collect();
    let only: Option<String> = std::env::var("KATA_GROUNDING_ONLY").ok().or_else(|| {
        quick()
            .then(|| "httpx".to_owned())
            .filter(|n| names.contains(n))
    });
    let work = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for name in &names {
        if only.as_ref().is_some_and(|o| o != name) {
            continue;
        }
        results.push(run_corpus(name, &data, work.path()));
    }

    println!(
        "\n| corpus | files | tfidf-src hit@1 / @5 / @10 / MRR@10 | kata-cloud hit@1 / @5 / @10 / MRR@10 | warm query (median) |"
    );
    println!("|---|---|---|---|---|");
    let mut sums = (0.0, 0.0);
    let mut hit10_ok = true;
    for r in &results {
        let (b, e) = (r.baseline, r.engine);
        println!(
            "| {} | {} | {:.3} / {:.3} / {:.3} / {:.3} | {:.3} / {:.3} / {:.3} / {:.3} | {:.2} ms |",
            r.name,
            r.files,
            b.hit1,
            b.hit5,
            b.hit10,
            b.mrr10,
            e.hit1,
            e.hit5,
            e.hit10,
            e.mrr10,
            ms(r.latency)
        );
        sums.0 += b.mrr10;
        sums.1 += e.mrr10;
        hit10_ok &= e.hit10 >= b.hit10;
    }
    let n = results.len().max(1) as f64;
    let (mb, me) = (sums.0 / n, sums.1 / n);
    println!(
        "| mean MRR@10 | | {mb:.3} | {me:.3} ({:.2}x; target 1.3x) | |",
        me / mb.max(f64::EPSILON)
    );
    println!("hit@10 at least the baseline's on every corpus: {hit10_ok}");

    let count = std::env::var("KATA_GROUNDING_ONESHOT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick() { 0 } else { 20 });
    let largest = results.iter().max_by_key(|r| r.bytes);
    if let Some(corpus) = largest
        && count > 0
        && let Some((ours, rg)) = one_shot(corpus, work.path(), count)
    {
        println!(
            "one-shot on {} ({} files, {:.1} MB), median of {count}: `context query` {:.1} ms, `rg --count` of the terms {:.1} ms: {:.2}x (target at least 3x)",
            corpus.name,
            corpus.files,
            corpus.bytes as f64 / 1e6,
            ms(ours),
            ms(rg),
            ms(rg) / ms(ours).max(f64::EPSILON)
        );
    }
}
