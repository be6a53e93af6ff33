//! Project instructions: `AGENTS.md` and `CLAUDE.md` at the workspace root go into every specialist's
//! system prompt; nested ones join the conversation when a tool first touches a path below them. Each one
//! used is part of the run's provenance (path and hash).

use std::collections::BTreeSet;
use std::path::Path;

use crate::model::InstructionSource;
use crate::tools::Workspace;

/// The file names read as project instructions, in this order within a directory.
pub const NAMES: [&str; 2] = ["AGENTS.md", "CLAUDE.md"];
/// The most bytes of one instruction file that are used.
const LIMIT: usize = 32 * 1024;

/// One instruction file, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub source: InstructionSource,
    pub text: String,
}

/// Instruction files of one directory of the workspace (`""`: the root).
pub fn in_dir(ws: &Workspace, dir: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    for name in NAMES {
        let relative = if dir.is_empty() {
            name.to_owned()
        } else {
            format!("{dir}/{name}")
        };
        let Ok(full) = ws.resolve(&relative) else {
            continue;
        };
        let Ok(bytes) = read_bounded(&full) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        out.push(Instruction {
            source: InstructionSource {
                path: relative,
                content_hash: blake3::hash(&bytes).to_hex().to_string(),
            },
            text,
        });
    }
    out
}

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    if !path.is_file() {
        return Err(std::io::Error::from(std::io::ErrorKind::NotFound));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(LIMIT as u64)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The instruction files on the way from the root to `path` (its directories, not the root itself) that
/// are not in `seen` yet; they are added to `seen`.
pub fn on_the_way(ws: &Workspace, path: &str, seen: &mut BTreeSet<String>) -> Vec<Instruction> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut out = Vec::new();
    // Every directory above the file (the last part may be the file itself).
    for depth in 1..parts.len() {
        let dir = parts.get(..depth).map(|p| p.join("/")).unwrap_or_default();
        for instruction in in_dir(ws, &dir) {
            if seen.insert(instruction.source.path.clone()) {
                out.push(instruction);
            }
        }
    }
    out
}

/// The instructions as a block of a prompt or a tool result.
pub fn render(instructions: &[Instruction]) -> String {
    instructions
        .iter()
        .map(|i| {
            format!(
                "Project instructions from {}:\n{}",
                i.source.path,
                i.text.trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
