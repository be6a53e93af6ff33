//! The right pane: the living spec. Three-step guide when empty; rendered sections with task cards; the
//! draft card (fresh: Apply / Dismiss; stale: dashed, a reason, Apply anyway with confirmation); an edit
//! mode whose text autosaves off the UI thread.

use crate::model::view::count;
use egui::{
    Align, Frame, Layout, Margin, Panel, RichText, ScrollArea, Sense, Stroke, TextEdit, Ui, vec2,
};
use egui_commonmark::CommonMarkViewer;

use super::ViewCtx;
use crate::gui::action::Action;
use crate::gui::model::{RunEntry, clock_time};
use crate::gui::theme;

use super::inspector::stale_reason;
use super::widgets::{self, Icon};

pub fn show(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    Panel::top("spec_tabs")
        .exact_size(30.0)
        .resizable(false)
        .frame(Frame::NONE.fill(theme::CHROME))
        .show(ui, |ui| {
            ui.horizontal_centered(|ui| {
                let button =
                    egui::Button::new(RichText::new("Spec").size(theme::META).color(theme::TEXT))
                        .fill(theme::PANE)
                        .stroke(Stroke::NONE)
                        .corner_radius(0)
                        .min_size(vec2(100.0, 30.0));
                ui.add(button);
            });
        });
    widgets::breadcrumb(ui, "spec_breadcrumb", "NOTES", "Spec", |ui| {
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            // Editing is always possible: with no spec yet, you write the first one yourself.
            if app.model.session.is_some() {
                let label = if app.view.spec_editing {
                    "Done"
                } else {
                    "Edit"
                };
                if ui
                    .small_button(RichText::new(label).size(theme::META))
                    .clicked()
                {
                    app.view.spec_editing = !app.view.spec_editing;
                }
                if app.view.spec_editing {
                    let state = if app.view.spec_dirty_at.is_some() {
                        "Saving…"
                    } else {
                        "Saved"
                    };
                    ui.label(widgets::muted(state));
                }
            }
        });
    });
    let time = ui.input(|i| i.time);
    ScrollArea::vertical()
        .id_salt("spec_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            Frame::NONE
                .inner_margin(Margin::symmetric(24, 16))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    draft_card(app, ui);
                    let spec = app
                        .model
                        .session
                        .as_ref()
                        .and_then(|s| s.spec.clone())
                        .filter(|s| !s.content.trim().is_empty());
                    if app.view.spec_editing {
                        let edit = ui.add(
                            TextEdit::multiline(&mut app.view.spec_buffer)
                                .id_salt("spec_editor")
                                .font(theme::mono())
                                .desired_rows(30)
                                .desired_width(f32::INFINITY),
                        );
                        if edit.changed() {
                            app.view.spec_dirty_at = Some(time);
                        }
                        return;
                    }
                    match spec {
                        None => guide(ui),
                        Some(spec) => {
                            rendered(app, ui, &spec.content);
                            if let Some(run) = &spec.applied_from_run {
                                footer(app, ui, run, spec.updated_at);
                            }
                        }
                    }
                });
        });
}

fn guide(ui: &mut Ui) {
    // The guide shows while there is no spec yet: the coordinator is at step 1, creating it.
    let active = 1;
    let steps = [
        (
            "Creating spec",
            "The coordinator reads your codebase and drafts a spec. Apply its draft, or edit the spec yourself.",
        ),
        (
            "Implement",
            "Once you are happy with the plan, the coordinator delegates the tasks in waves — independent \
             tasks run in parallel, dependent ones wait.",
        ),
        (
            "Accept changes",
            "Review what the specialists changed, then stage, commit and open a pull request.",
        ),
    ];
    ui.add_space(40.0);
    for (i, (title, body)) in steps.iter().enumerate() {
        let n = i + 1;
        let is_active = n == active;
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(vec2(20.0, 20.0), Sense::hover());
            let fill = if is_active {
                theme::ACCENT
            } else {
                theme::CHROME
            };
            ui.painter().circle_filled(rect.center(), 9.0, fill);
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                n.to_string(),
                egui::FontId::proportional(theme::LABEL),
                theme::TEXT,
            );
            let color = if is_active {
                theme::SUCCESS
            } else {
                theme::TEXT
            };
            ui.label(RichText::new(*title).size(15.0).color(color).strong());
        });
        Frame::NONE
            .inner_margin(Margin {
                left: 28,
                right: 0,
                top: 0,
                bottom: 0,
            })
            .show(ui, |ui| {
                ui.add(
                    egui::Label::new(RichText::new(*body).size(13.0).color(theme::SECONDARY))
                        .wrap(),
                );
            });
        ui.add_space(18.0);
    }
}

fn rendered(app: &mut ViewCtx<'_>, ui: &mut Ui, content: &str) {
    let spec_tasks = app.model.derived().spec_tasks.clone();
    let live = app.model.any_live();
    for section in crate::model::spec::sections(content) {
        ui.label(
            RichText::new(section.heading)
                .size(17.0)
                .color(theme::TEXT)
                .strong(),
        );
        ui.add_space(4.0);
        if section.canonical == Some(1) && !spec_tasks.is_empty() {
            for task in &spec_tasks {
                Frame::NONE
                    .stroke(Stroke::new(1.0, theme::BORDER_STRONG))
                    .inner_margin(Margin::symmetric(8, 6))
                    .show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.horizontal(|ui| {
                            // The glyph toggles the line: done ⇄ open (one line of the spec changes).
                            let (rect, response) = ui.allocate_exact_size(
                                vec2(14.0, 14.0),
                                if task.id.is_some() {
                                    Sense::click()
                                } else {
                                    Sense::hover()
                                },
                            );
                            widgets::paint_task_glyph(ui, rect.center(), task.status, live);
                            let label = format!("Toggle task: {}", task.title);
                            response.widget_info(|| {
                                egui::WidgetInfo::labeled(egui::Role::CheckBox, true, &label)
                            });
                            if response.clicked()
                                && let Some(id) = &task.id
                            {
                                app.actions.push(Action::ToggleSpecTask(id.clone()));
                            }
                            let title_width = (ui.available_width() - 24.0).max(40.0);
                            ui.scope(|ui| {
                                ui.set_max_width(title_width);
                                ui.add(
                                    egui::Label::new(
                                        RichText::new(&task.title).size(13.0).color(theme::TEXT),
                                    )
                                    .truncate(),
                                );
                            });
                            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                                // ▶ starts a run for this task alone; a line without an id cannot be named.
                                let sense = if task.id.is_some() {
                                    Sense::click()
                                } else {
                                    Sense::hover()
                                };
                                let (rect, response) =
                                    ui.allocate_exact_size(vec2(14.0, 14.0), sense);
                                let color = if response.hovered() {
                                    theme::TEXT
                                } else {
                                    theme::MUTED
                                };
                                widgets::paint_icon(ui, rect, Icon::Play, color);
                                let label = format!("Run task: {}", task.title);
                                response.widget_info(|| {
                                    egui::WidgetInfo::labeled(egui::Role::Button, true, &label)
                                });
                                if response.clicked()
                                    && let Some(id) = &task.id
                                {
                                    app.actions.push(Action::RunSpecTask {
                                        task: id.clone(),
                                        title: task.title.clone(),
                                    });
                                }
                            });
                        });
                    });
            }
        } else {
            let own = own_text(section.body);
            if !own.trim().is_empty() {
                ui.push_id(section.heading, |ui| {
                    CommonMarkViewer::new().show(ui, &mut app.view.markdown, own);
                });
            }
        }
        ui.add_space(10.0);
    }
}

/// A section's own text: its body up to the first nested heading (nested sections are drawn on their own).
fn own_text(body: &str) -> &str {
    let mut offset = 0;
    let mut in_fence = false;
    for line in body.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence && t.starts_with('#') {
            return body.get(..offset).unwrap_or(body);
        }
        offset += line.len();
    }
    body
}

fn footer(app: &ViewCtx<'_>, ui: &mut Ui, run: &crate::model::RunId, at: crate::model::Timestamp) {
    let context = app
        .model
        .session
        .as_ref()
        .and_then(|s| s.run(run))
        .and_then(|r| {
            r.view
                .run
                .context
                .resolved_provider
                .map(|p| format!("{p} ({})", count(r.view.items.len(), "snippet")))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    ui.separator();
    ui.label(widgets::muted(format!(
        "Applied from run {} at {} · Context: {context}",
        run.short(),
        clock_time(at)
    )));
}

fn draft_card(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let Some(entry): Option<RunEntry> = app
        .model
        .session
        .as_ref()
        .and_then(|s| s.pending_draft())
        .filter(|r| !app.layout.dismissed_drafts.contains(r.id()))
        .cloned()
    else {
        return;
    };
    let run = &entry.view.run;
    let Some(draft) = &run.draft else {
        return;
    };
    let stale = entry.view.stale.is_stale;
    let context = match run.context.resolved_provider {
        Some(p) => format!("{p} ({})", count(entry.view.items.len(), "snippet")),
        None => "none".to_owned(),
    };
    let text_color = if stale { theme::SECONDARY } else { theme::TEXT };
    let confirming = app.view.confirm_apply.as_ref() == Some(&run.id);
    let frame = Frame::NONE
        .fill(theme::CHROME)
        .stroke(if stale {
            Stroke::NONE
        } else {
            Stroke::new(1.0, theme::ACCENT)
        })
        .inner_margin(Margin::same(12));
    let shown = frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        let latest = if stale { "" } else { " (latest)" };
        ui.label(
            RichText::new(format!(
                "Draft from run {}{latest} · {} · Context: {context}",
                run.id.short(),
                clock_time(draft.generated_at)
            ))
            .size(13.0)
            .color(text_color),
        );
        if let Some(reason) = entry.view.stale.reasons.first() {
            // One reason label; how many more there are (the run inspector lists them all).
            let more = entry.view.stale.reasons.len() - 1;
            let mut text = stale_reason(reason.kind, &reason.detail);
            if more > 0 {
                text.push_str(&format!(" (+{more} more)"));
            }
            ui.add(
                egui::Label::new(RichText::new(text).size(theme::META).color(theme::WARNING))
                    .truncate(),
            );
        }
        let preview: Vec<&str> = draft
            .content
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(3)
            .collect();
        // One line, cut with an ellipsis: a draft with a very long line must not grow the card.
        ui.add(egui::Label::new(widgets::muted(preview.join(" · "))).truncate());
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if confirming {
                ui.label(
                    RichText::new("Apply a stale draft? It replaces the spec.")
                        .size(theme::META)
                        .color(theme::WARNING),
                );
                if widgets::solid_button(ui, "Confirm apply", theme::WARNING).clicked() {
                    app.actions.push(Action::ApplyDraft {
                        run: run.id.clone(),
                        force: true,
                    });
                }
                if widgets::quiet_button(ui, "Cancel").clicked() {
                    app.view.confirm_apply = None;
                }
            } else if stale {
                if widgets::quiet_button(ui, "Apply anyway").clicked() {
                    app.view.confirm_apply = Some(run.id.clone());
                }
                if widgets::quiet_button(ui, "Dismiss").clicked() {
                    app.actions.push(Action::DismissDraft(run.id.clone()));
                }
            } else {
                if widgets::solid_button(ui, "Apply", theme::ACCENT).clicked() {
                    app.actions.push(Action::ApplyDraft {
                        run: run.id.clone(),
                        force: false,
                    });
                }
                if widgets::quiet_button(ui, "Dismiss").clicked() {
                    app.actions.push(Action::DismissDraft(run.id.clone()));
                }
            }
        });
    });
    if stale {
        widgets::dashed_rect(ui, shown.response.rect, theme::WARNING.gamma_multiply(0.8));
    }
    ui.add_space(14.0);
}
