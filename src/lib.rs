//! Kata Cloud: a native desktop app (and headless CLI) in which a coordinator agent retrieves context,
//! drafts a living spec and delegates tasks to specialist agents in waves.
//!
//! See `docs/ARCHITECTURE.md` for the module map and data flow.

pub mod app;
pub mod cli;
pub mod context;
pub mod crash_point;
pub mod diagnostics;
pub mod errors;
pub mod forge;
pub mod git;
pub mod gui;
pub mod model;
pub mod orchestrator;
pub mod protocol;
pub mod provider;
pub mod store;
pub mod tools;
