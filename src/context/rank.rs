//! BM25 ranking over chunks, with a bonus for query terms that appear in the file's path.

/// Term-frequency saturation.
pub const K1: f64 = 1.2;
/// Length normalisation.
pub const B: f64 = 0.75;
/// How much a query term in the path counts, relative to its idf.
pub const PATH_WEIGHT: f64 = 1.5;

/// Inverse document frequency of a term that occurs in `df` of `n` chunks (never negative).
pub fn idf(n: usize, df: usize) -> f64 {
    let n = n as f64;
    let df = df as f64;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// BM25 contribution of one term with frequency `tf` in a chunk of `len` terms.
pub fn term_score(idf: f64, tf: u32, len: u32, avg_len: f64) -> f64 {
    if tf == 0 {
        return 0.0;
    }
    let tf = f64::from(tf);
    let norm = 1.0 - B + B * f64::from(len) / avg_len.max(1.0);
    idf * tf * (K1 + 1.0) / (tf + K1 * norm)
}

/// Scores are rounded so they print and compare the same everywhere.
pub fn round_score(score: f64) -> f64 {
    (score * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rarer_terms_weigh_more_and_frequency_saturates() {
        assert!(idf(100, 1) > idf(100, 50));
        assert!(idf(100, 100) > 0.0);
        let once = term_score(1.0, 1, 100, 100.0);
        let ten = term_score(1.0, 10, 100, 100.0);
        assert!(ten > once && ten < 10.0 * once);
        assert_eq!(term_score(1.0, 0, 10, 10.0), 0.0);
        assert_eq!(round_score(1.234_567), 1.2346);
    }
}
