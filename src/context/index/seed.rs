//! Seeding: building the index of a new root (a fresh worktree of the same repository) from what another
//! root's index already knows.

/// What a seeded build did, for logs, tests and the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedStats {
    pub files: usize,
    /// Files whose postings were reused (same path, size and blake3 as in the source index).
    pub reused: usize,
    /// Files tokenized because the source had no identical file.
    pub indexed: usize,
}
