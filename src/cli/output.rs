//! Printing: JSON documents and lines for machines, short text for people.

use std::io::Write as _;

use serde::Serialize;

use super::CliError;
use crate::model::view::count;
use crate::model::{RunStatus, RunSummary, RunView, Space, Timestamp};
use crate::protocol::Event;

/// Writes one JSON document (pretty) or one JSON line (compact) to stdout.
pub fn json<T: Serialize>(value: &T, line: bool) -> Result<(), CliError> {
    let text = if line {
        serde_json::to_string(value)
    } else {
        serde_json::to_string_pretty(value)
    }
    .map_err(|e| CliError::failed(format!("cannot encode output: {e}")))?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
    Ok(())
}

/// Writes text to stdout. Control characters other than newline and tab (an escape sequence in a prompt,
/// a file excerpt or a model's draft) are shown escaped, so they cannot drive the terminal.
pub fn text(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", terminal_safe(s));
    let _ = out.flush();
}

pub(crate) fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut safe = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            safe.extend(c.escape_default());
        } else {
            safe.push(c);
        }
    }
    std::borrow::Cow::Owned(safe)
}

pub fn space_line(space: &Space) -> String {
    format!(
        "{}  {}  {}  context: {}",
        space.id,
        space.name,
        space.root_path.display(),
        space.context_provider
    )
}

fn ago(at: Timestamp, now: Timestamp) -> String {
    let secs = now.millis_since(at).max(0) / 1000;
    match secs {
        0..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=86_399 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

pub fn summary_line(run: &RunSummary, now: Timestamp) -> String {
    let stale = if run.stale.is_stale {
        let kinds: Vec<String> = run
            .stale
            .reasons
            .iter()
            .map(|r| {
                if r.detail.is_empty() {
                    r.kind.as_str().to_owned()
                } else {
                    format!("{}: {}", r.kind.as_str(), r.detail)
                }
            })
            .collect();
        format!("  stale ({})", kinds.join(", "))
    } else {
        String::new()
    };
    format!(
        "{}  {:<11}  {:>8}  {}{}",
        run.id,
        run.status.as_str(),
        ago(run.created_at, now),
        one_line(&run.prompt, 60),
        stale
    )
}

/// A run in full, for people.
pub fn run_text(view: &RunView, now: Timestamp) -> String {
    use std::fmt::Write as _;
    let run = &view.run;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Run {} · {} · attempt {}",
        run.id, run.status, run.attempt
    );
    let _ = writeln!(s, "Prompt: {}", run.prompt);
    let secs = run.duration_ms(now) as f64 / 1000.0;
    let _ = writeln!(s, "Duration: {secs:.1}s");
    if let Some(e) = &run.error {
        let _ = writeln!(s, "Error: {} — {} ({})", e.code, e.message, e.remediation);
    }
    let ctx = &run.context;
    let _ = write!(
        s,
        "Context: {} ({})",
        ctx.resolved_provider
            .map_or("not retrieved", |p| p.as_str()),
        count(view.items().len(), "snippet")
    );
    if let Some(f) = ctx.fallback_from {
        let _ = write!(s, " (fallback from {f})");
    }
    let _ = writeln!(s);
    if let Some(e) = &ctx.error {
        let _ = writeln!(
            s,
            "  context error: {} — {} ({})",
            e.code, e.message, e.remediation
        );
    }
    for item in view.items() {
        let _ = writeln!(
            s,
            "  [{}] {}:{}-{}  score {:.4}",
            item.rank, item.path, item.start_line, item.end_line, item.score
        );
    }
    if let Some(p) = &run.provider_execution {
        let _ = write!(s, "Provider: {}/{} · {:?}", p.provider, p.model, p.status);
        if let (Some(i), Some(o)) = (p.input_tokens, p.output_tokens) {
            let _ = write!(s, " · {i} in / {o} out tokens");
        }
        if let Some(ms) = p.latency_ms {
            let _ = write!(s, " · {ms} ms");
        }
        if p.retries > 0 {
            let _ = write!(s, " · {} retries", p.retries);
        }
        if let Some(code) = &p.error_code {
            let _ = write!(s, " · error {code}");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "Timeline:");
    for e in &run.timeline {
        let note = e
            .note
            .as_deref()
            .map(|n| format!(" — {n}"))
            .unwrap_or_default();
        let _ = writeln!(s, "  {} {}{}", e.at, e.status, note);
    }
    if !view.tasks.is_empty() {
        let _ = writeln!(s, "Tasks:");
        for t in &view.tasks {
            let _ = writeln!(
                s,
                "  {} wave {}  {:<11}  {:<11}  {}",
                t.id,
                t.wave,
                t.specialist,
                t.status.as_str(),
                t.title
            );
            if let Some(summary) = &t.summary {
                let _ = writeln!(s, "      {}", one_line(summary, 140));
            }
            if let Some(e) = &t.error {
                let _ = writeln!(s, "      error: {} — {}", e.code, e.message);
            }
            for call in view.tool_calls.iter().filter(|c| c.task_id == t.id) {
                let _ = writeln!(s, "      {}", call_line(call));
            }
        }
    }
    if !view.permissions.is_empty() {
        let _ = writeln!(s, "Permission requests:");
        for p in &view.permissions {
            let r = &p.request;
            let state = match (&p.answer, p.expired) {
                (Some(a), _) => format!("{} at {}", answer_line(a), a.at),
                (None, true) => "never answered (the run stopped; resume asks again)".to_owned(),
                (None, false) => format!(
                    "waiting — `kata-cloud runs approve {} {}` or `runs deny`",
                    view.run.id, r.request_id
                ),
            };
            let _ = writeln!(
                s,
                "  {} {} {} {} ({}), asked {}: {state}",
                r.request_id,
                r.task_id,
                r.kind.as_str(),
                r.subject,
                r.reason,
                r.at
            );
        }
    }
    if !view.run.instructions.is_empty() {
        let _ = writeln!(s, "Project instructions:");
        for i in &view.run.instructions {
            let _ = writeln!(
                s,
                "  {}  blake3 {}",
                i.path,
                i.content_hash.get(..12).unwrap_or(&i.content_hash)
            );
        }
    }
    if view.stale.is_stale {
        let _ = writeln!(s, "Stale:");
        for r in &view.stale.reasons {
            let _ = writeln!(s, "  {:?}: {}", r.kind, r.detail);
        }
    }
    if let Some(d) = &run.draft {
        let applied = d
            .applied_at
            .map(|a| format!(", applied {a}"))
            .unwrap_or_default();
        let _ = writeln!(s, "\nDraft (generated {}{applied}):\n", d.generated_at);
        let _ = writeln!(s, "{}", d.content.trim_end());
    }
    s
}

/// A progress line for an event, for people following `run`.
/// One line for a run event, for people. `view` is the run as the events so far describe it (folded with
/// the run reducer): it names the specialist of a task.
pub fn event_text(event: &Event, view: Option<&RunView>) -> Option<String> {
    Some(match event {
        Event::RunCreated { run } => format!("run {} queued", run.id),
        Event::RunStatusChanged(e) => match &e.error {
            Some(err) => format!(
                "run {}: {} — {}: {} ({})",
                e.run_id, e.status, err.code, err.message, err.remediation
            ),
            None => match &e.note {
                Some(n) => format!("run {}: {} ({n})", e.run_id, e.status),
                None => format!("run {}: {}", e.run_id, e.status),
            },
        },
        Event::ContextResolved {
            context,
            item_count,
            ..
        } => {
            let mut line = format!(
                "context: {} from {}",
                count(*item_count, "snippet"),
                context
                    .resolved
                    .resolved_provider
                    .map_or("nothing", |p| p.as_str())
            );
            if let Some(f) = context.resolved.fallback_from {
                line.push_str(&format!(" (fallback from {f})"));
            }
            if let Some(e) = &context.resolved.error {
                line.push_str(&format!(" — {}: {}", e.code, e.message));
            }
            line
        }
        Event::PlanReady { .. } => "plan ready".to_owned(),
        Event::DraftReady { draft, .. } => {
            format!("spec draft ready ({} lines)", draft.content.lines().count())
        }
        Event::TasksPlanned { tasks, .. } => {
            let waves = tasks.iter().map(|t| t.wave).max().unwrap_or(0);
            format!("{} tasks in {} waves", tasks.len(), waves)
        }
        Event::WaveStarted { wave, task_ids, .. } => {
            let ids: Vec<&str> = task_ids.iter().map(|t| t.as_str()).collect();
            format!("wave {wave}: {}", ids.join(", "))
        }
        Event::TaskStatusChanged(e) => {
            let who = view
                .and_then(|v| v.tasks.iter().find(|t| t.id == e.task_id))
                .map_or_else(String::new, |t| format!(" ({})", t.specialist));
            match &e.error {
                Some(err) => format!(
                    "  {}{who} {} — {}: {}",
                    e.task_id, e.status, err.code, err.message
                ),
                None => format!("  {}{who} {}", e.task_id, e.status),
            }
        }
        Event::WaveFinished {
            wave,
            completed,
            total,
            ..
        } => {
            format!("wave {wave} finished ({completed}/{total})")
        }
        Event::RunNotRecorded { error, .. } => {
            format!("not recorded: {} ({})", error.message, error.remediation)
        }
        Event::CommandRejected { error, .. } => {
            format!("rejected: {} ({})", error.message, error.remediation)
        }
        Event::ToolCallFinished { call, .. } => format!("  {} {}", call.task_id, call_line(call)),
        Event::PermissionRequested { run_id, request } => {
            let verb = match request.kind {
                crate::model::PermissionKind::Write => "write",
                crate::model::PermissionKind::Command => "run",
            };
            // A run with --yes or --deny answers at once: no hint to answer by hand.
            let answered_by_policy = view
                .and_then(|v| v.run.options.permission_policy)
                .is_some_and(|p| p != crate::model::PermissionPolicy::Ask);
            if answered_by_policy {
                format!(
                    "  {} asks to {verb} {} ({})",
                    request.task_id, request.subject, request.reason
                )
            } else {
                format!(
                    "  {} asks to {verb} {} ({}) — answer with `kata-cloud runs approve {run_id} {}` \
                     [--always] or `runs deny {run_id} {}`",
                    request.task_id,
                    request.subject,
                    request.reason,
                    request.request_id,
                    request.request_id
                )
            }
        }
        Event::PermissionDecided {
            task_id, answer, ..
        } => {
            format!("  {task_id} {}", answer_line(answer))
        }
        Event::ModelDelta { .. }
        | Event::ProviderUpdated { .. }
        | Event::AssistantTurned { .. }
        | Event::ToolCallStarted { .. } => return None,
    })
}

/// A permission answer for people: `request t1.2.1: yes (cli)`, with the feedback and the pattern added.
pub fn answer_line(answer: &crate::model::PermissionAnswer) -> String {
    let mut line = format!(
        "request {}: {} ({})",
        answer.request_id,
        answer.decision.as_str(),
        answer.by.as_str()
    );
    if let Some(pattern) = &answer.pattern_added {
        line.push_str(&format!(", allowed from now on: {pattern}"));
    }
    if let Some(feedback) = &answer.feedback {
        line.push_str(&format!(" — {feedback}"));
    }
    line
}

/// One tool call for people: `edit_file src/a.rs — done`, with the exit code, error or settlement.
pub fn call_line(call: &crate::model::ToolCallRecord) -> String {
    let mut line = format!(
        "{} {} — {}",
        call.tool,
        one_line(&call.target, 80),
        call.status.as_str()
    );
    if let Some(crate::model::EffectDetail::Command {
        exit_code: Some(code),
        ..
    }) = &call.effect
    {
        line.push_str(&format!(" (exit {code})"));
    }
    if let Some(code) = &call.error_code {
        line.push_str(&format!(" ({code})"));
    }
    if let Some(settled) = &call.settled {
        line.push_str(&format!(" [{settled}]"));
    }
    line
}

/// Exit code for a run's final status.
pub fn run_exit(status: RunStatus) -> i32 {
    if status == RunStatus::Completed { 0 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn control_characters_are_escaped_but_newlines_and_tabs_stay() {
        assert_eq!(terminal_safe("plain\ttext\nnext"), "plain\ttext\nnext");
        assert_eq!(
            terminal_safe("a \u{1b}[31mred\u{7}"),
            "a \\u{1b}[31mred\\u{7}"
        );
        assert_eq!(terminal_safe("cr\rlf"), "cr\\rlf");
    }
}
