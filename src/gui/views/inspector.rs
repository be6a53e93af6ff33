//! The run inspector: everything recorded about one run — prompt, lifecycle timeline, provider execution,
//! context items and diagnostics, delegated tasks with their timelines and errors, and the draft's state.

use crate::model::view::count;
use egui::{Frame, Margin, RichText, Stroke, Ui};

use crate::gui::action::Action;
use crate::gui::model::{RunEntry, clock_time, duration};
use crate::gui::theme;
use crate::model::{StaleKind, Timestamp};

use super::widgets;

/// Context items listed before "and N more".
const ITEMS_SHOWN: usize = 12;

/// Draws the inspector; returns what the user asked for in it (applying the run's draft).
pub fn show(ui: &mut Ui, entry: &RunEntry, now: Timestamp) -> Option<Action> {
    let run = &entry.view.run;
    let mut asked = None;
    Frame::NONE
        .fill(theme::CHROME)
        .stroke(Stroke::new(1.0, theme::BORDER_STRONG))
        .corner_radius(4)
        .inner_margin(Margin::same(12))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(format!("Run inspector · {}", run.id))
                    .color(theme::TEXT)
                    .strong(),
            );
            ui.add_space(6.0);
            widgets::section_label(ui, "Prompt");
            ui.label(RichText::new(&run.prompt).size(13.0).color(theme::TEXT));
            ui.add_space(6.0);
            timeline(ui, entry, now);
            provider(ui, entry);
            context(ui, entry);
            tasks(ui, entry);
            asked = draft(ui, entry);
        });
    asked
}

/// The run's lifecycle with timestamps and notes, and its duration.
fn timeline(ui: &mut Ui, entry: &RunEntry, now: Timestamp) {
    let run = &entry.view.run;
    widgets::section_label(ui, "Timeline");
    for e in &run.timeline {
        let note = e
            .note
            .as_deref()
            .map(|n| format!(" — {n}"))
            .unwrap_or_default();
        ui.label(
            RichText::new(format!(
                "{}  {:<11} attempt {}{note}",
                e.at,
                e.status.as_str(),
                e.attempt
            ))
            .font(theme::mono())
            .color(theme::SECONDARY),
        );
    }
    ui.label(widgets::muted(format!(
        "Duration {}",
        duration(run.duration_ms(now))
    )));
    ui.add_space(6.0);
}

/// Which provider and model, tokens, retries, latency, the failure code.
fn provider(ui: &mut Ui, entry: &RunEntry) {
    let run = &entry.view.run;
    widgets::section_label(ui, "Provider execution");
    match &run.provider_execution {
        Some(p) => {
            let tokens = match (p.input_tokens, p.output_tokens) {
                (Some(i), Some(o)) => format!("{i} in / {o} out tokens"),
                _ => "tokens not reported".to_owned(),
            };
            let latency = p
                .latency_ms
                .map_or("latency n/a".to_owned(), |l| format!("{l} ms"));
            ui.label(widgets::meta(format!(
                "{}/{} · {:?} · {tokens} · {} retries",
                p.provider, p.model, p.status, p.retries
            )));
            // Wall-clock latency: its own label (tests mask it in pictures).
            ui.label(widgets::muted(format!("Latency {latency}")));
            if let Some(code) = &p.error_code {
                ui.label(
                    RichText::new(format!("error: {code}"))
                        .size(theme::META)
                        .color(theme::DANGER),
                );
            }
        }
        None => {
            ui.label(widgets::muted("The provider has not been called yet."));
        }
    }
    ui.add_space(6.0);
}

/// How context was resolved, its items, and its diagnostics.
fn context(ui: &mut Ui, entry: &RunEntry) {
    let run = &entry.view.run;
    let ctx = &run.context;
    widgets::section_label(ui, "Context");
    let mut line = format!(
        "requested {} · resolved {}",
        ctx.requested_provider,
        ctx.resolved_provider
            .map_or("—".to_owned(), |p| p.to_string())
    );
    if let Some(from) = ctx.fallback_from {
        line.push_str(&format!(" (fallback from {from})"));
    }
    let items = entry.view.items();
    line.push_str(&format!(" · {}", count(items.len(), "snippet")));
    ui.label(widgets::meta(line));
    for item in items.iter().take(ITEMS_SHOWN) {
        ui.label(
            RichText::new(format!(
                "{}:{}-{}  score {:.3}  #{}",
                item.path, item.start_line, item.end_line, item.score, item.rank
            ))
            .font(theme::mono())
            .color(theme::TEXT),
        );
        let excerpt = crate::gui::model::first_line(&item.excerpt);
        ui.label(widgets::muted(format!("    {excerpt}")));
    }
    if items.len() > ITEMS_SHOWN {
        ui.label(widgets::muted(format!(
            "and {} more",
            items.len() - ITEMS_SHOWN
        )));
    }
    ui.add_space(4.0);
    widgets::section_label(ui, "Context diagnostics");
    match &ctx.error {
        Some(e) => {
            ui.label(
                RichText::new(format!("{} · {}", e.code, e.message))
                    .size(theme::META)
                    .color(theme::WARNING),
            );
            ui.label(widgets::meta(format!(
                "Remediation: {} · retryable: {}",
                e.remediation,
                if e.retryable { "yes" } else { "no" }
            )));
        }
        None => {
            ui.label(widgets::muted("No diagnostics: retrieval succeeded."));
        }
    }
    ui.add_space(6.0);
}

/// The delegated tasks with their timelines and errors.
fn tasks(ui: &mut Ui, entry: &RunEntry) {
    widgets::section_label(ui, "Tasks");
    if entry.view.tasks.is_empty() {
        ui.label(widgets::muted("No tasks delegated."));
    }
    for task in &entry.view.tasks {
        ui.label(
            RichText::new(format!(
                "{} · {} · wave {} · {}",
                task.id, task.title, task.wave, task.status
            ))
            .size(13.0)
            .color(theme::TEXT),
        );
        let steps: Vec<String> = task
            .timeline
            .iter()
            .map(|e| format!("{} {}", e.status.as_str(), clock_time(e.at)))
            .collect();
        ui.label(widgets::muted(format!("    {}", steps.join(" · "))));
        if let Some(e) = &task.error {
            ui.label(
                RichText::new(format!("    {}: {} — {}", e.code, e.message, e.remediation))
                    .size(theme::META)
                    .color(theme::DANGER),
            );
        }
    }
    ui.add_space(6.0);
}

/// The draft's state, and why it is stale if it is. An unapplied draft can be applied here, also after
/// its card was dismissed (a stale one with force: the reasons are listed right above the button).
fn draft(ui: &mut Ui, entry: &RunEntry) -> Option<Action> {
    let run = &entry.view.run;
    let mut asked = None;
    widgets::section_label(ui, "Draft");
    match &run.draft {
        None => {
            ui.label(widgets::muted("No draft."));
        }
        Some(d) => {
            let state = match d.applied_at {
                Some(at) => format!("applied at {}", clock_time(at)),
                None => "not applied".to_owned(),
            };
            ui.label(widgets::meta(format!(
                "generated at {} · {state} · {} lines",
                clock_time(d.generated_at),
                d.content.lines().count()
            )));
            if let Some(e) = &d.apply_error {
                ui.label(RichText::new(e).size(theme::META).color(theme::DANGER));
            }
        }
    }
    if entry.view.stale.is_stale {
        for reason in &entry.view.stale.reasons {
            ui.label(
                RichText::new(stale_reason(reason.kind, &reason.detail))
                    .size(theme::META)
                    .color(theme::WARNING),
            );
        }
    } else {
        ui.label(widgets::muted(
            "Fresh: sources and spec unchanged since retrieval.",
        ));
    }
    if run.draft.as_ref().is_some_and(|d| d.applied_at.is_none()) {
        let stale = entry.view.stale.is_stale;
        let label = if stale {
            "Apply this draft anyway"
        } else {
            "Apply this draft"
        };
        if widgets::quiet_button(ui, label).clicked() {
            asked = Some(Action::ApplyDraft {
                run: run.id.clone(),
                force: stale,
            });
        }
    }
    asked
}

/// The reason label of the stale treatment.
pub fn stale_reason(kind: StaleKind, detail: &str) -> String {
    match kind {
        StaleKind::SourceChanged => format!("Sources changed: {detail}"),
        StaleKind::SourceMissing => format!("Source missing: {detail}"),
        StaleKind::SpecEdited => "Spec edited since this draft".to_owned(),
        StaleKind::Superseded => {
            let short = detail
                .get(detail.len().saturating_sub(6)..)
                .unwrap_or(detail);
            format!("Superseded by run {short}")
        }
    }
}
