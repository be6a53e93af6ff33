//! The shapes runs are shown in: `runs show` / `runs list` JSON and the window's run inspector. They differ
//! from the stored records: a viewed run carries its snapshot's items (stored once, in the snapshot), its
//! tasks and its staleness (derived on read, never stored).

use serde::{Deserialize, Serialize, Serializer};

use super::context::ContextItem;
use super::error_info::ErrorInfo;
use super::ids::{OwnerId, RunId, SessionId, SpaceId};
use super::lifecycle::RunStatus;
use super::permission::PermissionView;
use super::run::{
    ContextView, Draft, ProviderExecution, RunContext, RunOptions, RunRecord, TimelineEntry,
};
use super::staleness::Staleness;
use super::task::TaskRecord;
use super::time::Timestamp;
use super::tool_call::ToolCallRecord;

/// A run in full: the record, its context items (from the snapshot), its tasks and derived staleness.
/// Serialises to the contract's `Run` shape (docs/CLI.md, Records): the record's fields, with
/// `context.items` inside the record's `context` object, then `tasks` and `stale`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    pub run: RunRecord,
    /// The snapshot's items, in rank order (empty until context is resolved, or if the snapshot is gone).
    pub items: Vec<ContextItem>,
    pub tasks: Vec<TaskRecord>,
    /// The specialists' tool calls, by task and order (empty for runs whose tasks only reported).
    pub tool_calls: Vec<ToolCallRecord>,
    /// Permission requests and their answers, in the order asked.
    pub permissions: Vec<PermissionView>,
    pub stale: Staleness,
}

impl RunView {
    /// A run as first seen: no items, no tasks, not stale.
    pub fn new(run: RunRecord) -> Self {
        Self {
            run,
            items: Vec::new(),
            tasks: Vec::new(),
            tool_calls: Vec::new(),
            permissions: Vec::new(),
            stale: Staleness::default(),
        }
    }

    /// The permission requests that wait for an answer now (none once the run stopped).
    pub fn waiting_permissions(&self) -> impl Iterator<Item = &PermissionView> {
        let active = self.run.status.is_active();
        self.permissions
            .iter()
            .filter(move |p| active && p.is_waiting())
    }

    pub fn items(&self) -> &[ContextItem] {
        &self.items
    }

    /// How context was resolved, with the items.
    pub fn context(&self) -> ContextView {
        ContextView {
            resolved: self.run.context.clone(),
            items: self.items.clone(),
        }
    }
}

impl Serialize for RunView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = &self.run;
        RunViewWire {
            id: &r.id,
            space_id: &r.space_id,
            session_id: &r.session_id,
            prompt: &r.prompt,
            status: r.status,
            attempt: r.attempt,
            timeline: &r.timeline,
            created_at: r.created_at,
            updated_at: r.updated_at,
            completed_at: r.completed_at,
            interrupted_at: r.interrupted_at,
            error: r.error.as_ref(),
            provider_execution: r.provider_execution.as_ref(),
            context: ContextViewRef {
                resolved: &r.context,
                items: &self.items,
            },
            plan: r.plan.as_deref(),
            draft: r.draft.as_ref(),
            options: &r.options,
            owner: r.owner.as_ref(),
            instructions: &r.instructions,
            tasks: &self.tasks,
            tool_calls: &self.tool_calls,
            permissions: &self.permissions,
            stale: &self.stale,
        }
        .serialize(serializer)
    }
}

/// The contract's `Run` shape: [`RunRecord`]'s fields in its order (a test keeps the two in step), with
/// `context` widened by the items, then `tasks` and `stale`.
#[derive(Serialize)]
struct RunViewWire<'a> {
    id: &'a RunId,
    space_id: &'a SpaceId,
    session_id: &'a SessionId,
    prompt: &'a str,
    status: RunStatus,
    attempt: u32,
    timeline: &'a [TimelineEntry<RunStatus>],
    created_at: Timestamp,
    updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interrupted_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ErrorInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_execution: Option<&'a ProviderExecution>,
    context: ContextViewRef<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    draft: Option<&'a Draft>,
    options: &'a RunOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<&'a OwnerId>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    instructions: &'a [super::run::InstructionSource],
    tasks: &'a [TaskRecord],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tool_calls: &'a [ToolCallRecord],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    permissions: &'a [PermissionView],
    stale: &'a Staleness,
}

#[derive(Serialize)]
struct ContextViewRef<'a> {
    #[serde(flatten)]
    resolved: &'a RunContext,
    items: &'a [ContextItem],
}

impl<'de> Deserialize<'de> for RunView {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(flatten)]
            run: RunRecord,
            #[serde(default)]
            tasks: Vec<TaskRecord>,
            #[serde(default)]
            tool_calls: Vec<ToolCallRecord>,
            #[serde(default)]
            permissions: Vec<PermissionView>,
            #[serde(default)]
            stale: Staleness,
        }
        #[derive(Deserialize)]
        struct Items {
            #[serde(default)]
            context: Option<ItemsOnly>,
        }
        #[derive(Deserialize)]
        struct ItemsOnly {
            #[serde(default)]
            items: Vec<ContextItem>,
        }
        let value = serde_json::Value::deserialize(deserializer)?;
        let items: Items =
            serde_json::from_value(value.clone()).map_err(serde::de::Error::custom)?;
        let wire: Wire = serde_json::from_value(value).map_err(serde::de::Error::custom)?;
        Ok(RunView {
            run: wire.run,
            items: items.context.map(|c| c.items).unwrap_or_default(),
            tasks: wire.tasks,
            tool_calls: wire.tool_calls,
            permissions: wire.permissions,
            stale: wire.stale,
        })
    }
}

/// One line of run history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: RunId,
    pub space_id: SpaceId,
    pub session_id: SessionId,
    pub prompt: String,
    pub status: RunStatus,
    pub attempt: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted_at: Option<Timestamp>,
    pub stale: Staleness,
}

impl RunSummary {
    pub fn new(run: &RunRecord, stale: Staleness) -> Self {
        Self {
            id: run.id.clone(),
            space_id: run.space_id.clone(),
            session_id: run.session_id.clone(),
            prompt: run.prompt.clone(),
            status: run.status,
            attempt: run.attempt,
            created_at: run.created_at,
            updated_at: run.updated_at,
            completed_at: run.completed_at,
            interrupted_at: run.interrupted_at,
            stale,
        }
    }
}

/// A count with its noun, as every client phrases it: `1 snippet`, `3 snippets`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContextProviderKind, NewRun};

    /// The wire mirror names every field of the record, in the record's order: a field added to
    /// `RunRecord` and not here fails this test.
    #[test]
    fn the_view_is_the_record_with_items_tasks_and_staleness() {
        let mut run = RunRecord::queued(
            NewRun {
                id: RunId::new("r1"),
                space_id: SpaceId::new("sp1"),
                session_id: SessionId::new("se1"),
                prompt: "p".into(),
                requested_context: ContextProviderKind::Filesystem,
                options: RunOptions::default(),
                owner: OwnerId::new("o1"),
            },
            Timestamp::from_unix_millis(1),
        );
        run.plan = Some("plan".into());
        run.error = Some(ErrorInfo::new(
            super::super::ErrorCode::Store,
            "m",
            "r",
            false,
        ));
        let view = RunView::new(run.clone());
        let json = serde_json::to_string(&view).unwrap();
        let record = serde_json::to_string(&run).unwrap();
        let widened = record.replacen(
            "\"resolved_provider\":null}",
            "\"resolved_provider\":null,\"items\":[]}",
            1,
        );
        let expected = format!(
            "{},\"tasks\":[],\"stale\":{}}}",
            widened.trim_end_matches('}'),
            serde_json::to_string(&Staleness::default()).unwrap()
        );
        assert_eq!(json, expected);
        let back: RunView = serde_json::from_str(&json).unwrap();
        assert_eq!(back, view);
    }
}
