//! Run history as clients see it: [`RunView`]s and [`RunSummary`]s with staleness derived from the world as
//! it is now (source files on disk, the session spec, newer runs).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::context::SourceChecker;
use crate::model::{
    ContextSnapshot, RunId, RunRecord, RunSummary, RunView, SessionId, SnapshotSources,
    SourceState, SpaceId, SpecRecord, Staleness, StalenessInputs,
};
use crate::store::{Rx, Store, StoreError};

/// Which runs to list.
#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub space: Option<SpaceId>,
    pub session: Option<SessionId>,
}

/// Everything staleness needs besides the run itself, loaded once per query.
struct World<'a> {
    checker: &'a SourceChecker,
    roots: HashMap<SpaceId, PathBuf>,
    specs: HashMap<SessionId, Option<SpecRecord>>,
    /// The newest run with a draft, per session.
    latest_draft: HashMap<SessionId, (RunId, crate::model::Timestamp)>,
    /// The current hash of each file already checked in this query: each distinct file is looked at
    /// once, however many runs drew from it.
    current: RefCell<HashMap<PathBuf, Option<String>>>,
}

impl<'a> World<'a> {
    /// `complete_sessions`: `runs` holds every run of each session it mentions (a history listing), so
    /// the newest drafts are found without reading the sessions again.
    fn load(
        rx: &Rx,
        checker: &'a SourceChecker,
        runs: &[RunRecord],
        complete_sessions: bool,
    ) -> Result<Self, StoreError> {
        let roots = rx
            .spaces()?
            .into_iter()
            .map(|s| (s.id, s.root_path))
            .collect();
        let mut specs = HashMap::new();
        let mut latest_draft: HashMap<SessionId, (RunId, crate::model::Timestamp)> = HashMap::new();
        let mut note_draft = |run: &RunRecord| {
            if run.draft.is_some() {
                let newer = latest_draft
                    .get(&run.session_id)
                    .is_none_or(|(id, at)| (run.created_at, &run.id) > (*at, id));
                if newer {
                    latest_draft.insert(run.session_id.clone(), (run.id.clone(), run.created_at));
                }
            }
        };
        let mut sessions: Vec<SessionId> = runs.iter().map(|r| r.session_id.clone()).collect();
        sessions.sort();
        sessions.dedup();
        if complete_sessions {
            runs.iter().for_each(&mut note_draft);
        } else {
            for session in &sessions {
                rx.session_runs(session)?.iter().for_each(&mut note_draft);
            }
        }
        for session in sessions {
            // A damaged spec is quarantined by the read; staleness then ignores it like a missing one
            // rather than failing the whole history.
            let spec = match rx.spec(&session) {
                Err(StoreError::Damaged { .. }) => None,
                other => other?,
            };
            specs.insert(session, spec);
        }
        Ok(Self {
            checker,
            roots,
            specs,
            latest_draft,
            current: RefCell::default(),
        })
    }

    fn source_state(&self, root: &Path, relative: &str, recorded_hash: &str) -> SourceState {
        let path = root.join(relative);
        let mut current = self.current.borrow_mut();
        let hash = current
            .entry(path)
            .or_insert_with_key(|p| self.checker.current_hash(p));
        match hash {
            None => SourceState::Missing,
            Some(h) if h == recorded_hash => SourceState::Unchanged,
            Some(_) => SourceState::Changed,
        }
    }

    /// `snapshot_root`: where the snapshot's paths are (a session's worktree), else the space's folder.
    fn staleness(
        &self,
        run: &RunRecord,
        sources: &[(&str, &str)],
        snapshot_root: Option<&Path>,
    ) -> Staleness {
        let mut inputs = StalenessInputs::default();
        let root = snapshot_root.or_else(|| self.roots.get(&run.space_id).map(PathBuf::as_path));
        if let Some(root) = root {
            inputs.sources = sources
                .iter()
                .map(|(path, hash)| (*path, self.source_state(root, path, hash)))
                .collect();
        }
        if let Some(draft) = &run.draft {
            if let Some(Some(spec)) = self.specs.get(&run.session_id) {
                inputs.spec_edited_after_draft = spec.applied_from_run.as_ref() != Some(&run.id)
                    && spec.edited_at() > draft.generated_at;
            }
            if let Some((newest, _)) = self.latest_draft.get(&run.session_id)
                && newest != &run.id
            {
                inputs.superseded_by = Some(newest);
            }
        }
        Staleness::derive(&inputs)
    }
}

fn snapshot_of(rx: &Rx, run: &RunRecord) -> Result<Option<ContextSnapshot>, StoreError> {
    let Some(id) = &run.context.snapshot_id else {
        return Ok(None);
    };
    match rx.snapshot(id) {
        Err(StoreError::Damaged { .. }) => Ok(None),
        other => other,
    }
}

/// A run's snapshot sources, decoded without the excerpts.
fn sources_of(rx: &Rx, run: &RunRecord) -> Result<Option<SnapshotSources>, StoreError> {
    let Some(id) = &run.context.snapshot_id else {
        return Ok(None);
    };
    match rx.snapshot_sources(id) {
        Err(StoreError::Damaged { .. }) => Ok(None),
        other => other,
    }
}

/// One run in full, or `None` if there is no such run.
pub fn run_view(
    store: &Store,
    checker: &SourceChecker,
    id: &RunId,
) -> Result<Option<RunView>, StoreError> {
    store.read(|rx| {
        let Some(run) = rx.run(id)? else {
            return Ok(None);
        };
        let world = World::load(rx, checker, std::slice::from_ref(&run), false)?;
        let snapshot = snapshot_of(rx, &run)?;
        let sources = snapshot
            .as_ref()
            .map(ContextSnapshot::sources)
            .unwrap_or_default();
        let root = snapshot.as_ref().and_then(|s| s.root.clone());
        let stale = world.staleness(&run, &sources, root.as_deref());
        let items = snapshot.map(|s| s.items).unwrap_or_default();
        let tasks = rx.tasks(id)?;
        let tool_calls = rx.tool_calls(id)?;
        let permissions = rx.permissions(id)?;
        Ok(Some(RunView {
            run,
            items,
            tasks,
            tool_calls,
            permissions,
            stale,
        }))
    })
}

/// Run history, newest first.
pub fn run_summaries(
    store: &Store,
    checker: &SourceChecker,
    filter: &RunFilter,
) -> Result<Vec<RunSummary>, StoreError> {
    store.read(|rx| {
        let mut runs = match &filter.session {
            Some(session) => {
                let mut runs = rx.session_runs(session)?;
                runs.reverse();
                runs
            }
            None => rx.runs()?,
        };
        if let Some(space) = &filter.space {
            runs.retain(|r| &r.space_id == space);
        }
        // A session belongs to one space, so both filters keep every run of the sessions they list.
        let world = World::load(rx, checker, &runs, true)?;
        let mut out = Vec::with_capacity(runs.len());
        for run in &runs {
            let found = sources_of(rx, run)?;
            let sources = found
                .as_ref()
                .map(SnapshotSources::sources)
                .unwrap_or_default();
            let root = found.as_ref().and_then(|s| s.root.as_deref());
            out.push(RunSummary::new(run, world.staleness(run, &sources, root)));
        }
        Ok(out)
    })
}

/// Every run of a session in full, oldest first, with the newest event of its log included (read in the
/// same transaction): what the window's thread shows.
pub fn session_views(
    store: &Store,
    checker: &SourceChecker,
    session: &SessionId,
) -> Result<Vec<(RunView, Option<u64>)>, StoreError> {
    store.read(|rx| {
        let runs = rx.session_runs(session)?;
        let world = World::load(rx, checker, &runs, true)?;
        let mut out = Vec::with_capacity(runs.len());
        for run in runs {
            let snapshot = snapshot_of(rx, &run)?;
            let sources = snapshot
                .as_ref()
                .map(ContextSnapshot::sources)
                .unwrap_or_default();
            let root = snapshot.as_ref().and_then(|s| s.root.clone());
            let stale = world.staleness(&run, &sources, root.as_deref());
            let items = snapshot.map(|s| s.items).unwrap_or_default();
            let tasks = rx.tasks(&run.id)?;
            let tool_calls = rx.tool_calls(&run.id)?;
            let permissions = rx.permissions(&run.id)?;
            let last_event = rx.last_event(&run.id)?;
            out.push((
                RunView {
                    run,
                    items,
                    tasks,
                    tool_calls,
                    permissions,
                    stale,
                },
                last_event,
            ));
        }
        Ok(out)
    })
}
