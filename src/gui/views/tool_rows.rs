//! A specialist's tool calls in the thread, one compact row each under its task: a status mark, the verb
//! and what it acts on (`Edit src/lib.rs`, `Run cargo test`), and on the right how it ended (`exit 1 ·
//! 1.2s`, `failed · path_outside_workspace`, `running…`). Clicked, a row opens the call's input and its
//! output (head and tail of long output). After a task's calls, the files it changed, each opening its diff
//! against the session's base.

use egui::{Align, Frame, Layout, Margin, RichText, Sense, Stroke, Ui, vec2};

use super::ViewCtx;
use super::widgets::{self, Icon};
use crate::git::DiffScope;
use crate::gui::action::Action;
use crate::gui::changes::ChangesAction;
use crate::gui::model::{Expand, RunEntry, duration};
use crate::gui::theme;
use crate::gui::tool_calls::{changed_files, head_and_tail, verb};
use crate::model::{EffectDetail, ToolCallRecord, ToolCallStatus};

/// Rows of a tool call are indented under their task's row.
const INDENT: f32 = 22.0;
/// Lines of output shown from each end when it is long.
const OUTPUT_LINES: usize = 12;
/// Lines of the input shown.
const INPUT_LINES: usize = 24;

fn status_color(status: ToolCallStatus) -> egui::Color32 {
    match status {
        ToolCallStatus::Running => theme::RUNNING,
        ToolCallStatus::Done => theme::SUCCESS,
        ToolCallStatus::Failed => theme::DANGER,
        ToolCallStatus::Denied | ToolCallStatus::Uncertain => theme::WARNING,
    }
}

/// How the call ended, for the right side of its row.
fn outcome(call: &ToolCallRecord) -> String {
    let mut parts: Vec<String> = Vec::new();
    match call.status {
        ToolCallStatus::Running => parts.push("running…".to_owned()),
        ToolCallStatus::Done => {}
        other => parts.push(other.as_str().to_owned()),
    }
    if let Some(EffectDetail::Command {
        exit_code,
        timed_out,
        ..
    }) = &call.effect
    {
        if *timed_out {
            parts.push("timed out".to_owned());
        } else if let Some(code) = exit_code {
            parts.push(format!("exit {code}"));
        }
    }
    if let Some(code) = &call.error_code {
        parts.push(code.clone());
    }
    if let Some(finished) = call.finished_at {
        parts.push(duration(finished.millis_since(call.started_at)));
    }
    parts.join(" · ")
}

/// One call's row (and, when open, its input and output).
pub(super) fn tool_row(app: &mut ViewCtx<'_>, ui: &mut Ui, entry: &RunEntry, index: usize) {
    let Some(call) = entry.view.tool_calls.get(index) else {
        return;
    };
    let key = Expand::Tool(entry.id().clone(), call.key());
    let open = app.model.expanded.contains(&key);
    let pulse = widgets::pulse(ui, app.animate && call.status == ToolCallStatus::Running);
    let title = format!("{} {}", verb(&call.tool), call.target);
    let response = ui
        .horizontal(|ui| {
            ui.add_space(INDENT);
            let (rect, _) = ui.allocate_exact_size(vec2(14.0, 16.0), Sense::hover());
            let mut color = status_color(call.status);
            if call.status == ToolCallStatus::Running {
                color = color.gamma_multiply(0.55 + 0.45 * pulse);
            }
            if call.status == ToolCallStatus::Running || call.status == ToolCallStatus::Done {
                ui.painter().circle_filled(rect.center(), 3.5, color);
            } else {
                ui.painter()
                    .circle_stroke(rect.center(), 3.5, Stroke::new(1.5, color));
            }
            ui.label(
                RichText::new(verb(&call.tool))
                    .size(13.0)
                    .color(theme::MUTED),
            );
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let icon = if open {
                    Icon::ChevronDown
                } else {
                    Icon::ChevronRight
                };
                let (rect, _) = ui.allocate_exact_size(vec2(14.0, 16.0), Sense::hover());
                widgets::paint_icon(ui, rect, icon, theme::MUTED);
                let ended = outcome(call);
                if !ended.is_empty() {
                    let color = match call.status {
                        ToolCallStatus::Done => theme::MUTED,
                        other => status_color(other),
                    };
                    ui.label(RichText::new(ended).size(theme::META).color(color));
                }
                ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                    ui.add(
                        egui::Label::new(
                            RichText::new(&call.target)
                                .font(theme::mono())
                                .color(theme::TEXT),
                        )
                        .truncate(),
                    );
                });
            });
        })
        .response;
    let click = ui.interact(
        response.rect,
        ui.scope_id().with("tool_click"),
        Sense::click(),
    );
    let label = title.clone();
    click.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    if click.clicked() {
        app.actions.push(Action::Toggle(key));
    }
    if open {
        ui.horizontal(|ui| {
            ui.add_space(INDENT);
            Frame::NONE
                .fill(theme::CHROME)
                .corner_radius(4)
                .inner_margin(Margin::same(8))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    // The row is horizontal; the details read top to bottom.
                    ui.vertical(|ui| details(ui, call));
                });
        });
    }
}

/// An open call: its input, what it touched, its output (head and tail), and how an interrupted effect was
/// settled.
fn details(ui: &mut Ui, call: &ToolCallRecord) {
    widgets::section_label(ui, "Input");
    let input =
        serde_json::to_string_pretty(&call.input).unwrap_or_else(|_| call.input.to_string());
    let (head, hidden, _) = head_and_tail(&input, INPUT_LINES);
    let mut shown = head.join("\n");
    if hidden > 0 {
        shown.push_str(&format!("\n… {} more lines", hidden + INPUT_LINES));
    }
    mono(ui, &shown, theme::SECONDARY);
    match &call.effect {
        Some(EffectDetail::File {
            path,
            before,
            after,
        }) => {
            let short = |h: &Option<String>| {
                h.as_deref()
                    .map_or_else(|| "none".to_owned(), |h| h.chars().take(10).collect())
            };
            ui.label(widgets::muted(format!(
                "{path}: blake3 before {}, after {}",
                short(before),
                short(after)
            )));
        }
        Some(EffectDetail::Command { command, .. }) => {
            ui.label(widgets::muted(format!("$ {command}")));
        }
        None => {}
    }
    if let Some(settled) = &call.settled {
        ui.label(
            RichText::new(format!("Settled on resume: {settled}"))
                .size(theme::META)
                .color(theme::WARNING),
        );
    }
    let Some(output) = &call.output else {
        return;
    };
    ui.add_space(4.0);
    widgets::section_label(ui, "Output");
    let (head, hidden, tail) = head_and_tail(output, OUTPUT_LINES);
    let color = if call.status == ToolCallStatus::Failed {
        theme::DANGER
    } else {
        theme::SECONDARY
    };
    mono(ui, &head.join("\n"), color);
    if hidden > 0 {
        ui.label(widgets::muted(format!("… {hidden} lines …")));
        mono(ui, &tail.join("\n"), color);
    }
}

fn mono(ui: &mut Ui, text: &str, color: egui::Color32) {
    if text.is_empty() {
        ui.label(widgets::muted("(empty)"));
        return;
    }
    ui.add(egui::Label::new(RichText::new(text).font(theme::mono()).color(color)).wrap());
}

/// `Changed N files: a, b` after a task's calls; each path opens its diff against the session's base.
pub(super) fn task_files(app: &mut ViewCtx<'_>, ui: &mut Ui, entry: &RunEntry, task: usize) {
    let Some(task) = entry.view.tasks.get(task) else {
        return;
    };
    let files = changed_files(&entry.view.tool_calls, &task.id);
    let has_worktree = app.view.changes.worktree.is_some();
    ui.horizontal_wrapped(|ui| {
        ui.add_space(INDENT);
        ui.label(widgets::muted(
            crate::model::view::count(files.len(), "file") + " changed:",
        ));
        for path in files {
            if has_worktree {
                if link(ui, path)
                    .on_hover_text("Open its diff against the session's base")
                    .clicked()
                {
                    app.actions.push(Action::Changes(ChangesAction::Open {
                        scope: DiffScope::AgainstBase,
                        path: path.to_owned(),
                    }));
                }
            } else {
                ui.label(
                    RichText::new(path)
                        .font(theme::mono())
                        .color(theme::SECONDARY),
                );
            }
        }
    });
}

/// A path drawn as a link, labelled `Diff of <path>` for screen readers and tests.
fn link(ui: &mut Ui, path: &str) -> egui::Response {
    let galley = ui
        .painter()
        .layout_no_wrap(path.to_owned(), theme::mono(), theme::REVIEW);
    let (rect, response) = ui.allocate_exact_size(galley.size(), Sense::click());
    let color = if response.hovered() {
        theme::TEXT
    } else {
        theme::REVIEW
    };
    ui.painter().galley(rect.min, galley, color);
    let label = format!("Diff of {path}");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Link, true, &label));
    response
}
