//! How similar two files are, measured exactly as git measures it for rename detection (its span-hash
//! estimate): libgit2's own similarity metric gives other scores (93% where git says 95%), and status and
//! diff must print git's numbers.

use std::cell::OnceCell;
use std::collections::HashMap;

/// git's scale for similarity scores (100%).
pub(crate) const MAX_SCORE: u64 = 60_000;
/// git's default rename threshold (50%).
pub(crate) const DEFAULT_RENAME_SCORE: u64 = 30_000;
/// The prime git hashes spans into.
const HASHBASE: u32 = 107_927;
/// git looks for NUL bytes in this many leading bytes to call content binary.
const BINARY_PROBE: usize = 8000;

/// One side of a possible rename: its mode, object id and content.
pub(crate) struct Candidate {
    pub path: Vec<u8>,
    pub mode: u32,
    pub oid: git2::Oid,
    pub data: Vec<u8>,
    /// Binary as libgit2 decided it for the diff (NUL bytes, or `-diff`/`binary` attributes).
    pub binary: bool,
    spans: OnceCell<Vec<(u32, u64)>>,
}

impl Candidate {
    pub(crate) fn new(
        path: Vec<u8>,
        mode: u32,
        oid: git2::Oid,
        data: Vec<u8>,
        binary: bool,
    ) -> Candidate {
        Candidate {
            path,
            mode,
            oid,
            data,
            binary,
            spans: OnceCell::new(),
        }
    }

    fn spans(&self) -> &[(u32, u64)] {
        self.spans
            .get_or_init(|| span_counts(&self.data, !self.binary))
    }

    pub(crate) fn is_regular(&self) -> bool {
        self.mode & 0o170_000 == 0o100_000
    }
}

/// Whether git would treat `data` as binary when it has no attribute saying otherwise.
pub(crate) fn looks_binary(data: &[u8]) -> bool {
    data.iter().take(BINARY_PROBE).any(|&b| b == 0)
}

/// git's similarity of `dst` to `src` on the 0..=[`MAX_SCORE`] scale: the share of `dst`'s material that comes
/// from `src`, 0 for non-regular files or when the sizes differ too much to reach `minimum_score`.
pub(crate) fn estimate_similarity(src: &Candidate, dst: &Candidate, minimum_score: u64) -> u64 {
    if !src.is_regular() || !dst.is_regular() {
        return 0;
    }
    let src_size = src.data.len() as u64;
    let dst_size = dst.data.len() as u64;
    let max_size = src_size.max(dst_size);
    let delta_size = max_size - src_size.min(dst_size);
    if max_size * (MAX_SCORE - minimum_score) < delta_size * MAX_SCORE {
        return 0;
    }
    if dst_size == 0 {
        return 0;
    }
    let copied = copied_bytes(src.spans(), dst.spans());
    copied * MAX_SCORE / max_size
}

/// Bytes of `src` material found in `dst`: per span hash, the smaller of the two byte counts.
fn copied_bytes(src: &[(u32, u64)], dst: &[(u32, u64)]) -> u64 {
    let mut copied = 0;
    let mut d = dst.iter().peekable();
    for &(hash, src_count) in src {
        while d.next_if(|&&(h, _)| h < hash).is_some() {}
        if let Some(&&(h, dst_count)) = d.peek()
            && h == hash
        {
            copied += src_count.min(dst_count);
            d.next();
        }
    }
    copied
}

/// Cuts `data` into spans ending at a newline or after 64 bytes, hashes each, and counts the bytes per hash
/// (sorted by hash). In text, the CR of a CRLF pair is skipped; a final span without newline counts too.
fn span_counts(data: &[u8], is_text: bool) -> Vec<(u32, u64)> {
    let mut counts: HashMap<u32, u64> = HashMap::new();
    let (mut accum1, mut accum2, mut n) = (0u32, 0u32, 0u64);
    for (i, &byte) in data.iter().enumerate() {
        if is_text && byte == b'\r' && data.get(i + 1) == Some(&b'\n') {
            continue;
        }
        let c = u32::from(byte);
        let old_1 = accum1;
        accum1 = (accum1 << 7) ^ (accum2 >> 25);
        accum2 = (accum2 << 7) ^ (old_1 >> 25);
        accum1 = accum1.wrapping_add(c);
        n += 1;
        if n < 64 && byte != b'\n' {
            continue;
        }
        let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
        *counts.entry(hash).or_default() += n;
        n = 0;
        accum1 = 0;
        accum2 = 0;
    }
    if n > 0 {
        let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
        *counts.entry(hash).or_default() += n;
    }
    let mut out = counts.into_iter().collect::<Vec<_>>();
    out.sort_unstable();
    out
}

/// A score as the percentage git prints (`similarity index 95%`, `R095` in porcelain output).
pub(crate) fn percent(score: u64) -> u32 {
    u32::try_from(score * 100 / MAX_SCORE).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(data: &[u8]) -> Candidate {
        Candidate::new(
            b"f".to_vec(),
            0o100644,
            git2::Oid::ZERO_SHA1,
            data.to_vec(),
            looks_binary(data),
        )
    }

    #[test]
    fn identical_text_scores_the_maximum_and_unrelated_text_nothing() {
        let text = b"alpha\nbeta\ngamma\n";
        assert_eq!(
            estimate_similarity(&candidate(text), &candidate(text), DEFAULT_RENAME_SCORE),
            MAX_SCORE
        );
        let other = b"one thing\nanother\nthird\n";
        assert_eq!(
            estimate_similarity(&candidate(text), &candidate(other), DEFAULT_RENAME_SCORE),
            0
        );
    }

    #[test]
    fn crlf_and_lf_versions_of_a_text_are_similar_and_symlinks_never_are() {
        let lf = b"alpha\nbeta\ngamma\ndelta\n";
        let crlf = b"alpha\r\nbeta\r\ngamma\r\ndelta\r\n";
        let score = estimate_similarity(&candidate(lf), &candidate(crlf), DEFAULT_RENAME_SCORE);
        assert_eq!(
            percent(score),
            85,
            "the 23 bytes of the LF text all match once CRs are skipped; 27 bytes with CRs"
        );
        let mut link = candidate(lf);
        link.mode = 0o120000;
        assert_eq!(
            estimate_similarity(&link, &candidate(lf), DEFAULT_RENAME_SCORE),
            0
        );
    }
}
