//! The window's in-memory model: spaces, the open session with its runs, and what this process's
//! orchestrator owns. Fed by orchestrator events and by replies of the I/O thread; drawing code only reads
//! it. Every change bumps `revision`; derived views (the thread's rows, agent rows, spec tasks) are cached
//! by revision so a frame never rebuilds them twice.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use std::collections::VecDeque;

use crate::app::feed::Update;
use crate::app::runs::SessionData;
use crate::app::sessions::SessionSummary;
use crate::model::{
    ErrorInfo, Event, RunId, RunStatus, RunView, Session, SessionId, Space, SpaceId, SpecRecord,
    Staleness, TaskId, TaskStatus, Timestamp, run_reducer,
};

/// One run of the open session, with what streamed in while it was live.
#[derive(Clone, Debug)]
pub struct RunEntry {
    pub view: RunView,
    /// The coordinator's streamed text (shown until the plan is stored).
    pub stream: String,
    /// The last words of each specialist (agent row previews).
    pub task_previews: HashMap<TaskId, String>,
    /// The sequence number of the newest event of the run's log folded into `view`: the feed's events
    /// up to it are already in (it may deliver them again after a load), later ones are not.
    pub last_event: Option<u64>,
}

impl RunEntry {
    pub fn new(view: RunView, last_event: Option<u64>) -> Self {
        Self {
            view,
            stream: String::new(),
            task_previews: HashMap::new(),
            last_event,
        }
    }

    /// Folds one event of the run's log in (once: an event already folded in is skipped). Returns what
    /// it changed, or `None` when it was not new.
    fn fold(&mut self, seq: u64, event: &Event) -> Option<run_reducer::Reduced> {
        if self.last_event.is_some_and(|last| seq <= last) {
            return None;
        }
        self.last_event = Some(seq);
        if let Event::ModelDelta { task_id, text, .. } = event {
            match task_id {
                None => self.stream.push_str(text),
                Some(task) => {
                    let preview = self.task_previews.entry(task.clone()).or_default();
                    preview.push_str(text);
                    if preview.len() > 400 {
                        let cut = preview.len() - 200;
                        let cut = (cut..preview.len())
                            .find(|i| preview.is_char_boundary(*i))
                            .unwrap_or(0);
                        preview.drain(..cut);
                    }
                }
            }
        }
        Some(run_reducer::apply(&mut self.view, event))
    }
    pub fn id(&self) -> &RunId {
        &self.view.run.id
    }
}

/// The open session.
#[derive(Debug)]
pub struct SessionState {
    pub space: Space,
    /// The space's sessions that are not archived, most recently used first (the switcher's list).
    pub sessions: Vec<SessionSummary>,
    pub session: Session,
    /// Oldest first. Shared so a frame can hold a row's run without copying it (copy-on-write on update).
    pub runs: Vec<Arc<RunEntry>>,
    index: HashMap<RunId, usize>,
    pub spec: Option<SpecRecord>,
    /// The space's folder is gone: the sidebar says so (runs there fail until it is back).
    pub root_missing: bool,
}

impl SessionState {
    pub fn new(data: SessionData) -> Self {
        let runs: Vec<Arc<RunEntry>> = data
            .runs
            .into_iter()
            .map(|(view, last)| Arc::new(RunEntry::new(view, last)))
            .collect();
        let index = runs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id().clone(), i))
            .collect();
        Self {
            space: data.space,
            sessions: data.sessions,
            session: data.session,
            runs,
            index,
            spec: data.spec,
            root_missing: data.root_missing,
        }
    }

    pub fn run(&self, id: &RunId) -> Option<&RunEntry> {
        self.index
            .get(id)
            .and_then(|&i| self.runs.get(i))
            .map(|r| &**r)
    }

    fn run_mut(&mut self, id: &RunId) -> Option<&mut RunEntry> {
        self.index
            .get(id)
            .and_then(|&i| self.runs.get_mut(i))
            .map(Arc::make_mut)
    }

    fn push(&mut self, entry: RunEntry) {
        if self.index.contains_key(entry.id()) {
            return;
        }
        self.index.insert(entry.id().clone(), self.runs.len());
        self.runs.push(Arc::new(entry));
    }

    /// The newest run with a draft that is not applied yet and is newer than every applied draft: a draft
    /// older than the applied one is superseded, never offered as the current one.
    pub fn pending_draft(&self) -> Option<&RunEntry> {
        let applied = |r: &Arc<RunEntry>| {
            r.view
                .run
                .draft
                .as_ref()
                .is_some_and(|d| d.applied_at.is_some())
        };
        let after = self.runs.iter().rposition(applied).map_or(0, |i| i + 1);
        self.runs
            .get(after..)
            .unwrap_or(&[])
            .iter()
            .rev()
            .find(|r| {
                r.view
                    .run
                    .draft
                    .as_ref()
                    .is_some_and(|d| d.applied_at.is_none())
            })
            .map(|r| &**r)
    }
}

/// A notice shown in the status bar (command rejected, I/O failure).
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub message: String,
    pub error: bool,
}

/// What the model wants done after a feed update (the app turns these into I/O requests).
#[derive(Clone, Debug, PartialEq)]
pub enum FollowUp {
    /// Re-derive the session's staleness (a run ended, a draft arrived).
    CheckStaleness,
    /// Changes were missed: read the session and the spaces again.
    Reload,
}

/// Run events kept after they were applied, so a session whose load was in flight while they arrived
/// gets them too (a load's snapshot can be older than events the feed already delivered).
const RECENT_EVENTS: usize = 4096;

/// Expandable parts of the thread.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expand {
    Inspector(RunId),
    Step(RunId, Step),
    /// A tool call's input and output (by its key, `<task>/<seq>`).
    Tool(RunId, String),
}

/// A step row of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Context,
    Plan,
    Draft,
    Task(usize),
}

/// One row of the conversation thread (indexes into `SessionState::runs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreadItem {
    User(usize),
    Header(usize),
    Inspector(usize),
    Prose(usize),
    Step(usize, Step),
    Delegation(usize),
    Barrier(usize, u32),
    EventBar(usize, usize),
    /// What a live run is doing right now ("Drafting the spec…").
    Working(usize),
    /// A tool call of a task (index into the run's `tool_calls`).
    Tool(usize, usize),
    /// The files a task changed (index into the run's tasks).
    TaskFiles(usize, usize),
}

/// How an agent (the coordinator or a specialist) is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentState {
    Running,
    Queued,
    Idle,
    Done,
    Failed,
    Interrupted,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AgentRow {
    pub name: String,
    /// Whose avatar (colour and letter) the row shows: the coordinator, or the specialist's name, so a
    /// specialist looks the same in the sidebar and in the thread's wave rows.
    pub avatar: String,
    pub delegated: bool,
    pub state: AgentState,
    pub since: Timestamp,
    pub preview: String,
    /// Whether its age ticks (only agents of runs this process is executing).
    pub live: bool,
    /// It waits for a permission answer (the row says what for, in the warning colour).
    pub waiting: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SpecTaskRow {
    /// The line's id (`s3`); `None` in specs written before ids.
    pub id: Option<String>,
    pub title: String,
    /// What the spec's line says, shown as a task status: done → completed, in progress → running; a
    /// run's failure or interruption of the task shows while the line is not done.
    pub status: Option<TaskStatus>,
}

/// Views derived from the model at one revision.
#[derive(Debug, Default)]
pub struct Derived {
    pub revision: u64,
    pub items: Vec<ThreadItem>,
    pub agents: Vec<AgentRow>,
    pub spec_tasks: Vec<SpecTaskRow>,
}

/// The whole window model.
#[derive(Debug)]
pub struct AppModel {
    pub revision: u64,
    pub now: Timestamp,
    /// The store has been read once (spaces and saved layout are known).
    pub started: bool,
    pub spaces: Vec<Space>,
    /// Spaces whose linked folder is gone (Home marks them).
    pub missing_folders: HashSet<SpaceId>,
    /// Why the store cannot be read, when it cannot (Home shows it instead of "Reading the store…").
    pub store_error: Option<String>,
    pub total_runs: u64,
    pub session: Option<SessionState>,
    /// The newest run events the feed delivered (see [`RECENT_EVENTS`]).
    recent: VecDeque<(u64, Event)>,
    pub expanded: HashSet<Expand>,
    pub notices: Vec<Notice>,
    derived: Derived,
}

impl AppModel {
    pub fn new(now: Timestamp) -> Self {
        Self {
            revision: 1,
            now,
            started: false,
            spaces: Vec::new(),
            missing_folders: HashSet::new(),
            store_error: None,
            total_runs: 0,
            session: None,
            recent: VecDeque::new(),
            expanded: HashSet::new(),
            notices: Vec::new(),
            derived: Derived::default(),
        }
    }

    pub fn bump(&mut self) {
        self.revision += 1;
    }

    pub fn notice(&mut self, message: impl Into<String>, error: bool) {
        self.notices.push(Notice {
            message: message.into(),
            error,
        });
        if self.notices.len() > 20 {
            self.notices.remove(0);
        }
        self.bump();
    }

    /// Whether a run is executing (here or in another process sharing the store): it animates and can be
    /// stopped. A run whose process died is interrupted by the feed's check within seconds, so an active
    /// status is the truth.
    pub fn is_live(&self, run: &RunView) -> bool {
        run.run.status.is_active()
    }

    pub fn any_live(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.runs.iter().any(|r| self.is_live(&r.view)))
    }

    pub fn toggle(&mut self, what: Expand) {
        if !self.expanded.remove(&what) {
            self.expanded.insert(what);
        }
        self.bump();
    }

    pub fn set_session(&mut self, data: SessionData) {
        let mut session = SessionState::new(data);
        // Events that arrived while the load was in flight, newer than what it read.
        for (seq, event) in &self.recent {
            fold_into(&mut session, *seq, event);
        }
        self.session = Some(session);
        self.bump();
    }

    pub fn session_id(&self) -> Option<&SessionId> {
        self.session.as_ref().map(|s| &s.session.id)
    }

    pub fn set_staleness(
        &mut self,
        id: &SessionId,
        runs: Vec<(RunId, Staleness)>,
        spec: Option<SpecRecord>,
        root_missing: bool,
    ) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if &session.session.id != id {
            return;
        }
        let mut changed = false;
        for (run, stale) in runs {
            if let Some(entry) = session.run_mut(&run)
                && entry.view.stale != stale
            {
                entry.view.stale = stale;
                changed = true;
            }
        }
        if session.spec != spec {
            session.spec = spec;
            changed = true;
        }
        if session.root_missing != root_missing {
            session.root_missing = root_missing;
            changed = true;
        }
        if changed {
            self.bump();
        }
    }

    pub fn set_spec(&mut self, spec: SpecRecord) {
        if let Some(session) = self.session.as_mut()
            && session.session.id == spec.session_id
        {
            if let Some(run) = &spec.applied_from_run
                && let Some(entry) = session.run_mut(run)
                && let Some(draft) = entry.view.run.draft.as_mut()
            {
                draft.applied_at = Some(spec.updated_at);
            }
            session.spec = Some(spec);
            self.bump();
        }
    }

    /// Applies what the change feed delivered; returns what should be read again.
    pub fn apply_updates(&mut self, updates: Vec<Update>) -> Vec<FollowUp> {
        let mut follow = Vec::new();
        for update in updates {
            match update {
                Update::Reload => follow.push(FollowUp::Reload),
                Update::Space(space) => self.upsert_space(space),
                Update::SpaceRemoved(id) => {
                    self.spaces.retain(|s| s.id != id);
                    self.bump();
                }
                Update::Session(session) => self.upsert_session(session),
                Update::Spec(spec) => self.set_spec(spec),
                Update::RunEvent { seq, event, .. } => {
                    if matches!(event, Event::RunCreated { .. }) {
                        self.total_runs += 1;
                        self.bump();
                    }
                    let reduced = self
                        .session
                        .as_mut()
                        .and_then(|s| fold_into(s, seq, &event));
                    if let Some(reduced) = reduced {
                        if reduced.ended || reduced.drafted {
                            follow.push(FollowUp::CheckStaleness);
                        }
                        self.bump();
                    }
                    if let Event::CommandRejected { error, .. } = &event {
                        self.notice(format!("{} — {}", error.message, error.remediation), true);
                    }
                    if let Event::RunNotRecorded { run_id, error } = &event {
                        self.notice(
                            format!(
                                "Run {run_id} could not be recorded: {} — {} It will show as interrupted after a restart.",
                                error.message, error.remediation
                            ),
                            true,
                        );
                    }
                    self.recent.push_back((seq, event));
                    if self.recent.len() > RECENT_EVENTS {
                        self.recent.pop_front();
                    }
                }
            }
        }
        follow.dedup();
        follow
    }

    fn upsert_space(&mut self, space: Space) {
        if let Some(session) = self.session.as_mut()
            && session.space.id == space.id
        {
            session.space = space.clone();
        }
        match self.spaces.iter_mut().find(|s| s.id == space.id) {
            Some(existing) => *existing = space,
            None => self.spaces.push(space),
        }
        sort_spaces(&mut self.spaces);
        self.bump();
    }

    fn upsert_session(&mut self, changed: Session) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if session.space.id != changed.space_id {
            return;
        }
        if session.session.id == changed.id {
            session.session = changed.clone();
        }
        let runs = session
            .sessions
            .iter()
            .find(|s| s.session.id == changed.id)
            .map_or(0, |s| s.runs);
        session.sessions.retain(|s| s.session.id != changed.id);
        if !changed.is_archived() {
            session.sessions.push(SessionSummary {
                last_activity: changed.last_used_at.max(changed.updated_at),
                session: changed,
                runs,
            });
            session.sessions.sort_by(|a, b| {
                b.session
                    .last_used_at
                    .cmp(&a.session.last_used_at)
                    .then_with(|| b.session.id.cmp(&a.session.id))
            });
        }
        self.bump();
    }

    /// The derived views at the current revision (rebuilt at most once per revision).
    pub fn derived(&mut self) -> &Derived {
        if self.derived.revision != self.revision {
            let built = self.build_derived();
            self.derived = built;
        }
        &self.derived
    }

    fn build_derived(&self) -> Derived {
        let mut d = Derived {
            revision: self.revision,
            ..Derived::default()
        };
        let Some(session) = &self.session else {
            return d;
        };
        for (i, entry) in session.runs.iter().enumerate() {
            let view = &entry.view;
            let id = &view.run.id;
            d.items.push(ThreadItem::User(i));
            d.items.push(ThreadItem::Header(i));
            if self.expanded.contains(&Expand::Inspector(id.clone())) {
                d.items.push(ThreadItem::Inspector(i));
            }
            if view.run.context.resolved_provider.is_some() || view.run.context.error.is_some() {
                d.items.push(ThreadItem::Step(i, Step::Context));
            }
            if view.run.plan.is_some() || !entry.stream.is_empty() {
                d.items.push(ThreadItem::Prose(i));
            }
            if view.run.plan.is_some() {
                d.items.push(ThreadItem::Step(i, Step::Plan));
            }
            if view.run.draft.is_some() {
                d.items.push(ThreadItem::Step(i, Step::Draft));
            }
            if !view.tasks.is_empty() {
                d.items.push(ThreadItem::Delegation(i));
                for t in 0..view.tasks.len() {
                    d.items.push(ThreadItem::Step(i, Step::Task(t)));
                    d.items.extend(super::tool_calls::task_items(view, i, t));
                }
                let mut waves: Vec<u32> = view.tasks.iter().map(|t| t.wave).collect();
                waves.sort_unstable();
                waves.dedup();
                for wave in waves {
                    d.items.push(ThreadItem::Barrier(i, wave));
                    for (t, task) in view.tasks.iter().enumerate() {
                        if task.wave == wave && task.status == TaskStatus::Completed {
                            d.items.push(ThreadItem::EventBar(i, t));
                        }
                    }
                }
            }
            if self.is_live(view) {
                d.items.push(ThreadItem::Working(i));
            }
        }
        if let Some(latest) = session.runs.last() {
            d.agents = self.agents(latest);
        }
        d.spec_tasks = spec_tasks(session);
        d
    }

    fn agents(&self, latest: &RunEntry) -> Vec<AgentRow> {
        let view = &latest.view;
        let live = self.is_live(view);
        let coordinator = AgentRow {
            name: "Coordinator".to_owned(),
            avatar: "Coordinator".to_owned(),
            delegated: false,
            state: run_agent_state(view.run.status, live),
            since: view.run.updated_at,
            preview: match view.run.status {
                RunStatus::Interrupted => format!("Interrupted — {}", view.run.prompt),
                RunStatus::Failed => view
                    .run
                    .error
                    .as_ref()
                    .map_or_else(|| "Failed".to_owned(), |e: &ErrorInfo| e.message.clone()),
                _ => first_line(view.run.plan.as_deref().unwrap_or(&view.run.prompt)),
            },
            live,
            waiting: false,
        };
        let mut rows = vec![coordinator];
        for task in &view.tasks {
            let state = task_agent_state(task.status, live);
            let asking = view
                .waiting_permissions()
                .find(|p| p.request.task_id == task.id);
            let preview = match task.status {
                _ if asking.is_some() => asking.map_or_else(String::new, |p| {
                    format!("Waiting for permission: {}", p.request.subject)
                }),
                TaskStatus::Interrupted => format!("Interrupted — {}", task.title),
                _ => task
                    .error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .or_else(|| task.summary.clone())
                    .or_else(|| latest.task_previews.get(&task.id).map(|p| first_line(p)))
                    .unwrap_or_else(|| task.title.clone()),
            };
            rows.push(AgentRow {
                name: format!("{} · {}", capitalise(&task.specialist), task.title),
                avatar: capitalise(&task.specialist),
                delegated: true,
                state,
                since: task.updated_at,
                preview: first_line(&preview),
                live: live && task.status.is_active(),
                waiting: asking.is_some(),
            });
        }
        rows
    }
}

/// Folds a run event into the session when it is about one of its runs (a `run_created` of this session
/// adds the run). Returns what it changed, or `None` when it was not about the session or not new.
fn fold_into(session: &mut SessionState, seq: u64, event: &Event) -> Option<run_reducer::Reduced> {
    let id = event.run_id()?;
    if let Some(entry) = session.run_mut(id) {
        return entry.fold(seq, event);
    }
    let Event::RunCreated { run } = event else {
        return None;
    };
    if run.session_id != session.session.id {
        return None;
    }
    session.push(RunEntry::new(RunView::new((**run).clone()), Some(seq)));
    Some(run_reducer::Reduced {
        changed: true,
        ..run_reducer::Reduced::default()
    })
}

/// Spaces as Home lists them: most recently changed first, then by name.
pub fn sort_spaces(spaces: &mut [Space]) {
    spaces.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.name.cmp(&b.name)));
}

fn run_agent_state(status: RunStatus, live: bool) -> AgentState {
    match status {
        RunStatus::Queued if live => AgentState::Queued,
        RunStatus::Running | RunStatus::WaitingPermission if live => AgentState::Running,
        RunStatus::Queued | RunStatus::Running | RunStatus::WaitingPermission => AgentState::Idle,
        RunStatus::Completed => AgentState::Done,
        RunStatus::Cancelled => AgentState::Idle,
        RunStatus::Failed => AgentState::Failed,
        RunStatus::Interrupted => AgentState::Interrupted,
    }
}

fn task_agent_state(status: TaskStatus, live: bool) -> AgentState {
    match status {
        TaskStatus::Running if live => AgentState::Running,
        TaskStatus::Queued if live => AgentState::Queued,
        TaskStatus::Queued | TaskStatus::Running => AgentState::Idle,
        TaskStatus::Completed => AgentState::Done,
        TaskStatus::Failed => AgentState::Failed,
        TaskStatus::Skipped | TaskStatus::Cancelled => AgentState::Idle,
        TaskStatus::Interrupted => AgentState::Interrupted,
    }
}

/// The spec's task lines with their progress: the spec's marks first (so an unrelated new run never
/// lowers it), then what the newest run working on the line says of it when it failed or was interrupted.
/// Lines without an id (specs written before ids) take the status of the newest run's task of that title.
fn spec_tasks(session: &SessionState) -> Vec<SpecTaskRow> {
    use crate::model::TaskMark;
    let Some(spec) = &session.spec else {
        return Vec::new();
    };
    let Ok(planned_all) = all_task_titles(&spec.content) else {
        return Vec::new();
    };
    let newest_for = |id: &str| {
        session.runs.iter().rev().find_map(|r| {
            r.view
                .tasks
                .iter()
                .rev()
                .find(|t| t.spec_task.as_deref() == Some(id))
                .map(|t| t.status)
        })
    };
    let latest_tasks = session
        .runs
        .iter()
        .rev()
        .find(|r| !r.view.tasks.is_empty())
        .map(|r| r.view.tasks.as_slice())
        .unwrap_or(&[]);
    planned_all
        .into_iter()
        .map(|(line, title)| {
            let status = match (&line.id, line.mark) {
                (_, TaskMark::Done) => Some(TaskStatus::Completed),
                (Some(id), mark) => match newest_for(id) {
                    Some(s @ (TaskStatus::Failed | TaskStatus::Interrupted)) => Some(s),
                    _ if mark == TaskMark::InProgress => Some(TaskStatus::Running),
                    _ => None,
                },
                (None, _) => latest_tasks
                    .iter()
                    .find(|t| t.title == title)
                    .map(|t| t.status),
            };
            SpecTaskRow {
                id: line.id,
                title,
                status,
            }
        })
        .collect()
}

/// Every task line of a spec with the title a run would give it (kind label and dependencies dropped).
fn all_task_titles(
    content: &str,
) -> Result<Vec<(crate::model::SpecTask, String)>, crate::model::spec::TaskListError> {
    let lines = crate::model::spec_task::spec_tasks(content);
    if lines.is_empty() {
        return Err(crate::model::spec::TaskListError::NoTasks);
    }
    Ok(lines
        .into_iter()
        .map(|line| {
            let alone = format!("## Tasks\n- [ ] {}\n", line.text);
            let title = crate::model::spec::planned_tasks(&alone)
                .ok()
                .and_then(|p| p.into_iter().next())
                .map_or_else(|| line.text.clone(), |p| p.title);
            (line, title)
        })
        .collect())
}

pub fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(120).collect();
    if line.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// The sidebar's repository line under the space name (mock 04: `owner/name`): the origin's last two
/// path segments, else the local branch, else "plain folder". Never the absolute path (that is the
/// hover text), so the line is short and the same on every machine.
pub fn repo_line(space: &crate::model::Space) -> String {
    let Some(repo) = &space.repo else {
        return "plain folder".to_owned();
    };
    if let Some(origin) = repo
        .origin
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        let origin = origin.trim_end_matches('/').trim_end_matches(".git");
        let parts: Vec<&str> = origin.split(['/', ':']).filter(|p| !p.is_empty()).collect();
        let tail = parts.len().saturating_sub(2);
        return parts.get(tail..).unwrap_or_default().join("/");
    }
    match &repo.default_branch {
        Some(branch) => format!("local repository · {branch}"),
        None => "local repository".to_owned(),
    }
}

/// `implementor` → `Implementor` (specialist names as the window shows them).
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "12s", "5m", "3h", "2d" — how long ago `then` was.
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let s = now.millis_since(then).max(0) / 1000;
    match s {
        0..=4 => "now".to_owned(),
        5..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// "850ms", "4.2s", "3m 05s".
pub fn duration(ms: i64) -> String {
    match ms {
        ..=999 => format!("{}ms", ms.max(0)),
        1000..=59_999 => format!("{:.1}s", ms as f64 / 1000.0),
        60_000..=3_599_999 => format!("{}m {:02}s", ms / 60_000, (ms / 1000) % 60),
        _ => format!("{}h {:02}m", ms / 3_600_000, (ms / 60_000) % 60),
    }
}

/// "14:05 UTC".
pub fn clock_time(t: Timestamp) -> String {
    let rfc = t.to_rfc3339();
    match rfc.get(11..16) {
        Some(hm) => format!("{hm} UTC"),
        None => rfc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ContextProviderKind, NewRun, OwnerId, PlannedTask, RunOptions, RunRecord, SpaceId,
        TaskKind, TaskRecord,
    };
    use crate::protocol::{RunStatusChanged, TaskStatusChanged};

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn model_with_session() -> (AppModel, RunRecord) {
        let space = Space {
            id: SpaceId::new("sp1"),
            name: "repo".into(),
            root_path: "/tmp/repo".into(),
            repo: None,
            context_provider: ContextProviderKind::Filesystem,
            mcp_command: None,
            check_command: None,
            approval_mode: None,
            created_at: t(0),
            updated_at: t(0),
        };
        let session = Session {
            id: SessionId::new("se1"),
            space_id: space.id.clone(),
            label: "Session 1".into(),
            context_provider: None,
            worktree: None,
            created_at: t(0),
            updated_at: t(0),
            last_used_at: t(0),
            archived_at: None,
            approval_mode: None,
            allow_rules: Vec::new(),
            pull_request: None,
        };
        let run = RunRecord::queued(
            NewRun {
                id: RunId::new("r1"),
                space_id: space.id.clone(),
                session_id: session.id.clone(),
                prompt: "add retry".into(),
                requested_context: ContextProviderKind::Filesystem,
                options: RunOptions::default(),
                owner: OwnerId::new("ow1"),
            },
            t(1),
        );
        let mut model = AppModel::new(t(1));
        model.set_session(SessionData {
            space,
            sessions: vec![SessionSummary {
                session: session.clone(),
                runs: 0,
                last_activity: t(0),
            }],
            session,
            runs: Vec::new(),
            spec: None,
            root_missing: false,
        });
        (model, run)
    }

    /// Feeds events as the change feed delivers them: numbered one after another per run.
    fn feed(model: &mut AppModel, events: Vec<Event>) -> Vec<FollowUp> {
        let mut follow = Vec::new();
        for event in events {
            let Some(id) = event.run_id().cloned() else {
                continue;
            };
            let seq = model
                .session
                .as_ref()
                .and_then(|s| s.run(&id))
                .and_then(|r| r.last_event)
                .map_or(0, |s| s + 1);
            follow.extend(model.apply_updates(vec![Update::RunEvent {
                run_id: id,
                seq,
                at: t(0),
                event,
            }]));
        }
        follow
    }

    #[test]
    fn feed_events_build_the_thread_and_live_runs_animate() {
        let (mut model, run) = model_with_session();
        let r1 = run.id.clone();
        let task = TaskRecord::queued(
            r1.clone(),
            PlannedTask {
                id: TaskId::numbered(1),
                kind: TaskKind::Implement,
                title: "add retry".into(),
                wave: 1,
                depends_on: Vec::new(),
                round: 1,
                spec_task: None,
            },
            1,
            t(3),
        );
        feed(
            &mut model,
            vec![
                Event::RunCreated {
                    run: Box::new(run.clone()),
                },
                Event::RunStatusChanged(RunStatusChanged {
                    run_id: r1.clone(),
                    status: RunStatus::Running,
                    at: t(2),
                    attempt: 1,
                    note: None,
                    error: None,
                }),
                Event::TasksPlanned {
                    run_id: r1.clone(),
                    tasks: vec![task],
                },
            ],
        );
        let session = model.session.as_ref().unwrap();
        assert!(model.is_live(&session.run(&r1).unwrap().view));
        assert_eq!(model.total_runs, 1);
        let revision = model.revision;
        let items = model.derived().items.clone();
        assert_eq!(model.derived().revision, revision);
        assert_eq!(
            items,
            vec![
                ThreadItem::User(0),
                ThreadItem::Header(0),
                ThreadItem::Delegation(0),
                ThreadItem::Step(0, Step::Task(0)),
                ThreadItem::Barrier(0, 1),
                ThreadItem::Working(0),
            ]
        );
        let follow = feed(
            &mut model,
            vec![Event::TaskStatusChanged(TaskStatusChanged {
                run_id: r1.clone(),
                task_id: TaskId::numbered(1),
                status: TaskStatus::Running,
                at: t(4),
                attempt: 1,
                note: None,
                summary: None,
                error: None,
            })],
        );
        assert!(follow.is_empty());
        assert!(model.revision > revision);
        let agents = &model.derived().agents;
        assert_eq!(agents[1].state, AgentState::Running);
        let follow = feed(
            &mut model,
            vec![Event::RunStatusChanged(RunStatusChanged {
                run_id: r1.clone(),
                status: RunStatus::Interrupted,
                at: t(5),
                attempt: 1,
                note: None,
                error: None,
            })],
        );
        assert_eq!(follow, vec![FollowUp::CheckStaleness]);
        let entry = model.session.as_ref().unwrap().run(&r1).unwrap();
        assert!(!model.is_live(&entry.view));
        assert_eq!(entry.view.run.interrupted_at, Some(t(5)));
        assert_eq!(model.derived().agents[0].state, AgentState::Interrupted);
    }

    #[test]
    fn an_event_delivered_twice_is_folded_once_and_a_late_load_catches_up() {
        let (mut model, run) = model_with_session();
        let created = Update::RunEvent {
            run_id: run.id.clone(),
            seq: 0,
            at: t(1),
            event: Event::RunCreated {
                run: Box::new(run.clone()),
            },
        };
        let running = Update::RunEvent {
            run_id: run.id.clone(),
            seq: 1,
            at: t(2),
            event: Event::RunStatusChanged(RunStatusChanged {
                run_id: run.id.clone(),
                status: RunStatus::Running,
                at: t(2),
                attempt: 1,
                note: None,
                error: None,
            }),
        };
        model.apply_updates(vec![created.clone(), running.clone(), running.clone()]);
        let entry = model.session.as_ref().unwrap().run(&run.id).unwrap();
        assert_eq!(
            entry.view.run.timeline.len(),
            2,
            "queued, running: once each"
        );

        // A load whose snapshot was read before the `running` event: the event is folded in afterwards.
        let data = SessionData {
            space: model.session.as_ref().unwrap().space.clone(),
            sessions: Vec::new(),
            session: model.session.as_ref().unwrap().session.clone(),
            runs: vec![(RunView::new(run.clone()), Some(0))],
            spec: None,
            root_missing: false,
        };
        model.set_session(data);
        let entry = model.session.as_ref().unwrap().run(&run.id).unwrap();
        assert_eq!(entry.view.run.status, RunStatus::Running);
        assert_eq!(entry.last_event, Some(1));
    }

    #[test]
    fn formats_ages_and_durations() {
        let t0 = Timestamp::from_unix_millis(1_000_000);
        assert_eq!(age(Timestamp::from_unix_millis(1_003_000), t0), "now");
        assert_eq!(age(Timestamp::from_unix_millis(1_125_000), t0), "2m");
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(4_200), "4.2s");
        assert_eq!(duration(185_000), "3m 05s");
        assert_eq!(
            clock_time(Timestamp::from_unix_millis(1_795_000_000_125)),
            "11:06 UTC"
        );
        assert_eq!(first_line("\n# Goal\nmore"), "Goal");
    }

    #[test]
    fn the_repo_line_is_short_and_machine_independent() {
        let (model, _) = model_with_session();
        let mut space = model.session.as_ref().unwrap().space.clone();
        assert_eq!(repo_line(&space), "plain folder");
        let repo = |origin: Option<&str>, branch: Option<&str>| {
            Some(crate::model::RepoInfo {
                origin: origin.map(str::to_owned),
                default_branch: branch.map(str::to_owned),
            })
        };
        space.repo = repo(None, Some("main"));
        assert_eq!(repo_line(&space), "local repository · main");
        space.repo = repo(Some("git@github.com:gannonh/kata-cloud.git"), Some("main"));
        assert_eq!(repo_line(&space), "gannonh/kata-cloud");
        space.repo = repo(Some("https://github.com/gannonh/kata-cloud/"), None);
        assert_eq!(repo_line(&space), "gannonh/kata-cloud");
        space.repo = repo(Some("   "), None);
        assert_eq!(repo_line(&space), "local repository");
    }
}
