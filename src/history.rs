//! Run history as clients see it: [`RunView`]s and [`RunSummary`]s with staleness derived from the world as
//! it is now (source files on disk, the session spec, newer runs). Shared by the CLI and the window.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::context::SourceChecker;
use crate::model::{
    ContextSnapshot, RunId, RunRecord, RunSummary, RunView, SessionId, SpaceId, SpecRecord,
    Staleness, StalenessInputs,
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
}

impl<'a> World<'a> {
    fn load(rx: &Rx, checker: &'a SourceChecker, runs: &[RunRecord]) -> Result<Self, StoreError> {
        let roots = rx
            .spaces()?
            .into_iter()
            .map(|s| (s.id, s.root_path))
            .collect();
        let mut specs = HashMap::new();
        let mut latest_draft: HashMap<SessionId, (RunId, crate::model::Timestamp)> = HashMap::new();
        let mut sessions: Vec<SessionId> = runs.iter().map(|r| r.session_id.clone()).collect();
        sessions.sort();
        sessions.dedup();
        for session in sessions {
            for run in rx.session_runs(&session)? {
                if run.draft.is_some() {
                    let newer = latest_draft
                        .get(&session)
                        .is_none_or(|(id, at)| (run.created_at, &run.id) > (*at, id));
                    if newer {
                        latest_draft.insert(session.clone(), (run.id.clone(), run.created_at));
                    }
                }
            }
            specs.insert(session.clone(), rx.spec(&session)?);
        }
        Ok(Self {
            checker,
            roots,
            specs,
            latest_draft,
        })
    }

    fn staleness(&self, run: &RunRecord, snapshot: Option<&ContextSnapshot>) -> Staleness {
        let mut inputs = StalenessInputs::default();
        if let (Some(snapshot), Some(root)) = (snapshot, self.roots.get(&run.space_id)) {
            inputs.sources = snapshot
                .sources()
                .into_iter()
                .map(|(path, hash)| (path, self.checker.state(root, path, hash)))
                .collect();
        }
        if let Some(draft) = &run.draft {
            if let Some(Some(spec)) = self.specs.get(&run.session_id) {
                inputs.spec_edited_after_draft = spec.applied_from_run.as_ref() != Some(&run.id)
                    && spec.updated_at > draft.generated_at;
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

/// One run in full, or `None` if there is no such run.
pub fn run_view(
    store: &Store,
    checker: &SourceChecker,
    id: &RunId,
) -> Result<Option<RunView>, StoreError> {
    store.read(|rx| {
        let Some(mut run) = rx.run(id)? else {
            return Ok(None);
        };
        let world = World::load(rx, checker, std::slice::from_ref(&run))?;
        let snapshot = snapshot_of(rx, &run)?;
        let stale = world.staleness(&run, snapshot.as_ref());
        if let Some(snapshot) = snapshot {
            run.context.items = snapshot.items;
        }
        let tasks = rx.tasks(id)?;
        Ok(Some(RunView { run, tasks, stale }))
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
        let world = World::load(rx, checker, &runs)?;
        let mut out = Vec::with_capacity(runs.len());
        for run in &runs {
            let snapshot = snapshot_of(rx, run)?;
            out.push(RunSummary::new(
                run,
                world.staleness(run, snapshot.as_ref()),
            ));
        }
        Ok(out)
    })
}
