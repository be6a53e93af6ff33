//! Record readers that read and write transactions share, written once.

/// Implements the typed record readers on a transaction type with `txn` and `bad` fields.
macro_rules! record_readers {
    ($ty:ty) => {
        impl $ty {
            pub fn space(
                &self,
                id: &$crate::model::SpaceId,
            ) -> Result<Option<$crate::model::Space>, $crate::store::StoreError> {
                $crate::store::rows::get(
                    &self.txn.open_table($crate::store::tables::SPACES)?,
                    $crate::store::tables::names::SPACES,
                    id.as_str(),
                    &self.bad,
                )
            }

            /// All spaces, oldest first.
            pub fn spaces(&self) -> Result<Vec<$crate::model::Space>, $crate::store::StoreError> {
                $crate::store::rows::all(
                    &self.txn.open_table($crate::store::tables::SPACES)?,
                    $crate::store::tables::names::SPACES,
                    false,
                    &self.bad,
                )
            }

            pub fn session(
                &self,
                id: &$crate::model::SessionId,
            ) -> Result<Option<$crate::model::Session>, $crate::store::StoreError> {
                $crate::store::rows::get(
                    &self.txn.open_table($crate::store::tables::SESSIONS)?,
                    $crate::store::tables::names::SESSIONS,
                    id.as_str(),
                    &self.bad,
                )
            }

            /// The sessions of a space, most recently used first.
            pub fn sessions(
                &self,
                space: &$crate::model::SpaceId,
            ) -> Result<Vec<$crate::model::Session>, $crate::store::StoreError> {
                let mut all: Vec<$crate::model::Session> = $crate::store::rows::all(
                    &self.txn.open_table($crate::store::tables::SESSIONS)?,
                    $crate::store::tables::names::SESSIONS,
                    false,
                    &self.bad,
                )?;
                all.retain(|s| &s.space_id == space);
                all.sort_by(|a, b| {
                    b.last_used_at
                        .cmp(&a.last_used_at)
                        .then_with(|| b.id.cmp(&a.id))
                });
                Ok(all)
            }

            pub fn run(
                &self,
                id: &$crate::model::RunId,
            ) -> Result<Option<$crate::model::RunRecord>, $crate::store::StoreError> {
                $crate::store::rows::get(
                    &self.txn.open_table($crate::store::tables::RUNS)?,
                    $crate::store::tables::names::RUNS,
                    id.as_str(),
                    &self.bad,
                )
            }

            /// The runs of one session, oldest first, through the session index.
            pub fn session_runs(
                &self,
                session: &$crate::model::SessionId,
            ) -> Result<Vec<$crate::model::RunRecord>, $crate::store::StoreError> {
                let index = self.txn.open_table($crate::store::tables::SESSION_RUNS)?;
                let runs = self.txn.open_table($crate::store::tables::RUNS)?;
                let mut out = Vec::new();
                for entry in index.range((session.as_str(), "")..)? {
                    let (k, _) = entry?;
                    let (s, run_id) = k.value();
                    if s != session.as_str() {
                        break;
                    }
                    match $crate::store::rows::get::<$crate::model::RunRecord>(
                        &runs,
                        $crate::store::tables::names::RUNS,
                        run_id,
                        &self.bad,
                    ) {
                        Ok(Some(run)) => out.push(run),
                        Ok(None) | Err($crate::store::StoreError::Damaged { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(out)
            }

            /// A run's tool calls, by task and order.
            pub fn tool_calls(
                &self,
                run: &$crate::model::RunId,
            ) -> Result<Vec<$crate::model::ToolCallRecord>, $crate::store::StoreError> {
                $crate::store::rows::all_with_prefix(
                    &self.txn.open_table($crate::store::tables::TOOL_CALLS)?,
                    $crate::store::tables::names::TOOL_CALLS,
                    run.as_str(),
                    &self.bad,
                )
            }

            /// A run's tasks in plan order (`t1`, `t2`, ... `t10`).
            pub fn tasks(
                &self,
                run: &$crate::model::RunId,
            ) -> Result<Vec<$crate::model::TaskRecord>, $crate::store::StoreError> {
                let mut tasks: Vec<$crate::model::TaskRecord> =
                    $crate::store::rows::all_with_prefix(
                        &self.txn.open_table($crate::store::tables::TASKS)?,
                        $crate::store::tables::names::TASKS,
                        run.as_str(),
                        &self.bad,
                    )?;
                $crate::model::task::sort_tasks(&mut tasks);
                Ok(tasks)
            }

            pub fn snapshot(
                &self,
                id: &$crate::model::SnapshotId,
            ) -> Result<Option<$crate::model::ContextSnapshot>, $crate::store::StoreError> {
                $crate::store::rows::get(
                    &self.txn.open_table($crate::store::tables::SNAPSHOTS)?,
                    $crate::store::tables::names::SNAPSHOTS,
                    id.as_str(),
                    &self.bad,
                )
            }

            /// A snapshot's sources (paths and hashes), from its compact `snapshot_sources_v1` row. Since
            /// schema 3 every snapshot has one (written with it, or by `m003_snapshot_sources`), so no row
            /// means no snapshot. Only a row that cannot be decoded falls back to the snapshot itself (its
            /// excerpts skipped while decoding); the row is derived, so nothing is lost.
            pub fn snapshot_sources(
                &self,
                id: &$crate::model::SnapshotId,
            ) -> Result<Option<$crate::model::SnapshotSources>, $crate::store::StoreError> {
                {
                    let table = self
                        .txn
                        .open_table($crate::store::tables::SNAPSHOT_SOURCES)?;
                    let Some(raw) = table.get(id.as_str())? else {
                        return Ok(None);
                    };
                    if let Ok(sources) =
                        $crate::store::codec::decode::<$crate::model::SnapshotSources>(raw.value())
                    {
                        return Ok(Some(sources));
                    }
                }
                $crate::store::rows::get(
                    &self.txn.open_table($crate::store::tables::SNAPSHOTS)?,
                    $crate::store::tables::names::SNAPSHOTS,
                    id.as_str(),
                    &self.bad,
                )
            }

            /// A session's current spec.
            pub fn spec(
                &self,
                session: &$crate::model::SessionId,
            ) -> Result<Option<$crate::model::SpecRecord>, $crate::store::StoreError> {
                $crate::store::rows::get(
                    &self.txn.open_table($crate::store::tables::SPECS)?,
                    $crate::store::tables::names::SPECS,
                    session.as_str(),
                    &self.bad,
                )
            }
        }
    };
}

pub(crate) use record_readers;
