//! From a session's change to a pull request: secret redaction, the commit message and pull request drafts,
//! and the GitHub REST client that creates and updates the pull request.
//!
//! Everything here is a library for the CLI and the window; nothing reads the store. The lead fills the small
//! input structs from the store and the git layer. See `docs/PULL_REQUESTS.md`.

pub mod changed_file;
pub mod commit_message;
pub mod github;
pub mod headline;
pub mod pr_draft;
pub mod redact;
pub mod spec_digest;

pub use changed_file::{ChangeTotals, ChangedFile, FileStatus};
pub use commit_message::{CommitInput, CommitMessage, draft_commit_message};
pub use pr_draft::{PrDraft, PrDraftInput, draft_pull_request};
pub use redact::{Redacted, Redaction, SecretKind};
pub use spec_digest::{RecordedTask, SpecDigest, TaskProgress};
