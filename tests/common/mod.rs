//! The one test harness every integration test uses. It drives real parts only: the built binary, real git
//! repositories in temporary directories, real redb files, the real window under egui_kittest.
//!
//! | file        | what it gives a test                                                                   |
//! |-------------|----------------------------------------------------------------------------------------|
//! | `cli.rs`    | spawning `kata-cloud` on a data dir with a clean environment, its output ([`Ran`]), JSON helpers, one completed run, a run killed mid-wave |
//! | `repo.rs`   | temporary git repositories and the sample Rust project the runs work on                  |
//! | `store.rs`  | engines and applications on a data dir, with the system clock or one pinned in time; raw redb reads and writes that age or damage a store on purpose |
//! | `window.rs` | the real window on a store in a kittest harness, `step_until`, and the few gestures the window tests share |
//!
//! Everything is re-exported here, so a test writes `mod common;` and `use common::{ok, sample_repo};`.
//! `mock_llm.rs` (a local model server speaking the Anthropic and OpenAI wire formats) is not part of this
//! module: the tests that need it include it with `#[path = "common/mock_llm.rs"] mod mock_llm;`, so the
//! others do not build it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unused_imports
)] // test helpers: failing loudly is the point; each test file uses a part of them

pub mod cli;
pub mod repo;
pub mod store;
pub mod window;

pub use cli::*;
pub use repo::*;
pub use store::*;
pub use window::*;
