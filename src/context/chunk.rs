//! Line-based chunks: the unit that is ranked and cited.

/// Lines per chunk and the stride between chunk starts (chunks overlap by `CHUNK_LINES - CHUNK_STRIDE`).
pub const CHUNK_LINES: usize = 40;
pub const CHUNK_STRIDE: usize = 20;

/// A window of lines of one file, 1-based inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub start_line: u32,
    pub end_line: u32,
}

/// The chunk windows of a file with `line_count` lines. A file shorter than one chunk is one chunk.
pub fn chunks(line_count: usize) -> Vec<Chunk> {
    if line_count == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + CHUNK_LINES).min(line_count);
        out.push(Chunk {
            start_line: u32::try_from(start + 1).unwrap_or(u32::MAX),
            end_line: u32::try_from(end).unwrap_or(u32::MAX),
        });
        if end == line_count {
            break;
        }
        start += CHUNK_STRIDE;
    }
    out
}

/// The number of chunks [`chunks`] makes of a file with `lines` lines.
pub fn chunk_count(lines: usize) -> usize {
    if lines == 0 {
        0
    } else if lines <= CHUNK_LINES {
        1
    } else {
        1 + (lines - CHUNK_LINES).div_ceil(CHUNK_STRIDE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_overlap_and_cover_every_line() {
        assert!(chunks(0).is_empty());
        assert_eq!(
            chunks(5),
            vec![Chunk {
                start_line: 1,
                end_line: 5
            }]
        );
        let c = chunks(70);
        assert_eq!(
            c,
            vec![
                Chunk {
                    start_line: 1,
                    end_line: 40
                },
                Chunk {
                    start_line: 21,
                    end_line: 60
                },
                Chunk {
                    start_line: 41,
                    end_line: 70
                },
            ]
        );
    }
}
